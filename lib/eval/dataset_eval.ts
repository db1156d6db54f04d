import type { DatasetEntry, GraspDataset } from '../data/dataset';
import { defaultCrop, preprocessSteps } from '../data/preprocess';
import { Rng } from '../data/random';
import type { MapPredictor } from '../models/predictor';
import type { Grasp, SampleCrop } from '../types';
import { evaluateModel, type EvaluateOptions, type ImageVerdict } from './metric';

/** One image's verdict with where its input came from: what `grasplab eval` writes per image. */
export interface DatasetImageVerdict extends ImageVerdict {
  /** where the S×S input was cut from in the image file (window in pixels, scale = S / window side) */
  crop: SampleCrop;
  /** ground-truth rectangles of the image */
  groundTruth: number;
  /** the grasps' centres in the image file's pixels ([row, col]; the network frame is `grasps[k].center`) */
  imageCenters: [number, number][];
}

export interface DatasetEvaluation {
  accuracy: number;
  correct: number;
  total: number;
  perImage: DatasetImageVerdict[];
}

export interface DatasetEvalOptions extends EvaluateOptions {
  /** network input size S (the model's) */
  outputSize: number;
  /** images read, preprocessed and scored together: memory stays bounded for any folder size (default 32) */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Scores a model (its forward engine: ONNX Runtime or tfjs, see lib/export/forward_engine) on dataset entries exactly as validation does (ggcnn's unaugmented crop: Cornell-format data a
 * window centred on the rectangles, Jacquard the whole image resized; normalised depth; rectangle metric), reading
 * the files a chunk at a time, and records each image's crop window.
 */
export async function evaluateDatasetEntries(
  predictor: MapPredictor,
  ds: GraspDataset,
  entries: readonly DatasetEntry[],
  opts: DatasetEvalOptions,
): Promise<DatasetEvaluation> {
  const S = opts.outputSize;
  const chunk = Math.max(1, opts.chunk ?? 32);
  const preprocess = { outputSize: S, rotate: 'none' as const, zoom: false, crop: defaultCrop(ds.kind) };
  const perImage: DatasetImageVerdict[] = [];
  for (let i = 0; i < entries.length; i += chunk) {
    const part = entries.slice(i, i + chunk);
    const raws = await Promise.all(part.map((e) => ds.load(e)));
    // no augmentation: the random stream is never drawn from
    const traces = raws.map((raw) => preprocessSteps(raw, preprocess, new Rng(0)));
    const res = await evaluateModel(
      predictor,
      traces.map((t) => t.sample),
      opts,
    );
    res.perImage.forEach((v, k) => {
      const crop = traces[k].sample.crop!; // set by preprocess
      perImage.push({ ...v, crop, groundTruth: raws[k].grasps.length, imageCenters: v.grasps.map((g) => imageCenter(g, crop)) });
    });
    opts.onProgress?.(Math.min(entries.length, i + chunk), entries.length);
  }
  const correct = perImage.filter((v) => v.success).length;
  return { accuracy: perImage.length ? correct / perImage.length : 0, correct, total: perImage.length, perImage };
}

function imageCenter(g: Grasp, c: SampleCrop): [number, number] {
  const r = (v: number) => Number(v.toFixed(2));
  return [r(c.top + g.center[0] / c.scale), r(c.left + g.center[1] / c.scale)];
}
