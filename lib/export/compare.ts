import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { MAP_CHANNELS, type MapName } from '../types';
import type { WeightFormat } from './quantize';
import { exportModel, loadModelFromDir, type ExportOptions, type ExportResult } from './save';

/** On-disk size of an exported model folder. */
export interface ExportSize {
  modelJsonBytes: number;
  /** all `*.bin` shards */
  weightBytes: number;
  totalBytes: number;
}

/** Sizes of `dir/model.json` and its shards (every `.bin` in the folder). */
export function exportSize(dir: string): ExportSize {
  let modelJsonBytes = 0;
  let weightBytes = 0;
  for (const f of fs.readdirSync(dir)) {
    const size = fs.statSync(path.join(dir, f)).size;
    if (f === 'model.json') modelJsonBytes = size;
    else if (f.endsWith('.bin')) weightBytes += size;
  }
  return { modelJsonBytes, weightBytes, totalBytes: modelJsonBytes + weightBytes };
}

/** How far a candidate model's output maps are from a reference model's, on the same inputs. */
export interface OutputDifference {
  /** max |candidate − reference| over all pixels and channels */
  maxAbs: number;
  meanAbs: number;
  /** max |difference| per map channel (pos, cos, sin, width) */
  perChannel: Record<MapName, number>;
}

/**
 * Runs both models on `x` (`[B,H,W,1]`, normalised depth) in batches and compares the `[B,H,W,4]` outputs
 * (the first output if a model has several). Does not dispose `x` or the models; leaks nothing.
 */
export async function outputDifference(
  reference: tf.LayersModel,
  candidate: tf.LayersModel,
  x: tf.Tensor4D,
  opts: { batchSize?: number } = {},
): Promise<OutputDifference> {
  const batchSize = opts.batchSize ?? 4;
  const perChannel = new Float64Array(MAP_CHANNELS.length);
  let sumAbs = 0;
  let count = 0;
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, x.shape[0] - start);
    const [chMax, chSum] = tf.tidy(() => {
      const xb = x.slice([start, 0, 0, 0], [size, -1, -1, -1]);
      const a = firstOutput(reference.predict(xb));
      const b = firstOutput(candidate.predict(xb));
      if (a.shape.join() !== b.shape.join()) {
        throw new ShapeError(`outputDifference: reference output [${a.shape}] vs candidate [${b.shape}]`);
      }
      if (a.shape[3] !== MAP_CHANNELS.length) throw new ShapeError(`outputDifference: expected [B,H,W,4] maps, got [${a.shape}]`);
      const d = tf.abs(tf.sub(a, b));
      return [d.max([0, 1, 2]), d.sum([0, 1, 2])];
    });
    const [mx, sm] = await Promise.all([chMax.data(), chSum.data()]);
    tf.dispose([chMax, chSum]);
    for (let c = 0; c < perChannel.length; c++) {
      perChannel[c] = Math.max(perChannel[c], mx[c]);
      sumAbs += sm[c];
    }
    count += size * x.shape[1] * x.shape[2] * MAP_CHANNELS.length;
  }
  const per = Object.fromEntries(MAP_CHANNELS.map((n, c) => [n, perChannel[c]])) as Record<MapName, number>;
  return { maxAbs: Math.max(...perChannel), meanAbs: count ? sumAbs / count : 0, perChannel: per };
}

function firstOutput(y: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(y) ? y[0] : y;
}

/** The largest |Δ| between the weights of two models of the same architecture (e.g. float32 vs dequantised). */
export function weightDifference(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  if (wa.length !== wb.length) throw new ShapeError(`weightDifference: ${wa.length} vs ${wb.length} weight tensors`);
  let worst = 0;
  for (let i = 0; i < wa.length; i++) {
    const d = tf.tidy(() => tf.abs(tf.sub(wa[i], wb[i])).max().dataSync()[0]);
    worst = Math.max(worst, d);
  }
  return worst;
}

/** One row of a format comparison. */
export interface FormatComparison extends ExportSize {
  format: WeightFormat;
  dir: string;
  /** totalBytes / totalBytes of the float32 export (or of the first format listed) */
  sizeRatio: number;
  /** output maps of the reloaded export vs the in-memory float32 model */
  output: OutputDifference;
  /** largest weight error after tfjs's dequantisation */
  maxWeightError: number;
}

/**
 * Exports `model` in each format under `baseDir/<format>/`, reloads each through tfjs's standard loader and compares
 * its output maps on `x` (`[B,H,W,1]`) with `model`'s. Accuracy on the validation set is a separate step
 * (lib/eval `evaluateModel` on `loadModelFromDir(row.dir)`).
 */
export async function compareFormats(
  model: tf.LayersModel,
  x: tf.Tensor4D,
  baseDir: string,
  formats: readonly WeightFormat[] = ['float32', 'float16', 'uint16', 'uint8'],
  opts: Omit<ExportOptions, 'format'> & { batchSize?: number } = {},
): Promise<FormatComparison[]> {
  const rows: FormatComparison[] = [];
  const exported: ExportResult[] = [];
  for (const format of formats) exported.push(await exportModel(model, path.join(baseDir, format), { ...opts, format }));
  const base = exported.find((e) => e.format === 'float32') ?? exported[0];
  for (const e of exported) {
    const loaded = await loadModelFromDir(e.dir);
    try {
      const size = exportSize(e.dir);
      rows.push({
        format: e.format,
        dir: e.dir,
        ...size,
        sizeRatio: size.totalBytes / exportSize(base.dir).totalBytes,
        output: await outputDifference(model, loaded, x, { batchSize: opts.batchSize }),
        maxWeightError: weightDifference(model, loaded),
      });
    } finally {
      loaded.dispose();
    }
  }
  return rows;
}
