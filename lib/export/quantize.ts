import { ConfigError } from '../errors';
import { float16BitsToNumber, float32ToFloat16Bits } from './float16';

/**
 * Weight storage formats of an exported model. All of them load with stock `tf.loadLayersModel`: tfjs-core's
 * `decodeWeights` dequantises at load time, so compute stays float32 and only the download/disk size changes
 * (a maintainer in tfjs#6551: "it is a weight compression mechanism").
 * - `float32`: exact, 4 bytes per weight;
 * - `float16`: IEEE half, 2 bytes, ~3 significant digits relative to each weight;
 * - `uint16` / `uint8`: per-tensor affine `w ≈ q·scale + min`, 2 / 1 bytes, error ≤ scale/2 per tensor.
 */
export type WeightFormat = 'float32' | 'float16' | 'uint16' | 'uint8';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['float32', 'float16', 'uint16', 'uint8'];

/** Bytes per stored value of each format. */
export const BYTES_PER_VALUE: Record<WeightFormat, number> = { float32: 4, float16: 2, uint16: 2, uint8: 1 };

/**
 * A manifest entry's `quantization` field, exactly as tfjs-converter writes it (write_weights.py) and tfjs-core 4.22's
 * `decodeWeights` reads it: uint8/uint16 need `min` and `scale`; `original_dtype` is informational (tfjs ignores it,
 * the converter writes it).
 */
export type QuantizationSpec =
  | { dtype: 'uint8' | 'uint16'; min: number; scale: number; original_dtype: 'float32' }
  | { dtype: 'float16'; original_dtype: 'float32' };

/** One tensor's stored bytes and, unless float32, how to decode them. */
export interface EncodedWeight {
  bytes: Uint8Array;
  quantization?: QuantizationSpec;
}

/** Throws ConfigError unless `s` names a weight format. */
export function parseWeightFormat(s: string): WeightFormat {
  if ((WEIGHT_FORMATS as readonly string[]).includes(s)) return s as WeightFormat;
  throw new ConfigError(`unknown weight format '${s}'; use one of ${WEIGHT_FORMATS.join(', ')}`);
}

/**
 * tfjs-converter's `_get_affine_quantization_range`: `scale = (max − min) / (2^bits − 1)`, and when the range
 * covers 0 it is shifted ("nudged") so that 0 is exactly a quantised level (zero padding and ReLU zeros stay exact).
 * When 0 is outside [min, max] the range is kept as is. Needs `min < max`.
 */
export function affineRange(min: number, max: number, dtype: 'uint8' | 'uint16'): { scale: number; min: number; max: number } {
  const levels = dtype === 'uint8' ? 255 : 65535;
  const scale = (max - min) / levels;
  if (min <= 0 && 0 <= max) {
    const zeroPoint = Math.round(-min / scale);
    const nudgedMin = -zeroPoint * scale;
    return { scale, min: nudgedMin, max: levels * scale + nudgedMin };
  }
  return { scale, min, max };
}

/**
 * Encodes one float32 tensor's values in `format` (little-endian, like the converter on every platform tfjs runs on).
 * Affine: `q = round((clip(x, min, max) − min) / scale)` in float64; a constant tensor stores zeros with
 * `min = value, scale = 1` (as the converter does). Non-finite weights are refused: they would poison min/max.
 */
export function encodeValues(values: Float32Array, format: WeightFormat, name = 'weight'): EncodedWeight {
  switch (format) {
    case 'float32':
      return { bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
    case 'float16': {
      const out = new DataView(new ArrayBuffer(values.length * 2));
      for (let i = 0; i < values.length; i++) out.setUint16(i * 2, float32ToFloat16Bits(values[i]), true);
      return { bytes: new Uint8Array(out.buffer), quantization: { dtype: 'float16', original_dtype: 'float32' } };
    }
    case 'uint8':
    case 'uint16':
      return encodeAffine(values, format, name);
  }
}

function encodeAffine(values: Float32Array, dtype: 'uint8' | 'uint16', name: string): EncodedWeight {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new ConfigError(`cannot quantise weight '${name}': value ${v} at index ${i} is not finite`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const bytesPer = dtype === 'uint8' ? 1 : 2;
  const out = new DataView(new ArrayBuffer(values.length * bytesPer));
  if (values.length === 0 || lo === hi) {
    // A constant tensor (e.g. a fresh bias or BN beta of zeros): every q = 0 decodes to `min`.
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype, min: values.length ? lo : 0, scale: 1, original_dtype: 'float32' } };
  }
  const r = affineRange(lo, hi, dtype);
  const qmax = dtype === 'uint8' ? 255 : 65535;
  for (let i = 0; i < values.length; i++) {
    const x = Math.min(Math.max(values[i], r.min), r.max);
    // Clamp guards float64 rounding at the top level; (x − min)/scale is ≥ 0, so Math.round is round-half-up here
    // (numpy's round is half-to-even: they differ only on exact .5, a negligible case).
    const q = Math.min(qmax, Math.max(0, Math.round((x - r.min) / r.scale)));
    if (bytesPer === 1) out.setUint8(i, q);
    else out.setUint16(i * 2, q, true);
  }
  return { bytes: new Uint8Array(out.buffer), quantization: { dtype, min: r.min, scale: r.scale, original_dtype: 'float32' } };
}

/**
 * What tfjs-core's `decodeWeights` makes of `encodeValues`' output: `q·scale + min` stored as float32, or the
 * float16 value. For comparisons and tests; loading a model uses tfjs's own decoder.
 */
export function decodeValues(enc: EncodedWeight): Float32Array {
  const { bytes, quantization: q } = enc;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!q) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (q.dtype === 'float16') {
    const out = new Float32Array(bytes.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = float16BitsToNumber(view.getUint16(i * 2, true));
    return out;
  }
  const n = q.dtype === 'uint8' ? bytes.byteLength : bytes.byteLength / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true);
    out[i] = v * q.scale + q.min;
  }
  return out;
}
