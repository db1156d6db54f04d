import type { Image2D } from '../lib/types';

/** Control points of two small colour maps: sequential (dark blue → yellow) and diverging (blue ← white → red). */
const SEQUENTIAL: [number, number, number][] = [
  [20, 20, 80],
  [40, 90, 160],
  [30, 160, 140],
  [150, 210, 70],
  [250, 230, 40],
];
const DIVERGING: [number, number, number][] = [
  [40, 70, 180],
  [245, 245, 245],
  [190, 40, 40],
];

function lookup(stops: [number, number, number][], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * A map as RGBA for a canvas, values clipped to [lo, hi]: `diverging` for signed maps (cos, sin), sequential
 * otherwise (quality, width).
 */
export function mapToImageData(map: Image2D, lo: number, hi: number, diverging: boolean): ImageData {
  const out = new ImageData(map.width, map.height);
  const stops = diverging ? DIVERGING : SEQUENTIAL;
  for (let i = 0; i < map.data.length; i++) {
    const [r, g, b] = lookup(stops, (map.data[i] - lo) / (hi - lo));
    out.data[i * 4] = r;
    out.data[i * 4 + 1] = g;
    out.data[i * 4 + 2] = b;
    out.data[i * 4 + 3] = 255;
  }
  return out;
}
