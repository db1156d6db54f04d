import * as fs from 'fs';
import { PNG } from 'pngjs';
import { DataFormatError } from '../errors';
import type { Image2D } from '../types';
import { parseNpy, type NpyArray } from '../models/npz';
import { decodeDepthImage, type DecodedDepth } from './depth_decode';

/**
 * Reads a depth image file: float32 TIFF in metres, 16-bit PNG in millimetres (see `decodeDepthImage`), or a NumPy
 * `.npy` float array `[H,W]` (also `[H,W,1]`, `[1,H,W]`, `[1,H,W,1]`): metres, or with `predict --no-preprocess` the
 * network input itself. To write a depth TIFF use lib/data/tiff `writeDepthTiff`.
 */
export async function readDepthFile(file: string): Promise<DecodedDepth> {
  if (!fs.existsSync(file)) throw new DataFormatError(file, 'no such file');
  if (fs.statSync(file).isDirectory()) throw new DataFormatError(file, 'is a folder, expected a depth image file');
  const b = fs.readFileSync(file);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (isNpy(bytes)) return { depth: npyImage(parseNpy(bytes, file), file), encoding: 'npy-float' };
  return decodeDepthImage(bytes, file);
}

function isNpy(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x93 && b[1] === 0x4e && b[2] === 0x55 && b[3] === 0x4d && b[4] === 0x50 && b[5] === 0x59;
}

/** A 2-D float array (unit axes of size 1 at either end allowed) as an image. */
function npyImage(a: NpyArray, file: string): Image2D {
  let dims = a.shape;
  if (dims.length === 4 && dims[0] === 1 && dims[3] === 1) dims = dims.slice(1, 3);
  else if (dims.length === 3 && dims[2] === 1) dims = dims.slice(0, 2);
  else if (dims.length === 3 && dims[0] === 1) dims = dims.slice(1);
  if (dims.length !== 2) throw new DataFormatError(file, `array of shape (${a.shape.join(', ')}) is not one image; expected (H, W), (H, W, 1), (1, H, W) or (1, H, W, 1)`);
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) throw new DataFormatError(file, `array is ${a.dtype}; expected float32 (or float64)`);
  return { height: dims[0], width: dims[1], data: a.data instanceof Float32Array ? a.data : Float32Array.from(a.data) };
}

/** Encodes depth (metres) as a 16-bit grayscale PNG in millimetres (missing/negative → 0, clipped at 65.535 m). */
export function encodeDepthPng16(depth: Image2D): Buffer {
  const png = new PNG({ width: depth.width, height: depth.height, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const mm = new Uint16Array(depth.data.length);
  for (let i = 0; i < mm.length; i++) {
    const v = depth.data[i];
    mm[i] = Number.isFinite(v) && v > 0 ? Math.min(65535, Math.round(v * 1000)) : 0;
  }
  // pngjs takes 16-bit input samples in the platform's (little-endian) order of a Uint16Array.
  png.data = Buffer.from(mm.buffer);
  return PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

export function writeDepthPng16(file: string, depth: Image2D): void {
  fs.writeFileSync(file, encodeDepthPng16(depth));
}
