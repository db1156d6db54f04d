import { GraspRectPoints, Image2D, Point, RawSample, Sample } from '../types';
import { Rng } from './random';
import { cropImage, imageStats, normaliseDepth, rotateCrop, zoomWindow } from './image';
import { inpaintDepth } from './inpaint';
import { mapRect, translateRect } from './grasp_rect';
import { ggcnnRectsCenter, ggcnnRotateRect, ggcnnZoomRect } from './ggcnn_rect';
import { skimageResize } from './skimage_resize';

/**
 * ggcnn's data pipeline (`GraspDatasetBase.__getitem__` + `cornell_data`/`jacquard_data`), applied to depth and
 * rectangles together, exactly as ggcnn computes them:
 *   depth: inpaint missing depth → rotate about the crop centre → crop → normalise `clip(d − mean, −1, 1)` → zoom
 *   (keep the centre fraction, `skimage.transform.resize` back, mode 'symmetric') → resize to S×S
 *   (`skimage.transform.resize`, anti-aliased; Jacquard's 1024 → 300);
 *   rectangles (ggcnn `get_gtbb`, integer corners, `ggcnn_rect.ts`): Cornell: rotate about the crop centre and
 *   truncate, shift by the crop's top-left, zoom by 1/f about (S//2, S//2) and truncate; Jacquard: scale by
 *   S/1024 (no pixel-centre offset), rotate and zoom about (S//2, S//2), truncating after each.
 * ggcnn's rectangle transforms only approximate its image transforms (truncation, no half-pixel offsets, zoom 1/f
 * instead of the integer crop), by up to about 2 px under augmentation; grasplab follows ggcnn so that targets,
 * crops and verdicts are ggcnn's.
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
  /** rotated + cropped depth (metres); the rectangles rotated, in the S×S output frame before zoom (integers) */
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
  const rotation = opts.rotate === 'quarter' ? (rng.int(4) * Math.PI) / 2 : opts.rotate === 'any' ? rng.uniform(-Math.PI, Math.PI) : 0;
  const [z0, z1] = opts.zoomRange ?? [0.5, 1.0];
  const zoom = opts.zoom ? rng.uniform(z0, z1) : 1;
  return preprocessAt(raw, opts, { rotation, zoom });
}

/**
 * `preprocessSteps` with a given augmentation instead of a random one (`opts.rotate`/`opts.zoom` are ignored):
 * `rotation` in radians (counter-clockwise), `zoom` the kept centre fraction in (0, 1], 1 = none.
 */
export function preprocessAt(raw: RawSample, opts: PreprocessOptions, aug: { rotation: number; zoom: number }): PreprocessTrace {
  const S = opts.outputSize;
  if (!(Number.isInteger(S) && S > 0)) throw new RangeError(`outputSize must be a positive integer, got ${S}`);
  const { rotation, zoom } = aug;

  // 1. inpaint (ggcnn does it once when rendering Cornell tiffs; our synthetic and pcd depth still has holes)
  const { image: inpainted, filled } = inpaintSample(raw.depth);
  const { height: H, width: W } = inpainted;
  const whole = (opts.crop ?? 'grasps') === 'whole';
  const half = Math.floor(S / 2);
  const outCenter: Point = [half, half];

  // 2. crop window and rotation centre
  let window: PreprocessTrace['window'];
  let rotationCenter: Point;
  if (whole) {
    window = { top: 0, left: 0, height: H, width: W };
    rotationCenter = [(H - 1) / 2, (W - 1) / 2]; // skimage.transform.rotate's default centre
  } else {
    // ggcnn `_get_crop_attrs`: truncated mean of the (integer) corners; top/left clamped inside the image
    const center = ggcnnRectsCenter(raw.grasps) ?? [Math.floor(H / 2), Math.floor(W / 2)];
    const top = Math.max(0, Math.min(center[0] - half, H - S));
    const left = Math.max(0, Math.min(center[1] - half, W - S));
    window = { top, left, height: S, width: S };
    rotationCenter = center;
  }

  // 3. rotate about the centre, crop; rectangles as ggcnn `get_gtbb` up to the zoom
  const cropped = rotateCrop(inpainted, rotation, rotationCenter, window.top, window.left, window.height, window.width);
  const croppedGrasps = whole
    ? raw.grasps.map((r) => ggcnnRotateRect(mapRect(r, (p) => [p[0] * (S / H), p[1] * (S / W)]), rotation, outCenter))
    : raw.grasps.map((r) => translateRect(ggcnnRotateRect(r, rotation, rotationCenter), -window.top, -window.left));

  // 4. normalise
  const { image: normalised, mean } = normaliseDepth(cropped);

  // 5. zoom (centre fraction, resized back to the window size), then resize to S×S
  let depth = normalised;
  if (zoom !== 1) {
    const zw = zoomWindow(normalised.height, normalised.width, zoom);
    depth = skimageResize(cropImage(normalised, zw.top, zw.left, zw.height, zw.width), normalised.height, normalised.width, 'symmetric');
  }
  if (depth.height !== S || depth.width !== S) depth = skimageResize(depth, S, S);
  const grasps = croppedGrasps.map((r) => ggcnnZoomRect(r, zoom, outCenter));

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
    sample: {
      id: raw.id,
      depth,
      grasps,
      crop: { ...window, scale: S / window.height, rotation, zoom },
    },
  };
}

/** Fills depth holes when there are any (cheap scan otherwise). */
export function inpaintSample(depth: Image2D): { image: Image2D; filled: number } {
  if (imageStats(depth).missing === 0) return { image: depth, filled: 0 };
  return inpaintDepth(depth);
}
