// Convolution drivers: every convolution and both of its gradients become blocks of C = A·B for the ISA kernels of
// kernel_*.cc. A is gathered on the fly from the NHWC input (implicit im2col: contiguous channel runs per filter tap,
// zeros outside the image) into a per-thread buffer, B (weights or dy) is packed once into 16-column panels.
//  - forward:          A = im2col(x) [B·OH·OW × KH·KW·CI], B = w [KH·KW·CI × CO], C = y.
//  - input gradient:   per output phase (h mod sh, w mod sw) a stride-1 gather of dy over the filter taps that reach
//                      that phase: A [pixels of the phase × taps·CO], B = wᵀ per tap [taps·CO × CI], C = dx rows.
//                      No zero insertion and no scatter-add: every dx element is written once.
//  - filter gradient:  C = dw [KH·KW·CI × CO] = im2col(x)ᵀ · dy, the reduction running over pixels in chunks.
// Threads split C into disjoint blocks; every output element is summed in the same order whatever the thread count
// (the filter gradient's pixel groups are fixed by the problem size and added in a fixed order), so a run is
// bitwise reproducible and identical across thread counts.
#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

namespace gl {
namespace {

constexpr int MB = 96;        // rows of C per task (forward, input gradient); a multiple of MR
constexpr long KC_MAX = 384;  // depth of one K block: its B panel (KC·16 floats) stays in L1
constexpr long PC = 256;      // dy pixels per filter-gradient chunk
constexpr int MAX_THREADS = 64;

struct Buffer {
  float* p = nullptr;
  size_t cap = 0;
  float* ensure(size_t n) {
    if (n > cap) {
      std::free(p);
      size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
      if (!p) throw std::bad_alloc();
      cap = n;
    }
    return p;
  }
  ~Buffer() { std::free(p); }
};

struct State {
  ThreadPool pool;
  BlockKernel kernel = nullptr;
  SegKernel seg_kernel = nullptr;
  std::string isa;
  Buffer packed;                      // packed B shared by all threads
  Buffer partial;                     // filter-gradient partial sums
  Buffer scratch_a[MAX_THREADS];      // per-thread gathered A
  std::vector<float*> crow[MAX_THREADS];
};

State& state() {
  // never destroyed: worker threads must not be joined from a static destructor during process exit
  static State* s = [] {
    State* st = new State();
    if (cpu_has_avx512() && block_kernel_avx512()) {
      st->kernel = block_kernel_avx512();
      st->seg_kernel = seg_kernel_avx512();
      st->isa = "avx512";
    } else if (cpu_has_avx2_fma() && block_kernel_avx2()) {
      st->kernel = block_kernel_avx2();
      st->seg_kernel = seg_kernel_avx2();
      st->isa = "avx2";
    } else {
      st->kernel = block_kernel_generic();
      st->seg_kernel = seg_kernel_generic();
      st->isa = "generic";
    }
    return st;
  }();
  return *s;
}

// The gathered matrix: rows are grid points (b, gi, gj), columns (tap, c); element =
// src[b, gi*gsh + offh[tap], gj*gsw + offw[tap], c] or 0 outside [0,SH)×[0,SW).
struct Gather {
  const float* src;
  int SH, SW, C;
  int GH, GW, gsh, gsw;
  std::vector<int> offh, offw;
  long rows(int B) const { return static_cast<long>(B) * GH * GW; }
  long K() const { return static_cast<long>(offh.size()) * C; }
};

inline void copy_run(float* d, const float* s, long n) {
  if (n >= 16) {
    std::memcpy(d, s, n * sizeof(float));
  } else {
    for (long i = 0; i < n; ++i) d[i] = s[i];
  }
}

inline void zero_run(float* d, long n) {
  if (n >= 16) {
    std::memset(d, 0, n * sizeof(float));
  } else {
    for (long i = 0; i < n; ++i) d[i] = 0.0f;
  }
}

// Visits rows [p0, p0+rows) and columns [k0, k1) of the gathered matrix as runs of one tap's channels:
// emit(row, column - k0, source or nullptr for zeros, length).
template <class Emit>
void gather_runs(const Gather& g, long p0, int rows, long k0, long k1, Emit emit) {
  const long per_img = static_cast<long>(g.GH) * g.GW;
  long b = p0 / per_img;
  long rem = p0 % per_img;
  int gi = static_cast<int>(rem / g.GW), gj = static_cast<int>(rem % g.GW);
  const long img_size = static_cast<long>(g.SH) * g.SW * g.C;
  const int t0 = static_cast<int>(k0 / g.C), c0 = static_cast<int>(k0 % g.C);
  for (int r = 0; r < rows; ++r) {
    const float* img = g.src + b * img_size;
    long k = k0;
    int t = t0, c = c0;
    const int bh = gi * g.gsh, bw = gj * g.gsw;
    while (k < k1) {
      const long run = std::min<long>(g.C - c, k1 - k);
      const int ih = bh + g.offh[t], iw = bw + g.offw[t];
      const bool inside = ih >= 0 && ih < g.SH && iw >= 0 && iw < g.SW;
      emit(r, k - k0, inside ? img + (static_cast<long>(ih) * g.SW + iw) * g.C + c : nullptr, run);
      k += run;
      ++t;
      c = 0;
    }
    if (++gj == g.GW) {
      gj = 0;
      if (++gi == g.GH) {
        gi = 0;
        ++b;
      }
    }
  }
}

// Row-major gather into dst (leading dimension ld).
void gather(const Gather& g, long p0, int rows, long k0, long k1, float* dst, long ld) {
  gather_runs(g, p0, rows, k0, k1, [&](int r, long col, const float* src, long n) {
    float* d = dst + r * ld + col;
    if (src)
      copy_run(d, src, n);
    else
      zero_run(d, n);
  });
}

// K split into blocks of at most KC_MAX (a function of K only).
struct KBlocks {
  long K, kc;
  int n;
  explicit KBlocks(long k) : K(k) {
    n = K <= 0 ? 1 : static_cast<int>((K + KC_MAX - 1) / KC_MAX);
    kc = K <= 0 ? 0 : (K + n - 1) / n;
  }
  long begin(int i) const { return std::min(K, i * kc); }
  long end(int i) const { return std::min(K, (i + 1) * kc); }
};

inline long round_up(long v, long m) { return (v + m - 1) / m * m; }

// Packs B (K × N, element (k, n) = at(k, n)) for the K blocks kb: block i starts at begin(i)·Npad, its panel j at
// + j·len(i)·NR, row k of a panel at + k·NR.
template <class F>
void pack_b(const KBlocks& kb, int N, float* dst, F at) {
  const long npad = round_up(N, NR);
  for (int i = 0; i < kb.n; ++i) {
    const long k0 = kb.begin(i), len = kb.end(i) - k0;
    float* blk = dst + k0 * npad;
    for (long j = 0; j < npad / NR; ++j) {
      float* pan = blk + j * len * NR;
      for (long k = 0; k < len; ++k) {
        for (int c = 0; c < NR; ++c) {
          const long n = j * NR + c;
          pan[k * NR + c] = n < N ? at(k0 + k, n) : 0.0f;
        }
      }
    }
  }
}

// C rows [p0, p0+rows) of one gathered problem, over all K blocks.
void gemm_rows(State& st, int tid, const Gather& g, const KBlocks& kb, const float* packed, int N, long p0, int rows,
               float* const* crow, const float* direct_a, long direct_lda, const float* bias, int act, float alpha) {
  const long npad = round_up(N, NR);
  for (int i = 0; i < kb.n; ++i) {
    const long k0 = kb.begin(i), len = kb.end(i) - k0;
    const float* a;
    long lda;
    if (direct_a) {
      a = direct_a + p0 * direct_lda + k0;
      lda = direct_lda;
    } else {
      lda = std::max<long>(len, 1);
      float* buf = st.scratch_a[tid].ensure(static_cast<size_t>(rows) * lda);
      gather(g, p0, rows, k0, k0 + len, buf, lda);
      a = buf;
    }
    Block blk{len, a, lda, false, 0, rows, packed + k0 * npad, len * NR, N, crow,
              i > 0, i == kb.n - 1, bias, act, alpha};
    st.kernel(blk);
  }
}

}  // namespace

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool select_isa(const std::string& isa) {
  State& st = state();
  if (isa == "avx512") {
    if (!cpu_has_avx512() || !block_kernel_avx512()) return false;
    st.kernel = block_kernel_avx512();
    st.seg_kernel = seg_kernel_avx512();
  } else if (isa == "avx2") {
    if (!cpu_has_avx2_fma() || !block_kernel_avx2()) return false;
    st.kernel = block_kernel_avx2();
    st.seg_kernel = seg_kernel_avx2();
  } else if (isa == "generic") {
    st.kernel = block_kernel_generic();
    st.seg_kernel = seg_kernel_generic();
  } else {
    return false;
  }
  st.isa = isa;
  return true;
}

std::string current_isa() { return state().isa; }

void set_threads(int n) { state().pool.resize(std::max(1, std::min(n, MAX_THREADS))); }
int get_threads() { return state().pool.size(); }

std::string check_geom(const ConvGeom& g) {
  const int v[] = {g.B, g.H, g.W, g.CI, g.KH, g.KW, g.CO, g.OH, g.OW, g.sh, g.sw, g.dh, g.dw};
  for (int x : v)
    if (x < 1) return "conv dimensions, strides and dilations must be >= 1";
  if (g.pt < 0 || g.pl < 0) return "conv padding must be >= 0";
  // (output rows that read only padding are allowed: every read outside the input is a zero)
  return "";
}

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y, int act,
                    float alpha) {
  State& st = state();
  Gather ga{x, g.H, g.W, g.CI, g.OH, g.OW, g.sh, g.sw, {}, {}};
  for (int kh = 0; kh < g.KH; ++kh)
    for (int kw = 0; kw < g.KW; ++kw) {
      ga.offh.push_back(kh * g.dh - g.pt);
      ga.offw.push_back(kw * g.dw - g.pl);
    }
  const long K = ga.K(), M = ga.rows(g.B);
  const int N = g.CO;
  KBlocks kb(K);
  float* packed = st.packed.ensure(static_cast<size_t>(K) * round_up(N, NR));
  pack_b(kb, N, packed, [&](long k, long n) { return w[k * N + n]; });
  const bool direct = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.OH == g.H &&
                      g.OW == g.W;
  const long tasks = (M + MB - 1) / MB;
  st.pool.run(tasks, [&](int tid, long t) {
    const long p0 = t * MB;
    const int rows = static_cast<int>(std::min<long>(MB, M - p0));
    std::vector<float*>& crow = st.crow[tid];
    crow.resize(MB);
    for (int r = 0; r < rows; ++r) crow[r] = y + (p0 + r) * N;
    gemm_rows(st, tid, ga, kb, packed, N, p0, rows, crow.data(), direct ? x : nullptr, g.CI, bias, act, alpha);
  });
}

void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  State& st = state();
  const int N = g.CI;
  const long npad = round_up(N, NR);
  auto mod = [](int a, int m) { return ((a % m) + m) % m; };
  // one gathered problem per phase (ph, pw) of dx
  struct Phase {
    Gather ga;
    std::vector<int> th, tw;  // filter taps of each gathered tap
    int ph, pw;
    long M, packed_at, tasks_before;
    KBlocks kb{0};
  };
  std::vector<Phase> phases;
  long packed_size = 0, tasks = 0;
  for (int ph = 0; ph < std::min(g.sh, g.H); ++ph) {
    for (int pw = 0; pw < std::min(g.sw, g.W); ++pw) {
      Phase p{Gather{dy, g.OH, g.OW, g.CO, (g.H - ph + g.sh - 1) / g.sh, (g.W - pw + g.sw - 1) / g.sw, 1, 1, {}, {}},
              {}, {}, ph, pw, 0, 0, 0};
      for (int kh = 0; kh < g.KH; ++kh) {
        const int rh = ph + g.pt - kh * g.dh;  // = oh*sh for the contributing dy row
        if (mod(rh, g.sh) != 0) continue;
        for (int kw = 0; kw < g.KW; ++kw) {
          const int rw = pw + g.pl - kw * g.dw;
          if (mod(rw, g.sw) != 0) continue;
          p.ga.offh.push_back((rh - mod(rh, g.sh)) / g.sh);
          p.ga.offw.push_back((rw - mod(rw, g.sw)) / g.sw);
          p.th.push_back(kh);
          p.tw.push_back(kw);
        }
      }
      p.M = p.ga.rows(g.B);
      p.kb = KBlocks(p.ga.K());
      p.packed_at = packed_size;
      packed_size += p.ga.K() * npad;
      p.tasks_before = tasks;
      tasks += (p.M + MB - 1) / MB;
      phases.push_back(std::move(p));
    }
  }
  float* packed = st.packed.ensure(static_cast<size_t>(std::max<long>(packed_size, 1)));
  for (Phase& p : phases) {
    // B[(t, co), ci] = w[th[t], tw[t], ci, co]
    pack_b(p.kb, N, packed + p.packed_at, [&](long k, long n) {
      const long t = k / g.CO, co = k % g.CO;
      return w[((static_cast<long>(p.th[t]) * g.KW + p.tw[t]) * g.CI + n) * g.CO + co];
    });
  }
  st.pool.run(tasks, [&](int tid, long t) {
    size_t pi = 0;
    while (pi + 1 < phases.size() && phases[pi + 1].tasks_before <= t) ++pi;
    const Phase& p = phases[pi];
    const long p0 = (t - p.tasks_before) * MB;
    const int rows = static_cast<int>(std::min<long>(MB, p.M - p0));
    std::vector<float*>& crow = st.crow[tid];
    crow.resize(MB);
    const long per_img = static_cast<long>(p.ga.GH) * p.ga.GW;
    for (int r = 0; r < rows; ++r) {
      const long q = p0 + r, b = q / per_img, rem = q % per_img;
      const long h = p.ph + (rem / p.ga.GW) * g.sh, wcol = p.pw + (rem % p.ga.GW) * g.sw;
      crow[r] = dx + ((b * g.H + h) * g.W + wcol) * N;
    }
    gemm_rows(st, tid, p.ga, p.kb, packed + p.packed_at, N, p0, rows, crow.data(), nullptr, 0, nullptr, ACT_LINEAR,
              0.0f);
  });
}

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  State& st = state();
  const int T = g.KH * g.KW;
  const long R = static_cast<long>(T) * g.CI;  // rows of dw
  const int N = g.CO;
  // Per tap: dy column range [lo, hi) whose input column lies inside x (outside, x is zero padding: skipped).
  std::vector<int> offh(T), offw(T), lo(T), hi(T);
  auto floordiv = [](long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  for (int kh = 0; kh < g.KH; ++kh)
    for (int kw = 0; kw < g.KW; ++kw) {
      const int t = kh * g.KW + kw;
      offh[t] = kh * g.dh - g.pt;
      offw[t] = kw * g.dw - g.pl;
      lo[t] = static_cast<int>(std::max<long>(0, -floordiv(offw[t], g.sw)));
      hi[t] = static_cast<int>(std::min<long>(g.OW, floordiv(g.W - 1 - offw[t], g.sw) + 1));
    }
  // The reduction runs over dy rows (b, oh) in chunks of about PC pixels (a cache-sized slice of x and dy), and the
  // chunks over `groups` groups summed separately, then added in order: a function of the problem only.
  const long Q = static_cast<long>(g.B) * g.OH;
  const long rows_per_chunk = std::max<long>(1, PC / g.OW);
  const long chunks = (Q + rows_per_chunk - 1) / rows_per_chunk;
  const long groups = std::max<long>(1, std::min<long>((16 + T - 1) / T, chunks));
  const long chunks_per_group = (chunks + groups - 1) / groups;
  float* out = dw;
  if (groups > 1) out = st.partial.ensure(static_cast<size_t>(groups) * R * N);
  st.pool.run(T * groups, [&](int, long task) {
    const int t = static_cast<int>(task % T);
    const long grp = task / T;
    float* c = out + grp * R * N + static_cast<long>(t) * g.CI * N;
    const long c_begin = grp * chunks_per_group, c_end = std::min(chunks, c_begin + chunks_per_group);
    if (c_begin >= c_end) {
      std::fill(c, c + static_cast<long>(g.CI) * N, 0.0f);
      return;
    }
    std::vector<Segment> seg;
    seg.reserve(rows_per_chunk);
    for (long ch = c_begin; ch < c_end; ++ch) {
      seg.clear();
      const long q1 = std::min(Q, (ch + 1) * rows_per_chunk);
      for (long q = ch * rows_per_chunk; q < q1; ++q) {
        const long b = q / g.OH, oh = q % g.OH;
        const long ih = oh * g.sh + offh[t];
        if (ih < 0 || ih >= g.H || hi[t] <= lo[t]) continue;
        seg.push_back({((b * g.H + ih) * g.W + static_cast<long>(lo[t]) * g.sw + offw[t]) * g.CI,
                       (q * g.OW + lo[t]) * N, hi[t] - lo[t]});
      }
      SegBlock sb{static_cast<int>(seg.size()), seg.data(), x, static_cast<long>(g.sw) * g.CI, dy, N, g.CI, N,
                  c, N, ch > c_begin};
      st.seg_kernel(sb);
    }
  });
  if (groups > 1) {
    const long total = R * N;
    const long span = 4096;
    st.pool.run((total + span - 1) / span, [&](int, long t) {
      const long i0 = t * span, i1 = std::min(total, i0 + span);
      for (long i = i0; i < i1; ++i) {
        float s = out[i];
        for (long q = 1; q < groups; ++q) s += out[q * total + i];
        dw[i] = s;
      }
    });
  }
}

}  // namespace gl

namespace gl {

// One image per task (windows of neighbouring rows overlap, so rows of one image are not split): deterministic.
void max_pool_grad(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  State& st = state();
  const long C = g.C;
  const long img = static_cast<long>(g.H) * g.W * C;
  st.pool.run(g.B, [&](int tid, long b) {
    const float* xb = x + b * img;
    float* dxb = dx + b * img;
    std::fill(dxb, dxb + img, 0.0f);
    float* best = st.scratch_a[tid].ensure(static_cast<size_t>(C) * 2);
    // where[k]: index into the image of channel k's maximum, or -1 (kept as float-sized ints after `best`)
    std::vector<long> where(C);
    for (int r = 0; r < g.OH; ++r) {
      const int r0 = r * g.sh - g.pt;
      for (int q = 0; q < g.OW; ++q) {
        const int q0 = q * g.sw - g.pl;
        bool first = true;
        for (int i = 0; i < g.fh; ++i) {
          const int xr = r0 + i * g.dh;
          if (xr < 0 || xr >= g.H) continue;
          for (int j = 0; j < g.fw; ++j) {
            const int xc = q0 + j * g.dw;
            if (xc < 0 || xc >= g.W) continue;
            const long base = (static_cast<long>(xr) * g.W + xc) * C;
            const float* v = xb + base;
            if (first) {
              for (long k = 0; k < C; ++k) {
                const bool ok = v[k] > -INFINITY;
                best[k] = ok ? v[k] : -INFINITY;
                where[k] = ok ? base + k : -1;
              }
              first = false;
              continue;
            }
            for (long k = 0; k < C; ++k) {
              if (v[k] > best[k]) {
                best[k] = v[k];
                where[k] = base + k;
              }
            }
          }
        }
        if (first) continue;
        const float* gdy = dy + ((b * g.OH + r) * static_cast<long>(g.OW) + q) * C;
        for (long k = 0; k < C; ++k)
          if (where[k] >= 0) dxb[where[k]] += gdy[k];
      }
    }
  });
}

}  // namespace gl

namespace gl {

// Tasks are (row block × column chunk) of C, so short-and-wide products (PSPNet's pooling matrices: M 1..36,
// N 1024) still spread over threads; a transposed A is copied row-major first (M·K values, small next to M·K·N).
void matmul(const MatMulGeom& g, const float* a, const float* b, float* c) {
  State& st = state();
  const long M = g.M, K = g.K, N = g.N;
  const long npad = round_up(N, NR);
  KBlocks kb(K);
  constexpr long NCHUNK = 256;  // columns per task (a multiple of NR)
  const long row_blocks = (M + MB - 1) / MB, col_chunks = (N + NCHUNK - 1) / NCHUNK;
  for (int bi = 0; bi < g.batch; ++bi) {
    const float* ab = a + (g.batch_a == 1 ? 0 : static_cast<long>(bi) * M * K);
    const float* bb = b + (g.batch_b == 1 ? 0 : static_cast<long>(bi) * K * N);
    float* cb = c + static_cast<long>(bi) * M * N;
    float* packed = st.packed.ensure(static_cast<size_t>(std::max<long>(K, 1)) * npad);
    if (g.trans_b)
      pack_b(kb, static_cast<int>(N), packed, [&](long k, long n) { return bb[n * K + k]; });
    else
      pack_b(kb, static_cast<int>(N), packed, [&](long k, long n) { return bb[k * N + n]; });
    const float* arows = ab;
    if (g.trans_a) {
      float* t = st.partial.ensure(static_cast<size_t>(std::max<long>(M * K, 1)));
      for (long k = 0; k < K; ++k)
        for (long m = 0; m < M; ++m) t[m * K + k] = ab[k * M + m];
      arows = t;
    }
    st.pool.run(row_blocks * col_chunks, [&](int tid, long task) {
      const long p0 = (task / col_chunks) * MB, n0 = (task % col_chunks) * NCHUNK;
      const int rows = static_cast<int>(std::min<long>(MB, M - p0));
      const int cols = static_cast<int>(std::min<long>(NCHUNK, N - n0));
      std::vector<float*>& crow = st.crow[tid];
      crow.resize(MB);
      for (int r = 0; r < rows; ++r) crow[r] = cb + (p0 + r) * N + n0;
      for (int i = 0; i < kb.n; ++i) {
        const long k0 = kb.begin(i), len = kb.end(i) - k0;
        Block blk{len, arows + p0 * K + k0, K, false, 0, rows, packed + k0 * npad + (n0 / NR) * len * NR, len * NR,
                  cols, crow.data(), i > 0, i == kb.n - 1, nullptr, ACT_LINEAR, 0.0f};
        st.kernel(blk);
      }
    });
  }
}

}  // namespace gl
