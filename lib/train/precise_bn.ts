import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import type { BatchSource } from './loop';

/**
 * "Precise BN" (Wu & Johnson, *Rethinking "Batch" in BatchNorm*, 2021; fvcore's `update_bn_stats`): with the weights
 * fixed, recompute every BatchNormalization layer's moving mean and variance as the plain average of the batch
 * statistics over `batches` training batches, replacing the exponential moving average.
 *
 * Why grasplab needs it: the moving variance starts at 1, but normalised depth (metres around the crop's mean) makes
 * the first convs' activations tiny (variance ~1e-5). With PyTorch's momentum 0.1 the initial 1 still dominates after
 * a hundred steps, so a short CPU run's inference-mode outputs are off by an order of magnitude at every BN layer
 * (measured on PSPNet-R18 w0.25 after 60 steps on one batch: train-mode loss 0.044, inference-mode loss 0.068, which
 * is the loss of predicting zeros). Long GPU runs wash the start out; the moving average also lags the weights while
 * they change fast. Averaging over a few batches at fixed weights fixes both.
 *
 * How: the forward runs in training mode (BN normalises with batch statistics, as in training, so each layer sees
 * the inputs it saw while training) with each BN layer's momentum set to (k−1)/k for the k-th batch, which makes
 * tfjs's moving-average update a cumulative mean; momenta are restored afterwards. Dropout is active in this
 * forward but no BN layer of these models sits after a dropout. Batches are taken from `source` and disposed.
 * Returns the number of BN layers updated (0: nothing to do, the source is not read).
 *
 * Inputs: `source` yields `{ x: [B,S,S,1], y }` (y unused); `model` is any built model (all outputs are computed).
 */
export async function recomputeBatchNormStats(model: tf.LayersModel, source: BatchSource, batches: number): Promise<number> {
  if (!(Number.isInteger(batches) && batches >= 1)) throw new ConfigError(`precise BN: batches must be a positive integer, got ${batches}`);
  const layers = batchNormLayers(model);
  if (layers.length === 0) return 0;
  const saved = layers.map((l) => l.momentum);
  try {
    for (let k = 1; k <= batches; k++) {
      const batch = await source.nextBatch();
      try {
        for (const l of layers) l.momentum = (k - 1) / k;
        tf.tidy(() => {
          model.apply(batch.x, { training: true });
        });
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
    }
  } finally {
    layers.forEach((l, i) => (l.momentum = saved[i]));
  }
  return layers.length;
}

/** The model's BatchNormalization layers (tfjs keeps `momentum` as a plain field it reads at every call). */
export function batchNormLayers(model: tf.LayersModel): { name: string; momentum: number }[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as { name: string; momentum: number }[];
}
