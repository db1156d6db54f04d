import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';

/**
 * Optimiser as plain data (saved in run.json and used to rebuild the optimiser on resume).
 * Default: Adam, lr 1e-3 (ggcnn `optim.Adam(net.parameters())` with PyTorch defaults; tfjs uses the same β1 0.9, β2 0.999).
 */
export type OptimizerConfig =
  | { kind: 'adam'; lr: number; beta1?: number; beta2?: number }
  | { kind: 'sgd'; lr: number }
  | { kind: 'momentum'; lr: number; momentum?: number };

export const DEFAULT_OPTIMIZER: OptimizerConfig = { kind: 'adam', lr: 1e-3 };

export function createOptimizer(cfg: OptimizerConfig): tf.Optimizer {
  if (!(cfg.lr > 0 && Number.isFinite(cfg.lr))) throw new ConfigError(`optimizer lr must be a positive number, got ${cfg.lr}`);
  switch (cfg.kind) {
    case 'adam':
      return tf.train.adam(cfg.lr, cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999);
    case 'sgd':
      return tf.train.sgd(cfg.lr);
    case 'momentum':
      return tf.train.momentum(cfg.lr, cfg.momentum ?? 0.9);
    default: {
      const never: never = cfg;
      throw new ConfigError(`unknown optimizer ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Changes the learning rate of a tfjs optimiser in place. tfjs has no public setter on the base class: SGD/momentum
 * cache `−lr` in a tensor and expose `setLearningRate`; Adam reads its `learningRate` field at each update.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate?: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
