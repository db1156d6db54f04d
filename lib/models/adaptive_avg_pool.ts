import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';

/**
 * PyTorch's `AdaptiveAvgPool2d(bins)` (PSPNet's pyramid pooling), which tfjs lacks. Output cell i along an axis of
 * length n averages input [start, end) with start = ⌊i·n/bins⌋, end = ⌈(i+1)·n/bins⌉ (ATen
 * AdaptiveAveragePooling.h). On non-divisible maps the windows overlap and differ in size: 38 → 6 bins gives six
 * windows of 7, 38 → 3 gives 13/14/13.
 *
 * The windows are rectangles, so the pooling is linear and separable: out = M · x with M [bins², H·W] holding
 * 1/(window area) inside each window. One matMul does it (its gradient is another matMul), on every backend.
 * [B,H,W,C] → [B,bins,bins,C].
 */
export interface AdaptiveAvgPool2DArgs {
  bins: number;
  name?: string;
}

/** The `[start, end)` windows of adaptive pooling of `inSize` cells into `bins` cells (PyTorch's formula). */
export function adaptivePoolWindows(inSize: number, bins: number): Array<[number, number]> {
  if (!(Number.isInteger(inSize) && Number.isInteger(bins) && inSize > 0 && bins > 0)) {
    throw new ShapeError(`adaptive pooling of ${inSize} cells into ${bins} bins: both must be positive integers`);
  }
  const windows: Array<[number, number]> = [];
  for (let i = 0; i < bins; i++) {
    const start = Math.floor((i * inSize) / bins);
    const end = Math.floor(((i + 1) * inSize + bins - 1) / bins); // integer ceil
    windows.push([start, end]);
  }
  return windows;
}

/** The pooling matrix M [bins², h·w] (row-major over output cells and input pixels). */
export function adaptivePoolMatrix(h: number, w: number, bins: number): Float32Array {
  const rows = adaptivePoolWindows(h, bins);
  const cols = adaptivePoolWindows(w, bins);
  const m = new Float32Array(bins * bins * h * w);
  for (let i = 0; i < bins; i++) {
    for (let j = 0; j < bins; j++) {
      const [r0, r1] = rows[i];
      const [c0, c1] = cols[j];
      const v = 1 / ((r1 - r0) * (c1 - c0));
      const base = (i * bins + j) * h * w;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) m[base + r * w + c] = v;
    }
  }
  return m;
}

export class AdaptiveAvgPool2D extends tf.layers.Layer {
  static className = 'GrasplabAdaptiveAvgPool2D';
  readonly bins: number;
  private cache?: { h: number; w: number; m: Float32Array };

  constructor(args: AdaptiveAvgPool2DArgs) {
    super({ name: args.name });
    if (!(Number.isInteger(args.bins) && args.bins > 0)) throw new ShapeError(`AdaptiveAvgPool2D: bins must be a positive integer, got ${args.bins}`);
    this.bins = args.bins;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], this.bins, this.bins, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      if (!this.cache || this.cache.h !== h || this.cache.w !== w) this.cache = { h, w, m: adaptivePoolMatrix(h, w, this.bins) };
      const m = tf.tensor2d(this.cache.m, [this.bins * this.bins, h * w]);
      // [B,H,W,C] → [H·W, B·C] so one matMul pools every image and channel
      const flat = tf.reshape(tf.transpose(tf.reshape(x, [b, h * w, c]), [1, 0, 2]), [h * w, b * c]);
      const pooled = tf.matMul(m, flat); // [bins², B·C]
      return tf.transpose(tf.reshape(pooled, [this.bins, this.bins, b, c]), [2, 0, 1, 3]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), bins: this.bins };
  }
}
tf.serialization.registerClass(AdaptiveAvgPool2D);
