import * as tf from '@tensorflow/tfjs';
import { BackendCapabilityError } from '../errors';

/**
 * Helpers for kernels composed from other wasm kernels. Calling the registered kernel functions directly (instead of
 * tf ops) keeps the work on the wasm heap, creates no engine tensors, and is invisible to the gradient tape; the price
 * is that every intermediate TensorInfo must be freed with `release`.
 */

/** What a kernel function receives (tfjs-core's KernelFunc argument, with the backend left opaque). */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The wasm backend object as kernels receive it; only what these helpers need. */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Runs the wasm kernel `name` now and returns its output (the caller owns it). */
export function callWasmKernel(
  backend: WasmBackendLike,
  name: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown> = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new BackendCapabilityError(`wasm backend has no '${name}' kernel (needed by a grasplab kernel)`);
  const out = kernel.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new BackendCapabilityError(`wasm kernel '${name}' returned several outputs; expected one`);
  return out;
}

/** Frees intermediates produced by `callWasmKernel` (each output holds one reference). */
export function release(backend: WasmBackendLike, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** `x` transposed by `perm` (through the registered Transpose, i.e. grasplab's when registered). */
export function transposeInfo(backend: WasmBackendLike, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** `x[begin : begin+size]`; returns a fresh copy even when nothing is cut. */
export function sliceInfo(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  return callWasmKernel(backend, 'Slice', { x }, { begin, size });
}

/** What the heap-walking kernels need from the wasm backend. */
export interface WasmHeapBackend extends WasmBackendLike {
  wasm: { HEAPU8: Uint8Array; wasmMemory?: { buffer: ArrayBufferLike }; asm?: { memory?: { buffer: ArrayBufferLike } } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * The wasm heap's current buffer. Read it after any allocation (which may grow memory) and build typed views on it
 * then: in the threaded build the module's cached HEAP* views can lag behind a growth (emscripten refreshes them
 * lazily), whereas the Memory object's buffer is always current.
 */
export function heapBuffer(backend: WasmHeapBackend): ArrayBufferLike {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  return memory ? memory.buffer : backend.wasm.HEAPU8.buffer;
}
