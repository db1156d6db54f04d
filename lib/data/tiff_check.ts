import { DataFormatError } from '../errors';

/**
 * Checks a TIFF's framing before a decoder sees it, so a wrong or cut-off file gets a message a user can act on
 * ("not a TIFF", "truncated at byte N") instead of the decoder's DataView RangeError. Reads the header and the first
 * image directory of a classic TIFF (BigTIFF: header only) and checks that the directory and the pixel data it
 * points to (strips or tiles) lie inside the file. Hand-written because it is a few dozen lines of the TIFF 6.0
 * layout; geotiff reads lazily and reports a short file only as an out-of-bounds DataView access.
 */
export function checkTiffFraming(bytes: Uint8Array, file: string): void {
  const n = bytes.length;
  if (n < 8) throw new DataFormatError(file, n === 0 ? 'empty file, not a TIFF' : `not a TIFF: only ${n} bytes (a TIFF header alone is 8)`);
  const order = String.fromCharCode(bytes[0], bytes[1]);
  if (order !== 'II' && order !== 'MM') throw new DataFormatError(file, `not a TIFF (starts with ${describeStart(bytes)})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'II';
  const magic = view.getUint16(2, le);
  if (magic === 43) return; // BigTIFF: 64-bit offsets, left to the decoder
  if (magic !== 42) throw new DataFormatError(file, `not a TIFF (byte order mark ${order} but version ${magic}, expected 42)`);
  const truncated = (need: number, what: string) =>
    new DataFormatError(file, `truncated at byte ${n}: ${what} needs bytes up to ${need} (the file was cut short, e.g. an interrupted copy)`);

  const ifd = view.getUint32(4, le);
  if (ifd < 8) throw new DataFormatError(file, `corrupt TIFF: first image directory at byte ${ifd}, inside the header`);
  if (ifd + 2 > n) throw truncated(ifd + 2, `the image directory at byte ${ifd}`);
  const count = view.getUint16(ifd, le);
  const end = ifd + 2 + 12 * count;
  if (end > n) throw truncated(end, `the image directory's ${count} entries`);

  const TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8 };
  const values = (entry: number): number[] | undefined => {
    const type = view.getUint16(entry + 2, le);
    const cnt = view.getUint32(entry + 4, le);
    const size = TYPE_BYTES[type];
    if (type !== 3 && type !== 4) return undefined;
    const inline = size * cnt <= 4;
    const at = inline ? entry + 8 : view.getUint32(entry + 8, le);
    if (at + size * cnt > n) throw truncated(at + size * cnt, `the offsets table at byte ${at}`);
    const out: number[] = [];
    for (let i = 0; i < cnt; i++) out.push(type === 3 ? view.getUint16(at + 2 * i, le) : view.getUint32(at + 4 * i, le));
    return out;
  };
  const tags = new Map<number, number[] | undefined>();
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    const tag = view.getUint16(entry, le);
    if (tag === 273 || tag === 279 || tag === 324 || tag === 325) tags.set(tag, values(entry));
  }
  const [offsets, counts, what] = tags.has(273) ? [tags.get(273), tags.get(279), 'strip'] : [tags.get(324), tags.get(325), 'tile'];
  if (!offsets || !counts) return; // unusual layout: the decoder decides
  let need = 0;
  let which = 0;
  offsets.forEach((o, i) => {
    const e = o + (counts[i] ?? 0);
    if (e > need) [need, which] = [e, i];
  });
  if (need > n) throw truncated(need, `pixel data (${what} ${which + 1} of ${offsets.length})`);
}

function describeStart(b: Uint8Array): string {
  const hex = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  const text = String.fromCharCode(...b.subarray(0, 4)).replace(/[^\x20-\x7e]/g, '.');
  const kind = b[0] === 0x89 && b[1] === 0x50 ? ', a PNG' : b[0] === 0xff && b[1] === 0xd8 ? ', a JPEG' : b[0] === 0x7b ? ', text or JSON' : '';
  return `bytes ${hex} "${text}"${kind}`;
}
