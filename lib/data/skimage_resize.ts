import { Image2D } from '../types';
import { createImage } from './image';

/**
 * `skimage.transform.resize(image, (outH, outW), preserve_range=True)` of scikit-image 0.19 for a float32 image, the
 * call ggcnn makes to bring Jacquard's 1024×1024 depth to 300×300: order 1, default `anti_aliasing` (on when any axis
 * shrinks), then
 *  1. `scipy.ndimage.gaussian_filter(image, σ = max(0, (in/out − 1)/2) per axis, mode, truncate 4)`: rows first,
 *     each pass stored as float32; symmetric kernel summed as scipy's C loop does (centre, then the outermost pair
 *     inwards);
 *  2. `scipy.ndimage.zoom(…, order=1, mode, grid_mode=True)`: output pixel i samples `(i + 0.5)·in/out − 0.5`;
 *  3. clipping to the input's range.
 * skimage's `mode='reflect'` (its default) is ndimage's 'mirror' (d c b | a b c d | c b a), `mode='symmetric'` is
 * ndimage's 'reflect' (b a | a b c d | d c). Hand-written because no npm library reproduces skimage's resize; the
 * expressions follow scipy 1.10 / skimage 0.19 so values agree to float32 rounding (test/data/skimage_resize.test.ts
 * holds values computed with them).
 */
export type SkimageMode = 'reflect' | 'symmetric';

export function skimageResize(img: Image2D, outH: number, outW: number, mode: SkimageMode = 'reflect'): Image2D {
  const { height: inH, width: inW } = img;
  const antiAliasing = outH < inH || outW < inW;
  let src = img.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    if (src[i] < lo) lo = src[i];
    if (src[i] > hi) hi = src[i];
  }
  if (antiAliasing) {
    const sigmaR = Math.max(0, (inH / outH - 1) / 2);
    const sigmaC = Math.max(0, (inW / outW - 1) / 2);
    if (sigmaR > 1e-15) src = gaussianAxis(src, inH, inW, 0, sigmaR, mode);
    if (sigmaC > 1e-15) src = gaussianAxis(src, inH, inW, 1, sigmaC, mode);
  }
  const rows = linearTaps(inH, outH, mode);
  const cols = linearTaps(inW, outW, mode);
  const out = createImage(outH, outW);
  for (let r = 0; r < outH; r++) {
    const ra = rows.i0[r] * inW;
    const rb = rows.i1[r] * inW;
    const wr0 = rows.w0[r];
    const wr1 = rows.w1[r];
    for (let c = 0; c < outW; c++) {
      const ca = cols.i0[c];
      const cb = cols.i1[c];
      const wc0 = cols.w0[c];
      const wc1 = cols.w1[c];
      // scipy's order: t = Σ over the 2×2 taps, row-major, each `value · w_row · w_col`
      let t = src[ra + ca] * wr0 * wc0;
      t += src[ra + cb] * wr0 * wc1;
      t += src[rb + ca] * wr1 * wc0;
      t += src[rb + cb] * wr1 * wc1;
      out.data[r * outW + c] = t < lo ? lo : t > hi ? hi : t;
    }
  }
  return out;
}

/** scipy `_gaussian_kernel1d(σ, 0, radius)` with `radius = int(4σ + 0.5)`, normalised by numpy's pairwise sum. */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const s2 = sigma * sigma;
  const k = new Float64Array(2 * radius + 1);
  for (let i = 0; i < k.length; i++) {
    const x = i - radius;
    k[i] = Math.exp((-0.5 / s2) * (x * x));
  }
  const total = numpyPairwiseSum(k);
  for (let i = 0; i < k.length; i++) k[i] /= total;
  return k;
}

/** numpy's pairwise summation of a float64 array (`np.sum`), exact in its order of additions up to 128 values. */
function numpyPairwiseSum(a: Float64Array): number {
  const n = a.length;
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }
  if (n > 128) {
    const half = Math.floor(n / 2) - (Math.floor(n / 2) % 8);
    return numpyPairwiseSum(a.subarray(0, half)) + numpyPairwiseSum(a.subarray(half));
  }
  const r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[i + j];
  let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
  for (; i < n; i++) res += a[i];
  return res;
}

/** Index `i` of a line of length `n` extended by ndimage's 'mirror' (skimage 'reflect') or 'reflect' rule. */
function extendIndex(i: number, n: number, mode: SkimageMode): number {
  if (n <= 1) return 0;
  if (mode === 'reflect') {
    // mirror about the edge pixel centres, period 2n − 2
    const p = 2 * n - 2;
    let k = ((i % p) + p) % p;
    if (k >= n) k = p - k;
    return k;
  }
  // symmetric: the edge pixel repeats, period 2n
  const p = 2 * n;
  let k = ((i % p) + p) % p;
  if (k >= n) k = p - 1 - k;
  return k;
}

/** One `gaussian_filter1d` pass along `axis` (0 rows, 1 columns), float64 accumulation, float32 result. */
function gaussianAxis(src: Float32Array, h: number, w: number, axis: 0 | 1, sigma: number, mode: SkimageMode): Float32Array {
  const k = gaussianKernel1d(sigma);
  const radius = (k.length - 1) / 2;
  const n = axis === 0 ? h : w;
  const lines = axis === 0 ? w : h;
  const stride = axis === 0 ? w : 1;
  const lineStep = axis === 0 ? 1 : w;
  const out = new Float32Array(src.length);
  const buf = new Float64Array(n + 2 * radius);
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let i = -radius; i < n + radius; i++) buf[i + radius] = src[base + extendIndex(i, n, mode) * stride];
    for (let i = 0; i < n; i++) {
      const c = i + radius;
      let s = buf[c] * k[radius];
      for (let j = radius; j > 0; j--) s += (buf[c - j] + buf[c + j]) * k[radius - j];
      out[base + i * stride] = s;
    }
  }
  return out;
}

/** ndimage.zoom order-1 taps for one axis: source indices and weights of each output sample (grid_mode=True). */
function linearTaps(inN: number, outN: number, mode: SkimageMode): { i0: Int32Array; i1: Int32Array; w0: Float64Array; w1: Float64Array } {
  const zoom = inN / outN;
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const w0 = new Float64Array(outN);
  const w1 = new Float64Array(outN);
  for (let o = 0; o < outN; o++) {
    let cc = o;
    cc += 0.5;
    cc *= zoom;
    cc -= 0.5;
    cc = mapCoordinate(cc, inN, mode);
    const start = Math.floor(cc);
    const t = cc - start;
    w0[o] = 1 - t;
    w1[o] = 1 - w0[o]; // scipy: the last weight is 1 minus the others
    // taps outside the line are mapped with the same boundary rule (scipy's edge offsets)
    i0[o] = Math.trunc(mapCoordinate(start, inN, mode));
    i1[o] = Math.trunc(mapCoordinate(start + 1, inN, mode));
  }
  return { i0, i1, w0, w1 };
}

/** scipy `map_coordinate` for a coordinate outside [0, n − 1]. */
function mapCoordinate(x: number, n: number, mode: SkimageMode): number {
  if (n <= 1) return 0;
  if (mode === 'reflect') {
    const p = 2 * n - 2;
    if (x < 0) {
      x = p * Math.trunc(-x / p) + x;
      x = x <= 1 - n ? x + p : -x;
    } else if (x > n - 1) {
      x -= p * Math.trunc(x / p);
      if (x >= n) x = p - x;
    }
    return x;
  }
  const p = 2 * n;
  if (x < 0) {
    if (x < -p) x = p * Math.trunc(-x / p) + x;
    x = x < -n ? x + p : -x - 1;
  } else if (x > n - 1) {
    x -= p * Math.trunc(x / p);
    if (x >= n) x = p - x - 1;
  }
  return x;
}
