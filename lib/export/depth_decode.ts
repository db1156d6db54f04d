import { PNG } from 'pngjs';
import { decodeDepthTiff } from '../data/tiff';
import { DataFormatError } from '../errors';
import type { Image2D } from '../types';

/**
 * Decoding of the depth images a user hands to `grasplab predict` or the web demo, from bytes (no fs, so the
 * browser bundle shares it; there `pngjs` is aliased to its browser build and `Buffer` is shimmed):
 * - TIFF, one sample per pixel, in metres (Cornell `pcd*d.tiff`, Jacquard `*_depth.tiff`);
 * - PNG, 16-bit grayscale (with or without alpha) in millimetres (the usual RealSense/Kinect export).
 * Missing depth (0, NaN, ±Inf) is kept as is; `prepareDepthInput` fills it.
 */

/** How the file stored depth, for messages. */
export type DepthEncoding = 'tiff-float-m' | 'png16-mm' | 'npy-float';

export interface DecodedDepth {
  /** depth in metres; 0 or non-finite = missing */
  depth: Image2D;
  encoding: DepthEncoding;
}

/** Millimetres per metre (16-bit PNGs). */
const MM_PER_M = 1000;
/** No tabletop depth camera sees 20 m: larger TIFF values are millimetres in the wrong format. */
const MAX_PLAUSIBLE_DEPTH_M = 20;

/** Decodes a depth TIFF or 16-bit PNG by its magic bytes. `file` only names the source in errors. */
export async function decodeDepthImage(bytes: Uint8Array, file: string): Promise<DecodedDepth> {
  if (isPng(bytes)) return decodeDepthPng(bytes, file);
  if (isTiff(bytes)) return decodeDepthTiffMetres(bytes, file);
  throw new DataFormatError(file, 'not a TIFF or PNG file (expected a float32 depth TIFF in metres or a 16-bit PNG in millimetres)');
}

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

export function isTiff(b: Uint8Array): boolean {
  return b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42));
}

/**
 * A single-band TIFF in metres, decoded by lib/data's `decodeDepthTiff` (geotiff). A TIFF whose values look like
 * millimetres (median > 20) is refused rather than read as a 700 m deep scene.
 */
export async function decodeDepthTiffMetres(bytes: Uint8Array, file: string): Promise<DecodedDepth> {
  const depth = await decodeDepthTiff(bytes, file);
  const valid = depth.data.filter((v) => Number.isFinite(v) && v !== 0);
  const median = valid.length ? valid.sort()[valid.length >> 1] : 0;
  if (median > MAX_PLAUSIBLE_DEPTH_M) {
    throw new DataFormatError(file, `median depth is ${median}: looks like millimetres; depth TIFFs must be float32 metres (16-bit millimetres: use a PNG)`);
  }
  return { depth, encoding: 'tiff-float-m' };
}

/** A 16-bit grayscale PNG in millimetres. 8-bit PNGs are refused: they cannot hold depth at useful precision. */
export function decodeDepthPng(bytes: Uint8Array, file: string): DecodedDepth {
  let png: PNG;
  try {
    // skipRescale keeps 16-bit samples as they are (pngjs otherwise scales them to 8 bits)
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new DataFormatError(file, `unreadable PNG (${e instanceof Error ? e.message : String(e)})`);
  }
  const meta = png as unknown as { depth?: number; colorType?: number };
  if (meta.depth !== 16) {
    throw new DataFormatError(file, `PNG is ${meta.depth}-bit; depth PNGs must be 16-bit grayscale in millimetres`);
  }
  if (meta.colorType !== 0 && meta.colorType !== 4) {
    throw new DataFormatError(file, 'PNG is a colour image; depth PNGs must be 16-bit grayscale in millimetres');
  }
  // pngjs expands every image to RGBA; with skipRescale a 16-bit image comes back as a Uint16Array.
  const rgba = png.data as unknown as Uint16Array;
  const { width, height } = png;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4] / MM_PER_M;
  return { depth: { height, width, data }, encoding: 'png16-mm' };
}
