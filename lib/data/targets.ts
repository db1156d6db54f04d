import { GraspMaps, GraspRectPoints } from '../types';
import { WIDTH_SCALE_PX } from '../constants';
import { createImage } from './image';
import { compactRect, graspFromRect, rectIsFinite } from './grasp_rect';
import { forEachPolygonPixel } from './polygon';

/**
 * Training targets of ggcnn (`GraspRectangles.draw` + `GraspDatasetBase.__getitem__`): each rectangle's centre
 * third along the grasp axis (full plate width) is filled with
 * `pos = 1`, `cos = cos 2θ`, `sin = sin 2θ`, `width = clip(opening, 0, 150) / 150`;
 * later rectangles overwrite earlier ones; rasterised like skimage.draw.polygon (see `polygon.ts`).
 * Elsewhere every map is 0.
 *
 * @param grasps rectangles in the S×S frame of the sample, `[row, col]` pixels
 * @param size S
 * @returns four S×S maps (stack them in MAP_CHANNELS order for a `[B,S,S,4]` target)
 */
export function drawTargets(grasps: readonly GraspRectPoints[], size: number): GraspMaps {
  const pos = createImage(size, size);
  const cos = createImage(size, size);
  const sin = createImage(size, size);
  const width = createImage(size, size);
  for (const rect of grasps) {
    if (!rectIsFinite(rect)) continue;
    const g = graspFromRect(rect);
    const c2 = Math.cos(2 * g.angle);
    const s2 = Math.sin(2 * g.angle);
    const w = Math.min(Math.max(g.length, 0), WIDTH_SCALE_PX) / WIDTH_SCALE_PX;
    forEachPolygonPixel(compactRect(rect), size, size, (r, c) => {
      const i = r * size + c;
      pos.data[i] = 1;
      cos.data[i] = c2;
      sin.data[i] = s2;
      width.data[i] = w;
    });
  }
  return { pos, cos, sin, width };
}
