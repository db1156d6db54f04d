// AVX-512F block kernels (runtime-dispatched like kernel_avx2.cc, compiled for AVX-512F/FMA by the target pragma
// only). A 16-column panel is one zmm register, so the same packed B feeds a taller tile: 12 rows × 16 columns for
// the forward/input-gradient GEMM (12 accumulators, 1 B load and 12 broadcasts per k), 16 rows for the filter
// gradient. Twice the lanes of AVX2 at the same FMA issue rate.
#include <immintrin.h>

#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
// GCC 12's own _mm512_max_ps / _mm512_mask_mul_ps start from an undefined register and trip this warning
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace gl {
namespace {

constexpr int MR16 = 12;  // rows per block tile

inline __m512 apply_act(__m512 v, int act, float alpha) {
  switch (act) {
    case ACT_RELU:
      return _mm512_max_ps(v, _mm512_setzero_ps());
    case ACT_RELU6:
      return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6.0f));
    case ACT_LEAKY: {
      __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
      return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(alpha));
    }
    default:
      return v;
  }
}

inline void store_row(float* c, int col, __mmask16 m, __m512 v, const Block& blk) {
  float* p = c + col;
  if (blk.accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, p));
  if (blk.epilogue) {
    if (blk.bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, blk.bias + col));
    v = apply_act(v, blk.act, blk.alpha);
  }
  _mm512_mask_storeu_ps(p, m, v);
}

// MV (1..12) rows × 16 columns over the block's K; each element one FMA chain in k order.
template <int MV>
void tile(const Block& blk, const float* a, const float* b, float* const* c, int col, __mmask16 m) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const long K = blk.K, lda = blk.lda;
  const float* a0 = a;
  const float* a3 = a + (MV > 3 ? 3 : 0) * lda;
  const float* a6 = a + (MV > 6 ? 6 : 0) * lda;
  const float* a9 = a + (MV > 9 ? 9 : 0) * lda;
#define GL_R(r, base, off)                                                  \
  if (MV > r) c##r = _mm512_fmadd_ps(_mm512_set1_ps((base)[(off) * lda + k]), bv, c##r);
  for (long k = 0; k < K; ++k) {
    const __m512 bv = _mm512_load_ps(b + k * NR);
    GL_R(0, a0, 0) GL_R(1, a0, 1) GL_R(2, a0, 2)
    GL_R(3, a3, 0) GL_R(4, a3, 1) GL_R(5, a3, 2)
    GL_R(6, a6, 0) GL_R(7, a6, 1) GL_R(8, a6, 2)
    GL_R(9, a9, 0) GL_R(10, a9, 1) GL_R(11, a9, 2)
  }
#undef GL_R
  __m512 acc[MR16] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11};
  for (int r = 0; r < MV; ++r) store_row(c[r], col, m, acc[r], blk);
}

void block_avx512(const Block& blk) {
  const int panels = (blk.ncols + NR - 1) / NR;
  for (int j = 0; j < panels; ++j) {
    const float* b = blk.bp + j * blk.panel_stride;
    const int col = j * NR;
    const int nv = blk.ncols - col < NR ? blk.ncols - col : NR;
    const __mmask16 m = static_cast<__mmask16>((1u << nv) - 1u);
    for (int i = 0; i < blk.mrows; i += MR16) {
      const float* a = blk.a + i * blk.lda;
      float* const* c = blk.crow + i;
      switch (blk.mrows - i < MR16 ? blk.mrows - i : MR16) {
        case 1: tile<1>(blk, a, b, c, col, m); break;
        case 2: tile<2>(blk, a, b, c, col, m); break;
        case 3: tile<3>(blk, a, b, c, col, m); break;
        case 4: tile<4>(blk, a, b, c, col, m); break;
        case 5: tile<5>(blk, a, b, c, col, m); break;
        case 6: tile<6>(blk, a, b, c, col, m); break;
        case 7: tile<7>(blk, a, b, c, col, m); break;
        case 8: tile<8>(blk, a, b, c, col, m); break;
        case 9: tile<9>(blk, a, b, c, col, m); break;
        case 10: tile<10>(blk, a, b, c, col, m); break;
        case 11: tile<11>(blk, a, b, c, col, m); break;
        default: tile<12>(blk, a, b, c, col, m); break;
      }
    }
  }
}

// Filter gradient: MV (1..16) rows (channels of x) × 16 columns (channels of dy), over the segments.
template <int MV>
void seg_tile(const SegBlock& sb, int row, int col, __mmask16 m) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m512 c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
  const long lda = sb.lda, ldb = sb.ldb;
#define GL_S(r) \
  if (MV > r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(ap[r]), bv, c##r);
  for (int s = 0; s < sb.nseg; ++s) {
    const float* ap = sb.a + sb.seg[s].a + row;
    const float* bp = sb.b + sb.seg[s].b + col;
    for (long k = sb.seg[s].len; k > 0; --k) {
      const __m512 bv = _mm512_maskz_loadu_ps(m, bp);
      GL_S(0) GL_S(1) GL_S(2) GL_S(3) GL_S(4) GL_S(5) GL_S(6) GL_S(7)
      GL_S(8) GL_S(9) GL_S(10) GL_S(11) GL_S(12) GL_S(13) GL_S(14) GL_S(15)
      ap += lda;
      bp += ldb;
    }
  }
#undef GL_S
  __m512 acc[16] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15};
  for (int r = 0; r < MV; ++r) {
    float* p = sb.c + (row + r) * sb.ldc + col;
    __m512 v = acc[r];
    if (sb.accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, p));
    _mm512_mask_storeu_ps(p, m, v);
  }
}

void seg_avx512(const SegBlock& sb) {
  for (int col = 0; col < sb.ncols; col += NR) {
    const int nv = sb.ncols - col < NR ? sb.ncols - col : NR;
    const __mmask16 m = static_cast<__mmask16>((1u << nv) - 1u);
    for (int i = 0; i < sb.mrows; i += 16) {
      switch (sb.mrows - i < 16 ? sb.mrows - i : 16) {
        case 1: seg_tile<1>(sb, i, col, m); break;
        case 2: seg_tile<2>(sb, i, col, m); break;
        case 3: seg_tile<3>(sb, i, col, m); break;
        case 4: seg_tile<4>(sb, i, col, m); break;
        case 5: seg_tile<5>(sb, i, col, m); break;
        case 6: seg_tile<6>(sb, i, col, m); break;
        case 7: seg_tile<7>(sb, i, col, m); break;
        case 8: seg_tile<8>(sb, i, col, m); break;
        case 9: seg_tile<9>(sb, i, col, m); break;
        case 10: seg_tile<10>(sb, i, col, m); break;
        case 11: seg_tile<11>(sb, i, col, m); break;
        case 12: seg_tile<12>(sb, i, col, m); break;
        case 13: seg_tile<13>(sb, i, col, m); break;
        case 14: seg_tile<14>(sb, i, col, m); break;
        case 15: seg_tile<15>(sb, i, col, m); break;
        default: seg_tile<16>(sb, i, col, m); break;
      }
    }
  }
}

}  // namespace

BlockKernel block_kernel_avx512() { return block_avx512; }
SegKernel seg_kernel_avx512() { return seg_avx512; }

}  // namespace gl

#pragma GCC pop_options
#else
namespace gl {
BlockKernel block_kernel_avx512() { return nullptr; }
SegKernel seg_kernel_avx512() { return nullptr; }
}  // namespace gl
#endif
