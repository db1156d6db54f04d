import { writeNpyFile } from '../models/npz';
import { ShapeError } from '../errors';
import { GraspMaps, MAP_CHANNELS } from '../types';

/** The four maps as one `[H,W,4]` float32 array (row-major, channels pos, cos, sin, width: MAP_CHANNELS). */
export function mapsToHwc(maps: GraspMaps): Float32Array {
  const { height: h, width: w } = maps.pos;
  const out = new Float32Array(h * w * MAP_CHANNELS.length);
  MAP_CHANNELS.forEach((name, k) => {
    const m = maps[name];
    if (m.height !== h || m.width !== w) throw new ShapeError(`map '${name}' is ${m.height}x${m.width}, 'pos' is ${h}x${w}`);
    for (let i = 0; i < h * w; i++) out[i * MAP_CHANNELS.length + k] = m.data[i];
  });
  return out;
}

/** Writes the raw network maps as a NumPy `.npy` float32 array `[H,W,4]` (pos, cos, sin, width). */
export function writeMapsNpy(file: string, maps: GraspMaps): void {
  writeNpyFile(file, mapsToHwc(maps), [maps.pos.height, maps.pos.width, MAP_CHANNELS.length]);
}
