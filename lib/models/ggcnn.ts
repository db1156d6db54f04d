import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { SeedSequence } from './init';
import { InputSizeCheck } from './input_check';
import { FEATURE_LAYER } from './views';
import { mapHeads } from './map_heads';
import { relu, torchConv2d, torchConvTranspose2d } from './torch_layers';

/** GG-CNN's layer sizes (dougsm/ggcnn `models/ggcnn.py`). */
const FILTERS = [32, 16, 8, 8, 16, 32];
const KERNELS = [9, 5, 3, 3, 5, 9];
const STRIDES = [3, 2, 2, 2, 2, 3];
/** PyTorch paddings of conv1..3 / convt1..3 (convs: (k−1)/2 rounded down as in ggcnn.py; convts: output_padding 1). */
const PADDINGS = [3, 2, 1, 1, 2, 3];

/**
 * GG-CNN (Morrison et al., RSS 2018) exactly as the PyTorch reference: three strided convs, three transposed convs
 * (ReLU after each), four linear 2×2 output convs without padding. [B,S,S,1] → [B,S,S,4] (pos, cos, sin, width).
 * 62,420 parameters. Works for S a multiple of 12 (300 → 100 → 50 → 25 → 50 → 100 → 301 → 300).
 * Layer names are the PyTorch module names, so `loadTorchStateDict` maps the published weights 1:1.
 */
export function buildGgcnn(opts: { inputSize: number; seed: number }): tf.LayersModel {
  const s = opts.inputSize;
  if (!(Number.isInteger(s) && s > 0 && s % 12 === 0)) {
    throw new ShapeError(`ggcnn: input size must be a multiple of 12 (e.g. 300) so the output map is ${s}x${s} too, got ${s}`);
  }
  const seeds = new SeedSequence(opts.seed);
  const init = 'glorotUniform'; // ggcnn.py: nn.init.xavier_uniform_(gain=1)
  const input = tf.input({ shape: [s, s, 1], name: 'depth' });
  let x = new InputSizeCheck({ name: 'input_size_check', size: s, channels: 1, who: 'ggcnn' }).apply(input) as tf.SymbolicTensor;
  for (let i = 0; i < 3; i++) {
    x = torchConv2d(x, { name: `conv${i + 1}`, filters: FILTERS[i], kernel: KERNELS[i], stride: STRIDES[i], padding: PADDINGS[i], activation: 'relu', init, seed: seeds.next() });
  }
  for (let i = 3; i < 6; i++) {
    const last = i === 5;
    x = torchConvTranspose2d(x, {
      name: `convt${i - 2}`,
      filters: FILTERS[i],
      kernel: KERNELS[i],
      stride: STRIDES[i],
      padding: PADDINGS[i],
      outputPadding: 1,
      // the last ReLU is its own layer so the feature map has a stable name
      activation: last ? 'linear' : 'relu',
      init,
      seed: seeds.next(),
    });
  }
  x = relu(x, FEATURE_LAYER);
  const maps = mapHeads(x, { kernel: 2, init, seeds: () => seeds.next(), outputName: 'maps' }); // 301 → 300
  return tf.model({ inputs: input, outputs: maps, name: 'ggcnn' });
}
