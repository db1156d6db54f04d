// Portable block kernel (any CPU; the compiler may vectorise it for the baseline ISA): used where the CPU lacks
// AVX2/FMA. Same tiling and the same k order per output element as the AVX2 kernel.
#include <algorithm>

#include "gemm.h"

namespace gl {
namespace {

inline float act1(float v, int act, float alpha) {
  switch (act) {
    case ACT_RELU:
      return v > 0.0f ? v : 0.0f;
    case ACT_RELU6:
      return std::min(std::max(v, 0.0f), 6.0f);
    case ACT_LEAKY:
      return v < 0.0f ? v * alpha : v;
    default:
      return v;
  }
}

void block_generic(const Block& blk) {
  const int panels = (blk.ncols + NR - 1) / NR;
  for (int j = 0; j < panels; ++j) {
    const float* bpan = blk.bp + j * blk.panel_stride;
    const int col = j * NR;
    const int nv = std::min(NR, blk.ncols - col);
    for (int i = 0; i < blk.mrows; i += MR) {
      const int mv = std::min(MR, blk.mrows - i);
      float acc[MR][NR] = {};
      for (long k = 0; k < blk.K; ++k) {
        const float* b = bpan + k * NR;
        for (int r = 0; r < mv; ++r) {
          const float av = blk.a_colmajor ? blk.a[(i / MR) * blk.group_stride + k * blk.lda + r] : blk.a[(i + r) * blk.lda + k];
          for (int n = 0; n < NR; ++n) acc[r][n] += av * b[n];
        }
      }
      for (int r = 0; r < mv; ++r) {
        float* c = blk.crow[i + r] + col;
        for (int n = 0; n < nv; ++n) {
          float v = acc[r][n];
          if (blk.accumulate) v += c[n];
          if (blk.epilogue) {
            if (blk.bias) v += blk.bias[col + n];
            v = act1(v, blk.act, blk.alpha);
          }
          c[n] = v;
        }
      }
    }
  }
}

void seg_generic(const SegBlock& sb) {
  for (int col = 0; col < sb.ncols; col += NR) {
    const int nv = std::min(NR, sb.ncols - col);
    for (int i = 0; i < sb.mrows; i += MR) {
      const int mv = std::min(MR, sb.mrows - i);
      float acc[MR][NR] = {};
      for (int s = 0; s < sb.nseg; ++s) {
        const float* ap = sb.a + sb.seg[s].a + i;
        const float* bp = sb.b + sb.seg[s].b + col;
        for (long k = 0; k < sb.seg[s].len; ++k) {
          for (int r = 0; r < mv; ++r)
            for (int n = 0; n < nv; ++n) acc[r][n] += ap[r] * bp[n];
          ap += sb.lda;
          bp += sb.ldb;
        }
      }
      for (int r = 0; r < mv; ++r) {
        float* c = sb.c + (i + r) * sb.ldc + col;
        for (int n = 0; n < nv; ++n) c[n] = sb.accumulate ? c[n] + acc[r][n] : acc[r][n];
      }
    }
  }
}

}  // namespace

BlockKernel block_kernel_generic() { return block_generic; }
SegKernel seg_kernel_generic() { return seg_generic; }

}  // namespace gl
