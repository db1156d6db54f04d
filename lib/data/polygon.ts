import { Point } from '../types';

/**
 * Polygon rasterisation exactly as scikit-image 0.19's `skimage.draw.polygon(r, c, shape)`, which ggcnn uses both to
 * draw its training targets and to compute the rectangle metric's IoU:
 *  - candidate pixels are rows `trunc(max(0, min r)) … ceil(max r)` and the same for columns, the far ends clipped
 *    to `shape − 1` when a shape is given (no clipping otherwise; negative pixels never occur);
 *  - a pixel (r, c) belongs to the polygon when its integer point is inside, **on an edge or on a vertex**
 *    (`point_in_polygon` ≠ OUTSIDE, O'Rourke's crossing test: right and left ray crossings, vertex tolerance 1e-12).
 * So an axis-aligned 30×60 rectangle on integer corners covers 31·61 = 1891 pixels, not 1800.
 * Written per pixel with the same floating-point expressions as skimage's Cython (`_shared/geometry.pyx`) so that
 * pixels exactly on an edge are decided the same way; checked against values computed with skimage 0.19
 * (test/data/polygon.test.ts). Cost: O(bounding box · vertices), fine for grasp rectangles.
 *
 * @param poly vertices `[row, col]` (any number ≥ 3, any orientation); a non-finite coordinate gives no pixels
 * @param height, width the image shape (`Infinity` for skimage's `shape=None`)
 * @param fn called once per pixel of the polygon, row-major order
 */
export function forEachPolygonPixel(poly: readonly Point[], height: number, width: number, fn: (row: number, col: number) => void): void {
  const b = polygonCandidateBox(poly, height, width);
  if (!b) return;
  const rs = Float64Array.from(poly, (p) => p[0]);
  const cs = Float64Array.from(poly, (p) => p[1]);
  const { r0, r1, c0, c1 } = b;
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      if (pointInPolygon(cs, rs, c, r) !== OUTSIDE) fn(r, c);
    }
  }
}

/**
 * The pixels skimage tests, `rows r0…r1 × cols c0…c1` (inclusive; empty when r1 < r0 or c1 < c0), or undefined for
 * fewer than 3 vertices or a non-finite coordinate.
 */
export function polygonCandidateBox(poly: readonly Point[], height: number, width: number): { r0: number; r1: number; c0: number; c1: number } | undefined {
  if (poly.length < 3) return undefined;
  let minR = Infinity;
  let maxR = -Infinity;
  let minC = Infinity;
  let maxC = -Infinity;
  for (const [r, c] of poly) {
    if (!Number.isFinite(r) || !Number.isFinite(c)) return undefined;
    minR = Math.min(minR, r);
    maxR = Math.max(maxR, r);
    minC = Math.min(minC, c);
    maxC = Math.max(maxC, c);
  }
  return {
    r0: Math.trunc(Math.max(0, minR)),
    r1: Math.min(height - 1, Math.ceil(maxR)),
    c0: Math.trunc(Math.max(0, minC)),
    c1: Math.min(width - 1, Math.ceil(maxC)),
  };
}

export const OUTSIDE = 0;
export const INSIDE = 1;
export const VERTEX = 2;
export const EDGE = 3;
const VERTEX_EPS = 1e-12;

/**
 * skimage `point_in_polygon(xp, yp, x, y)`: 0 outside, 1 inside, 2 on a vertex (within 1e-12), 3 on an edge.
 * `xp`/`x` are columns, `yp`/`y` rows (skimage's argument order).
 */
export function pointInPolygon(xp: ArrayLike<number>, yp: ArrayLike<number>, x: number, y: number): number {
  const n = xp.length;
  let rCross = 0;
  let lCross = 0;
  let x1 = xp[n - 1] - x;
  let y1 = yp[n - 1] - y;
  for (let i = 0; i < n; i++) {
    const x0 = xp[i] - x;
    const y0 = yp[i] - y;
    if (-VERTEX_EPS < x0 && x0 < VERTEX_EPS && -VERTEX_EPS < y0 && y0 < VERTEX_EPS) return VERTEX;
    // the edge straddles the ray's line: does it cross to the right …
    if (y0 > 0 !== y1 > 0 && (x0 * y1 - x1 * y0) / (y1 - y0) > 0) rCross++;
    // … or (reversed edge) to the left
    if (y0 < 0 !== y1 < 0 && (x0 * y1 - x1 * y0) / (y1 - y0) < 0) lCross++;
    x1 = x0;
    y1 = y0;
  }
  if ((rCross & 1) !== (lCross & 1)) return EDGE;
  return rCross & 1 ? INSIDE : OUTSIDE;
}

/** Number of pixels `forEachPolygonPixel` visits. */
export function polygonArea(poly: readonly Point[], height: number, width: number): number {
  let n = 0;
  forEachPolygonPixel(poly, height, width, () => n++);
  return n;
}

/** A 0/1 mask (row-major, H×W) of the polygon's pixels. */
export function polygonMask(poly: readonly Point[], height: number, width: number): Uint8Array {
  const m = new Uint8Array(height * width);
  forEachPolygonPixel(poly, height, width, (r, c) => (m[r * width + c] = 1));
  return m;
}
