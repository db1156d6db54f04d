/**
 * IEEE 754 binary16 encoding of float32 values (Node 20 has no Float16Array). tfjs-core decodes these bits with its
 * own lookup tables (`getFloat16Decoder` in io_utils.js) when a weight's manifest entry says
 * `quantization.dtype: 'float16'`; this is the matching encoder, rounding to nearest, ties to even, like numpy's
 * `astype(np.float16)` in tfjs-converter.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern of `x` (first rounded to float32). Overflow → ±Inf, NaN stays NaN. */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp32 = (bits >>> 23) & 0xff;
  const mant32 = bits & 0x7fffff;
  if (exp32 === 0xff) return sign | 0x7c00 | (mant32 !== 0 ? 0x200 : 0);
  // Re-bias the exponent: float32 bias 127, float16 bias 15.
  const exp16 = exp32 - 127 + 15;
  if (exp16 >= 0x1f) return sign | 0x7c00;
  if (exp16 <= 0) {
    // Subnormal half: value = M · 2^(exp32 − 150) with M the 24-bit significand; in units of 2^-24 that is
    // M >> (14 − exp16). Anything below half the smallest subnormal rounds to ±0.
    const shift = 14 - exp16;
    if (shift > 24) return sign;
    const m = mant32 | 0x800000;
    return sign | roundShift(m, shift);
  }
  // Normal half: keep the top 10 of 23 mantissa bits. A rounding carry ripples into the exponent (and to Inf at the
  // top), which is the correct result.
  return (sign | ((exp16 << 10) | (mant32 >>> 13))) + roundIncrement(mant32, 13, mant32 >>> 13);
}

/** `m >> shift`, rounded to nearest, ties to even. */
function roundShift(m: number, shift: number): number {
  const q = m >>> shift;
  return q + roundIncrement(m, shift, q);
}

/** 1 if dropping the low `shift` bits of `m` (leaving `q`) must round up, else 0. */
function roundIncrement(m: number, shift: number, q: number): number {
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? 1 : 0;
}

/** The value a binary16 bit pattern stands for (for tests and error reports; tfjs does its own decoding). */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
