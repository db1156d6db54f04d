import { Image2D } from '../types';
import { cloneImage, isMissing } from './image';

/**
 * Fill missing depth (0 or non-finite) by **harmonic inpainting**: the missing pixels solve Laplace's
 * equation ∇²u = 0 with the valid pixels as fixed boundary values (image borders: zero normal derivative).
 *
 * Why this and not OpenCV: ggcnn calls `cv2.inpaint(img, mask, 1, cv2.INPAINT_NS)` (Navier–Stokes, radius 1).
 * NS inpainting transports isophotes into the hole and, for smooth depth surfaces and radius 1, it is very
 * close to a harmonic fill (smooth continuation from the hole's border); opencv.js would add ~8 MB for one call.
 * Unlike NS, a harmonic fill does not continue sharp edges into a hole, it blends them smoothly.
 *
 * Solver: coarse-to-fine. Each level halves the image (valid pixels averaged per 2×2 block); the coarsest
 * level fills what is left with the mean of the valid pixels; each finer level starts its missing pixels from
 * the coarser solution and relaxes them with a few Gauss–Seidel sweeps. Cost is O(missing pixels), e.g.
 * ~10 ms for a 640×480 image with 10 % holes, and large holes converge as fast as small ones.
 *
 * @param img depth in metres (any H×W)
 * @returns a new image without missing pixels (a copy when nothing was missing); an image with no valid pixel
 *          at all is returned as zeros, and `filled` tells how many pixels were filled.
 */
export function inpaintDepth(img: Image2D, opts: { sweeps?: number } = {}): { image: Image2D; filled: number } {
  const out = cloneImage(img);
  const n = out.data.length;
  const known = new Uint8Array(n);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    if (isMissing(out.data[i])) {
      out.data[i] = 0;
      missing++;
    } else known[i] = 1;
  }
  if (missing === 0) return { image: out, filled: 0 };
  if (missing === n) return { image: out, filled: 0 };
  solveLevel(out.data, known, img.height, img.width, opts.sweeps ?? 6);
  return { image: out, filled: missing };
}

/** Fills unknown entries of `u` (h×w) in place: recurse on a half-size level, upsample, relax. */
function solveLevel(u: Float32Array, known: Uint8Array, h: number, w: number, sweeps: number): void {
  const unknown: number[] = [];
  for (let i = 0; i < u.length; i++) if (!known[i]) unknown.push(i);
  if (unknown.length === 0) return;

  if (h <= 2 || w <= 2) {
    // coarsest level: the mean of what is known
    let s = 0;
    let k = 0;
    for (let i = 0; i < u.length; i++) if (known[i]) (s += u[i]), k++;
    const m = k ? s / k : 0;
    for (const i of unknown) u[i] = m;
    return;
  }

  // restrict: average of the known pixels in each 2×2 block
  const ch = Math.ceil(h / 2);
  const cw = Math.ceil(w / 2);
  const cu = new Float32Array(ch * cw);
  const ck = new Uint8Array(ch * cw);
  for (let r = 0; r < ch; r++) {
    for (let c = 0; c < cw; c++) {
      let s = 0;
      let k = 0;
      for (let dr = 0; dr < 2; dr++) {
        const rr = 2 * r + dr;
        if (rr >= h) continue;
        for (let dc = 0; dc < 2; dc++) {
          const cc = 2 * c + dc;
          if (cc >= w) continue;
          const i = rr * w + cc;
          if (known[i]) (s += u[i]), k++;
        }
      }
      if (k) {
        cu[r * cw + c] = s / k;
        ck[r * cw + c] = 1;
      }
    }
  }
  solveLevel(cu, ck, ch, cw, sweeps);

  // prolong: start each unknown pixel from its coarse parent
  for (const i of unknown) {
    const r = (i / w) | 0;
    const c = i - r * w;
    u[i] = cu[(r >> 1) * cw + (c >> 1)];
  }

  // relax: Gauss–Seidel on the unknown pixels only (known ones are the boundary condition)
  for (let s = 0; s < sweeps; s++) {
    const forward = s % 2 === 0; // alternate direction so information flows both ways
    for (let k = 0; k < unknown.length; k++) {
      const i = unknown[forward ? k : unknown.length - 1 - k];
      const r = (i / w) | 0;
      const c = i - r * w;
      let sum = 0;
      let cnt = 0;
      if (r > 0) (sum += u[i - w]), cnt++;
      if (r < h - 1) (sum += u[i + w]), cnt++;
      if (c > 0) (sum += u[i - 1]), cnt++;
      if (c < w - 1) (sum += u[i + 1]), cnt++;
      u[i] = sum / cnt;
    }
  }
}
