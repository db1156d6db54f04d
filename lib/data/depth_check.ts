import { CORNELL_SHAPE, JACQUARD_SIZE } from '../constants';
import type { DatasetKind } from '../config/paths';
import { DataFormatError } from '../errors';
import { GraspRectPoints, Image2D } from '../types';
import { rectCenter } from './grasp_rect';
import { isMissing } from './image';

/**
 * Plausibility checks on a loaded sample, so data in the wrong size or unit is named at load time instead of being
 * trained on (a millimetre TIFF read as a 700 m deep scene, a 100x100 depth image under 640x480 rectangles).
 */

/** Depth image size `[rows, cols]` of each real dataset (the synthetic set has no fixed frame). */
export const DATASET_FRAMES: Partial<Record<DatasetKind, readonly [number, number]>> = {
  cornell: CORNELL_SHAPE,
  jacquard: [JACQUARD_SIZE, JACQUARD_SIZE],
};

/**
 * Range of a plausible median depth in metres for a tabletop grasping camera (Cornell's median is ~1.2 m,
 * Jacquard's ~1.5 m): outside it the unit is wrong.
 */
export const PLAUSIBLE_MEDIAN_DEPTH_M = { min: 0.1, max: 20 } as const;

/** Refuses a depth image whose size is not the dataset's frame. */
export function checkDepthFrame(depth: Image2D, file: string, kind: DatasetKind): void {
  const frame = DATASET_FRAMES[kind];
  if (!frame) return;
  if (depth.height !== frame[0] || depth.width !== frame[1]) {
    throw new DataFormatError(file, `depth image is ${depth.height}x${depth.width}, but ${kind} depth images are ${frame[0]}x${frame[1]} (rows x cols)`);
  }
}

/** Median of the valid (non-missing) pixels, from at most ~20k of them (an even sample over the image). */
export function medianDepth(depth: Image2D): number {
  const step = Math.max(1, Math.floor(depth.data.length / 20000));
  const vals: number[] = [];
  for (let i = 0; i < depth.data.length; i += step) if (!isMissing(depth.data[i])) vals.push(depth.data[i]);
  if (vals.length === 0) return NaN;
  vals.sort((a, b) => a - b);
  return vals[vals.length >> 1];
}

/** Refuses depth whose median is not in metres: millimetres get "divide by 1000?". */
export function checkDepthRange(depth: Image2D, file: string): void {
  const m = medianDepth(depth);
  if (!Number.isFinite(m)) return; // all missing: the caller's "no valid pixel" error covers it
  const { min, max } = PLAUSIBLE_MEDIAN_DEPTH_M;
  if (m > max) {
    const mm = m / 1000 >= min && m / 1000 <= max;
    throw new DataFormatError(
      file,
      `median depth is ${round(m)} m, not plausible for a tabletop camera` +
        (mm ? `: looks like millimetres, divide by 1000? (depth must be float32 metres)` : ' (depth must be float32 metres)'),
    );
  }
  if (m < min) {
    throw new DataFormatError(file, `median depth is ${round(m)} m, closer than ${min} m: depth must be float32 metres (is it normalised or in another unit?)`);
  }
}

/**
 * Refuses rectangles that lie entirely outside the depth image: they belong to another image size. A rectangle that
 * reaches into the image from beyond its border (an object at the frame's edge, centre just outside) is a label of
 * this image and stays; the target maps clip it.
 */
export function checkGraspsInImage(grasps: readonly GraspRectPoints[], depth: Image2D, file: string): void {
  grasps.forEach((r, k) => {
    const rows = r.map((p) => p[0]);
    const cols = r.map((p) => p[1]);
    const overlaps = Math.max(...rows) >= 0 && Math.min(...rows) <= depth.height && Math.max(...cols) >= 0 && Math.min(...cols) <= depth.width;
    if (!overlaps) {
      const [row, col] = rectCenter(r);
      throw new DataFormatError(
        file,
        `rectangle ${k + 1} (centred at row ${round(row)}, col ${round(col)}) lies entirely outside the ${depth.height}x${depth.width} depth image ` +
          '(do the rectangles and the depth image belong together?)',
      );
    }
  });
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
