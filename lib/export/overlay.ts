import { PNG } from 'pngjs';
import { rectFromGrasp } from '../data/grasp_rect';
import type { Grasp, Image2D, Point } from '../types';

/** RGB colours of the grasps by rank (best first), then repeated. */
export const GRASP_COLOURS: readonly [number, number, number][] = [
  [0, 220, 60],
  [255, 160, 0],
  [0, 170, 255],
  [230, 60, 200],
];

/** An RGBA raster, row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * Depth (metres) as grayscale, near = bright, scaled between the 1st and 99th percentile of the valid pixels so a
 * few outliers do not wash it out; missing pixels (0/NaN) are dark red.
 */
export function depthToRgba(depth: Image2D): Rgba {
  // a typed copy sorts numerically and takes 4 bytes a pixel (a JS array of numbers took ~8x that)
  const valid = depth.data.filter((v) => Number.isFinite(v) && v !== 0).sort();
  const lo = valid.length ? valid[Math.floor(valid.length * 0.01)] : 0;
  const hi = valid.length ? valid[Math.min(valid.length - 1, Math.floor(valid.length * 0.99))] : 1;
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8ClampedArray(depth.width * depth.height * 4);
  for (let i = 0; i < depth.data.length; i++) {
    const v = depth.data[i];
    const o = i * 4;
    if (!Number.isFinite(v) || v === 0) {
      out.set([90, 0, 0, 255], o);
      continue;
    }
    const g = 255 * (1 - Math.min(1, Math.max(0, (v - lo) / span)));
    out[o] = out[o + 1] = out[o + 2] = g;
    out[o + 3] = 255;
  }
  return { width: depth.width, height: depth.height, data: out };
}

/** Draws a line `[row, col]` → `[row, col]` of the given thickness (a disc stamped along it). In place. */
export function drawLine(img: Rgba, a: Point, b: Point, rgb: readonly number[], thickness = 1): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) * 2));
  const r = Math.max(0, (thickness - 1) / 2);
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    stamp(img, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, r, rgb);
  }
}

function stamp(img: Rgba, row: number, col: number, r: number, rgb: readonly number[]): void {
  const ri = Math.ceil(r);
  for (let dy = -ri; dy <= ri; dy++) {
    for (let dx = -ri; dx <= ri; dx++) {
      if (dy * dy + dx * dx > r * r + 0.25) continue;
      const y = Math.round(row + dy);
      const x = Math.round(col + dx);
      if (y < 0 || y >= img.height || x < 0 || x >= img.width) continue;
      const o = (y * img.width + x) * 4;
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
      img.data[o + 3] = 255;
    }
  }
}

/**
 * Draws grasps as rectangles (ggcnn's plot): the two jaw (plate) edges thick, the two opening edges thin, and the
 * centre as a dot; colour by rank (`GRASP_COLOURS`). `scale` ≥ 1 thickens lines for large images. In place.
 */
export function drawGrasps(img: Rgba, grasps: readonly Grasp[], scale = 1): void {
  grasps.forEach((g, k) => {
    const rgb = GRASP_COLOURS[k % GRASP_COLOURS.length];
    const [p0, p1, p2, p3] = rectFromGrasp(g);
    drawLine(img, p0, p1, rgb, Math.max(1, Math.round(scale)));
    drawLine(img, p2, p3, rgb, Math.max(1, Math.round(scale)));
    drawLine(img, p1, p2, rgb, Math.max(2, Math.round(3 * scale)));
    drawLine(img, p3, p0, rgb, Math.max(2, Math.round(3 * scale)));
    stamp(img, g.center[0], g.center[1], Math.max(1.5, 2 * scale), rgb);
  });
}

/** A window of the image (e.g. the part the network saw), drawn as a thin outline. */
export interface OverlayWindow {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Outline colour of the input window. */
const WINDOW_COLOUR = [80, 160, 255] as const;

/**
 * The depth image as RGBA with the grasps drawn on it (grasps in the same pixel frame as `depth`) and, if given,
 * the outline of the window the network saw. Shared by the CLI (PNG) and the web demo (canvas ImageData).
 */
export function overlayRgba(depth: Image2D, grasps: readonly Grasp[], window?: OverlayWindow): Rgba {
  const img = depthToRgba(depth);
  const scale = Math.max(1, Math.min(depth.width, depth.height) / 300);
  if (window) {
    const { top: t, left: l } = window;
    const b = t + window.height - 1;
    const r = l + window.width - 1;
    const corners: Point[] = [[t, l], [t, r], [b, r], [b, l]];
    corners.forEach((p, k) => drawLine(img, p, corners[(k + 1) % 4], WINDOW_COLOUR, Math.max(2, Math.round(scale))));
  }
  drawGrasps(img, grasps, scale);
  return img;
}

/**
 * `overlayRgba` encoded as a PNG. The encoder gets a plain `{ width, height, data }`: `new PNG({ width, height })`
 * allocated a full RGBA buffer of its own (1.2 MB at 640x480) plus an async parser and packer whose pending reads kept
 * them alive until the event loop turned, so a loop of calls grew by ~1.2 MB per call (test/export/overlay_memory).
 */
export function renderOverlayPng(depth: Image2D, grasps: readonly Grasp[], window?: OverlayWindow): Buffer {
  const img = overlayRgba(depth, grasps, window);
  const data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write({ width: img.width, height: img.height, data } as PNG);
}
