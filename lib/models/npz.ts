import * as fs from 'fs';
import { unzipSync } from 'fflate';
import { DataFormatError } from '../errors';

/**
 * Reader (and float32 `.npy` writer) for NumPy `.npy` arrays and `.npz` archives (`np.savez` / `np.savez_compressed`: a zip of `<key>.npy`
 * members), e.g. PyTorch state dicts exported with `np.savez(f, **{k: v.numpy() for k, v in sd.items()})`.
 * The zip layer is fflate; the .npy format (magic, version 1–3 header, Python-literal dict with descr /
 * fortran_order / shape) is parsed here. Numeric dtypes only (no object/structured arrays: those are pickles).
 */
export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

export interface NpyArray {
  dtype: NpyDtype;
  /** C-order (row-major) shape; [] for a scalar */
  shape: number[];
  /**
   * Values in C order. float16/float32 → Float32Array, float64 → Float64Array, (u)int8/16/32 and bool → typed arrays
   * of the same kind (bool as Uint8Array), (u)int64 → Big(Uint|Int)64Array.
   */
  data: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, { dtype: NpyDtype; bytes: number }> = {
  f2: { dtype: 'float16', bytes: 2 },
  f4: { dtype: 'float32', bytes: 4 },
  f8: { dtype: 'float64', bytes: 8 },
  i1: { dtype: 'int8', bytes: 1 },
  i2: { dtype: 'int16', bytes: 2 },
  i4: { dtype: 'int32', bytes: 4 },
  i8: { dtype: 'int64', bytes: 8 },
  u1: { dtype: 'uint8', bytes: 1 },
  u2: { dtype: 'uint16', bytes: 2 },
  u4: { dtype: 'uint32', bytes: 4 },
  u8: { dtype: 'uint64', bytes: 8 },
  b1: { dtype: 'bool', bytes: 1 },
};

/** Reads an `.npz` file into `key → array` (keys without the `.npy` suffix, in archive order). */
export function readNpzFile(file: string): Map<string, NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DataFormatError(file, `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseNpz(bytes, file);
}

/** Reads one `.npy` file. */
export function readNpyFile(file: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DataFormatError(file, `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseNpy(bytes, file);
}

/**
 * A float32 array as a `.npy` file (format 1.0, little-endian `<f4`, C order), byte for byte what `np.save` writes:
 * the header dict padded with spaces to a multiple of 64 bytes and ended by a newline.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(',')}) holds ${count} values, got ${data.length}`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([...MAGIC, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(10 + header.length + 4 * i, data[i], true);
  return out;
}

/** Writes a float32 `.npy` file (see `encodeNpy`). */
export function writeNpyFile(file: string, data: Float32Array, shape: readonly number[]): void {
  fs.writeFileSync(file, encodeNpy(data, shape));
}

/** Parses `.npz` bytes; `file` names the source in errors. */
export function parseNpz(bytes: Uint8Array, file = '<npz>'): Map<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (e) {
    throw new DataFormatError(file, `not a zip archive, so not an .npz (${e instanceof Error ? e.message : String(e)})`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(members)) {
    if (name.endsWith('/')) continue; // directory entry
    if (!name.endsWith('.npy')) throw new DataFormatError(`${file}:${name}`, 'archive member is not an .npy array');
    out.set(name.slice(0, -4), parseNpy(data, `${file}:${name}`));
  }
  if (out.size === 0) throw new DataFormatError(file, 'the archive holds no .npy arrays');
  return out;
}

/** Parses one `.npy` array; `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  const fail = (problem: string): never => {
    throw new DataFormatError(file, problem);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not an .npy array (missing the \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLen > bytes.length) fail('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) fail(`unsupported dtype in header ${header.trim()} (only numeric arrays; structured/object arrays are not supported)`);
  if (fortran === undefined || shapeText === undefined) fail(`malformed .npy header: ${header.trim()}`);
  const shape = shapeText!
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => {
      const n = Number(t.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) fail(`bad shape (${shapeText}) in header`);
      return n;
    });
  const order = descr![0];
  const kind = DTYPES[descr!.slice(1)];
  if (!'<>|='.includes(order) || !kind) return fail(`unsupported dtype '${descr}' (supported: ${Object.keys(DTYPES).join(', ')})`);
  const little = order !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart < count * kind.bytes) {
    fail(`truncated data: shape (${shape.join(',')}) of ${descr} needs ${count * kind.bytes} bytes, found ${bytes.length - dataStart}`);
  }
  const data = decodeValues(view, dataStart, count, kind.dtype, little);
  return { dtype: kind.dtype, shape, data: fortran === 'True' ? fortranToC(data, shape) : data };
}

function decodeValues(view: DataView, start: number, n: number, dtype: NpyDtype, little: boolean): NpyArray['data'] {
  // DataView handles unaligned offsets and both byte orders, at ~100 M values/s, plenty for weight files
  switch (dtype) {
    case 'float16': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = halfToFloat(view.getUint16(start + 2 * i, little));
      return a;
    }
    case 'float32': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat32(start + 4 * i, little);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat64(start + 8 * i, little);
      return a;
    }
    case 'int8': {
      const a = new Int8Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt8(start + i);
      return a;
    }
    case 'uint8':
    case 'bool': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getUint8(start + i);
      return a;
    }
    case 'int16': {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt16(start + 2 * i, little);
      return a;
    }
    case 'uint16': {
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getUint16(start + 2 * i, little);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt32(start + 4 * i, little);
      return a;
    }
    case 'uint32': {
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getUint32(start + 4 * i, little);
      return a;
    }
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getBigInt64(start + 8 * i, little);
      return a;
    }
    case 'uint64': {
      const a = new BigUint64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getBigUint64(start + 8 * i, little);
      return a;
    }
  }
}

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Column-major values → row-major, same logical shape. */
function fortranToC<T extends NpyArray['data']>(src: T, shape: number[]): T {
  if (shape.length < 2) return src;
  const dst = new (src.constructor as { new (n: number): T })(src.length);
  const n = shape.length;
  const idx = new Array<number>(n).fill(0);
  // Fortran strides: first axis fastest
  const fStride = new Array<number>(n);
  fStride[0] = 1;
  for (let k = 1; k < n; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let k = 0; k < n; k++) f += idx[k] * fStride[k];
    (dst as unknown as ArrayLike<unknown> & Record<number, unknown>)[c] = (src as unknown as ArrayLike<unknown>)[f];
    // advance the C-order index (last axis fastest)
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return dst;
}
