import { cropImage, normaliseDepth, resampleWindow, windowPoint } from '../data/image';
import { inpaintDepth } from '../data/inpaint';
import { ShapeError } from '../errors';
import type { Grasp, Image2D, Point } from '../types';

/**
 * How a depth image of any size becomes the network's S×S input:
 * - `none`: it must already be S×S;
 * - `center`: the central S×S crop (the image must be at least S×S) — pixel scale unchanged, as ggcnn crops Cornell;
 * - `resize`: the central square of side min(H, W), resampled to S×S — the whole short side is seen, pixels shrink.
 */
export type InputFit = 'none' | 'center' | 'resize';
export const INPUT_FITS: readonly InputFit[] = ['none', 'center', 'resize'];

/** Where the network input came from in the original image: input pixel p ↔ source window, scaled. */
export interface InputFrame {
  /** window of the source image, `[top, left]` and side lengths in source pixels */
  top: number;
  left: number;
  winH: number;
  winW: number;
  /** network input size S */
  size: number;
}

export interface PreparedInput {
  /** `clip(d − mean, −1, 1)` of the inpainted S×S depth, as the network was trained on (ggcnn normalise) */
  input: Image2D;
  /** the S×S depth in metres before normalisation (for display) */
  depth: Image2D;
  frame: InputFrame;
  /** pixels of the source that were missing (0/NaN) and inpainted */
  filled: number;
}

/**
 * Inpaints missing depth (lib/data `inpaintDepth`, as ggcnn's cv2.inpaint), fits the image to S×S with `fit`,
 * and normalises it. Throws ShapeError naming the source and suggesting `--crop center` / `--crop resize` when the
 * size does not fit.
 */
export function prepareDepthInput(depth: Image2D, size: number, fit: InputFit, source = 'depth image'): PreparedInput {
  const { height: h, width: w } = depth;
  let frame: InputFrame;
  let fitted: (img: Image2D) => Image2D;
  switch (fit) {
    case 'none':
      if (h !== size || w !== size) {
        throw new ShapeError(
          `${source}: image is ${h}x${w} but the model takes ${size}x${size}; ` +
            `use --crop center (central ${size}x${size} crop${h < size || w < size ? ', needs an image at least that big' : ''}) ` +
            `or --crop resize (central square resized to ${size}x${size})`,
        );
      }
      frame = { top: 0, left: 0, winH: size, winW: size, size };
      fitted = (img) => img;
      break;
    case 'center': {
      if (h < size || w < size) {
        throw new ShapeError(`${source}: image is ${h}x${w}, smaller than the model's ${size}x${size} input; use --crop resize instead of --crop center`);
      }
      const top = Math.floor((h - size) / 2);
      const left = Math.floor((w - size) / 2);
      frame = { top, left, winH: size, winW: size, size };
      fitted = (img) => cropImage(img, top, left, size, size);
      break;
    }
    case 'resize': {
      const side = Math.min(h, w);
      const top = Math.floor((h - side) / 2);
      const left = Math.floor((w - side) / 2);
      frame = { top, left, winH: side, winW: side, size };
      fitted = (img) => (side === size ? cropImage(img, top, left, size, size) : resampleWindow(img, top, left, side, side, size, size));
      break;
    }
  }
  const { image: filledImg, filled } = inpaintDepth(depth);
  if (filled === 0 && !depth.data.some((v) => Number.isFinite(v) && v !== 0)) {
    throw new ShapeError(`${source}: no valid depth pixel (all 0 or NaN)`);
  }
  const crop = fitted(filledImg);
  return { input: normaliseDepth(crop).image, depth: crop, frame, filled };
}

/** A network-frame point `[row, col]` in the source image's pixels. */
export function toSourcePoint(p: Point, f: InputFrame): Point {
  // inverse of windowPoint (pixel-centre aligned)
  const [r, c] = windowPoint(p, 0, 0, f.size, f.size, f.winH, f.winW);
  return [r + f.top, c + f.left];
}

/** A source-image point in the network frame. */
export function toInputPoint(p: Point, f: InputFrame): Point {
  return windowPoint(p, f.top, f.left, f.winH, f.winW, f.size, f.size);
}

/** A grasp predicted in the network frame, expressed in source pixels (isotropic scale: angle unchanged). */
export function toSourceGrasp(g: Grasp, f: InputFrame): Grasp {
  const s = f.winH / f.size;
  return { ...g, center: toSourcePoint(g.center, f), length: g.length * s, width: g.width * s };
}
