import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { BackendCapabilityError, ConfigError } from '../errors';
import { PROJECT_ROOT } from '../config/paths';
import { type WasmHeapBackend, heapBuffer } from './wasm_kernel_calls';
import { setKernelAccelerator, type KernelAccelerator } from './wasm_kernels';
import { wasmThreadsFromEnv } from './wasm_threads';

/**
 * Native convolution kernels for the wasm backend (Node only; the optional package `native/`, an N-API addon built
 * by node-gyp at `npm install`). Conv2D, FusedConv2D (bias + linear/relu/relu6/leakyrelu), Conv2DBackpropInput and
 * Conv2DBackpropFilter, incl. strides, explicit/same/valid pads and dilations, run as a gather fused into a packed,
 * cache-blocked SGEMM with an AVX2/FMA micro-kernel (a portable kernel on other CPUs) on a small thread pool; also
 * MaxPoolGrad (ResNet's stem pool gradient was 6 % of a PSPNet step as a JS loop) and BatchMatMul.
 * Why: XNNPACK in wasm reaches ~25–30 GFLOP/s per thread here (4-lane SIMD, no FMA), native AVX2+FMA ~100; the
 * convolutions are ~80 % of a PSPNet training step.
 *
 * The kernels work on the wasm heap in place: each gets the heap's current buffer (ArrayBuffer, or SharedArrayBuffer
 * in the threaded build) and the tensors' byte offsets, after the output is allocated (allocation may grow the heap).
 * Every output element is summed in a fixed order whatever the thread count, so results are bitwise reproducible.
 *
 * Settings (environment): GRASPLAB_NATIVE=0 turns them off; GRASPLAB_NATIVE_THREADS=n sets the pool size (default:
 * GRASPLAB_WASM_THREADS, else 1); GRASPLAB_NATIVE_ISA=avx512|avx2|generic picks the kernels (default: the best the
 * CPU has; AVX-512 measured ~25 % faster than AVX2 on this machine's large convolutions).
 */

export type NativeIsa = 'avx512' | 'avx2' | 'generic';
const ISAS: NativeIsa[] = ['avx512', 'avx2', 'generic'];
const ISA_NAMES: Record<NativeIsa, string> = { avx512: 'AVX-512', avx2: 'AVX2+FMA', generic: 'portable C++' };

/** Whether the native kernels are on, and why (not). */
export interface NativeConvStatus {
  on: boolean;
  /** 'avx512' (AVX-512F), 'avx2' (AVX2+FMA) or 'generic' (portable C++) kernels, when on */
  isa?: NativeIsa;
  threads?: number;
  /** why they are off, or a note when on */
  reason: string;
}

/** What the addon exports (native/src/addon.cc). */
interface NativeAddon {
  conv2d(heap: Uint8Array, geom: Int32Array, x: number, w: number, bias: number, y: number, act: number, alpha: number): void;
  conv2dBackpropInput(heap: Uint8Array, geom: Int32Array, dy: number, w: number, dx: number): void;
  conv2dBackpropFilter(heap: Uint8Array, geom: Int32Array, x: number, dy: number, dw: number): void;
  maxPoolGrad(heap: Uint8Array, poolGeom: Int32Array, dy: number, x: number, dx: number): void;
  matMul(heap: Uint8Array, geom: Int32Array, a: number, b: number, c: number): void;
  setThreads(n: number): number;
  setIsa(isa: string): boolean;
  info(): { isa: string; threads: number; cpuAvx2Fma: boolean; cpuAvx512: boolean };
}

let addon: NativeAddon | undefined;
let status: NativeConvStatus = { on: false, reason: 'not requested (the wasm backend was not selected)' };

/** The state of the native kernels (after `enableNativeConv`). */
export function nativeConvStatus(): NativeConvStatus {
  return status;
}

/** One line for backend reports. */
export function describeNativeConv(s: NativeConvStatus = status): string {
  return s.on
    ? `native conv kernels on (${ISA_NAMES[s.isa ?? 'generic']}, ${s.threads} thread${s.threads === 1 ? '' : 's'})`
    : `native conv kernels off: ${s.reason}`;
}

/**
 * `GRASPLAB_NATIVE_THREADS=n` → n (1..64); unset/empty → GRASPLAB_WASM_THREADS, else 1.
 * @throws ConfigError on anything else (a setting to fix, not a missing capability)
 */
export function nativeThreadsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.GRASPLAB_NATIVE_THREADS?.trim();
  if (!raw) return wasmThreadsFromEnv(env) ?? 1;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) {
    throw new ConfigError(`GRASPLAB_NATIVE_THREADS=${raw}: use an integer 1..64 (or leave it unset to follow GRASPLAB_WASM_THREADS)`);
  }
  return n;
}

/** `GRASPLAB_NATIVE_ISA` → the kernel set, or undefined (the best the CPU has). */
export function nativeIsaFromEnv(env: NodeJS.ProcessEnv): NativeIsa | undefined {
  const raw = env.GRASPLAB_NATIVE_ISA?.trim();
  if (!raw) return undefined;
  if (!(ISAS as string[]).includes(raw)) throw new ConfigError(`GRASPLAB_NATIVE_ISA=${raw}: use one of ${ISAS.join(', ')} (or leave it unset)`);
  return raw as NativeIsa;
}

/**
 * Loads the addon (once) and registers its kernels on the wasm backend, unless GRASPLAB_NATIVE=0. Call after the
 * wasm backend and grasplab's wasm kernels are registered (selectBackend does). Never throws for a missing or
 * unusable addon: the status says why, and the wasm kernels stay in place. `isa` (or GRASPLAB_NATIVE_ISA) forces a
 * kernel set, e.g. 'generic' for tests of the portable path.
 * @throws ConfigError for a malformed GRASPLAB_NATIVE_THREADS / GRASPLAB_NATIVE_ISA
 */
export function enableNativeConv(env: NodeJS.ProcessEnv = process.env, opts: { isa?: NativeIsa } = {}): NativeConvStatus {
  const flag = env.GRASPLAB_NATIVE?.trim();
  if (flag === '0' || flag === 'false' || flag === 'off') {
    disableNativeConv(`GRASPLAB_NATIVE=${flag}`);
    return status;
  }
  const threads = nativeThreadsFromEnv(env);
  if (!addon) {
    const loaded = loadAddon();
    if (typeof loaded === 'string') {
      disableNativeConv(loaded);
      return status;
    }
    addon = loaded;
  }
  const info = addon.info();
  const best: NativeIsa = info.cpuAvx512 ? 'avx512' : info.cpuAvx2Fma ? 'avx2' : 'generic';
  const isa = opts.isa ?? nativeIsaFromEnv(env) ?? best;
  if (!addon.setIsa(isa)) {
    disableNativeConv(`this CPU cannot run the ${ISA_NAMES[isa]} kernels (GRASPLAB_NATIVE_ISA=${isa})`);
    return status;
  }
  const actual = addon.setThreads(threads);
  setKernelAccelerator(ACCELERATOR);
  status = {
    on: true,
    isa,
    threads: actual,
    reason: isa === best ? `${ISA_NAMES[isa]} kernels${isa === 'generic' ? ' (this CPU lacks AVX2/FMA)' : ''}` : `${ISA_NAMES[isa]} kernels (chosen; the CPU has ${ISA_NAMES[best]})`,
  };
  return status;
}

/** Unregisters the native kernels (the wasm ones take over again); for A/B measurements and tests. */
export function disableNativeConv(reason = 'turned off'): void {
  setKernelAccelerator(undefined);
  status = { on: false, reason };
}

function loadAddon(): NativeAddon | string {
  const errors: string[] = [];
  // the installed optional dependency (node_modules/grasplab-native → native/), else the checkout's native/ folder
  for (const id of ['grasplab-native', path.join(PROJECT_ROOT, 'native')]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(id) as NativeAddon;
      if (typeof mod.conv2d !== 'function' || typeof mod.info !== 'function') {
        errors.push(`${id} is not grasplab's addon`);
        continue;
      }
      return mod;
    } catch (e) {
      errors.push(firstLine(e));
    }
  }
  if (!errors.every((m) => /Cannot find module/.test(m))) return `the addon failed to load: ${errors.join('; ')}`;
  const installed = fs.existsSync(path.join(PROJECT_ROOT, 'node_modules', 'grasplab-native'));
  return installed
    ? 'the addon is not built (npm install ran without scripts?): run `npm rebuild grasplab-native` (needs g++, make, python3)'
    : 'the addon is not installed: its build failed or was skipped at npm install (node-gyp needs g++, make and python3); ' +
        'after installing them run `npm install`';
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

// ---- kernels ----

type Shape4 = [number, number, number, number];
type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

let heapView: Uint8Array | undefined;
/** A byte view of the heap's current buffer (re-made when the heap has grown). */
function heapBytes(backend: WasmHeapBackend): Uint8Array {
  const buf = heapBuffer(backend);
  if (!heapView || heapView.buffer !== buf) heapView = new Uint8Array(buf);
  return heapView;
}

function offsetOf(backend: WasmHeapBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** [B,H,W,CI, KH,KW,CO, OH,OW, sh,sw, dh,dw, padTop,padLeft] (native/src/conv.h ConvGeom). */
function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  );
}

function isEmpty(info: tf.backend_util.Conv2DInfo): boolean {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.outHeight, info.outWidth].some((v) => v === 0);
}

function convInfo(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo | undefined {
  if (tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC') !== 'channelsLast') return undefined;
  if (xShape.length !== 4 || filterShape.length !== 4) return undefined;
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

function allFloat(...ts: tf.TensorInfo[]): boolean {
  return ts.every((t) => t.dtype === 'float32');
}

/** Conv2D and FusedConv2D (bias of [CO] and linear/relu/relu6/leakyrelu only; else undefined → wasm's kernel). */
function conv2dNative(args: Args): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (!x || !filter || preluActivationWeights || !allFloat(x, filter)) return undefined;
  const act = ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
  if (act === undefined) return undefined;
  const info = convInfo(x.shape, filter.shape, attrs);
  if (!info) return undefined;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== info.outChannels || bias.shape.length > 1)) return undefined;
  const out = backend.makeOutput(info.outShape, 'float32');
  if (isEmpty(info)) return out;
  addon!.conv2d(
    heapBytes(backend), geometry(info), offsetOf(backend, x), offsetOf(backend, filter),
    bias ? offsetOf(backend, bias) : -1, offsetOf(backend, out), act, (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
  );
  return out;
}

/** dx from dy [B,OH,OW,CO] and filter [KH,KW,CI,CO]; attrs as tfjs' Conv2DBackpropInput, plus optional `dilations`. */
function conv2dBackpropInputNative(args: Args): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (!allFloat(dy, filter)) return undefined;
  const info = convInfo(attrs.inputShape as number[], filter.shape, attrs);
  if (!info) return undefined;
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new BackendCapabilityError(`Conv2DBackpropInput: dy [${dy.shape}] does not match the conv output [${info.outShape}]`);
  }
  const out = backend.makeOutput(info.inShape, 'float32');
  if (isEmpty(info)) return out;
  addon!.conv2dBackpropInput(heapBytes(backend), geometry(info), offsetOf(backend, dy), offsetOf(backend, filter), offsetOf(backend, out));
  return out;
}

/** dW [KH,KW,CI,CO] from x and dy; attrs as tfjs' Conv2DBackpropFilter, plus optional `dilations`. */
function conv2dBackpropFilterNative(args: Args): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (!allFloat(x, dy)) return undefined;
  const info = convInfo(x.shape, attrs.filterShape as number[], attrs);
  if (!info) return undefined;
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new BackendCapabilityError(`Conv2DBackpropFilter: dy [${dy.shape}] does not match the conv output [${info.outShape}]`);
  }
  const out = backend.makeOutput(attrs.filterShape as number[], 'float32');
  const geom = geometry(info);
  if (isEmpty(info)) {
    zeroOutput(backend, out);
    return out;
  }
  addon!.conv2dBackpropFilter(heapBytes(backend), geom, offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out));
  return out;
}

/** Zeros a float32 output on the wasm heap (an empty reduction: the kernels are not called). */
function zeroOutput(backend: WasmHeapBackend, out: tf.TensorInfo): void {
  new Float32Array(heapBuffer(backend), offsetOf(backend, out), tf.util.sizeFromShape(out.shape)).fill(0);
}

/**
 * MaxPoolGrad: dy routed to the first maximum of each window (as the cpu backend and wasm_pool_kernels.ts do), one
 * image per thread. Inputs dy [B,OH,OW,C], input x [B,H,W,C]; attrs filterSize, strides, pad, dimRoundingMode.
 */
function maxPoolGradNative(args: Args): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  if (!allFloat(dy, input) || input.shape.length !== 4) return undefined;
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) return undefined;
  const out = backend.makeOutput(input.shape, 'float32');
  if (tf.util.sizeFromShape(input.shape) === 0) return out;
  const geom = Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
  );
  if (info.outHeight === 0 || info.outWidth === 0) {
    zeroOutput(backend, out);
    return out;
  }
  addon!.maxPoolGrad(heapBytes(backend), geom, offsetOf(backend, dy), offsetOf(backend, input), offsetOf(backend, out));
  return out;
}

/**
 * BatchMatMul (with transposeA / transposeB and a broadcast batch of 1) on the native GEMM. tfjs-wasm packs the
 * right operand afresh on every call (an XNNPACK fully-connected operator per call): PSPNet's pyramid-pooling
 * products ([≤36,1444]·[1444,1024] and their gradients) ran at ~1–2 GFLOP/s there.
 */
function batchMatMulNative(args: Args): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
  if (!allFloat(a, b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return undefined; // wasm's kernel reports the mismatch
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const padded = (s: number[]) => [...Array(outer.length - s.length).fill(1), ...s];
  // a batch is either broadcast whole (size 1) or the full output batch in the same layout
  if ((batchA !== 1 && !tf.util.arraysEqual(padded(outerA), outer)) || (batchB !== 1 && !tf.util.arraysEqual(padded(outerB), outer))) return undefined;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const size = batch * m * n;
  if (size === 0) return out;
  if (k === 0) {
    zeroOutput(backend, out);
    return out;
  }
  const geom = Int32Array.of(batch, batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0);
  addon!.matMul(heapBytes(backend), geom, offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out));
  return out;
}

const ACCELERATOR: KernelAccelerator = {
  Conv2D: conv2dNative,
  FusedConv2D: conv2dNative,
  Conv2DBackpropInput: conv2dBackpropInputNative,
  Conv2DBackpropFilter: conv2dBackpropFilterNative,
  MaxPoolGrad: maxPoolGradNative,
  BatchMatMul: batchMatMulNative,
  takesDilations: true,
};
