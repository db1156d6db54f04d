import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackendLike, release } from './wasm_kernel_calls';

/**
 * `Transpose` for wasm, run as at most two of the transposes wasm does fast.
 *
 * wasm's kernel is quick when the innermost axis stays innermost or the permutation is a (batched) 2-D swap, but
 * moving the channel axis of a 4-D tensor otherwise goes through a slow generic loop: [8,300,300,32] → perm [3,0,1,2]
 * took 306 ms, the same data as a 2-D [720000,32] swap 45 ms. wasm only drops size-1 axes; here axes that stay
 * adjacent and in order are merged too ([B,H,W,C] → [C,B,H,W] is the 2-D swap), and any other permutation is split into
 * one that keeps the innermost axis in place followed by a batched 2-D swap ([X,Y,L] → [X,L,Y]).
 */

/** Shape and permutation with size-1 axes dropped and runs of axes that stay adjacent and in order merged. */
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((a) => shape[a] !== 1);
  // renumber the kept axes 0..k−1 in input order
  const order = [...keep].sort((a, b) => a - b);
  const rank = new Map(order.map((a, i) => [a, i]));
  const p = keep.map((a) => rank.get(a)!);
  const s = order.map((a) => shape[a]);
  // merge input axes i, i+1 when the output has them next to each other in that order
  const groups: number[][] = []; // groups of input axes, in output order
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const inputOrder = [...groups].sort((g, h) => g[0] - h[0]);
  const newShape = inputOrder.map((g) => g.reduce((acc, a) => acc * s[a], 1));
  const newPerm = groups.map((g) => inputOrder.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

/** Permutations wasm runs fast (measured): 2-D, innermost axis fixed, or batched 2-D swap [0,2,1]. */
function isFast(perm: number[]): boolean {
  const n = perm.length;
  return n <= 2 || perm[n - 1] === n - 1 || (n === 3 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1);
}

export function transposeWasm(args: KernelArgs, original: (args: KernelArgs) => tf.TensorInfo): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = (args.attrs ?? {}) as unknown as tf.TransposeAttrs;
  if (x.dtype === 'string') return undefined;
  const outShape = perm.map((a) => x.shape[a]);
  const c = collapseTranspose(x.shape, perm);
  if (c.perm.every((a, i) => a === i)) return reshape(backend, x, outShape); // moves no data
  if (c.shape.length === x.shape.length && isFast(c.perm)) return undefined; // nothing to gain: wasm's own kernel

  const xc = reshape(backend, x, c.shape);
  let y: tf.TensorInfo;
  if (isFast(c.perm)) {
    y = run(original, backend, xc, c.perm);
  } else {
    // 1) every axis but the innermost to its final order, innermost fixed; 2) the innermost axis to its place
    const n = c.perm.length;
    const at = c.perm.indexOf(n - 1);
    const rest = c.perm.filter((a) => a !== n - 1);
    const first = run(original, backend, xc, [...rest, n - 1]);
    const firstShape = [...rest.map((a) => c.shape[a]), c.shape[n - 1]];
    const xOuter = firstShape.slice(0, at).reduce((a, b) => a * b, 1);
    const yOuter = firstShape.slice(at, n - 1).reduce((a, b) => a * b, 1);
    const as3 = reshape(backend, first, [xOuter, yOuter, c.shape[n - 1]]);
    release(backend, first);
    y = run(original, backend, as3, [0, 2, 1]);
    release(backend, as3);
  }
  release(backend, xc);
  const out = reshape(backend, y, outShape);
  release(backend, y);
  return out;
}

function run(original: (args: KernelArgs) => tf.TensorInfo, backend: WasmBackendLike, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return original({ inputs: { x }, backend, attrs: { perm } });
}

/** A new reference to x's buffer with another shape (wasm's Reshape). */
function reshape(backend: WasmBackendLike, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const kernel = tf.getKernel('Reshape', 'wasm')!;
  return kernel.kernelFunc({ inputs: { x }, backend: backend as unknown as tf.KernelBackend, attrs: { shape } }) as tf.TensorInfo;
}
