import * as tf from '@tensorflow/tfjs';
import { MAP_CHANNELS } from '../types';
import { InitName } from './init';
import { torchConv2d } from './torch_layers';

/**
 * GG-CNN's four linear output convolutions (`pos_output`, `cos_output`, `sin_output`, `width_output`, each
 * Conv2d(C→1, kernel)), concatenated in MAP_CHANNELS order into grasplab's single map tensor.
 * [B,h,w,C] → [B,h−k+1,w−k+1,4]. Four 1-filter convs equal one 4-filter conv; they stay separate so the layers
 * mirror the PyTorch modules (and their state-dict keys) one to one.
 */
export function mapHeads(x: tf.SymbolicTensor, opts: { kernel: number; init: InitName; seeds: () => number; prefix?: string; outputName: string }): tf.SymbolicTensor {
  const prefix = opts.prefix ?? '';
  const maps = MAP_CHANNELS.map((ch) =>
    torchConv2d(x, { name: `${prefix}${ch}_output`, filters: 1, kernel: opts.kernel, init: opts.init, seed: opts.seeds() }),
  );
  return tf.layers.concatenate({ name: opts.outputName, axis: -1 }).apply(maps) as tf.SymbolicTensor;
}
