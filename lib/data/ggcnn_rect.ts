import { GraspRectPoints, Point } from '../types';
import { mapRect, rectAngle, rectFromGrasp, rectLength, rectWidth } from './grasp_rect';

/**
 * Grasp-rectangle arithmetic exactly as dougsm/ggcnn holds its rectangles (`utils/dataset_processing/grasp.py`):
 * corners are **integers** after every step.
 *  - Cornell files: each `x y` line becomes `[round(y), round(x)]`, Python's round (half to even);
 *  - `GraspRectangle.rotate` and `.zoom` end with `astype(int)` (truncation toward zero), also for a zero rotation or
 *    a zoom of 1, which is how Jacquard's float rectangles (scaled by 300/1024) become integers;
 *  - centres (`GraspRectangle.center`, `GraspRectangles.center`) are the mean of the corners, truncated.
 * The ground truth that ggcnn scores against and draws its targets from is therefore integer-cornered, and its
 * crop is centred on the truncated mean of integer corners. Same floating-point expressions as numpy's, so the
 * truncation lands on the same side.
 */

/** `astype(int)` of every coordinate (truncation toward zero). */
export function truncRect(r: GraspRectPoints): GraspRectPoints {
  return mapRect(r, (p) => [Math.trunc(p[0]), Math.trunc(p[1])]);
}

/**
 * ggcnn `GraspRectangle.rotate(angle, center)`: `((R · (p − c)ᵀ)ᵀ + c).astype(int)` with
 * `R = [[cos(−a), sin(−a)], [−sin(−a), cos(−a)]]` (counter-clockwise as displayed, rows down).
 */
export function ggcnnRotateRect(r: GraspRectPoints, angle: number, center: Point): GraspRectPoints {
  const c = Math.cos(-angle);
  const s = Math.sin(-angle);
  const ns = -1 * s;
  return mapRect(r, (p) => {
    const dr = p[0] - center[0];
    const dc = p[1] - center[1];
    return [Math.trunc(c * dr + s * dc + center[0]), Math.trunc(ns * dr + c * dc + center[1])];
  });
}

/** ggcnn `GraspRectangle.zoom(factor, center)`: `((p − c) / factor + c).astype(int)` (as `T = diag(1/f)` times). */
export function ggcnnZoomRect(r: GraspRectPoints, factor: number, center: Point): GraspRectPoints {
  const k = 1 / factor;
  return mapRect(r, (p) => [Math.trunc(k * (p[0] - center[0]) + 0 * (p[1] - center[1]) + center[0]), Math.trunc(0 * (p[0] - center[0]) + k * (p[1] - center[1]) + center[1])]);
}

/** ggcnn `GraspRectangle.center`: the mean of the 4 corners, truncated. */
export function ggcnnRectCenter(r: GraspRectPoints): Point {
  return [Math.trunc((r[0][0] + r[1][0] + r[2][0] + r[3][0]) / 4), Math.trunc((r[0][1] + r[1][1] + r[2][1] + r[3][1]) / 4)];
}

/** ggcnn `GraspRectangles.center`: the mean of all corners of all rectangles, truncated; undefined for none. */
export function ggcnnRectsCenter(rects: readonly GraspRectPoints[]): Point | undefined {
  if (rects.length === 0) return undefined;
  let r = 0;
  let c = 0;
  for (const rect of rects) for (const p of rect) (r += p[0]), (c += p[1]);
  const n = rects.length * 4;
  return [Math.trunc(r / n), Math.trunc(c / n)];
}

/**
 * ggcnn `GraspRectangle.compact_polygon_coords`' polygon: `Grasp(center, angle, length / 3, width).as_gr` with the
 * truncated centre, the p0→p1 angle, and the rectangle's own length and width (float corners).
 */
export function ggcnnCompactRect(r: GraspRectPoints): GraspRectPoints {
  return rectFromGrasp({ center: ggcnnRectCenter(r), angle: rectAngle(r), length: rectLength(r) / 3, width: rectWidth(r) });
}
