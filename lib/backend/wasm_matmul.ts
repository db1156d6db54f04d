import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackendLike, callWasmKernel, release } from './wasm_kernel_calls';

/**
 * `BatchMatMul` for wasm with transposed operands: transpose explicitly (a fast batched 2-D transpose) and run wasm's
 * plain product. wasm's own transposeA / transposeB paths are slow loops: aᵀ·b with a, b [45000,32] took 50 ms against
 * 6 ms this way (the per-tap filter gradients of the models' dilated convolutions are exactly that), g·wᵀ with w [64,32]
 * 87 ms against 7 ms. Undefined (wasm's kernel) when nothing is transposed.
 */
export function batchMatMulWasm(args: KernelArgs, original: (a: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackendLike;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
  if (!transposeA && !transposeB) return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const a2 = transposeA ? swapLastTwo(backend, a) : a;
  const b2 = transposeB ? swapLastTwo(backend, b) : b;
  try {
    return original({ inputs: { a: a2, b: b2 }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
  }
}

/** [..., m, n] → [..., n, m] */
function swapLastTwo(backend: WasmBackendLike, x: tf.TensorInfo): tf.TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return callWasmKernel(backend, 'Transpose', { x }, { perm });
}
