import { Image2D } from '../types';
import { ShapeError } from '../errors';

/**
 * Pure single-channel image operations (new images out, inputs untouched). Pixel centres sit at integer
 * coordinates `[row, col]`, as in skimage, so a rectangle corner at `[r, c]` lies on pixel (r, c).
 */

/** A new H×W image filled with `fill`. */
export function createImage(height: number, width: number, fill = 0): Image2D {
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new ShapeError(`image size must be positive integers, got ${height}x${width}`);
  }
  const data = new Float32Array(height * width);
  if (fill !== 0) data.fill(fill);
  return { height, width, data };
}

/** Wraps existing data after checking its length. */
export function imageFromData(height: number, width: number, data: Float32Array): Image2D {
  if (data.length !== height * width) {
    throw new ShapeError(`image data has ${data.length} values, expected ${height}x${width}=${height * width}`);
  }
  return { height, width, data };
}

export function cloneImage(img: Image2D): Image2D {
  return { height: img.height, width: img.width, data: img.data.slice() };
}

/** A pixel value is missing depth when it is 0 or not finite (Kinect/pcd holes, NaN in renders). */
export function isMissing(v: number): boolean {
  return v === 0 || !Number.isFinite(v);
}

export interface ImageStats {
  min: number;
  max: number;
  /** mean over valid (non-missing) pixels */
  mean: number;
  std: number;
  /** pixels that are 0 or not finite */
  missing: number;
  count: number;
}

/** Statistics over the valid pixels (missing = 0 or non-finite). */
export function imageStats(img: Image2D): ImageStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  let missing = 0;
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (isMissing(v)) {
      missing++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sum2 += v * v;
  }
  const n = d.length - missing;
  const mean = n > 0 ? sum / n : NaN;
  const std = n > 0 ? Math.sqrt(Math.max(0, sum2 / n - mean * mean)) : NaN;
  return { min: n ? min : NaN, max: n ? max : NaN, mean, std, missing, count: d.length };
}

/** Index into [0, n) with skimage's 'symmetric' boundary (edge pixel repeated: … b a | a b … y z | z y …). */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/** Bilinear sample at fractional `[row, col]`, 'symmetric' boundary. */
export function sampleBilinear(img: Image2D, row: number, col: number): number {
  const { height: h, width: w, data } = img;
  const r0 = Math.floor(row);
  const c0 = Math.floor(col);
  const fr = row - r0;
  const fc = col - c0;
  let ra: number, rb: number, ca: number, cb: number;
  if (r0 >= 0 && r0 + 1 < h && c0 >= 0 && c0 + 1 < w) {
    ra = r0;
    rb = r0 + 1;
    ca = c0;
    cb = c0 + 1;
  } else {
    ra = reflectIndex(r0, h);
    rb = reflectIndex(r0 + 1, h);
    ca = reflectIndex(c0, w);
    cb = reflectIndex(c0 + 1, w);
  }
  const top = data[ra * w + ca] * (1 - fc) + data[ra * w + cb] * fc;
  const bot = data[rb * w + ca] * (1 - fc) + data[rb * w + cb] * fc;
  return top * (1 - fr) + bot * fr;
}

/**
 * Crop `height×width` at `(top, left)`; pixels outside the source are filled by symmetric reflection
 * (so a crop window larger than a small image still works, as after ggcnn's symmetric rotation).
 */
export function cropImage(img: Image2D, top: number, left: number, height: number, width: number): Image2D {
  const out = createImage(height, width);
  for (let r = 0; r < height; r++) {
    const sr = reflectIndex(top + r, img.height);
    for (let c = 0; c < width; c++) {
      out.data[r * width + c] = img.data[sr * img.width + reflectIndex(left + c, img.width)];
    }
  }
  return out;
}

/**
 * Rotate about `center` by `angle` (radians, counter-clockwise as displayed, rows pointing down) and return the
 * window `[top, top+height) × [left, left+width)` of the rotated image. Bilinear interpolation, 'symmetric'
 * boundary: the same as skimage `rotate(img, deg, center=(col,row), mode='symmetric', order=1)` followed by a
 * crop, in one pass (so a Cornell 300×300 crop never rotates the full 480×640 frame).
 * A point `p` moves to `center + R(angle)(p − center)`, exactly as `rotatePoint` moves rectangle corners.
 */
export function rotateCrop(
  img: Image2D,
  angle: number,
  center: readonly [number, number],
  top: number,
  left: number,
  height: number,
  width: number,
): Image2D {
  if (angle === 0) return cropImage(img, top, left, height, width);
  const out = createImage(height, width);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const [cr, cc] = center;
  for (let r = 0; r < height; r++) {
    const dr = top + r - cr;
    for (let c = 0; c < width; c++) {
      const dc = left + c - cc;
      // inverse rotation: source = center + R(-angle)(out − center)
      const sr = cr + cos * dr + sin * dc;
      const sc = cc - sin * dr + cos * dc;
      out.data[r * width + c] = sampleBilinear(img, sr, sc);
    }
  }
  return out;
}

/** Rotate the whole image about `center` (default: the image centre), keeping its size. */
export function rotateImage(img: Image2D, angle: number, center?: readonly [number, number]): Image2D {
  const c = center ?? ([(img.height - 1) / 2, (img.width - 1) / 2] as const);
  return rotateCrop(img, angle, c, 0, 0, img.height, img.width);
}

/**
 * Weights of 1-D resampling from `inSize` to `outSize` samples of the window `[start, start+length)`:
 * a triangle (linear) kernel widened by the shrink factor, so shrinking averages (anti-aliasing, as skimage
 * `resize` does when downsampling) and enlarging is plain linear interpolation. Pixel-centre aligned:
 * output i covers source `start + (i + 0.5)·length/outSize − 0.5`.
 */
function resampleWeights(inSize: number, start: number, length: number, outSize: number): { idx: Int32Array[]; w: Float32Array[] } {
  const scale = length / outSize;
  const support = Math.max(1, scale);
  const idx: Int32Array[] = [];
  const w: Float32Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const centre = start + (i + 0.5) * scale - 0.5;
    const lo = Math.floor(centre - support) + 1;
    const hi = Math.ceil(centre + support) - 1;
    const ii: number[] = [];
    const ww: number[] = [];
    let total = 0;
    for (let s = lo; s <= hi; s++) {
      const weight = Math.max(0, 1 - Math.abs(s - centre) / support);
      if (weight <= 0) continue;
      ii.push(reflectIndex(s, inSize));
      ww.push(weight);
      total += weight;
    }
    if (ii.length === 0) {
      ii.push(reflectIndex(Math.round(centre), inSize));
      ww.push(1);
      total = 1;
    }
    idx.push(Int32Array.from(ii));
    w.push(Float32Array.from(ww.map((x) => x / total)));
  }
  return { idx, w };
}

/**
 * Resample the window `[top, top+winH) × [left, left+winW)` of `img` to `outH×outW` (separable triangle filter,
 * see `resampleWeights`). With the full window this is a plain resize; with a centred smaller window it is
 * ggcnn's zoom (crop the centre then resize back) in a single interpolation.
 */
export function resampleWindow(
  img: Image2D,
  top: number,
  left: number,
  winH: number,
  winW: number,
  outH: number,
  outW: number,
): Image2D {
  const rows = resampleWeights(img.height, top, winH, outH);
  const cols = resampleWeights(img.width, left, winW, outW);
  // columns first into an img.height × outW buffer, then rows
  const tmp = new Float32Array(img.height * outW);
  const src = img.data;
  const usedRows = new Uint8Array(img.height);
  for (const ri of rows.idx) for (const r of ri) usedRows[r] = 1;
  for (let r = 0; r < img.height; r++) {
    if (!usedRows[r]) continue;
    const base = r * img.width;
    for (let c = 0; c < outW; c++) {
      const ii = cols.idx[c];
      const ww = cols.w[c];
      let s = 0;
      for (let k = 0; k < ii.length; k++) s += src[base + ii[k]] * ww[k];
      tmp[r * outW + c] = s;
    }
  }
  const out = createImage(outH, outW);
  for (let r = 0; r < outH; r++) {
    const ii = rows.idx[r];
    const ww = rows.w[r];
    for (let c = 0; c < outW; c++) {
      let s = 0;
      for (let k = 0; k < ii.length; k++) s += tmp[ii[k] * outW + c] * ww[k];
      out.data[r * outW + c] = s;
    }
  }
  return out;
}

/** Resize the whole image to `outH×outW`. */
export function resizeImage(img: Image2D, outH: number, outW: number): Image2D {
  if (outH === img.height && outW === img.width) return cloneImage(img);
  return resampleWindow(img, 0, 0, img.height, img.width, outH, outW);
}

/**
 * ggcnn `Image.zoom(factor)`: keep the centre `factor` fraction (0 < factor ≤ 1) and resize it to `outSize`
 * (default: the input size). Returns the window used, so rectangles can follow with `zoomPoint`.
 */
export function zoomImage(img: Image2D, factor: number, outH = img.height, outW = img.width): Image2D {
  const win = zoomWindow(img.height, img.width, factor);
  return resampleWindow(img, win.top, win.left, win.height, win.width, outH, outW);
}

/** The centre window ggcnn's zoom keeps: `sr = int(H·(1−f))//2` rows cut on each side (likewise columns). */
export function zoomWindow(height: number, width: number, factor: number): { top: number; left: number; height: number; width: number } {
  if (!(factor > 0 && factor <= 1)) throw new RangeError(`zoom factor must be in (0, 1], got ${factor}`);
  const sr = Math.floor(Math.floor(height * (1 - factor)) / 2);
  const sc = Math.floor(Math.floor(width * (1 - factor)) / 2);
  return { top: sr, left: sc, height: height - 2 * sr, width: width - 2 * sc };
}

/**
 * Maps a point through `resampleWindow(top, left, winH, winW, outH, outW)`: pixel-centre aligned, so a
 * marker at source pixel p lands on the output pixel drawn from it.
 */
export function windowPoint(
  p: readonly [number, number],
  top: number,
  left: number,
  winH: number,
  winW: number,
  outH: number,
  outW: number,
): [number, number] {
  return [((p[0] - top + 0.5) * outH) / winH - 0.5, ((p[1] - left + 0.5) * outW) / winW - 0.5];
}

/** `clip(depth − mean(depth), −1, 1)` (ggcnn `DepthImage.normalise`, metres). Returns the mean removed too. */
export function normaliseDepth(img: Image2D): { image: Image2D; mean: number } {
  let sum = 0;
  const d = img.data;
  for (let i = 0; i < d.length; i++) sum += d[i];
  const mean = sum / d.length;
  const out = createImage(img.height, img.width);
  for (let i = 0; i < d.length; i++) {
    const v = d[i] - mean;
    out.data[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return { image: out, mean };
}
