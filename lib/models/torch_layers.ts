import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { TorchBatchNormalization } from './batch_norm';
import { DilatedConv2D } from './dilated_conv';
import { InitName, makeInitializer } from './init';

/**
 * Builders for tfjs layers with PyTorch's semantics, so the reference architectures (written for PyTorch) and their
 * published weights carry over exactly. Layer names mirror the PyTorch module paths with '.' → '_' (`layer1.0.conv1`
 * → `layer1_0_conv1`), which is what `import_torch.ts` relies on.
 *
 * Padding: PyTorch pads p zeros on every side; tfjs 'same' pads asymmetrically (extra at the bottom/right) when the
 * stride is > 1, so strided convs get an explicit ZeroPadding2D + 'valid' conv. 'same' is used only where it is
 * symmetric and equal (stride 1, p = (k−1)/2).
 */
type ST = tf.SymbolicTensor;

export interface TorchConvSpec {
  name: string;
  filters: number;
  kernel: number;
  stride?: number;
  /** PyTorch `padding` (default 0) */
  padding?: number;
  dilation?: number;
  /** PyTorch `bias` (default true) */
  bias?: boolean;
  activation?: 'linear' | 'relu';
  init: InitName;
  seed: number;
}

/** PyTorch `Conv2d(in, filters, kernel, stride, padding, dilation, bias)` (+ optional fused ReLU). */
export function torchConv2d(x: ST, s: TorchConvSpec): ST {
  const stride = s.stride ?? 1;
  const padding = s.padding ?? 0;
  const dilation = s.dilation ?? 1;
  const useBias = s.bias ?? true;
  const activation = s.activation ?? 'linear';
  if (dilation > 1) {
    if (stride !== 1) throw new ConfigError(`${s.name}: dilated convolutions must have stride 1 (got stride ${stride})`);
    return new DilatedConv2D({ name: s.name, filters: s.filters, kernelSize: s.kernel, dilation, padding, useBias, activation, kernelInitializer: s.init, seed: s.seed }).apply(x) as ST;
  }
  const conv = (input: ST, pad: 'same' | 'valid') =>
    tf.layers
      .conv2d({
        name: s.name,
        filters: s.filters,
        kernelSize: s.kernel,
        strides: stride,
        padding: pad,
        useBias,
        activation,
        kernelInitializer: makeInitializer(s.init, s.seed),
      })
      .apply(input) as ST;
  if (padding === 0) return conv(x, 'valid');
  if (stride === 1 && 2 * padding === s.kernel - 1) return conv(x, 'same');
  const padded = tf.layers.zeroPadding2d({ name: `${s.name}_pad`, padding: [[padding, padding], [padding, padding]] }).apply(x) as ST;
  return conv(padded, 'valid');
}

export interface TorchConvTransposeSpec {
  name: string;
  filters: number;
  kernel: number;
  stride: number;
  padding: number;
  outputPadding: number;
  bias?: boolean;
  activation?: 'linear' | 'relu';
  init: InitName;
  seed: number;
}

/**
 * PyTorch `ConvTranspose2d(in, filters, kernel, stride, padding, output_padding)`: output (n−1)·s − 2p + k + op.
 * tfjs `conv2dTranspose` 'valid' gives the full transposed convolution ((n−1)·s + k when k ≥ s); PyTorch's output
 * is that map with p rows/cols cropped at the top/left and p − op at the bottom/right (verified against a float64
 * loop implementation of PyTorch's definition in test/models/torch_reference.ts). The weights map without a spatial
 * flip: both frameworks define the op as the adjoint of a cross-correlation.
 */
export function torchConvTranspose2d(x: ST, s: TorchConvTransposeSpec): ST {
  const [, h, w] = x.shape;
  if (h == null || w == null) throw new ShapeError(`${s.name}: transposed conv needs a known input size, got [${x.shape}]`);
  const y = tf.layers
    .conv2dTranspose({
      name: s.name,
      filters: s.filters,
      kernelSize: s.kernel,
      strides: s.stride,
      padding: 'valid',
      useBias: s.bias ?? true,
      activation: s.activation ?? 'linear',
      kernelInitializer: makeInitializer(s.init, s.seed),
    })
    .apply(x) as ST;
  const crops = (n: number, tfLen: number): [number, number] => {
    const torchLen = (n - 1) * s.stride - 2 * s.padding + s.kernel + s.outputPadding;
    const bottom = tfLen - s.padding - torchLen;
    if (bottom < 0) throw new ConfigError(`${s.name}: output_padding ${s.outputPadding} > padding ${s.padding} is not supported`);
    return [s.padding, bottom];
  };
  const ch = crops(h, y.shape[1] as number);
  const cw = crops(w, y.shape[2] as number);
  if (ch[0] + ch[1] + cw[0] + cw[1] === 0) return y;
  return tf.layers.cropping2D({ name: `${s.name}_crop`, cropping: [ch, cw] }).apply(y) as ST;
}

/**
 * PyTorch `BatchNorm2d` (eps 1e-5, momentum 0.1 ⇔ Keras momentum 0.9). Weights gamma, beta, moving mean/var.
 * tfjs's BatchNormalization with a fused training-mode gradient (batch_norm.ts).
 */
export function torchBatchNorm(x: ST, name: string): ST {
  return new TorchBatchNormalization({ name, axis: -1, epsilon: 1e-5, momentum: 0.9 }).apply(x) as ST;
}

export function relu(x: ST, name: string): ST {
  return tf.layers.reLU({ name }).apply(x) as ST;
}

/**
 * PyTorch `MaxPool2d(kernel, stride, padding)` for inputs ≥ 0 (after a ReLU). PyTorch pads with −∞; zero padding is
 * equivalent here because every window holds at least one real value and all values are ≥ 0.
 */
export function torchMaxPoolAfterRelu(x: ST, s: { name: string; kernel: number; stride: number; padding: number }): ST {
  const input =
    s.padding > 0
      ? (tf.layers.zeroPadding2d({ name: `${s.name}_pad`, padding: [[s.padding, s.padding], [s.padding, s.padding]] }).apply(x) as ST)
      : x;
  return tf.layers.maxPooling2d({ name: s.name, poolSize: s.kernel, strides: s.stride, padding: 'valid' }).apply(input) as ST;
}
