import { GraspRectPoints, Image2D, Point, RawSample, Sample } from '../types';
import { Rng } from './random';
import { imageStats, normaliseDepth, resampleWindow, rotateCrop, windowPoint, zoomWindow } from './image';
import { inpaintDepth } from './inpaint';
import { mapRect, rectsCenter, rotatePoint } from './grasp_rect';

/**
 * ggcnn's data pipeline (`GraspDatasetBase.__getitem__` + `cornell_data`/`jacquard_data`), applied to depth and
 * rectangles together:
 *   inpaint missing depth → rotate about the crop centre → crop → normalise `clip(d − mean, −1, 1)` → zoom → resize.
 * Rotation and crop are one resampling pass, and so are zoom and resize (same geometry, fewer interpolations).
 * Rectangles stay as floats (ggcnn truncates them to int after every step).
 */
export interface PreprocessOptions {
  /** S: the output is S×S (300 in ggcnn) */
  outputSize: number;
  /** 'quarter': a random multiple of 90° (ggcnn); 'any': uniform in [−π, π) (ggcnn RSS2018); 'none' */
  rotate: 'none' | 'quarter' | 'any';
  /** random zoom: keep the centre fraction f ~ U(zoomRange) (default U(0.5, 1.0), ggcnn) and resize back */
  zoom: boolean;
  /** zoom factor range, default [0.5, 1] */
  zoomRange?: [number, number];
  /**
   * 'grasps' (Cornell, synthetic): an S×S window centred on the mean of all rectangle corners, clamped to the
   * image; 'whole' (Jacquard): the whole image, resized to S×S. Default 'grasps'; `BatchLoader` picks 'whole'
   * for Jacquard when unset (see `defaultCrop`).
   */
  crop?: 'grasps' | 'whole';
}

/** The crop mode ggcnn uses for a dataset kind. */
export function defaultCrop(kind: string): 'grasps' | 'whole' {
  return kind === 'jacquard' ? 'whole' : 'grasps';
}

/** Every intermediate of `preprocess`, for display (notebook 01) and tests. */
export interface PreprocessTrace {
  /** input depth with holes filled (metres, full frame) and how many pixels were filled */
  inpainted: Image2D;
  filled: number;
  /** rotation applied (radians, CCW) and its centre `[row, col]` in the full frame */
  rotation: number;
  rotationCenter: Point;
  /** crop window in the full frame (before zoom) */
  window: { top: number; left: number; height: number; width: number };
  /** rotated + cropped depth (metres) and rectangles in the window's frame */
  cropped: Image2D;
  croppedGrasps: GraspRectPoints[];
  /** `clip(d − mean, −1, 1)` of `cropped`, and the mean removed (metres) */
  normalised: Image2D;
  mean: number;
  /** zoom factor used (1 = none) */
  zoom: number;
  /** the final S×S sample */
  sample: Sample;
}

/**
 * One training/validation sample from a raw one (see the pipeline above). Random choices come from `rng`:
 * rotation first, then zoom.
 * @returns depth `[S,S]` normalised to [−1, 1], rectangles in the S×S frame
 */
export function preprocess(raw: RawSample, opts: PreprocessOptions, rng: Rng): Sample {
  return preprocessSteps(raw, opts, rng).sample;
}

/** `preprocess`, keeping every intermediate image (costs nothing extra: each step makes a new image anyway). */
export function preprocessSteps(raw: RawSample, opts: PreprocessOptions, rng: Rng): PreprocessTrace {
  const S = opts.outputSize;
  if (!(Number.isInteger(S) && S > 0)) throw new RangeError(`outputSize must be a positive integer, got ${S}`);
  const rotation = opts.rotate === 'quarter' ? (rng.int(4) * Math.PI) / 2 : opts.rotate === 'any' ? rng.uniform(-Math.PI, Math.PI) : 0;
  const [z0, z1] = opts.zoomRange ?? [0.5, 1.0];
  const zoom = opts.zoom ? rng.uniform(z0, z1) : 1;

  // 1. inpaint (ggcnn does it once when rendering Cornell tiffs; our synthetic and pcd depth still has holes)
  const { image: inpainted, filled } = inpaintSample(raw.depth);
  const { height: H, width: W } = inpainted;

  // 2. crop window and rotation centre
  let window: PreprocessTrace['window'];
  let rotationCenter: Point;
  if ((opts.crop ?? 'grasps') === 'whole') {
    window = { top: 0, left: 0, height: H, width: W };
    rotationCenter = [(H - 1) / 2, (W - 1) / 2];
  } else {
    // ggcnn `_get_crop_attrs`: int centre of all corners; top/left clamped so the window stays inside the image
    const c = rectsCenter(raw.grasps) ?? [H / 2, W / 2];
    const center: Point = [Math.floor(c[0]), Math.floor(c[1])];
    const half = Math.floor(S / 2);
    const top = Math.max(0, Math.min(center[0] - half, H - S));
    const left = Math.max(0, Math.min(center[1] - half, W - S));
    window = { top, left, height: S, width: S };
    rotationCenter = center;
  }

  // 3. rotate about the centre, crop
  const cropped = rotateCrop(inpainted, rotation, rotationCenter, window.top, window.left, window.height, window.width);
  const croppedGrasps = raw.grasps.map((r) =>
    mapRect(r, (p) => {
      const q = rotatePoint(p, rotation, rotationCenter);
      return [q[0] - window.top, q[1] - window.left];
    }),
  );

  // 4. normalise
  const { image: normalised, mean } = normaliseDepth(cropped);

  // 5. zoom (centre fraction) and resize to S×S in one resampling
  const zw = zoomWindow(cropped.height, cropped.width, zoom);
  const depth = resampleWindow(normalised, zw.top, zw.left, zw.height, zw.width, S, S);
  const grasps = croppedGrasps.map((r) => mapRect(r, (p) => windowPoint(p, zw.top, zw.left, zw.height, zw.width, S, S)));

  return {
    inpainted,
    filled,
    rotation,
    rotationCenter,
    window,
    cropped,
    croppedGrasps,
    normalised,
    mean,
    zoom,
    sample: { id: raw.id, depth, grasps },
  };
}

/** Fills depth holes when there are any (cheap scan otherwise). */
export function inpaintSample(depth: Image2D): { image: Image2D; filled: number } {
  if (imageStats(depth).missing === 0) return { image: depth, filled: 0 };
  return inpaintDepth(depth);
}
