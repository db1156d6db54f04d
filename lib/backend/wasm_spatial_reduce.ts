import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmHeapBackend, callWasmKernel, heapBuffer, release } from './wasm_kernel_calls';

/**
 * `Sum` / `Mean` over the batch and spatial axes of an NHWC tensor ([0,1,2] or [1,2]) for the wasm backend: an average
 * pool with the whole H×W as its window (XNNPACK, one SIMD pass) instead of a transpose and a row reduction: 0.55 ms
 * against ~6 ms on [8,38,38,128] (wasm's own: 46 ms), 3.0 against ~13 ms on [8,150,150,16]. Per-channel sums are
 * what BatchNorm statistics and every bias/BN gradient need.
 *
 * XNNPACK clamps pooled values to [−∞, +∞] with min/max instructions that turn a NaN into −∞, so a result that is not
 * finite is recomputed by the previous path (NaN must stay NaN: the train step reports a diverged loss by it).
 * (A 1×1 depthwise convolution would also do per-channel Multiply/Add/Sub 1.3–4x faster than wasm's broadcast loops
 * for 16 channels, but the same clamping makes NaN × s = −∞ there, on every element, so it is not used.)
 * Anything else returns undefined (the fallback runs).
 */

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
  // NaN (and ±∞) come out of XNNPACK's clamp as ±∞: recompute those exactly on the fallback path
  const values = new Float32Array(heapBuffer(backend), backend.dataIdMap.get(r.dataId).memoryOffset, tf.util.sizeFromShape(r.shape));
  if (!values.every(Number.isFinite)) {
    release(backend, r);
    return undefined;
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
