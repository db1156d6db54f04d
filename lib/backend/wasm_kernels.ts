import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm } from './conv2d_backprop_filter_wasm';

/**
 * Kernels grasplab adds to the wasm backend (tfjs-backend-wasm 4.22). Each is composed of wasm's own kernels, so data
 * never leaves the wasm heap. Every one has a correctness test against the cpu backend in test/backend/.
 *  - Conv2DBackpropFilter: missing on wasm, so conv / conv-transpose training fails without it.
 */
const ADDED: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as tf.KernelFunc },
];

/** Names of the wasm kernels grasplab registers (for reports and benches). */
export const GRASPLAB_WASM_KERNELS: readonly string[] = ADDED.map((k) => k.kernelName);

/**
 * Registers grasplab's wasm kernels. Idempotent; call after `tf.setBackend('wasm')` (selectBackend does).
 * A kernel that wasm already provides natively (a future tfjs version) is left alone.
 */
export function registerWasmGradientKernels(): void {
  for (const cfg of ADDED) {
    const existing = tf.getKernel(cfg.kernelName, 'wasm');
    if (existing === undefined) tf.registerKernel(cfg);
  }
}
