import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmHeapBackend, heapBuffer } from './wasm_kernel_calls';

/**
 * Data-movement kernels for the wasm backend that copy inside the wasm heap with `copyWithin` (a memmove).
 * wasm's own Slice (and so SplitV, the gradient of every concat) first copies the WHOLE input out to JS, and its Tile
 * (used by the batch-norm gradient) is a per-element loop; on [8,100,100,288] tensors they took 0.3–1.3 s where a
 * memmove takes milliseconds.
 */

/** A typed view over the whole heap in units of one element of `dtype`, or undefined for strings. */
function heapView(backend: WasmHeapBackend, dtype: tf.DataType): Uint8Array | Int32Array | undefined {
  // A fresh view every time: memory may have grown (e.g. inside makeOutput).
  if (dtype === 'float32' || dtype === 'int32') return new Int32Array(heapBuffer(backend)); // bit copies: no float math
  if (dtype === 'bool') return new Uint8Array(heapBuffer(backend));
  return undefined;
}

function elementOffset(backend: WasmHeapBackend, info: tf.TensorInfo, view: Uint8Array | Int32Array): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset / view.BYTES_PER_ELEMENT;
}

/** Copies x[begin : begin+size] (all dims) into a new wasm tensor; undefined for string tensors. */
function sliceCopy(backend: WasmHeapBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo | undefined {
  if (heapView(backend, x.dtype) === undefined) return undefined;
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const view = heapView(backend, x.dtype)!;
  const src0 = elementOffset(backend, x, view);
  const dst0 = elementOffset(backend, out, view);
  const rank = x.shape.length;
  const strides = rank === 0 ? [] : [...tf.util.computeStrides(x.shape), 1];
  // The innermost run that is contiguous in x: trailing full dims plus the first partial one.
  let d = rank - 1;
  let run = 1;
  while (d >= 0 && size[d] === x.shape[d]) run *= x.shape[d--];
  if (d >= 0) run *= size[d];
  const outerRank = Math.max(d, 0);
  let base = src0;
  for (let i = 0; i < rank; i++) base += begin[i] * strides[i];
  const idx = new Array<number>(outerRank).fill(0);
  const small = run < 16; // per-call overhead dominates short runs: copy element-wise instead
  for (let dst = dst0; dst < dst0 + total; dst += run) {
    let src = base;
    for (let i = 0; i < outerRank; i++) src += idx[i] * strides[i];
    if (small) for (let k = 0; k < run; k++) view[dst + k] = view[src + k];
    else view.copyWithin(dst, src, src + run);
    for (let i = outerRank - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** `Slice` for wasm (inputs x; attrs begin, size as tfjs-core). Undefined for string tensors (use the original). */
export function sliceWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { begin, size } = (args.attrs ?? {}) as unknown as tf.SliceAttrs;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  return sliceCopy(backend, x, b, s);
}

/** `SplitV` for wasm: the pieces of x along `axis` (sizes as tfjs-core's numOrSizeSplits). */
export function splitVWasm(args: KernelArgs): tf.TensorInfo[] | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = (args.attrs ?? {}) as unknown as tf.SplitVAttrs;
  if (heapView(backend, x.dtype) === undefined) return undefined;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[ax] = s;
    const piece = sliceCopy(backend, x, begin, size)!;
    begin[ax] += s;
    return piece;
  });
}

/** `Tile` for wasm: x repeated reps[i] times along each axis, built by doubling memmoves. */
export function tileWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = (args.attrs ?? {}) as unknown as tf.TileAttrs;
  if (heapView(backend, x.dtype) === undefined || reps.length !== x.shape.length) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  // [a,b] tiled by [r,1] equals [a·b] tiled by [r]: merge each reps-1 axis into the one before it.
  const dims: number[] = [];
  const rp: number[] = [];
  x.shape.forEach((d, i) => {
    if (dims.length > 0 && reps[i] === 1) dims[dims.length - 1] *= d;
    else {
      dims.push(d);
      rp.push(reps[i]);
    }
  });
  if (dims.length === 0) {
    dims.push(1);
    rp.push(1);
  }
  const view = heapView(backend, x.dtype)!;
  const src0 = elementOffset(backend, x, view);
  const dst0 = elementOffset(backend, out, view);
  const inStride = new Array<number>(dims.length);
  const outStride = new Array<number>(dims.length);
  inStride[dims.length - 1] = 1;
  outStride[dims.length - 1] = 1;
  for (let i = dims.length - 2; i >= 0; i--) {
    inStride[i] = inStride[i + 1] * dims[i + 1];
    outStride[i] = outStride[i + 1] * dims[i + 1] * rp[i + 1];
  }
  const replicate = (dst: number, block: number, times: number) => {
    let filled = block;
    const total = block * times;
    while (filled < total) {
      const n = Math.min(filled, total - filled);
      view.copyWithin(dst + filled, dst, dst + n);
      filled += n;
    }
  };
  const fill = (axis: number, src: number, dst: number): void => {
    if (axis === dims.length - 1) view.copyWithin(dst, src, src + dims[axis]);
    else for (let i = 0; i < dims[axis]; i++) fill(axis + 1, src + i * inStride[axis], dst + i * outStride[axis]);
    replicate(dst, dims[axis] * outStride[axis], rp[axis]);
  };
  fill(0, src0, dst0);
  return out;
}

/**
 * `Concat` for wasm. wasm's own is also a heap copy, but one `subarray().set()` per (outer index, input): with the
 * 1-channel maps of GG-CNN's four heads that is millions of calls (0.3 s for [8,300,300,1]x4); short runs are copied
 * element-wise here.
 */
export function concatWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const { axis } = (args.attrs ?? {}) as unknown as tf.ConcatAttrs;
  if (inputs.length === 0 || heapView(backend, inputs[0].dtype) === undefined) return undefined;
  if (inputs.some((t) => t.dtype !== inputs[0].dtype)) return undefined;
  const ax = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), ax);
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), ax);
  const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  if (parts.length === 0) return out;
  const view = heapView(backend, inputs[0].dtype)!;
  const outer = tf.util.sizeFromShape(outShape.slice(0, ax));
  const inner = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(ax)));
  const rowOut = inner.reduce((a, b) => a + b, 0);
  const dst0 = elementOffset(backend, out, view);
  let column = 0;
  parts.forEach((t, i) => {
    const n = inner[i];
    const src0 = elementOffset(backend, t, view);
    if (n < 16) {
      for (let o = 0; o < outer; o++) {
        const s = src0 + o * n;
        const d = dst0 + o * rowOut + column;
        for (let k = 0; k < n; k++) view[d + k] = view[s + k];
      }
    } else {
      for (let o = 0; o < outer; o++) view.copyWithin(dst0 + o * rowOut + column, src0 + o * n, src0 + (o + 1) * n);
    }
    column += n;
  });
  return out;
}

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * `Identity` for wasm without a copy: the output shares the input's buffer and bumps its reference count, as the cpu
 * backend's Identity and wasm's own Reshape do (tensors are immutable; variables swap buffers on assign). wasm's
 * copies every time: 6 × [8,300,300,32] per GG-CNN step, from gradient bookkeeping (engine.clone).
 */
export function identityWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return undefined;
  (args.backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** `Cast` for wasm: to the same dtype it is an Identity (no copy); real conversions use wasm's kernel. */
export function castWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dtype } = (args.attrs ?? {}) as unknown as tf.CastAttrs;
  return dtype === x.dtype ? identityWasm(args) : undefined;
}
