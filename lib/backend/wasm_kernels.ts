import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm } from './conv2d_backprop_filter_wasm';
import { conv2DBackpropInputWasm } from './conv2d_backprop_input_wasm';
import { castWasm, concatWasm, identityWasm, sliceWasm, splitVWasm, tileWasm } from './wasm_copy_kernels';
import { meanWasm, sumWasm } from './wasm_reduce_kernels';
import { meanSpatialWasm, sumSpatialWasm } from './wasm_spatial_reduce';
import { transposeWasm } from './wasm_transpose';
import { batchMatMulWasm } from './wasm_matmul';
import { maxPoolGradWasm } from './wasm_pool_kernels';
import type { KernelArgs } from './wasm_kernel_calls';

/**
 * Kernels grasplab adds to / replaces on the wasm backend (tfjs-backend-wasm 4.22), chosen by profiling GG-CNN,
 * GG-CNN2 and PSPNet training steps (bench/run.ts --profile). Each works inside the wasm heap, either by calling
 * wasm's own kernels (mostly XNNPACK convolutions and transposes) or with JS over the heap, so data never goes through
 * the cpu backend. Each has a correctness test against the cpu backend in test/backend/.
 *  - Conv2DBackpropFilter (added): missing on wasm, so conv / conv-transpose training fails without it.
 *  - Conv2DBackpropInput (replaced): wasm's is a scalar loop and was most of a GG-CNN training step.
 *  - Slice, SplitV, Tile, Concat (replaced): wasm's copy the whole input to JS or loop per element; ours memmove in
 *    the heap (and copy short runs element-wise).
 *  - Identity, Cast to the same dtype (replaced): share the buffer (reference-counted) instead of copying it.
 *  - Sum, Mean over leading axes (replaced): a fast transpose and an innermost-axis reduction.
 *  - Transpose (replaced): merged axes and at most two fast wasm transposes instead of wasm's slow generic path.
 *  - BatchMatMul with transposed operands (replaced): explicit fast transpose, then wasm's plain product.
 *  - MaxPoolGrad (replaced): one JS pass over the heap instead of wasm's 100x slower loop.
 *  - Sum, Mean over batch and space (replaced): an HxW average pool (wasm_spatial_reduce.ts).
 * A replacement returns undefined for cases it does not cover, and wasm's original kernel runs instead.
 */

const ADDED: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as tf.KernelFunc },
];

/**
 * Replacements: kernel name → faster implementation, given wasm's original kernel; it returns undefined when the
 * original must be used instead.
 */
type Replacement = (args: KernelArgs, original: (args: KernelArgs) => tf.TensorInfo) => tf.TensorInfo | tf.TensorInfo[] | undefined;
const REPLACED: Record<string, Replacement> = {
  Conv2DBackpropInput: conv2DBackpropInputWasm,
  Slice: sliceWasm,
  SplitV: splitVWasm,
  Tile: tileWasm,
  Concat: concatWasm,
  Identity: identityWasm,
  Cast: castWasm,
  Sum: (args, original) => sumSpatialWasm(args, original) ?? sumWasm(args, original),
  Mean: (args, original) => meanSpatialWasm(args, original) ?? meanWasm(args, original),
  Transpose: transposeWasm,
  BatchMatMul: batchMatMulWasm,
  MaxPoolGrad: maxPoolGradWasm,
};

/** wasm's own kernels that REPLACED displaced (kept for fallback and for `useFastWasmKernels(false)`). */
const originals = new Map<string, tf.KernelConfig>();
const ours = new Set<tf.KernelFunc>();

/** Names of the wasm kernels grasplab registers (for reports and benches). */
export const GRASPLAB_WASM_KERNELS: readonly string[] = [...ADDED.map((k) => k.kernelName), ...Object.keys(REPLACED)];

/**
 * Registers grasplab's wasm kernels: the missing gradient kernel and the faster replacements above. Idempotent; call
 * after `tf.setBackend('wasm')` (selectBackend does). An added kernel that wasm already provides natively (a future
 * tfjs version) is left alone.
 */
export function registerWasmGradientKernels(): void {
  for (const cfg of ADDED) {
    if (tf.getKernel(cfg.kernelName, 'wasm') === undefined) tf.registerKernel(cfg);
  }
  useFastWasmKernels(true);
}

/**
 * Switches the replaced kernels between grasplab's (true) and wasm's own (false). For benchmarks and tests
 * (before/after numbers); the added kernels stay, since without them training fails.
 */
export function useFastWasmKernels(enabled: boolean): void {
  for (const [name, fast] of Object.entries(REPLACED)) {
    const current = tf.getKernel(name, 'wasm');
    const isOurs = current !== undefined && ours.has(current.kernelFunc);
    if (enabled === isOurs) continue;
    if (enabled) {
      if (!current) continue; // the backend lacks the kernel entirely; nothing to fall back to
      originals.set(name, current);
      const fallback = current.kernelFunc;
      const original = fallback as unknown as (a: KernelArgs) => tf.TensorInfo;
      const kernelFunc: tf.KernelFunc = (args) => fast(args, original) ?? fallback(args);
      ours.add(kernelFunc);
      tf.unregisterKernel(name, 'wasm');
      // keep wasm's setupFunc: a re-initialised backend must still prepare the original we fall back to
      tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: current.setupFunc, disposeFunc: current.disposeFunc });
    } else {
      const original = originals.get(name);
      if (!original) continue;
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    }
  }
}
