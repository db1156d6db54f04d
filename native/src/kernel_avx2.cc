// AVX2 + FMA block kernel: a 6x16 micro-kernel (12 ymm accumulators, 2 B loads and 6 broadcasts per k), the layout of
// the classic Haswell-class SGEMM kernels. Compiled for AVX2/FMA by the target pragma only (not -march), so the
// addon still loads on any x86-64 CPU; conv.cc calls it only when the CPU reports AVX2 and FMA.
//
// Why hand-written and not a BLAS: the project may depend only on the npm registry and Debian packages, the build
// must work with g++ alone on any machine, and convolutions need the gather (im2col) fused into the GEMM's packing;
// a self-contained kernel builds everywhere and keeps the addon free of shared-library version issues.
#include <immintrin.h>

#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace gl {
namespace {  // internal linkage: nothing compiled for AVX2 here can be picked by the linker for generic code

inline __m256 apply_act(__m256 v, int act, float alpha) {
  switch (act) {
    case ACT_RELU:
      return _mm256_max_ps(v, _mm256_setzero_ps());
    case ACT_RELU6:
      return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    case ACT_LEAKY: {
      __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
      return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)), neg);
    }
    default:
      return v;
  }
}

inline __m256i lane_mask(int n) {  // lanes < n set (n may be <= 0 or >= 8)
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Writes one row of the tile: acc0/acc1 are columns col..col+15 of row pointer `c`.
inline void store_row(float* c, int col, int nv, __m256 v0, __m256 v1, const Block& blk) {
  float* p = c + col;
  if (nv >= NR) {
    if (blk.accumulate) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(p));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(p + 8));
    }
    if (blk.epilogue) {
      if (blk.bias) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(blk.bias + col));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(blk.bias + col + 8));
      }
      v0 = apply_act(v0, blk.act, blk.alpha);
      v1 = apply_act(v1, blk.act, blk.alpha);
    }
    _mm256_storeu_ps(p, v0);
    _mm256_storeu_ps(p + 8, v1);
    return;
  }
  __m256i m0 = lane_mask(nv), m1 = lane_mask(nv - 8);
  if (blk.accumulate) {
    v0 = _mm256_add_ps(v0, _mm256_maskload_ps(p, m0));
    v1 = _mm256_add_ps(v1, _mm256_maskload_ps(p + 8, m1));
  }
  if (blk.epilogue) {
    if (blk.bias) {
      v0 = _mm256_add_ps(v0, _mm256_maskload_ps(blk.bias + col, m0));
      v1 = _mm256_add_ps(v1, _mm256_maskload_ps(blk.bias + col + 8, m1));
    }
    v0 = apply_act(v0, blk.act, blk.alpha);
    v1 = apply_act(v1, blk.act, blk.alpha);
  }
  _mm256_maskstore_ps(p, m0, v0);
  _mm256_maskstore_ps(p + 8, m1, v1);
}

// One 6x16 tile over the whole K of the block. Each output element is one FMA chain in k order (fixed order: the
// result does not depend on how tiles are spread over threads).
template <bool ACOL>
void tile(const Block& blk, const float* a, const float* b, float* const* c, int col, int mv, int nv) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const long K = blk.K;
  const long lda = blk.lda;
#define GL_ROW(r, av)                     \
  {                                       \
    __m256 x = (av);                      \
    c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1); \
  }
  if (ACOL) {
    const float* ap = a;
    for (long k = 0; k < K; ++k) {
      __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
      GL_ROW(0, _mm256_broadcast_ss(ap + 0));
      GL_ROW(1, _mm256_broadcast_ss(ap + 1));
      GL_ROW(2, _mm256_broadcast_ss(ap + 2));
      GL_ROW(3, _mm256_broadcast_ss(ap + 3));
      GL_ROW(4, _mm256_broadcast_ss(ap + 4));
      GL_ROW(5, _mm256_broadcast_ss(ap + 5));
      b += NR;
      ap += lda;
    }
  } else {
    const float* a0 = a;
    const float* a1 = mv > 1 ? a + lda : a;
    const float* a2 = mv > 2 ? a + 2 * lda : a;
    const float* a3 = mv > 3 ? a + 3 * lda : a;
    const float* a4 = mv > 4 ? a + 4 * lda : a;
    const float* a5 = mv > 5 ? a + 5 * lda : a;
#pragma GCC unroll 4
    for (long k = 0; k < K; ++k) {
      __m256 b0 = _mm256_load_ps(b + k * NR), b1 = _mm256_load_ps(b + k * NR + 8);
      GL_ROW(0, _mm256_broadcast_ss(a0 + k));
      GL_ROW(1, _mm256_broadcast_ss(a1 + k));
      GL_ROW(2, _mm256_broadcast_ss(a2 + k));
      GL_ROW(3, _mm256_broadcast_ss(a3 + k));
      GL_ROW(4, _mm256_broadcast_ss(a4 + k));
      GL_ROW(5, _mm256_broadcast_ss(a5 + k));
    }
  }
#undef GL_ROW
  store_row(c[0], col, nv, c00, c01, blk);
  if (mv > 1) store_row(c[1], col, nv, c10, c11, blk);
  if (mv > 2) store_row(c[2], col, nv, c20, c21, blk);
  if (mv > 3) store_row(c[3], col, nv, c30, c31, blk);
  if (mv > 4) store_row(c[4], col, nv, c40, c41, blk);
  if (mv > 5) store_row(c[5], col, nv, c50, c51, blk);
}

template <bool ACOL>
void run_block(const Block& blk) {
  const int panels = (blk.ncols + NR - 1) / NR;
  for (int j = 0; j < panels; ++j) {
    const float* b = blk.bp + j * blk.panel_stride;
    const int col = j * NR;
    const int nv = blk.ncols - col < NR ? blk.ncols - col : NR;
    for (int i = 0; i < blk.mrows; i += MR) {
      const int mv = blk.mrows - i < MR ? blk.mrows - i : MR;
      const float* a = ACOL ? blk.a + (i / MR) * blk.group_stride : blk.a + i * blk.lda;
      tile<ACOL>(blk, a, b, blk.crow + i, col, mv, nv);
    }
  }
}

void block_avx2(const Block& blk) {
  if (blk.a_colmajor)
    run_block<true>(blk);
  else
    run_block<false>(blk);
}

// Segmented tile: MV (1..6) rows × 16 columns; B loads are masked when fewer than 16 columns remain (so nothing past
// the tensor is read).
template <int MV, bool BMASK>
void seg_tile(const SegBlock& sb, int row, int col, __m256i m0, __m256i m1) {
  // named accumulators (an array would be spilled to the stack by GCC across the segment loop)
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const long lda = sb.lda, ldb = sb.ldb;
#define GL_SROW(r)                                 \
  if (MV > r) {                                    \
    __m256 x = _mm256_broadcast_ss(ap + r);        \
    c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0);     \
    c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1);     \
  }
  for (int s = 0; s < sb.nseg; ++s) {
    const float* ap = sb.a + sb.seg[s].a + row;
    const float* bp = sb.b + sb.seg[s].b + col;
    const long len = sb.seg[s].len;
    for (long k = 0; k < len; ++k) {
      __m256 b0, b1;
      if (BMASK) {
        b0 = _mm256_maskload_ps(bp, m0);
        b1 = _mm256_maskload_ps(bp + 8, m1);
      } else {
        b0 = _mm256_loadu_ps(bp);
        b1 = _mm256_loadu_ps(bp + 8);
      }
      GL_SROW(0) GL_SROW(1) GL_SROW(2) GL_SROW(3) GL_SROW(4) GL_SROW(5)
      ap += lda;
      bp += ldb;
    }
  }
#undef GL_SROW
  auto put = [&](int r, __m256 v0, __m256 v1) {
    float* p = sb.c + (row + r) * sb.ldc + col;
    if (BMASK) {
      if (sb.accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(p, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(p + 8, m1));
      }
      _mm256_maskstore_ps(p, m0, v0);
      _mm256_maskstore_ps(p + 8, m1, v1);
    } else {
      if (sb.accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(p));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(p + 8));
      }
      _mm256_storeu_ps(p, v0);
      _mm256_storeu_ps(p + 8, v1);
    }
  };
  put(0, c00, c01);
  if (MV > 1) put(1, c10, c11);
  if (MV > 2) put(2, c20, c21);
  if (MV > 3) put(3, c30, c31);
  if (MV > 4) put(4, c40, c41);
  if (MV > 5) put(5, c50, c51);
}

template <bool BMASK>
void seg_rows(const SegBlock& sb, int col, __m256i m0, __m256i m1) {
  int i = 0;
  for (; i + MR <= sb.mrows; i += MR) seg_tile<6, BMASK>(sb, i, col, m0, m1);
  switch (sb.mrows - i) {
    case 1: seg_tile<1, BMASK>(sb, i, col, m0, m1); break;
    case 2: seg_tile<2, BMASK>(sb, i, col, m0, m1); break;
    case 3: seg_tile<3, BMASK>(sb, i, col, m0, m1); break;
    case 4: seg_tile<4, BMASK>(sb, i, col, m0, m1); break;
    case 5: seg_tile<5, BMASK>(sb, i, col, m0, m1); break;
    default: break;
  }
}

void seg_avx2(const SegBlock& sb) {
  for (int col = 0; col < sb.ncols; col += NR) {
    const int nv = sb.ncols - col;
    if (nv >= NR)
      seg_rows<false>(sb, col, _mm256_setzero_si256(), _mm256_setzero_si256());
    else
      seg_rows<true>(sb, col, lane_mask(nv), lane_mask(nv - 8));
  }
}

}  // namespace

BlockKernel block_kernel_avx2() { return block_avx2; }
SegKernel seg_kernel_avx2() { return seg_avx2; }

}  // namespace gl

#pragma GCC pop_options
#else
namespace gl {
BlockKernel block_kernel_avx2() { return nullptr; }
SegKernel seg_kernel_avx2() { return nullptr; }
}  // namespace gl
#endif
