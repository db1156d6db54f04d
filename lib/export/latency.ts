import * as tf from '@tensorflow/tfjs';
import { measureLatency, type LatencyOptions, type LatencyStats } from '../eval/timing';
import { isMapPredictor, type MapPredictor } from '../models/predictor';
import type { Image2D } from '../types';
import { modelInputSize, predictGrasps, type PredictOptions } from './predict';

export interface ModelLatency {
  /** what ran the forward pass: the tfjs backend (`tf.getBackend()`), or a predictor's engine (e.g. onnxruntime-node …) */
  backend: string;
  /** input size S (one S×S depth image, batch 1) */
  size: number;
  /** `model.predict` on a ready `[1,S,S,1]` tensor until the maps are downloaded (`await y.data()`) */
  forward: LatencyStats;
  /** the whole `predictGrasps`: inpaint/normalise, forward, download, postprocess (blur) and peak detection */
  predict: LatencyStats;
}

/**
 * A deterministic test scene (metres): a table at 0.7 m with a 0.05 m high box and a cylinder on it, S×S.
 * Content matters little for timing (only the peak search depends on it) but keeps runs comparable.
 */
export function benchmarkDepth(size: number): Image2D {
  const data = new Float32Array(size * size).fill(0.7);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const inBox = Math.abs(r - size * 0.45) < size * 0.08 && Math.abs(c - size * 0.4) < size * 0.15;
      const inCyl = Math.hypot(r - size * 0.65, c - size * 0.65) < size * 0.07;
      if (inBox) data[r * size + c] = 0.65;
      else if (inCyl) data[r * size + c] = 0.62;
    }
  }
  return { height: size, width: size, data };
}

/**
 * Batch-1 latency of an (exported, reloaded) model in milliseconds: median/p10/p90 of `runs` timed calls after
 * `warmup` untimed ones (lib/eval `measureLatency`), for the forward pass alone and for the whole prediction.
 * Quantised exports are dequantised at load, so their forward time equals float32's: the comparison shows it.
 */
export async function measureModelLatency(
  model: tf.LayersModel | MapPredictor,
  opts: LatencyOptions & { depth?: Image2D; predict?: Omit<PredictOptions, 'fit'> } = {},
): Promise<ModelLatency> {
  const size = modelInputSize(model);
  const depth = opts.depth ?? benchmarkDepth(size);
  const timing = { warmup: opts.warmup ?? 2, runs: opts.runs ?? 10 };
  const fit = depth.height === size && depth.width === size ? 'none' : 'center';
  if (isMapPredictor(model)) {
    const input = { data: benchmarkDepth(size).data.map((v) => v - 0.7), shape: [1, size, size, 1] as [number, number, number, number] };
    const forward = await measureLatency(() => model.predict(input), timing);
    const predict = await measureLatency(() => predictGrasps(model, depth, { ...opts.predict, fit }), timing);
    return { backend: model.engine, size, forward, predict };
  }
  const x = tf.tensor4d(benchmarkDepth(size).data.map((v) => v - 0.7), [1, size, size, 1]);
  try {
    const forward = await measureLatency(async () => {
      const y = tf.tidy(() => {
        const out = model.predict(x);
        return Array.isArray(out) ? out[0] : out;
      });
      await y.data();
      y.dispose();
    }, timing);
    const predict = await measureLatency(() => predictGrasps(model, depth, { ...opts.predict, fit }), timing);
    return { backend: tf.getBackend(), size, forward, predict };
  } finally {
    x.dispose();
  }
}
