/**
 * An independent float64 implementation of the PyTorch ops GG-CNN / GG-CNN2 use, written from PyTorch's documented
 * definitions with plain loops (NCHW, batch 1), to check our tfjs models and the weight import without PyTorch.
 *   Conv2d:          out[o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j] · in[c, y·s − p + i·d, x·s − p + j·d]   (zeros outside)
 *   ConvTranspose2d: out[o, y·s − p + i, x·s − p + j] += in[c,y,x] · w[c,o,i,j]; size (n−1)·s − 2p + k + op
 *   MaxPool2d(k, s), UpsamplingBilinear2d (align_corners=True): src = dst · (in−1)/(out−1).
 * Nothing here calls tfjs.
 */
export interface Map64 {
  c: number;
  h: number;
  w: number;
  /** [c][h][w] row-major */
  data: Float64Array;
}

export interface Weights64 {
  shape: number[];
  data: ArrayLike<number>;
}

export function map64(c: number, h: number, w: number, data?: ArrayLike<number>): Map64 {
  return { c, h, w, data: data ? Float64Array.from(data) : new Float64Array(c * h * w) };
}

/** PyTorch Conv2d; weight [out, in, kh, kw]. */
export function conv2d(x: Map64, weight: Weights64, bias: ArrayLike<number> | undefined, stride: number, padding: number, dilation = 1): Map64 {
  const [oc, ic, kh, kw] = weight.shape;
  if (ic !== x.c) throw new Error(`conv2d: weight expects ${ic} input channels, got ${x.c}`);
  const oh = Math.floor((x.h + 2 * padding - dilation * (kh - 1) - 1) / stride) + 1;
  const ow = Math.floor((x.w + 2 * padding - dilation * (kw - 1) - 1) / stride) + 1;
  const out = map64(oc, oh, ow);
  for (let o = 0; o < oc; o++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let acc = bias ? bias[o] : 0;
        for (let c = 0; c < ic; c++) {
          for (let i = 0; i < kh; i++) {
            const r = y * stride - padding + i * dilation;
            if (r < 0 || r >= x.h) continue;
            for (let j = 0; j < kw; j++) {
              const q = xx * stride - padding + j * dilation;
              if (q < 0 || q >= x.w) continue;
              acc += weight.data[((o * ic + c) * kh + i) * kw + j] * x.data[(c * x.h + r) * x.w + q];
            }
          }
        }
        out.data[(o * oh + y) * ow + xx] = acc;
      }
    }
  }
  return out;
}

/** PyTorch ConvTranspose2d; weight [in, out, kh, kw]. */
export function convTranspose2d(x: Map64, weight: Weights64, bias: ArrayLike<number> | undefined, stride: number, padding: number, outputPadding: number): Map64 {
  const [ic, oc, kh, kw] = weight.shape;
  if (ic !== x.c) throw new Error(`convTranspose2d: weight expects ${ic} input channels, got ${x.c}`);
  const oh = (x.h - 1) * stride - 2 * padding + kh + outputPadding;
  const ow = (x.w - 1) * stride - 2 * padding + kw + outputPadding;
  const out = map64(oc, oh, ow);
  for (let o = 0; o < oc; o++) for (let k = 0; k < oh * ow; k++) out.data[o * oh * ow + k] = bias ? bias[o] : 0;
  for (let c = 0; c < ic; c++) {
    for (let y = 0; y < x.h; y++) {
      for (let xx = 0; xx < x.w; xx++) {
        const v = x.data[(c * x.h + y) * x.w + xx];
        for (let o = 0; o < oc; o++) {
          for (let i = 0; i < kh; i++) {
            const r = y * stride - padding + i;
            if (r < 0 || r >= oh) continue;
            for (let j = 0; j < kw; j++) {
              const q = xx * stride - padding + j;
              if (q < 0 || q >= ow) continue;
              out.data[(o * oh + r) * ow + q] += v * weight.data[((c * oc + o) * kh + i) * kw + j];
            }
          }
        }
      }
    }
  }
  return out;
}

export function relu(x: Map64): Map64 {
  return { ...x, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

/** PyTorch MaxPool2d(kernel, stride, padding): pads with −∞. */
export function maxPool2d(x: Map64, kernel: number, stride: number, padding = 0): Map64 {
  const oh = Math.floor((x.h + 2 * padding - kernel) / stride) + 1;
  const ow = Math.floor((x.w + 2 * padding - kernel) / stride) + 1;
  const out = map64(x.c, oh, ow);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let i = 0; i < kernel; i++) {
          const r = y * stride - padding + i;
          if (r < 0 || r >= x.h) continue;
          for (let j = 0; j < kernel; j++) {
            const q = xx * stride - padding + j;
            if (q < 0 || q >= x.w) continue;
            m = Math.max(m, x.data[(c * x.h + r) * x.w + q]);
          }
        }
        out.data[(c * oh + y) * ow + xx] = m;
      }
  return out;
}

/** Bilinear resize with align_corners=True (PyTorch UpsamplingBilinear2d / interpolate(align_corners=True)). */
export function resizeBilinearAlignCorners(x: Map64, oh: number, ow: number): Map64 {
  const out = map64(x.c, oh, ow);
  const sy = oh > 1 ? (x.h - 1) / (oh - 1) : 0;
  const sx = ow > 1 ? (x.w - 1) / (ow - 1) : 0;
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < oh; y++) {
      const fy = y * sy;
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, x.h - 1);
      const ay = fy - y0;
      for (let xx = 0; xx < ow; xx++) {
        const fx = xx * sx;
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, x.w - 1);
        const ax = fx - x0;
        const at = (r: number, q: number) => x.data[(c * x.h + r) * x.w + q];
        const top = at(y0, x0) * (1 - ax) + at(y0, x1) * ax;
        const bottom = at(y1, x0) * (1 - ax) + at(y1, x1) * ax;
        out.data[(c * oh + y) * ow + xx] = top * (1 - ay) + bottom * ay;
      }
    }
  return out;
}

/** Adaptive average pooling (PyTorch AdaptiveAvgPool2d), by its definition, to check ours. */
export function adaptiveAvgPool(x: Map64, bins: number): Map64 {
  const out = map64(x.c, bins, bins);
  const win = (i: number, n: number) => [Math.floor((i * n) / bins), Math.ceil(((i + 1) * n) / bins)];
  for (let c = 0; c < x.c; c++)
    for (let i = 0; i < bins; i++)
      for (let j = 0; j < bins; j++) {
        const [r0, r1] = win(i, x.h);
        const [c0, c1] = win(j, x.w);
        let s = 0;
        for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) s += x.data[(c * x.h + r) * x.w + q];
        out.data[(c * bins + i) * bins + j] = s / ((r1 - r0) * (c1 - c0));
      }
  return out;
}

type StateDict = Map<string, { shape: number[]; data: ArrayLike<number> }>;

function get(sd: StateDict, key: string): Weights64 {
  const w = sd.get(key);
  if (!w) throw new Error(`reference: state dict has no '${key}'`);
  return w;
}

const HEADS = ['pos', 'cos', 'sin', 'width'];

/** dougsm/ggcnn `GGCNN.forward` on a 1-channel map; returns the 4 maps (pos, cos, sin, width). */
export function ggcnnForward(sd: StateDict, x: Map64): Map64[] {
  const conv = (m: Map64, n: string, s: number, p: number) => relu(conv2d(m, get(sd, `${n}.weight`), get(sd, `${n}.bias`).data, s, p));
  const convt = (m: Map64, n: string, s: number, p: number) => relu(convTranspose2d(m, get(sd, `${n}.weight`), get(sd, `${n}.bias`).data, s, p, 1));
  let h = conv(x, 'conv1', 3, 3);
  h = conv(h, 'conv2', 2, 2);
  h = conv(h, 'conv3', 2, 1);
  h = convt(h, 'convt1', 2, 1);
  h = convt(h, 'convt2', 2, 2);
  h = convt(h, 'convt3', 3, 3);
  return HEADS.map((n) => conv2d(h, get(sd, `${n}_output.weight`), get(sd, `${n}_output.bias`).data, 1, 0));
}

/** dougsm/ggcnn `GGCNN2.forward`. */
export function ggcnn2Forward(sd: StateDict, x: Map64): Map64[] {
  const conv = (m: Map64, i: number, p: number, d = 1) => relu(conv2d(m, get(sd, `features.${i}.weight`), get(sd, `features.${i}.bias`).data, 1, p, d));
  let h = conv(x, 0, 5);
  h = conv(h, 2, 2);
  h = maxPool2d(h, 2, 2);
  h = conv(h, 5, 2);
  h = conv(h, 7, 2);
  h = maxPool2d(h, 2, 2);
  h = conv(h, 10, 4, 2);
  h = conv(h, 12, 8, 4);
  h = resizeBilinearAlignCorners(h, h.h * 2, h.w * 2);
  h = conv(h, 15, 1);
  h = resizeBilinearAlignCorners(h, h.h * 2, h.w * 2);
  h = conv(h, 18, 1);
  return HEADS.map((n) => conv2d(h, get(sd, `${n}_output.weight`), get(sd, `${n}_output.bias`).data, 1, 0));
}
