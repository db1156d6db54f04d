import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmHeapBackend, heapBuffer } from './wasm_kernel_calls';

/**
 * `MaxPoolGrad` for wasm, written over the wasm heap in JS. wasm's kernel took 331 ms for ResNet's stem pool gradient
 * ([8,152,152,32] → 3x3/2) where the forward pool takes 3 ms; this one scans each window once per output cell with the
 * channels innermost (contiguous), keeps the FIRST maximum of each window (strict >, row-major scan, padding ignored,
 * as the cpu backend does) and adds dy there.
 * Inputs: dy [B,OH,OW,C], input x [B,H,W,C], output y (unused); attrs filterSize, strides, pad, dimRoundingMode.
 */

export function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmHeapBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return undefined;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput(input.shape, 'float32');
  const heap = new Float32Array(heapBuffer(backend)); // after makeOutput, which may grow the heap
  const xo = backend.dataIdMap.get(input.dataId).memoryOffset / 4;
  const dyo = backend.dataIdMap.get(dy.dataId).memoryOffset / 4;
  const dxo = backend.dataIdMap.get(out.dataId).memoryOffset / 4;
  heap.fill(0, dxo, dxo + nb * h * w * c);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < nb; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      for (let q = 0; q < ow; q++) {
        const q0 = q * sw - left;
        let first = true;
        for (let i = 0; i < fh; i += dh) {
          const xr = r0 + i;
          if (xr < 0 || xr >= h) continue;
          for (let j = 0; j < fw; j += dw) {
            const xc = q0 + j;
            if (xc < 0 || xc >= w) continue;
            const base = xo + ((b * h + xr) * w + xc) * c;
            if (first) {
              // the first valid tap seeds the maxima; like a scan from −∞ with strict >, a NaN or −∞ is not a maximum
              for (let k = 0; k < c; k++) {
                const v = heap[base + k];
                const ok = v > -Infinity;
                best[k] = ok ? v : -Infinity;
                where[k] = ok ? base + k : -1;
              }
              first = false;
              continue;
            }
            for (let k = 0; k < c; k++) {
              const v = heap[base + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        if (first) continue; // window entirely in the padding
        const g = dyo + ((b * oh + r) * ow + q) * c;
        const shift = dxo - xo;
        for (let k = 0; k < c; k++) if (where[k] >= 0) heap[where[k] + shift] += heap[g + k];
      }
    }
  }
  return out;
}
