import { GraspMaps, GraspRectPoints, MAP_BACKGROUND } from '../types';
import { WIDTH_SCALE_PX } from '../constants';
import { createImage } from './image';
import { rectAngle, rectIsFinite, rectLength } from './grasp_rect';
import { ggcnnCompactRect } from './ggcnn_rect';
import { forEachPolygonPixel } from './polygon';

/**
 * Training targets exactly as ggcnn draws them (`GraspRectangles.draw` + `GraspDatasetBase.__getitem__`): each
 * rectangle's centre third along the grasp axis (full plate width, centred on the truncated mean of its corners:
 * `ggcnnCompactRect`) is filled with `pos = 1`, `cos = cos 2θ`, `sin = sin 2θ`, `width = clip(opening, 0, 150) / 150`;
 * later rectangles overwrite earlier ones; rasterised as skimage 0.19's `draw.polygon` with the map's shape
 * (`polygon.ts`: pixels on the edges count). Elsewhere the angle is 0, as in ggcnn's zero-initialised angle map, so
 * `cos` is **1** there and `pos`, `sin`, `width` are 0. The sample's rectangles are ggcnn's integer ones (`preprocess`).
 *
 * @param grasps rectangles in the S×S frame of the sample, `[row, col]` pixels
 * @param size S
 * @returns four S×S maps (stack them in MAP_CHANNELS order for a `[B,S,S,4]` target)
 */
export function drawTargets(grasps: readonly GraspRectPoints[], size: number): GraspMaps {
  const pos = createImage(size, size, MAP_BACKGROUND.pos);
  const cos = createImage(size, size, MAP_BACKGROUND.cos); // cos(2·0) where no rectangle sets an angle
  const sin = createImage(size, size, MAP_BACKGROUND.sin);
  const width = createImage(size, size, MAP_BACKGROUND.width);
  for (const rect of grasps) {
    if (!rectIsFinite(rect)) continue;
    const angle = rectAngle(rect);
    const c2 = Math.cos(2 * angle);
    const s2 = Math.sin(2 * angle);
    const w = Math.min(Math.max(rectLength(rect), 0), WIDTH_SCALE_PX) / WIDTH_SCALE_PX;
    forEachPolygonPixel(ggcnnCompactRect(rect), size, size, (r, c) => {
      const i = r * size + c;
      pos.data[i] = 1;
      cos.data[i] = c2;
      sin.data[i] = s2;
      width.data[i] = w;
    });
  }
  return { pos, cos, sin, width };
}
