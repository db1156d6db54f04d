import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/data/random';
import type { BatchSource } from '../../lib/train/loop';
import type { TrainBatch } from '../../lib/train/step';

/** Test-only models and data, independent of lib/models and lib/data/loader. */

export const S = 32;

export interface TinyOptions {
  seed?: number;
  /** BatchNormalization after the first conv (momentum 0.9 so a few steps move the moving stats visibly) */
  bn?: boolean;
  /** add an aux head: outputs [main, aux] */
  aux?: boolean;
  /** channels of the feature layer (named `<prefix>feat`) */
  featChannels?: number;
  /** layer name prefix, so several tiny models coexist */
  prefix?: string;
}

/** x [B,32,32,1] → conv3x3(8) [→ BN] → relu → conv3x3(C) 'feat' → relu → conv1x1(4) 'main' (+ conv1x1(4) 'aux'). */
export function tinyModel(o: TinyOptions = {}): tf.LayersModel {
  const seed = o.seed ?? 1;
  const p = o.prefix ?? 'tiny';
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const x = tf.input({ shape: [S, S, 1], name: `${p}_x` });
  let h = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: `${p}_c1` })
    .apply(x) as tf.SymbolicTensor;
  if (o.bn) h = tf.layers.batchNormalization({ momentum: 0.9, name: `${p}_bn` }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: `${p}_r1` }).apply(h) as tf.SymbolicTensor;
  const feat = tf.layers
    .conv2d({ filters: o.featChannels ?? 8, kernelSize: 3, padding: 'same', kernelInitializer: init(2), name: `${p}_feat` })
    .apply(h) as tf.SymbolicTensor;
  const r2 = tf.layers.reLU({ name: `${p}_r2` }).apply(feat) as tf.SymbolicTensor;
  const main = tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: init(3), name: `${p}_main` }).apply(r2) as tf.SymbolicTensor;
  const outputs = [main];
  if (o.aux) {
    outputs.push(tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: init(4), name: `${p}_aux` }).apply(h) as tf.SymbolicTensor);
  }
  return tf.model({ inputs: x, outputs, name: `${p}_model` });
}

/**
 * A deterministic learnable batch from `rng`: smooth random depth-like x, targets pos = x>0, cos = x/2,
 * sin = −x/2, width = |x|/2 (all local functions of x, so a small conv net can fit them).
 */
export function fakeBatch(rng: Rng, batchSize = 2): TrainBatch {
  return tf.tidy(() => {
    const vals = new Float32Array(batchSize * S * S);
    for (let i = 0; i < vals.length; i++) vals[i] = rng.normal();
    const noise = tf.tensor4d(vals, [batchSize, S, S, 1]);
    const x = tf.clipByValue(tf.avgPool(noise, 5, 1, 'same').mul(2), -1, 1) as tf.Tensor4D;
    const y = tf.concat([tf.cast(tf.greater(x, 0), 'float32'), x.div(2), x.div(-2), x.abs().div(2)], 3) as tf.Tensor4D;
    return { x, y };
  });
}

/** Endless fake source whose batch sequence depends only on `seed`. */
export function fakeSource(seed: number, batchSize = 2, canSkip = false): BatchSource {
  const rng = new Rng(seed);
  const src: BatchSource = { nextBatch: async () => fakeBatch(rng, batchSize) };
  if (canSkip) src.skipBatches = (n) => {
    for (let i = 0; i < n; i++) {
      const b = fakeBatch(rng, batchSize);
      tf.dispose([b.x, b.y]);
    }
  };
  return src;
}

/** Copies of all weight values of a model (getWeights returns the live variables). */
export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
