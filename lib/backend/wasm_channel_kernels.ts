import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmHeapBackend, callWasmKernel, heapBuffer, release } from './wasm_kernel_calls';

/**
 * Per-channel kernels for the wasm backend, run on XNNPACK operators that stream the tensor once with SIMD.
 *
 * 1. `Multiply` / `Add` / `Sub` of a tensor [..., C] with a per-channel vector ([C] or [1,…,1,C]): wasm's binary
 *    kernels broadcast with a generic per-element loop, 5–8x slower than the same-shape op (measured at batch 8:
 *    x·s + b on [8,38,38,128] 13.8 ms, on [8,150,150,16] 50 ms). A 1×1 depthwise convolution with bias IS
 *    y = x·w + b per channel (bias added to the product, one rounding each, as mul-then-add: results are bitwise
 *    those of the plain ops); here it takes 1.8 / 7.9 ms. Used by every BatchNorm, bias and loss gradient.
 * 2. `Sum` / `Mean` over the batch and spatial axes of an NHWC tensor ([0,1,2] or [1,2]): an average pool with the
 *    whole H×W as its window (XNNPACK, one pass) instead of a transpose and a row reduction: 0.3 ms against 6.5 ms
 *    on [8,38,38,128]. Per-channel sums are what BatchNorm statistics and every bias/BN gradient need.
 * Anything else returns undefined (wasm's own kernel runs).
 */

/** [..., C] operand and [C]-like operand, or undefined if the pair is not a channel broadcast. */
function channelPair(a: tf.TensorInfo, b: tf.TensorInfo): { full: tf.TensorInfo; vec: tf.TensorInfo; vecFirst: boolean } | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const isVec = (v: tf.TensorInfo, f: tf.TensorInfo) =>
    v.shape.length >= 1 && v.shape.length <= f.shape.length && v.shape[v.shape.length - 1] === f.shape[f.shape.length - 1] &&
    v.shape.slice(0, -1).every((d) => d === 1) && tf.util.sizeFromShape(f.shape) > v.shape[v.shape.length - 1];
  const c = (t: tf.TensorInfo) => t.shape[t.shape.length - 1];
  if (a.shape.length >= 2 && c(a) > 1 && isVec(b, a)) return { full: a, vec: b, vecFirst: false };
  if (b.shape.length >= 2 && c(b) > 1 && isVec(a, b)) return { full: b, vec: a, vecFirst: true };
  return undefined;
}

function reshape(backend: WasmHeapBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return callWasmKernel(backend, 'Reshape', { x }, { shape });
}

/** A new float32 wasm tensor holding `values`. */
function constant(backend: WasmHeapBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const offset = backend.dataIdMap.get(out.dataId).memoryOffset / 4;
  new Float32Array(heapBuffer(backend)).set(values, offset);
  return out;
}

/** The values of a small float32 wasm tensor (a copy). */
function valuesOf(backend: WasmHeapBackend, t: tf.TensorInfo): Float32Array {
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  return new Float32Array(heapBuffer(backend), offset * 4, tf.util.sizeFromShape(t.shape)).slice();
}

/** y[m, c] = x[m, c]·scale[c] (+ bias[c]) as a 1×1 depthwise conv; output has x's shape. */
function depthwiseAffine(backend: WasmHeapBackend, x: tf.TensorInfo, scale: tf.TensorInfo, bias?: tf.TensorInfo): tf.TensorInfo {
  const c = x.shape[x.shape.length - 1];
  const m = tf.util.sizeFromShape(x.shape) / c;
  const x4 = reshape(backend, x, [1, m, 1, c]);
  const filter = reshape(backend, scale, [1, 1, c, 1]);
  const b1 = bias ? reshape(backend, bias, [c]) : undefined;
  try {
    const inputs: Record<string, tf.TensorInfo> = { x: x4, filter };
    if (b1) inputs.bias = b1;
    const y = callWasmKernel(backend, 'FusedDepthwiseConv2D', inputs, {
      strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined, activation: 'linear', leakyreluAlpha: 0,
    });
    const out = reshape(backend, y, x.shape);
    release(backend, y);
    return out;
  } finally {
    release(backend, x4, filter);
    if (b1) release(backend, b1);
  }
}

/** `Multiply` with a per-channel vector. */
export function multiplyWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const pair = channelPair(a, b);
  if (!pair) return undefined;
  return depthwiseAffine(backend, pair.full, pair.vec);
}

/** `Add` with a per-channel vector: x·1 + v. */
export function addWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const pair = channelPair(a, b);
  if (!pair) return undefined;
  const c = pair.vec.shape[pair.vec.shape.length - 1];
  const ones = constant(backend, [c], new Float32Array(c).fill(1));
  try {
    return depthwiseAffine(backend, pair.full, ones, pair.vec);
  } finally {
    release(backend, ones);
  }
}

/** `Sub` with a per-channel vector: x·1 + (−v), or v − x = x·(−1) + v. */
export function subWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const pair = channelPair(a, b);
  if (!pair) return undefined;
  const c = pair.vec.shape[pair.vec.shape.length - 1];
  const scale = constant(backend, [c], new Float32Array(c).fill(pair.vecFirst ? -1 : 1));
  const bias = pair.vecFirst ? undefined : constant(backend, [c], valuesOf(backend, pair.vec).map((v) => -v));
  try {
    return depthwiseAffine(backend, pair.full, scale, bias ?? pair.vec);
  } finally {
    release(backend, scale);
    if (bias) release(backend, bias);
  }
}

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/**
 * `Sum` / `Mean` of a 4-D float32 tensor over [1,2] or [0,1,2] through an H×W average pool; undefined otherwise
 * (and for small maps, where the pool gains nothing).
 */
function reduceSpatial(args: KernelArgs, kind: 'sum' | 'mean', original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = (args.attrs ?? {}) as unknown as ReduceAttrs;
  if (x.dtype !== 'float32' || x.shape.length !== 4) return undefined;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q).join(',');
  if (axes !== '1,2' && axes !== '0,1,2') return undefined;
  const [nb, h, w, c] = x.shape;
  if (h * w < 4 || nb * h * w * c === 0) return undefined;
  const pooled = callWasmKernel(backend, 'AvgPool', { x }, { filterSize: [h, w], strides: [1, 1], pad: 'valid', dimRoundingMode: undefined }); // [B,1,1,C]
  let r = pooled; // per-image means
  if (axes === '0,1,2' && nb > 1) {
    // wasm's own Sum / Mean over the batch of the [B,1,1,C] means (tiny)
    r = original({ inputs: { x: pooled }, backend, attrs: { axis: [0], keepDims: true } });
    release(backend, pooled);
  }
  if (kind === 'sum') {
    const count = constant(backend, [c], new Float32Array(c).fill(h * w));
    const scaled = depthwiseAffine(backend, r, count);
    release(backend, r, count);
    r = scaled;
  }
  const outShape = keepDims ? [axes === '0,1,2' ? 1 : nb, 1, 1, c] : axes === '0,1,2' ? [c] : [nb, c];
  const out = reshape(backend, r, outShape);
  release(backend, r);
  return out;
}

/** `Sum` over the batch and spatial axes (see reduceSpatial). */
export function sumSpatialWasm(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  return reduceSpatial(args, 'sum', original);
}

/** `Mean` over the batch and spatial axes (see reduceSpatial); `original` must be wasm's Mean. */
export function meanSpatialWasm(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  return reduceSpatial(args, 'mean', original);
}
