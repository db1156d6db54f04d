// Shared declarations of grasplab's native convolution kernels (see ../README.md).
#pragma once
#include <cstddef>
#include <cstdint>

namespace gl {

// Width of a packed B panel (columns of C one micro-kernel call produces) and rows of C per call.
constexpr int NR = 16;
constexpr int MR = 6;

enum Activation : int { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3 };

// One block of C += A·B (or C = A·B) over `mrows` rows and `ncols` columns, the unit the ISA-specific code runs.
//  A: mrows × K. Row-major (A(r,k) = a[r*lda + k]) or, with a_colmajor, in panels of MR rows: row r = i*MR + q at
//     A(r,k) = a[i*group_stride + k*lda + q] (the filter gradient's gathered input, read transposed). Rows past mrows
//     may be read (row-major: row 0 is re-read; panels: the last panel is MR wide) and their results are dropped.
//  B: packed panels of NR columns, panel j at bp + j*panel_stride, its row k at +k*NR (zero past ncols).
//  C: row r starts at crow[r]; columns 0..ncols-1 are written.
//  accumulate: C is added to (the previous K block's result); else overwritten.
//  epilogue (last K block only): + bias[col] (if bias), then the activation.
struct Block {
  long K;
  const float* a;
  long lda;
  bool a_colmajor;
  long group_stride;
  int mrows;
  const float* bp;
  long panel_stride;
  int ncols;
  float* const* crow;
  bool accumulate;
  bool epilogue;
  const float* bias;
  int act;
  float alpha;
};

using BlockKernel = void (*)(const Block&);

// C (+)= A·B with the reduction split into segments read in place (the filter gradient: no gather, no packing):
//  segment s covers len[s] steps k; A(r, k) = a[seg.a + k*lda + r] (r < mrows: a run of channels),
//  B(k, col) = b[seg.b + k*ldb + col] (col < ncols: a run of dy's channels), C(r, col) = c[r*ldc + col].
// The result of each element is one sum over the segments in order, added to C when accumulate.
struct Segment {
  long a, b, len;
};
struct SegBlock {
  int nseg;
  const Segment* seg;
  const float* a;
  long lda;
  const float* b;
  long ldb;
  int mrows, ncols;
  float* c;
  long ldc;
  bool accumulate;
};
using SegKernel = void (*)(const SegBlock&);

// The kernels: AVX2+FMA (only called after a CPU check) and portable C++.
BlockKernel block_kernel_avx2();
BlockKernel block_kernel_avx512();
BlockKernel block_kernel_generic();
SegKernel seg_kernel_avx2();
SegKernel seg_kernel_avx512();
SegKernel seg_kernel_generic();

}  // namespace gl
