import { Point } from '../types';

/**
 * Polygon rasterisation with skimage.draw.polygon semantics: pixel (r, c) is inside when its centre, the
 * integer point (r, c), passes skimage's crossing-number test `point_in_polygon` (an edge counts for a row y
 * when `y0 <= y < y1` or `y1 <= y < y0`, and the crossing is to the right: `c < x_cross`). Pixels are clipped to
 * the `height×width` image. Implemented per row as a scanline over the edge crossings (O(area), not O(bbox·edges)).
 *
 * @param poly vertices `[row, col]` (any number ≥ 3, any orientation)
 * @param fn called once per inside pixel, row-major order
 */
export function forEachPolygonPixel(poly: readonly Point[], height: number, width: number, fn: (row: number, col: number) => void): void {
  const n = poly.length;
  if (n < 3) return;
  let minR = Infinity;
  let maxR = -Infinity;
  for (const p of poly) {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return;
    if (p[0] < minR) minR = p[0];
    if (p[0] > maxR) maxR = p[0];
  }
  const r0 = Math.max(0, Math.ceil(minR));
  const r1 = Math.min(height - 1, Math.floor(maxR));
  const xs: number[] = [];
  for (let y = r0; y <= r1; y++) {
    xs.length = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = poly[i][0];
      const yj = poly[j][0];
      if ((yi <= y && y < yj) || (yj <= y && y < yi)) {
        xs.push(((poly[j][1] - poly[i][1]) * (y - yi)) / (yj - yi) + poly[i][1]);
      }
    }
    if (xs.length < 2) continue;
    xs.sort((a, b) => a - b);
    // inside ⇔ an odd number of crossings x_k satisfy c < x_k ⇔ c in [x_0, x_1), [x_2, x_3), …
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const c0 = Math.max(0, Math.ceil(xs[k]));
      const c1 = Math.min(width - 1, Math.ceil(xs[k + 1]) - 1);
      for (let c = c0; c <= c1; c++) fn(y, c);
    }
  }
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
