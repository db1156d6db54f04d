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
import { BackendCapabilityError } from '../errors';

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
 *  - Conv2D, FusedConv2D, both conv gradients, MaxPoolGrad and BatchMatMul: native kernels when an accelerator is set (Node only,
 *    see native_conv.ts; injected so that this module stays browser-safe), else the kernels above / wasm's own.
 * A replacement returns undefined for cases it does not cover, and wasm's original kernel runs instead.
 */

/** Kernel functions that return undefined for cases they do not cover. */
type OptionalKernel = (args: KernelArgs) => tf.TensorInfo | undefined;

/** Faster kernels from outside this module (native_conv.ts). */
export interface KernelAccelerator {
  Conv2D?: OptionalKernel;
  MaxPoolGrad?: OptionalKernel;
  BatchMatMul?: OptionalKernel;
  FusedConv2D?: OptionalKernel;
  Conv2DBackpropInput?: OptionalKernel;
  Conv2DBackpropFilter?: OptionalKernel;
  /** its gradient kernels honour a `dilations` attribute (tfjs' own kernels have none) */
  takesDilations?: boolean;
}

let accelerator: KernelAccelerator | undefined;
let fastEnabled = false;

/** Sets (or, with undefined, removes) the kernel accelerator; takes effect at the next kernel call. */
export function setKernelAccelerator(acc: KernelAccelerator | undefined): void {
  accelerator = acc;
}

/** The accelerator's kernel `name`, when one is set and grasplab's fast kernels are on. */
function accelerated(name: 'Conv2D' | 'FusedConv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter' | 'MaxPoolGrad' | 'BatchMatMul'): OptionalKernel | undefined {
  return fastEnabled ? accelerator?.[name] : undefined;
}

/**
 * Whether 'Conv2DBackpropInput' / 'Conv2DBackpropFilter' on the active backend take a `dilations` attribute (the
 * native kernels on wasm do), so a dilated conv's gradients can be single kernel calls (lib/models/dilated_conv.ts).
 */
export function convGradientsTakeDilations(): boolean {
  return tf.getBackend() === 'wasm' && fastEnabled && accelerator?.takesDilations === true;
}

/** Refuses dilations on a gradient kernel that would ignore them (only the accelerator's honour them). */
function assertNoDilations(name: string, attrs: tf.NamedAttrMap | undefined): void {
  const d = (attrs as { dilations?: number | number[] } | undefined)?.dilations;
  if (d !== undefined && [d].flat().some((v) => v !== 1)) {
    throw new BackendCapabilityError(`wasm ${name} with dilations ${JSON.stringify(d)} needs the native conv kernels (native_conv.ts), which are off`);
  }
}

const ADDED: tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => {
      const fast = accelerated('Conv2DBackpropFilter')?.(args);
      if (fast) return fast;
      assertNoDilations('Conv2DBackpropFilter', args.attrs);
      return conv2DBackpropFilterWasm(args);
    }) as unknown as tf.KernelFunc,
  },
];

/**
 * Replacements: kernel name → faster implementation, given wasm's original kernel; it returns undefined when the
 * original must be used instead.
 */
type Replacement = (args: KernelArgs, original: (args: KernelArgs) => tf.TensorInfo) => tf.TensorInfo | tf.TensorInfo[] | undefined;
const REPLACED: Record<string, Replacement> = {
  Conv2D: (args) => accelerated('Conv2D')?.(args),
  FusedConv2D: (args) => accelerated('FusedConv2D')?.(args),
  Conv2DBackpropInput: (args) => {
    const fast = accelerated('Conv2DBackpropInput')?.(args);
    if (fast) return fast;
    assertNoDilations('Conv2DBackpropInput', args.attrs);
    return conv2DBackpropInputWasm(args);
  },
  Slice: sliceWasm,
  SplitV: splitVWasm,
  Tile: tileWasm,
  Concat: concatWasm,
  Identity: identityWasm,
  Cast: castWasm,
  Sum: (args, original) => sumSpatialWasm(args, original) ?? sumWasm(args, original),
  Mean: (args, original) => meanSpatialWasm(args, original) ?? meanWasm(args, original),
  Transpose: transposeWasm,
  BatchMatMul: (args, original) => accelerated('BatchMatMul')?.(args) ?? batchMatMulWasm(args, original),
  MaxPoolGrad: (args) => accelerated('MaxPoolGrad')?.(args) ?? maxPoolGradWasm(args),
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
  fastEnabled = enabled;
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
