import * as fs from 'fs';
import { PNG } from 'pngjs';
import { DataFormatError } from '../errors';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  height: number;
  width: number;
  data: Uint8Array;
}

/** Reads a PNG (any colour type pngjs decodes) as 8-bit RGB, e.g. Cornell `pcdXXXXr.png`, Jacquard `*_RGB.png`. */
export async function readRgbPng(file: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw new DataFormatError(file, `cannot read PNG (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    throw new DataFormatError(file, `cannot decode PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    rgb[3 * i] = png.data[j];
    rgb[3 * i + 1] = png.data[j + 1];
    rgb[3 * i + 2] = png.data[j + 2];
  }
  return { height, width, data: rgb };
}

/** Encodes RGB as PNG (colour type 2, 'sub' filter and fast deflate: these are previews, speed beats size). */
export function encodeRgbPng(img: RgbImage): Buffer {
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`RGB image has ${img.data.length} bytes, expected ${img.height}x${img.width}x3`);
  }
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, deflateLevel: 1 });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, deflateLevel: 1, filterType: 1 });
}

export async function writeRgbPng(file: string, img: RgbImage): Promise<void> {
  await fs.promises.writeFile(file, encodeRgbPng(img));
}
