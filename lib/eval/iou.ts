import { ANGLE_TOLERANCE_RAD, IOU_THRESHOLD } from '../constants';
import { rectAngle, rectFromGrasp } from '../data/grasp_rect';
import { forEachPolygonPixel, polygonCandidateBox } from '../data/polygon';
import type { Grasp, GraspRectPoints, Point } from '../types';

/** Pixels inside a polygon, as a 0/1 mask over its bounding box. */
interface Raster {
  minRow: number;
  maxRow: number;
  minCol: number;
  maxCol: number;
  /** `inside[(row - minRow) * (maxCol - minCol + 1) + (col - minCol)]` */
  inside: Uint8Array;
  count: number;
}

/**
 * Rasterises a polygon like `skimage.draw.polygon(rows, cols)` with no `shape`, as ggcnn's IoU calls it
 * (`lib/data/polygon.ts`, the same rule the targets are drawn with): pixels on an edge or a vertex count, pixels with
 * a negative coordinate are dropped, none are clipped at the far side. An axis-aligned rectangle on integer corners
 * 30×60 apart covers 31×61 = 1891 pixels.
 */
export function rasterizePolygon(points: readonly Point[]): Raster {
  const box = polygonCandidateBox(points, Infinity, Infinity);
  if (!box || box.r1 < box.r0 || box.c1 < box.c0) {
    return { minRow: 0, maxRow: -1, minCol: 0, maxCol: -1, inside: new Uint8Array(0), count: 0 };
  }
  const { r0: minRow, r1: maxRow, c0: minCol, c1: maxCol } = box;
  const cols = maxCol - minCol + 1;
  const inside = new Uint8Array((maxRow - minRow + 1) * cols);
  let count = 0;
  forEachPolygonPixel(points, Infinity, Infinity, (r, c) => {
    inside[(r - minRow) * cols + (c - minCol)] = 1;
    count++;
  });
  return { minRow, maxRow, minCol, maxCol, inside, count };
}

function has(r: Raster, y: number, x: number): boolean {
  if (y < r.minRow || y > r.maxRow || x < r.minCol || x > r.maxCol) return false;
  return r.inside[(y - r.minRow) * (r.maxCol - r.minCol + 1) + (x - r.minCol)] === 1;
}

/**
 * Intersection over union of two rectangles (any polygons) in rasterised pixel counts, like ggcnn's
 * `GraspRectangle.iou` without its angle test. 0 when both are empty.
 */
export function rectIoU(a: readonly Point[] | GraspRectPoints, b: readonly Point[] | GraspRectPoints): number {
  return rasterIoU(rasterizePolygon(a), rasterizePolygon(b));
}

function rasterIoU(ra: Raster, rb: Raster): number {
  if (ra.count === 0 && rb.count === 0) return 0;
  // Only the overlap of the two bounding boxes can hold intersection pixels.
  const y0 = Math.max(ra.minRow, rb.minRow);
  const y1 = Math.min(ra.maxRow, rb.maxRow);
  const x0 = Math.max(ra.minCol, rb.minCol);
  const x1 = Math.min(ra.maxCol, rb.maxCol);
  let inter = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (has(ra, y, x) && has(rb, y, x)) inter++;
  return inter / (ra.count + rb.count - inter);
}

/**
 * Smallest difference between two grasp angles, which are only defined modulo π (a grasp at 89° and one at −89° are
 * 2° apart): ggcnn's `abs((a1 − a2 + π/2) mod π − π/2)` with Python's mod (PR #15). Result in [0, π/2].
 */
export function angleDifference(a1: number, a2: number): number {
  return Math.abs(pyMod(a1 - a2 + Math.PI / 2, Math.PI) - Math.PI / 2);
}

/** Python's `a % b` for b > 0: the result is in [0, b], also for negative a (JS `%` keeps a's sign). */
export function pyMod(a: number, b: number): number {
  const m = a % b;
  return m < 0 ? m + b : m;
}

export interface MatchOptions {
  /** success needs IoU strictly greater than this (default 0.25) */
  iouThreshold?: number;
  /** and an angle difference of at most this, radians (default π/6 = 30°) */
  angleTolerance?: number;
}

/**
 * ggcnn `Grasp.max_iou`: the best IoU between the predicted grasp's rectangle and any ground-truth rectangle whose
 * angle (from its p0→p1 edge) is within `angleTolerance`; rectangles with a larger angle difference count as IoU 0.
 */
export function graspMaxIoU(pred: Grasp, gts: readonly GraspRectPoints[], angleTolerance = ANGLE_TOLERANCE_RAD): number {
  const corners = rectFromGrasp(pred);
  const predAngle = rectAngle(corners);
  let raster: Raster | undefined;
  let best = 0;
  for (const gt of gts) {
    if (angleDifference(predAngle, rectAngle(gt)) > angleTolerance) continue;
    raster ??= rasterizePolygon(corners);
    best = Math.max(best, rasterIoU(raster, rasterizePolygon(gt)));
  }
  return best;
}

/**
 * The rectangle metric (Cornell/Jacquard, ggcnn `calculate_iou_match` for one grasp): true when the grasp's IoU with
 * some ground-truth rectangle is > `iouThreshold` (0.25) and their angles differ by ≤ `angleTolerance` (30°).
 */
export function graspMatches(pred: Grasp, gts: readonly GraspRectPoints[], opts: MatchOptions = {}): boolean {
  const iouThreshold = opts.iouThreshold ?? IOU_THRESHOLD;
  return graspMaxIoU(pred, gts, opts.angleTolerance ?? ANGLE_TOLERANCE_RAD) > iouThreshold;
}
