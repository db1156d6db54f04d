// Float32 NHWC convolutions as a gather (implicit im2col) fused into a packed, blocked GEMM (see conv.cc).
#pragma once
#include <string>

namespace gl {

// Geometry of a forward convolution x [B,H,W,CI] * w [KH,KW,CI,CO] -> y [B,OH,OW,CO]:
// y[b,oh,ow,co] = sum over kh,kw,ci of x[b, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci] * w[kh,kw,ci,co]
// (out-of-range x reads are zero; the bottom/right padding is implied by OH/OW).
struct ConvGeom {
  int B, H, W, CI, KH, KW, CO, OH, OW, sh, sw, dh, dw, pt, pl;
};

// Returns an error message, or empty if the geometry is usable.
std::string check_geom(const ConvGeom& g);

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y, int act, float alpha);
// dx [B,H,W,CI] = gradient of sum(y*dy) w.r.t. x
void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx);
// dw [KH,KW,CI,CO] = gradient w.r.t. w
void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);

// Kernel selection: "avx512" (needs AVX-512F+FMA), "avx2" (AVX2+FMA) or "generic"; false if unavailable here.
bool select_isa(const std::string& isa);
std::string current_isa();
bool cpu_has_avx2_fma();
bool cpu_has_avx512();

void set_threads(int n);
int get_threads();

}  // namespace gl

namespace gl {

// Max-pool gradient: dx [B,H,W,C] = dy [B,OH,OW,C] routed to the FIRST maximum of each window (row-major scan,
// strict >, padding ignored; a NaN or -Inf is never a maximum), as tfjs' cpu backend does.
struct PoolGeom {
  int B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl;
};
void max_pool_grad(const PoolGeom& g, const float* dy, const float* x, float* dx);

}  // namespace gl

namespace gl {

// c[b] = op(a[b]) · op(b[b]) for b < batch (op = transpose when trans_*); a is [batch_a, M, K] (or [batch_a, K, M]
// transposed), b is [batch_b, K, N] (or [batch_b, N, K]); batch_a / batch_b are 1 (broadcast) or batch.
struct MatMulGeom {
  int batch, batch_a, batch_b, M, K, N, trans_a, trans_b;
};
void matmul(const MatMulGeom& g, const float* a, const float* b, float* c);

}  // namespace gl
