import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { fromArrayBuffer } from 'geotiff';
import { Map64, map64 } from './torch_reference';

/** Largest |a−b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random values in [-1, 1) (tests must not use Math.random). */
export function pseudoRandom(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** NHWC values of one image [H,W,C] → the reference's CHW map. */
export function hwcToMap64(values: ArrayLike<number>, h: number, w: number, c: number): Map64 {
  const m = map64(c, h, w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) m.data[(k * h + y) * w + x] = values[(y * w + x) * c + k];
  return m;
}

/** The reference's CHW map → NHWC values. */
export function map64ToHwc(m: Map64): Float32Array {
  const out = new Float32Array(m.c * m.h * m.w);
  for (let k = 0; k < m.c; k++) for (let y = 0; y < m.h; y++) for (let x = 0; x < m.w; x++) out[(y * m.w + x) * m.c + k] = m.data[(k * m.h + y) * m.w + x];
  return out;
}

/** Runs `fn` and asserts it leaves no tensors behind; returns its result (numbers only). */
export async function withoutLeaks<T>(fn: () => Promise<T> | T): Promise<{ result: T; leaked: number }> {
  const before = tf.memory().numTensors;
  const result = await fn();
  return { result, leaked: tf.memory().numTensors - before };
}

/**
 * A Cornell depth crop normalised as ggcnn does: 300×300 around the mean of the positive rectangles' corners
 * (clamped to the image), `clip(d − mean, −1, 1)`. Also returns the rectangle centres in crop pixels [row, col].
 */
export async function cornellCrop(tiffPath: string, cposPath: string, size = 300): Promise<{ depth: Float32Array; centres: Array<[number, number]> }> {
  const bytes = fs.readFileSync(tiffPath);
  const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const image = await tiff.getImage();
  const W = image.getWidth();
  const H = image.getHeight();
  const raster = (await image.readRasters({ interleave: true })) as unknown as ArrayLike<number>;
  const pts = fs
    .readFileSync(cposPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const rects: Array<Array<[number, number]>> = [];
  for (let i = 0; i + 3 < pts.length; i += 4) {
    const r = pts.slice(i, i + 4).map(([x, y]) => [Math.round(y), Math.round(x)] as [number, number]);
    if (r.every(([a, b]) => Number.isFinite(a) && Number.isFinite(b))) rects.push(r);
  }
  const all = rects.flat();
  const cy = Math.round(all.reduce((s, p) => s + p[0], 0) / all.length);
  const cx = Math.round(all.reduce((s, p) => s + p[1], 0) / all.length);
  const top = Math.max(0, Math.min(cy - size / 2, H - size));
  const left = Math.max(0, Math.min(cx - size / 2, W - size));
  const depth = new Float32Array(size * size);
  let mean = 0;
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) mean += depth[r * size + c] = raster[(top + r) * W + left + c];
  mean /= size * size;
  for (let i = 0; i < depth.length; i++) depth[i] = Math.max(-1, Math.min(1, depth[i] - mean));
  const centres = rects.map((r) => [r.reduce((s, p) => s + p[0], 0) / 4 - top, r.reduce((s, p) => s + p[1], 0) / 4 - left] as [number, number]);
  return { depth, centres };
}
