import * as tf from '@tensorflow/tfjs';
import { ANGLE_TOLERANCE_RAD, IOU_THRESHOLD } from '../constants';
import { ShapeError } from '../errors';
import type { Grasp, GraspMaps, GraspRectPoints, Image2D, Sample, SampleCrop } from '../types';
import { detectGraspsInMaps, type DetectOptions } from './detect';
import { graspMaxIoU } from './iou';
import type { PostprocessOptions } from './postprocess';

export interface EvaluateOptions {
  /** images per `model.predict` call (default 8) */
  batchSize?: number;
  /** grasps considered per image; success if any of them matches (ggcnn `--n-grasps`, default 1) */
  topK?: number;
  /** IoU must exceed this (default 0.25) */
  iouThreshold?: number;
  /** max angle difference in radians (default π/6) */
  angleTolerance?: number;
  /** peak detection overrides (defaults: ggcnn's min distance 20, threshold 0.2) */
  detect?: Omit<DetectOptions, 'maxGrasps'>;
  /** blur/width-scale overrides (defaults: ggcnn's) */
  postprocess?: PostprocessOptions;
}

/** The verdict for one image. Plain data: JSON-serialisable. */
export interface ImageVerdict {
  id: string;
  /** some detected grasp has IoU > threshold with an angle-compatible ground-truth rectangle */
  success: boolean;
  /** detected grasps, best first (at most topK; empty when no quality peak exceeds the threshold) */
  grasps: Grasp[];
  /** best IoU of any detected grasp with any angle-compatible ground truth (ggcnn `max_iou`), 0 if none */
  bestIoU: number;
  /** where the image's S×S input was cut from (the sample's crop window), when known */
  crop?: SampleCrop;
}

export interface EvaluationResult {
  /** correct / total (0 for no images) */
  accuracy: number;
  correct: number;
  total: number;
  perImage: ImageVerdict[];
}

/**
 * Splits a `[B,H,W,4]` map tensor (channels pos, cos, sin, width) into one `GraspMaps` per batch item with a single
 * download (`t.data()`). Does not dispose `t`.
 */
export async function mapsFromTensor(t: tf.Tensor4D): Promise<GraspMaps[]> {
  if (t.rank !== 4 || t.shape[3] !== 4) {
    throw new ShapeError(`mapsFromTensor: expected a [B,H,W,4] map tensor (pos, cos, sin, width), got [${t.shape}]`);
  }
  const [b, h, w] = t.shape;
  const all = (await t.data()) as Float32Array;
  const n = h * w;
  const out: GraspMaps[] = [];
  for (let k = 0; k < b; k++) {
    const chans = [0, 1, 2, 3].map(() => new Float32Array(n));
    const base = k * n * 4;
    for (let i = 0; i < n; i++) {
      const j = base + i * 4;
      chans[0][i] = all[j];
      chans[1][i] = all[j + 1];
      chans[2][i] = all[j + 2];
      chans[3][i] = all[j + 3];
    }
    const img = (data: Float32Array): Image2D => ({ height: h, width: w, data });
    out.push({ pos: img(chans[0]), cos: img(chans[1]), sin: img(chans[2]), width: img(chans[3]) });
  }
  return out;
}

/**
 * The full ggcnn evaluation of one image: post-process, detect the top-k grasps, match them against the ground-truth
 * rectangles (which must be in the maps' pixel frame).
 */
export function evaluateImage(
  id: string,
  maps: GraspMaps,
  gts: readonly GraspRectPoints[],
  opts: EvaluateOptions = {},
): ImageVerdict {
  // Same grasps as detectGrasps(postprocess(maps)), without blurring the full angle/width maps.
  const grasps = detectGraspsInMaps(maps, { ...opts.postprocess, ...opts.detect, maxGrasps: opts.topK ?? 1 });
  const tol = opts.angleTolerance ?? ANGLE_TOLERANCE_RAD;
  let bestIoU = 0;
  for (const g of grasps) bestIoU = Math.max(bestIoU, graspMaxIoU(g, gts, tol));
  return { id, success: bestIoU > (opts.iouThreshold ?? IOU_THRESHOLD), grasps, bestIoU };
}

/**
 * Evaluates already-predicted maps (testable without a model). `gts[i]` are image i's ground-truth rectangles;
 * `ids[i]` names image i in the verdicts (default its index).
 */
export function evaluateMaps(
  maps: readonly GraspMaps[],
  gts: readonly (readonly GraspRectPoints[])[],
  opts: EvaluateOptions & { ids?: readonly string[] } = {},
): EvaluationResult {
  if (maps.length !== gts.length) {
    throw new ShapeError(`evaluateMaps: ${maps.length} map sets but ${gts.length} ground-truth lists`);
  }
  const perImage = maps.map((m, i) => evaluateImage(opts.ids?.[i] ?? String(i), m, gts[i], opts));
  return summarise(perImage);
}

/**
 * Runs `model` on the samples' depth images in batches (`[B,S,S,1]` in, `[B,S,S,4]` out; with several outputs the
 * first is used, e.g. the main head of an aux model) and scores every image with the rectangle metric.
 * Tensors are disposed batch by batch, so memory stays flat for any number of samples.
 * @example
 *   const { accuracy, perImage } = await evaluateModel(model, await loader.samples(), { batchSize: 4 });
 */
export async function evaluateModel(
  model: tf.LayersModel,
  samples: readonly Sample[],
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 8));
  const perImage: ImageVerdict[] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const batch = samples.slice(start, start + batchSize);
    const x = depthBatch(batch);
    let y: tf.Tensor4D | undefined;
    try {
      y = tf.tidy(() => {
        const out = model.predict(x);
        return (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
      });
      const [, h, w] = x.shape;
      if (y.rank !== 4 || y.shape[1] !== h || y.shape[2] !== w) {
        // The ground-truth rectangles are in the input's pixel frame, so the maps must be the same size.
        throw new ShapeError(`evaluateModel: model output is [${y.shape}], expected [${batch.length},${h},${w},4] like its input`);
      }
      const maps = await mapsFromTensor(y);
      maps.forEach((m, i) => {
        const verdict = evaluateImage(batch[i].id, m, batch[i].grasps, opts);
        perImage.push(batch[i].crop ? { ...verdict, crop: batch[i].crop } : verdict);
      });
    } finally {
      x.dispose();
      y?.dispose();
    }
  }
  return summarise(perImage);
}

/** Stacks the samples' normalised depth into `[B,S,S,1]` (caller disposes). */
function depthBatch(batch: readonly Sample[]): tf.Tensor4D {
  const { height: h, width: w } = batch[0].depth;
  const buf = new Float32Array(batch.length * h * w);
  batch.forEach((s, i) => {
    if (s.depth.height !== h || s.depth.width !== w || s.depth.data.length !== h * w) {
      throw new ShapeError(
        `evaluateModel: sample '${s.id}' depth is ${s.depth.height}x${s.depth.width}, the batch's first ('${batch[0].id}') is ${h}x${w}`,
      );
    }
    buf.set(s.depth.data, i * h * w);
  });
  return tf.tensor4d(buf, [batch.length, h, w, 1]);
}

function summarise(perImage: ImageVerdict[]): EvaluationResult {
  const correct = perImage.filter((v) => v.success).length;
  const total = perImage.length;
  return { accuracy: total ? correct / total : 0, correct, total, perImage };
}
