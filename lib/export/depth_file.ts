import * as fs from 'fs';
import { PNG } from 'pngjs';
import { DataFormatError } from '../errors';
import type { Image2D } from '../types';
import { decodeDepthImage, type DecodedDepth } from './depth_decode';

/**
 * Reads a depth image file (float32 TIFF in metres or 16-bit PNG in millimetres); see `decodeDepthImage`.
 * To write a depth TIFF use lib/data/tiff `writeDepthTiff`.
 */
export async function readDepthFile(file: string): Promise<DecodedDepth> {
  if (!fs.existsSync(file)) throw new DataFormatError(file, 'no such file');
  if (fs.statSync(file).isDirectory()) throw new DataFormatError(file, 'is a folder, expected a depth image file');
  const b = fs.readFileSync(file);
  return decodeDepthImage(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), file);
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
