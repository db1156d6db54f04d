import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { InitName, makeInitializer } from './init';

/**
 * Dilated ("atrous") convolution, stride 1, with PyTorch's zero padding, that can be trained.
 *
 * Why a custom layer: tfjs-core has no gradient for `conv2d` with `dilations > 1` on any backend (it throws
 * "Error in gradient for op Conv2D. The dilation rates ... not yet supported in gradients"). The forward pass here
 * IS tf.conv2d with dilations (XNNPACK on wasm runs it as fast as an undilated conv); the gradient is supplied
 * with tf.customGrad from two ops that do have kernels everywhere:
 *   dx = conv2d(pad(dy, d·(k−1)−p), W flipped in space and transposed in channels, dilation d)   (H×W outputs only)
 *   dW = conv2d(xᵀ, dyᵀ as the filter, stride d, pad p)   (one strided convolution, see dilatedConvFilterGrad)
 * The space-to-batch rewrite (TF's atrous_conv2d: spaceToBatchND → conv → batchToSpaceND) is also trainable but
 * its 6-D transposes made PSPNet-R34's forward 3× slower on wasm; the tests use it as an independent reference.
 *
 * With PyTorch padding p, dilation d and kernel k on an H×W map the output is H + 2p − d(k−1)
 * (p = d(k−1)/2 keeps the size). Weights: `kernel` [k,k,inC,filters] (tfjs HWIO), `bias` [filters].
 */
export interface DilatedConv2DArgs {
  filters: number;
  kernelSize: number;
  dilation: number;
  /** PyTorch `padding` (zeros on every side); default d·(k−1)/2 ("same" size) */
  padding?: number;
  useBias?: boolean;
  activation?: 'linear' | 'relu';
  kernelInitializer?: InitName;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class DilatedConv2D extends tf.layers.Layer {
  static className = 'GrasplabDilatedConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly dilation: number;
  readonly padding: number;
  readonly useBias: boolean;
  readonly activation: 'linear' | 'relu';
  readonly kernelInitializer: InitName;
  readonly seed: number;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: DilatedConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.dilation = args.dilation;
    this.padding = args.padding ?? (args.dilation * (args.kernelSize - 1)) / 2;
    this.useBias = args.useBias ?? true;
    this.activation = args.activation ?? 'linear';
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed ?? 1;
    if (!Number.isInteger(this.dilation) || this.dilation < 1) throw new ConfigError(`DilatedConv2D: dilation must be an integer ≥ 1, got ${this.dilation}`);
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new ConfigError(`DilatedConv2D: padding must be an integer ≥ 0, got ${this.padding}`);
    if (!Number.isInteger(this.kernelSize) || this.kernelSize < 1) throw new ConfigError(`DilatedConv2D: kernelSize must be an integer ≥ 1, got ${this.kernelSize}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    const inC = s[3];
    if (inC == null) throw new ShapeError(`${this.name}: the channel dimension of the input must be known, got [${s}]`);
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, inC, this.filters], 'float32', makeInitializer(this.kernelInitializer, this.seed));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    const span = this.dilation * (this.kernelSize - 1);
    const out = (n: number | null) => (n == null ? null : n + 2 * this.padding - span);
    return [s[0], out(s[1]), out(s[2]), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const bias = this.bias?.read() as tf.Tensor1D | undefined;
      const y = dilatedConv2d(x, kernel, this.dilation, this.padding);
      const withBias = bias ? tf.add(y, bias) : y;
      return this.activation === 'relu' ? tf.relu(withBias) : withBias;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activation,
      kernelInitializer: this.kernelInitializer,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(DilatedConv2D);

/**
 * The dilated convolution itself, as an op with gradients: x [B,H,W,C], kernel [k,k,C,F] → [B,H',W',F] with
 * H' = H + 2·padding − dilation·(k−1) (PyTorch `Conv2d(stride=1, padding, dilation)` without bias).
 */
export function dilatedConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, dilation: number, padding: number): tf.Tensor4D {
  const d = dilation;
  const p = padding;
  const op = tf.customGrad((xIn, wIn, save) => {
    const xt = xIn as tf.Tensor4D;
    const wt = wIn as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt, wt]);
    const value = conv2dPadded(xt, wt, d, p);
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [dilatedConvInputGrad(dy, ws, d, p, xs.shape), dilatedConvFilterGrad(xs, dy, d, p, ws.shape)];
    };
    return { value, gradFunc };
  });
  return op(x, kernel) as tf.Tensor4D;
}

/** Zero-pad p on all sides, then a 'valid' conv with dilation d (forward only). */
function conv2dPadded(x: tf.Tensor4D, w: tf.Tensor4D, d: number, p: number): tf.Tensor4D {
  return tf.tidy(() => {
    const k = w.shape[0];
    // 'same' with stride 1 and an odd effective kernel pads p = d(k−1)/2 on both sides, as PyTorch does
    if (2 * p === d * (k - 1)) return tf.conv2d(x, w, 1, 'same', 'NHWC', [d, d]);
    const xp = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]) : x;
    return tf.conv2d(xp, w, 1, 'valid', 'NHWC', [d, d]);
  });
}

/**
 * dL/dx: the correlation of dy with the spatially flipped, channel-transposed kernel (dilation d) over dy padded by
 * q = d(k−1) − p on each side, which lands exactly on x's H×W (no rows computed only to be cut away; with PyTorch's
 * "same" padding q = p). A padding larger than the dilated kernel (q < 0) crops dy instead.
 */
function dilatedConvInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, d: number, p: number, xShape: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const k = w.shape[0];
    const wFlip = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [k,k,F,C]
    const q = d * (k - 1) - p;
    const src = q >= 0 ? dy : (tf.slice(dy, [0, -q, -q, 0], [-1, dy.shape[1] + 2 * q, dy.shape[2] + 2 * q, -1]) as tf.Tensor4D);
    const pad = Math.max(q, 0);
    const dx = tf.conv2d(src, wFlip, 1, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'NHWC', [d, d]);
    if (dx.shape[1] !== xShape[1] || dx.shape[2] !== xShape[2]) {
      throw new ShapeError(`dilated conv input gradient: got [${dx.shape}] for x [${xShape}] (k ${k}, d ${d}, p ${p})`);
    }
    return dx;
  });
}

/**
 * dL/dW[u,v,c,f] = Σ_{b,i,j} xpad[b, i+d·u, j+d·v, c] · dy[b,i,j,f], computed as ONE convolution: batch := c,
 * channels := b, dy (as a [OH,OW,B,F] filter) slides over x with stride d, padding p on x (no padded copy):
 *   dW = transpose(conv2d(transpose(x,[3,1,2,0]), transpose(dy,[1,2,0,3]), stride d, pad p), [1,2,0,3]).
 * The output grid is the k×k filter window. The per-tap matMul form it replaces needed a padded copy of x, k² slices
 * and k² transposed products (single-threaded copies in the threaded wasm build); measured in CPU time on wasm at
 * PSPNet's shapes (batch 8, 38×38): 128 ch d4 209 → 209 ms single-threaded, 206 → 195 ms with 2 threads; 64 ch d2
 * 59 → 53 and 67 → 53 ms.
 */
function dilatedConvFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, d: number, p: number, wShape: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const k = wShape[0];
    const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [C,H,W,B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH,OW,B,F]
    const g = tf.conv2d(xT, dyT, d, [[0, 0], [p, p], [p, p], [0, 0]]); // [C,k,k,F]
    if (g.shape[1] !== k || g.shape[2] !== k) {
      throw new ShapeError(`dilated conv filter gradient: got [${g.shape}] for a ${k}x${k} kernel (d ${d}, p ${p}, x [${x.shape}])`);
    }
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}
