import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackendLike, callWasmKernel, release } from './wasm_kernel_calls';

/**
 * Sum / Mean over LEADING axes for the wasm backend, e.g. the bias and batch-norm gradients Σ_{b,h,w} dy[b,h,w,c].
 * wasm moves the reduced axes inward with its slow generic transpose and then loops (112 ms on [8,300,300,32]); a 2-D
 * transpose [N,C] → [C,N] (fast in wasm) followed by wasm's innermost-axis reduction takes 45 ms.
 * (A GEMM with a ones vector was tried: XNNPACK re-packs the big operand on every call, which made it slower.)
 * Other axis patterns, a single channel, and non-float32 tensors return undefined (wasm's own kernel runs).
 */

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

function reduceLeading(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = (args.attrs ?? {}) as unknown as ReduceAttrs;
  if (x.dtype !== 'float32' || x.shape.length < 2) return undefined;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  // only a proper prefix 0..k−1 (reducing every axis, or the innermost ones, is fast in wasm already)
  if (axes.length === 0 || axes.length >= x.shape.length || axes.some((a, i) => a !== i)) return undefined;
  const n = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const c = tf.util.sizeFromShape(x.shape.slice(axes.length));
  if (n === 0 || c <= 1) return undefined;
  const x2 = callWasmKernel(backend, 'Reshape', { x }, { shape: [n, c] });
  const xt = callWasmKernel(backend, 'Transpose', { x: x2 }, { perm: [1, 0] }); // [C,N]
  release(backend, x2);
  let r: tf.TensorInfo;
  try {
    r = original({ inputs: { x: xt }, backend, attrs: { axis: [1], keepDims: false } }); // [C]
  } finally {
    release(backend, xt);
  }
  const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
  const out = callWasmKernel(backend, 'Reshape', { x: r }, { shape: outShape });
  release(backend, r);
  return out;
}

/** `Sum` over leading axes (inputs x; attrs axis, keepDims). */
export function sumWasm(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  return reduceLeading(args, original);
}

/** `Mean` over leading axes (as `Sum`). */
export function meanWasm(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  return reduceLeading(args, original);
}
