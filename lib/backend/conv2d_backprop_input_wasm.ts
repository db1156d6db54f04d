import * as tf from '@tensorflow/tfjs';
import { WasmBackendLike, callWasmKernel, release, sliceInfo } from './wasm_kernel_calls';

type Shape4 = [number, number, number, number];

/**
 * A faster `Conv2DBackpropInput` for the wasm backend. wasm's own kernel is a plain scalar C++ loop; it dominated GG-CNN
 * training (the conv-transpose forward pass and every conv input gradient use it). This one runs one XNNPACK Conv2D.
 *
 * Sub-pixel ("phase") decomposition, per spatial axis with stride s, forward pad p, filter size K:
 *   dx[h] = Σ_{k, o : h = o·s − p + k} dy[o]·W[k].
 * Rows h with the same phase h mod s use the filter taps k ≡ (h+p) mod s only, so every phase is a stride-1
 * correlation of dy with a small sub-filter (⌈K/s⌉ taps, one more when p mod s shifts some phases). All s_h·s_w phases
 * are stacked along the output channels of ONE stride-1 conv, and a transpose interleaves them back to [B,H,W,CI].
 * No zero insertion, so no wasted multiply-adds; for stride 1 it reduces to the usual "conv with the flipped,
 * transposed filter". Measured on GG-CNN's last conv-transpose ([8,100,100,16] → [8,300,300,32], 9x9/3): wasm's
 * kernel ~3.9 s, this one ~0.25 s.
 *
 * Inputs: dy [B,OH,OW,CO], filter [KH,KW,CI,CO]; attrs as tfjs-core's Conv2DBackpropInput; output [B,H,W,CI] float32.
 * Returns undefined for cases it does not cover (NCHW, pads larger than the filter), so the caller can fall back.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo | undefined {
  const backend = args.backend as unknown as WasmBackendLike & { readSync(dataId: object): tf.backend_util.BackendValues };
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (tf.backend_util.convertConv2DDataFormat(attrs.dataFormat) !== 'channelsLast') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const rows = planPhases(info.filterHeight, info.strideHeight, info.padInfo.top, inHeight, outHeight);
  const cols = planPhases(info.filterWidth, info.strideWidth, info.padInfo.left, inWidth, outWidth);
  if (!rows || !cols) return undefined;

  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const phaseFilter = buildPhaseFilter(backend.readSync(filter.dataId) as Float32Array, info.filterWidth, ci, co, rows, cols, sw);
  const f = (backend as unknown as { makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): tf.TensorInfo })
    .makeOutput([rows.taps, cols.taps, co, sh * sw * ci], 'float32', undefined, phaseFilter);
  let y: tf.TensorInfo;
  try {
    y = callWasmKernel(backend, 'Conv2D', { x: dy, filter: f }, {
      strides: [1, 1],
      pad: [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    }); // [B, R, C, sh·sw·CI], phases in channel blocks (rPhase·sw + cPhase)·CI + ci
  } finally {
    release(backend, f);
  }
  const [, r, c] = y.shape;
  if (sh > 1 || sw > 1) {
    // Interleave the phases: [B,R,C,sh,sw,CI] → [B,R,sh,C,sw,CI]. (wasm's DepthToSpace would do it for sh = sw but is a
    // per-element loop, ~35x slower than the XNNPACK transpose on [8,100,100,288].)
    const split = callWasmKernel(backend, 'Reshape', { x: y }, { shape: [batchSize, r, c, sh, sw, ci] });
    const moved = callWasmKernel(backend, 'Transpose', { x: split }, { perm: [0, 1, 3, 2, 4, 5] });
    const z = callWasmKernel(backend, 'Reshape', { x: moved }, { shape: [batchSize, r * sh, c * sw, ci] });
    release(backend, split, moved);
    release(backend, y);
    y = z;
  }
  if (y.shape[1] !== inHeight || y.shape[2] !== inWidth) {
    const cut = sliceInfo(backend, y, [0, 0, 0, 0], [batchSize, inHeight, inWidth, ci]);
    release(backend, y);
    y = cut;
  }
  return y;
}

/** How one spatial axis is computed (see conv2DBackpropInputWasm). */
export interface PhasePlan {
  stride: number;
  /** sub-filter length of the stride-1 conv */
  taps: number;
  /** pads of the stride-1 conv on dy */
  padBefore: number;
  padAfter: number;
  /** filter index used by output phase `phase` at sub-filter tap `t`, or −1 for a zero tap */
  kernelIndex(t: number, phase: number): number;
}

/**
 * Plans one axis: input size n (of dx), output size o (of dy), filter size k, stride s, forward pad p (before).
 * Writing n-position h = q·s + φ: dx[h] = Σ_j dy[q + c_φ − j]·W[j·s + r_φ] with r_φ = (φ+p) mod s and
 * c_φ = ⌊(φ+p)/s⌋; a stride-1 correlation with pad-before P = J−1−min c reads dy[q − P + t], so tap t ↦ j = P + c_φ − t.
 * Returns undefined when P would be negative (a pad larger than the filter).
 */
export function planPhases(k: number, s: number, p: number, n: number, o: number): PhasePlan | undefined {
  const j = Math.ceil(k / s);
  const shift = (phase: number) => Math.floor((phase + p) / s);
  const cMin = shift(0);
  const cMax = shift(s - 1);
  const padBefore = j - 1 - cMin;
  if (padBefore < 0) return undefined;
  const taps = j + cMax - cMin;
  const rowsNeeded = Math.ceil(n / s);
  // conv output length = o + padBefore + padAfter − taps + 1; at least rowsNeeded (extra rows are sliced away).
  const padAfter = Math.max(0, rowsNeeded - o - padBefore + taps - 1);
  return {
    stride: s,
    taps,
    padBefore,
    padAfter,
    kernelIndex(t: number, phase: number): number {
      const jj = padBefore + shift(phase) - t;
      if (jj < 0) return -1;
      const kk = jj * s + ((phase + p) % s);
      return kk < k ? kk : -1;
    },
  };
}

/** Filter [KH,KW,CI,CO] → phase filter [Th,Tw,CO,sh·sw·CI] (flattened), zero where a phase has no tap. */
function buildPhaseFilter(w: Float32Array, kw: number, ci: number, co: number, rows: PhasePlan, cols: PhasePlan, sw: number): Float32Array {
  const sh = rows.stride;
  const outC = sh * sw * ci;
  const out = new Float32Array(rows.taps * cols.taps * co * outC);
  for (let th = 0; th < rows.taps; th++) {
    for (let tw = 0; tw < cols.taps; tw++) {
      for (let ph = 0; ph < sh; ph++) {
        const kh = rows.kernelIndex(th, ph);
        if (kh < 0) continue;
        for (let pw = 0; pw < sw; pw++) {
          const kwi = cols.kernelIndex(tw, pw);
          if (kwi < 0) continue;
          const channelBase = (ph * sw + pw) * ci;
          const tapBase = (th * cols.taps + tw) * co;
          const srcBase = (kh * kw + kwi) * ci;
          for (let i = 0; i < ci; i++) {
            const src = (srcBase + i) * co;
            for (let m = 0; m < co; m++) out[(tapBase + m) * outC + channelBase + i] = w[src + m];
          }
        }
      }
    }
  }
  return out;
}
