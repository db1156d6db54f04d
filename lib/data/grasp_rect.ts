import { Grasp, GraspRectPoints, Point } from '../types';

/**
 * Pure grasp-rectangle geometry (new rectangles out; see style convention 5). A rectangle is 4 corners
 * `[row, col]` with p0→p1 the jaw opening and p1→p2 the gripper plate (ggcnn `GraspRectangle`).
 */

/** Mean of the 4 corners `[row, col]` (float; ggcnn truncates it to int). */
export function rectCenter(r: GraspRectPoints): Point {
  return [(r[0][0] + r[1][0] + r[2][0] + r[3][0]) / 4, (r[0][1] + r[1][1] + r[2][1] + r[3][1]) / 4];
}

/** Wraps an angle to [−π/2, π/2) (a grasp and its 180° turn are the same grasp). */
export function wrapAngle(a: number): number {
  const p = Math.PI;
  let x = (a + p / 2) % p;
  if (x < 0) x += p;
  return x - p / 2;
}

/** Grasp angle from p0→p1: `(atan2(−dy, dx) + π/2) % π − π/2`, dy = row delta, dx = col delta (ggcnn). */
export function rectAngle(r: GraspRectPoints): number {
  const dy = r[1][0] - r[0][0];
  const dx = r[1][1] - r[0][1];
  return wrapAngle(Math.atan2(-dy, dx));
}

/** Jaw opening |p0p1| in pixels, as numpy's `sqrt(dx**2 + dy**2)` (Math.hypot can differ in the last bit). */
export function rectLength(r: GraspRectPoints): number {
  const dy = r[1][0] - r[0][0];
  const dx = r[1][1] - r[0][1];
  return Math.sqrt(dx * dx + dy * dy);
}

/** Gripper plate size |p1p2| in pixels (as `rectLength`). */
export function rectWidth(r: GraspRectPoints): number {
  const dy = r[2][0] - r[1][0];
  const dx = r[2][1] - r[1][1];
  return Math.sqrt(dy * dy + dx * dx);
}

/** Centre/angle/size form of a rectangle (ggcnn `GraspRectangle.as_grasp`, without the int centre). */
export function graspFromRect(r: GraspRectPoints): Grasp {
  return { center: rectCenter(r), angle: rectAngle(r), length: rectLength(r), width: rectWidth(r) };
}

/**
 * Rectangle of a grasp (ggcnn `Grasp.as_gr`): p0→p1 along the grasp axis (length), p1→p2 across it (width).
 * `graspFromRect(rectFromGrasp(g))` returns `g` (angle wrapped to [−π/2, π/2)).
 */
export function rectFromGrasp(g: Grasp): GraspRectPoints {
  const xo = Math.cos(g.angle);
  const yo = Math.sin(g.angle);
  const [cy, cx] = g.center;
  const y1 = cy + (g.length / 2) * yo;
  const x1 = cx - (g.length / 2) * xo;
  const y2 = cy - (g.length / 2) * yo;
  const x2 = cx + (g.length / 2) * xo;
  const hw = g.width / 2;
  return [
    [y1 - hw * xo, x1 - hw * yo],
    [y2 - hw * xo, x2 - hw * yo],
    [y2 + hw * xo, x2 + hw * yo],
    [y1 + hw * xo, x1 + hw * yo],
  ];
}

/** The centre third of a rectangle along its grasp axis, full plate width (ggcnn `compact_polygon_coords`). */
export function compactRect(r: GraspRectPoints, fraction = 1 / 3): GraspRectPoints {
  const g = graspFromRect(r);
  return rectFromGrasp({ ...g, length: g.length * fraction });
}

/** Applies `f` to each corner. */
export function mapRect(r: GraspRectPoints, f: (p: Point) => Point): GraspRectPoints {
  return [f(r[0]), f(r[1]), f(r[2]), f(r[3])];
}

/**
 * Rotates a point about `center` by `angle` (radians, counter-clockwise as displayed with rows down), the
 * same motion as `rotateCrop`/`rotateImage` apply to pixels (ggcnn `GraspRectangle.rotate`).
 */
export function rotatePoint(p: Point, angle: number, center: Point): Point {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const dr = p[0] - center[0];
  const dc = p[1] - center[1];
  return [center[0] + c * dr - s * dc, center[1] + s * dr + c * dc];
}

export function rotateRect(r: GraspRectPoints, angle: number, center: Point): GraspRectPoints {
  return mapRect(r, (p) => rotatePoint(p, angle, center));
}

export function translateRect(r: GraspRectPoints, dRow: number, dCol: number): GraspRectPoints {
  return mapRect(r, (p) => [p[0] + dRow, p[1] + dCol]);
}

/** Scales about `center` (default the origin) by `s` (ggcnn `scale` about 0, `zoom` about the centre with 1/f). */
export function scaleRect(r: GraspRectPoints, s: number, center: Point = [0, 0]): GraspRectPoints {
  return mapRect(r, (p) => [center[0] + (p[0] - center[0]) * s, center[1] + (p[1] - center[1]) * s]);
}

/** True when all 8 coordinates are finite numbers. */
export function rectIsFinite(r: GraspRectPoints): boolean {
  return r.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
}

/** Mean of all corners of all rectangles `[row, col]`, or undefined for none (ggcnn `GraspRectangles.center`). */
export function rectsCenter(rects: readonly GraspRectPoints[]): Point | undefined {
  if (rects.length === 0) return undefined;
  let r = 0;
  let c = 0;
  for (const rect of rects) for (const p of rect) (r += p[0]), (c += p[1]);
  const n = rects.length * 4;
  return [r / n, c / n];
}
