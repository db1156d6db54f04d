import * as fs from 'fs';
import { fromArrayBuffer } from 'geotiff';
import { Image2D } from '../types';
import { DataFormatError } from '../errors';
import { checkTiffFraming } from './tiff_check';

/**
 * Depth TIFF input/output.
 *
 * Reading uses `geotiff` (any compression it knows, incl. Jacquard's LZW; CommonJS build via its `require`
 * export, so it also loads under tsx and tslab's CJS compile).
 *
 * Writing uses a small writer of our own: a baseline little-endian TIFF, one IFD, uncompressed float32,
 * single strip (the layout of Cornell's `pcdXXXXd.tiff` as written by tifffile/imageio). Why not a library:
 * geotiff's `writeArrayBuffer` does write float32, but it always adds GeoTIFF georeferencing tags (EPSG:4326,
 * pixel scale) and packs pixels through a per-value DataView, ~250 ms per 640×480 image, which alone would
 * take ~100 s for the 400-scene synthetic set; the other npm TIFF encoders (utif, tiff, jimp) write 8-bit RGBA only.
 */

/** Decodes a single-band TIFF to an image in its stored units (metres for Cornell/Jacquard depth). */
export async function decodeDepthTiff(bytes: Uint8Array, file: string): Promise<Image2D> {
  checkTiffFraming(bytes, file);
  let raster: ArrayLike<number>;
  let width: number;
  let height: number;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const tiff = await fromArrayBuffer(ab);
    const image = await tiff.getImage();
    width = image.getWidth();
    height = image.getHeight();
    const bands = image.getSamplesPerPixel();
    if (bands !== 1) throw new DataFormatError(file, `expected 1 sample per pixel (a depth image), found ${bands}`);
    if (image.getBitsPerSample() === 8 && image.getSampleFormat() !== 3) {
      throw new DataFormatError(file, '8-bit integer TIFF: an ordinary image, not depth (depth TIFFs are float32 metres)');
    }
    raster = (await image.readRasters({ interleave: true })) as unknown as ArrayLike<number>;
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    const msg = (e as Error).message;
    // geotiff reads lazily: a file cut inside compressed data surfaces as an out-of-bounds DataView access
    if (e instanceof RangeError || /outside the bounds|out of range|offset/i.test(msg)) {
      throw new DataFormatError(file, `truncated or corrupt TIFF: ${bytes.length} bytes, reading beyond them failed (${msg})`);
    }
    throw new DataFormatError(file, `cannot decode TIFF (${msg})`);
  }
  if (raster.length !== width * height) {
    throw new DataFormatError(file, `TIFF holds ${raster.length} values, expected ${height}x${width}`);
  }
  // a plain view (geotiff tags its arrays with width/height properties)
  const data = raster instanceof Float32Array ? new Float32Array(raster.buffer, raster.byteOffset, raster.length) : Float32Array.from(raster);
  return { height, width, data };
}

/** Reads a depth TIFF (float32 metres for Cornell `pcdXXXXd.tiff` and Jacquard `*_perfect_depth.tiff`). */
export async function readDepthTiff(file: string): Promise<Image2D> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw new DataFormatError(file, `cannot read depth TIFF (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeDepthTiff(bytes, file);
}

// TIFF tag ids and field types used by the writer
const SHORT = 3;
const LONG = 4;

/**
 * Encodes an image as an uncompressed float32 single-strip little-endian TIFF.
 * Layout: 8-byte header, one IFD (11 entries), padding to 16 bytes, pixel data (row-major float32).
 */
export function encodeFloat32Tiff(img: Image2D): Uint8Array {
  const { width, height, data } = img;
  if (data.length !== width * height) throw new RangeError(`image has ${data.length} values, expected ${height}x${width}`);
  const entries: [tag: number, type: number, value: number][] = [
    [256, LONG, width], // ImageWidth
    [257, LONG, height], // ImageLength
    [258, SHORT, 32], // BitsPerSample
    [259, SHORT, 1], // Compression: none
    [262, SHORT, 1], // PhotometricInterpretation: BlackIsZero
    [273, LONG, 0], // StripOffsets (patched below)
    [277, SHORT, 1], // SamplesPerPixel
    [278, LONG, height], // RowsPerStrip: one strip
    [279, LONG, width * height * 4], // StripByteCounts
    [284, SHORT, 1], // PlanarConfiguration: chunky
    [339, SHORT, 3], // SampleFormat: IEEE float
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = Math.ceil((8 + ifdSize) / 16) * 16;
  const out = new Uint8Array(dataOffset + width * height * 4);
  const view = new DataView(out.buffer);
  out[0] = 0x49; // 'II': little-endian
  out[1] = 0x49;
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true); // first IFD right after the header
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, value], k) => {
    const at = 10 + k * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true); // count
    const v = tag === 273 ? dataOffset : value;
    if (type === SHORT) view.setUint16(at + 8, v, true);
    else view.setUint32(at + 8, v, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true); // no next IFD
  const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataOffset);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(dataOffset + 4 * i, data[i], true);
  }
  return out;
}

/** Writes `img` as a float32 TIFF (see `encodeFloat32Tiff`). */
export async function writeDepthTiff(file: string, img: Image2D): Promise<void> {
  await fs.promises.writeFile(file, encodeFloat32Tiff(img));
}
