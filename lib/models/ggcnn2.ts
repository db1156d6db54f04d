import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { SeedSequence } from './init';
import { InputSizeCheck } from './input_check';
import { FEATURE_LAYER } from './views';
import { mapHeads } from './map_heads';
import { ResizeBilinear } from './resize_bilinear';
import { relu, torchConv2d } from './torch_layers';

/**
 * GG-CNN2 (dougsm/ggcnn `models/ggcnn2.py`, defaults filter_sizes [16,16,32,16], l3_k_size 5, dilations [2,4]).
 * [B,S,S,1] → [B,S,S,4]; 66,676 parameters; S a multiple of 4 (300 → 150 → 75 → 150 → 300).
 * Layer names follow the PyTorch `features` Sequential indices (`features.10` → `features_10`).
 *   features.0  Conv(1→16, k11, p5) ReLU      features.2  Conv(16→16, k5, p2) ReLU   features.4 MaxPool(2)
 *   features.5  Conv(16→16, k5, p2) ReLU      features.7  Conv(16→16, k5, p2) ReLU   features.9 MaxPool(2)
 *   features.10 Conv(16→32, k5, dil 2, p4) ReLU   features.12 Conv(32→32, k5, dil 4, p8) ReLU   (trainable: DilatedConv2D)
 *   features.14 UpsamplingBilinear2d(×2)      features.15 Conv(32→16, k3, p1) ReLU
 *   features.17 UpsamplingBilinear2d(×2)      features.18 Conv(16→16, k3, p1) ReLU
 *   pos/cos/sin/width_output Conv(16→1, k1)
 */
export function buildGgcnn2(opts: { inputSize: number; seed: number }): tf.LayersModel {
  const s = opts.inputSize;
  if (!(Number.isInteger(s) && s > 0 && s % 4 === 0)) {
    throw new ShapeError(`ggcnn2: input size must be a multiple of 4 (e.g. 300) so the output map is ${s}x${s} too, got ${s}`);
  }
  const seeds = new SeedSequence(opts.seed);
  const init = 'glorotUniform'; // ggcnn2.py: nn.init.xavier_uniform_(gain=1)
  const input = tf.input({ shape: [s, s, 1], name: 'depth' });
  let x = new InputSizeCheck({ name: 'input_size_check', size: s, channels: 1, who: 'ggcnn2' }).apply(input) as tf.SymbolicTensor;
  const conv = (idx: number, filters: number, kernel: number, dilation = 1, activation: 'relu' | 'linear' = 'relu') =>
    (x = torchConv2d(x, { name: `features_${idx}`, filters, kernel, padding: (dilation * (kernel - 1)) / 2, dilation, activation, init, seed: seeds.next() }));
  const pool = (idx: number) => (x = tf.layers.maxPooling2d({ name: `features_${idx}`, poolSize: 2, strides: 2, padding: 'valid' }).apply(x) as tf.SymbolicTensor);
  const up = (idx: number, size: number) => (x = new ResizeBilinear({ name: `features_${idx}`, height: size, width: size }).apply(x) as tf.SymbolicTensor);
  conv(0, 16, 11);
  conv(2, 16, 5);
  pool(4);
  conv(5, 16, 5);
  conv(7, 16, 5);
  pool(9);
  conv(10, 32, 5, 2);
  conv(12, 32, 5, 4);
  up(14, s / 2);
  conv(15, 16, 3);
  up(17, s);
  conv(18, 16, 3, 1, 'linear');
  x = relu(x, FEATURE_LAYER); // features.19
  const maps = mapHeads(x, { kernel: 1, init, seeds: () => seeds.next(), outputName: 'maps' });
  return tf.model({ inputs: input, outputs: maps, name: 'ggcnn2' });
}
