// N-API binding of the convolution kernels. The kernels read and write tfjs-backend-wasm's heap in place: JS passes
// a Uint8Array over the wasm Memory's buffer (an ArrayBuffer, or a SharedArrayBuffer in the threaded build) and byte
// offsets of the tensors; nothing is copied. Calls are synchronous (tfjs kernels are) and serialised by a mutex.
#include <node_api.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "conv.h"
#include "gemm.h"

namespace {

std::mutex g_call_mutex;

struct Failure {
  std::string msg;
};

napi_value throw_error(napi_env env, const std::string& msg) {
  napi_throw_range_error(env, nullptr, msg.c_str());
  return nullptr;
}

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw Failure{std::string("grasplab-native: ") + what};
}

double number_arg(napi_env env, napi_value v, const char* name) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw Failure{std::string("grasplab-native: ") + name + " must be a number"};
  return d;
}

// A typed array's data pointer and byte length (works for views over ArrayBuffer and SharedArrayBuffer).
void typed_array(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* bytes, const char* name) {
  bool is_ta = false;
  check(napi_is_typedarray(env, v, &is_ta), "napi_is_typedarray");
  if (!is_ta) throw Failure{std::string("grasplab-native: ") + name + " must be a typed array"};
  napi_typedarray_type type;
  size_t length = 0;
  napi_value ab;
  size_t offset = 0;
  check(napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset), "napi_get_typedarray_info");
  if (type != want) throw Failure{std::string("grasplab-native: ") + name + " has the wrong element type"};
  size_t elem = want == napi_int32_array ? 4 : 1;
  *bytes = length * elem;
  if (!*data && length) throw Failure{std::string("grasplab-native: ") + name + " has no data"};
}

// The call's arguments; at least `need` of them.
template <size_t N>
size_t read_args(napi_env env, napi_callback_info info, size_t need, napi_value (&argv)[N], const char* fn) {
  size_t argc = N;
  check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "napi_get_cb_info");
  if (argc < need) throw Failure{std::string("grasplab-native: ") + fn + " expects " + std::to_string(need) + " argument(s)"};
  return argc;
}

// An Int32Array of exactly n values (a kernel's geometry).
const int32_t* int32_values(napi_env env, napi_value v, size_t n, const char* name) {
  void* data = nullptr;
  size_t bytes = 0;
  typed_array(env, v, napi_int32_array, &data, &bytes, name);
  if (bytes != n * 4) throw Failure{std::string("grasplab-native: ") + name + " must hold " + std::to_string(n) + " int32 values"};
  return static_cast<const int32_t*>(data);
}

struct Heap {
  uint8_t* base = nullptr;
  size_t bytes = 0;
  // A float tensor of n elements at byte offset `off`, checked to lie inside the heap.
  float* tensor(double off, double n, const char* name) const {
    if (!(off >= 0) || off != static_cast<double>(static_cast<int64_t>(off)) || static_cast<int64_t>(off) % 4 != 0)
      throw Failure{std::string("grasplab-native: ") + name + " offset must be a non-negative multiple of 4"};
    if (off + n * 4 > static_cast<double>(bytes))
      throw Failure{std::string("grasplab-native: ") + name + " lies outside the heap"};
    return reinterpret_cast<float*>(base + static_cast<size_t>(off));
  }
};

// The wasm heap: a Uint8Array over the wasm Memory's buffer.
Heap read_heap(napi_env env, napi_value v) {
  Heap heap;
  void* data = nullptr;
  typed_array(env, v, napi_uint8_array, &data, &heap.bytes, "heap");
  heap.base = static_cast<uint8_t*>(data);
  return heap;
}

struct Call {
  napi_value argv[12];
  Heap heap;
  gl::ConvGeom g;
};

void read_call(napi_env env, napi_callback_info info, size_t need, Call& c) {
  read_args(env, info, need, c.argv, "a convolution kernel");
  c.heap = read_heap(env, c.argv[0]);
  const int32_t* v = int32_values(env, c.argv[1], 15, "geometry");
  c.g = gl::ConvGeom{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  std::string err = gl::check_geom(c.g);
  if (!err.empty()) throw Failure{"grasplab-native: " + err};
}

double x_size(const gl::ConvGeom& g) { return static_cast<double>(g.B) * g.H * g.W * g.CI; }
double w_size(const gl::ConvGeom& g) { return static_cast<double>(g.KH) * g.KW * g.CI * g.CO; }
double y_size(const gl::ConvGeom& g) { return static_cast<double>(g.B) * g.OH * g.OW * g.CO; }

template <class F>
napi_value guarded(napi_env env, F f) {
  try {
    return f();
  } catch (const Failure& e) {
    return throw_error(env, e.msg);
  } catch (const std::bad_alloc&) {
    return throw_error(env, "grasplab-native: out of memory");
  }
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// conv2d(heap, geometry, xOffset, wOffset, biasOffset | -1, yOffset, activation, alpha)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c;
    read_call(env, info, 8, c);
    const float* x = c.heap.tensor(number_arg(env, c.argv[2], "x"), x_size(c.g), "x");
    const float* w = c.heap.tensor(number_arg(env, c.argv[3], "filter"), w_size(c.g), "filter");
    const double bias_off = number_arg(env, c.argv[4], "bias");
    const float* bias = bias_off < 0 ? nullptr : c.heap.tensor(bias_off, c.g.CO, "bias");
    float* y = c.heap.tensor(number_arg(env, c.argv[5], "y"), y_size(c.g), "y");
    const int act = static_cast<int>(number_arg(env, c.argv[6], "activation"));
    if (act < gl::ACT_LINEAR || act > gl::ACT_LEAKY) throw Failure{"grasplab-native: unknown activation"};
    const float alpha = static_cast<float>(number_arg(env, c.argv[7], "alpha"));
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::conv2d_forward(c.g, x, w, bias, y, act, alpha);
    return undefined(env);
  });
}

// conv2dBackpropInput(heap, geometry, dyOffset, wOffset, dxOffset)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c;
    read_call(env, info, 5, c);
    const float* dy = c.heap.tensor(number_arg(env, c.argv[2], "dy"), y_size(c.g), "dy");
    const float* w = c.heap.tensor(number_arg(env, c.argv[3], "filter"), w_size(c.g), "filter");
    float* dx = c.heap.tensor(number_arg(env, c.argv[4], "dx"), x_size(c.g), "dx");
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::conv2d_backprop_input(c.g, dy, w, dx);
    return undefined(env);
  });
}

// conv2dBackpropFilter(heap, geometry, xOffset, dyOffset, dwOffset)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call c;
    read_call(env, info, 5, c);
    const float* x = c.heap.tensor(number_arg(env, c.argv[2], "x"), x_size(c.g), "x");
    const float* dy = c.heap.tensor(number_arg(env, c.argv[3], "dy"), y_size(c.g), "dy");
    float* dw = c.heap.tensor(number_arg(env, c.argv[4], "dw"), w_size(c.g), "dw");
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::conv2d_backprop_filter(c.g, x, dy, dw);
    return undefined(env);
  });
}

// maxPoolGrad(heap, poolGeometry [B,H,W,C,OH,OW,fh,fw,sh,sw,dh,dw,pt,pl], dyOffset, xOffset, dxOffset)
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[5];
    read_args(env, info, 5, argv, "maxPoolGrad");
    const Heap heap = read_heap(env, argv[0]);
    const int32_t* v = int32_values(env, argv[1], 14, "pool geometry");
    const gl::PoolGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
    for (int i = 0; i < 12; ++i)
      if (v[i] < 1) throw Failure{"grasplab-native: pool sizes, windows, strides and dilations must be >= 1"};
    if (g.pt < 0 || g.pl < 0) throw Failure{"grasplab-native: pool padding must be >= 0"};
    const double xs = static_cast<double>(g.B) * g.H * g.W * g.C, ys = static_cast<double>(g.B) * g.OH * g.OW * g.C;
    const float* dy = heap.tensor(number_arg(env, argv[2], "dy"), ys, "dy");
    const float* x = heap.tensor(number_arg(env, argv[3], "x"), xs, "x");
    float* dx = heap.tensor(number_arg(env, argv[4], "dx"), xs, "dx");
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::max_pool_grad(g, dy, x, dx);
    return undefined(env);
  });
}

// matMul(heap, geometry [batch, batchA, batchB, M, K, N, transA, transB], aOffset, bOffset, cOffset)
napi_value MatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[5];
    read_args(env, info, 5, argv, "matMul");
    const Heap heap = read_heap(env, argv[0]);
    const int32_t* v = int32_values(env, argv[1], 8, "matmul geometry");
    const gl::MatMulGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    if (g.batch < 1 || g.M < 1 || g.K < 1 || g.N < 1) throw Failure{"grasplab-native: matmul sizes must be >= 1"};
    if ((g.batch_a != 1 && g.batch_a != g.batch) || (g.batch_b != 1 && g.batch_b != g.batch))
      throw Failure{"grasplab-native: matmul batches must be 1 or the output batch"};
    const float* a = heap.tensor(number_arg(env, argv[2], "a"), static_cast<double>(g.batch_a) * g.M * g.K, "a");
    const float* b = heap.tensor(number_arg(env, argv[3], "b"), static_cast<double>(g.batch_b) * g.K * g.N, "b");
    float* c = heap.tensor(number_arg(env, argv[4], "c"), static_cast<double>(g.batch) * g.M * g.N, "c");
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::matmul(g, a, b, c);
    return undefined(env);
  });
}

// setThreads(n): threads of the pool (the calling thread included); returns the count in use.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[1];
    read_args(env, info, 1, argv, "setThreads(n)");
    const double n = number_arg(env, argv[0], "n");
    if (!(n >= 1 && n <= 64) || n != static_cast<int>(n)) throw Failure{"grasplab-native: threads must be an integer 1..64"};
    std::lock_guard<std::mutex> lk(g_call_mutex);
    gl::set_threads(static_cast<int>(n));
    napi_value r;
    napi_create_int32(env, gl::get_threads(), &r);
    return r;
  });
}

// setIsa('avx512' | 'avx2' | 'generic'): returns false if the CPU cannot run the requested kernels.
napi_value SetIsa(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t argc = 1;
    napi_value argv[1];
    check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "napi_get_cb_info");
    char buf[32] = {0};
    size_t len = 0;
    if (argc < 1 || napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok)
      throw Failure{"grasplab-native: setIsa(name) needs a string"};
    std::lock_guard<std::mutex> lk(g_call_mutex);
    napi_value r;
    napi_get_boolean(env, gl::select_isa(buf), &r);
    return r;
  });
}

// info(): { isa, threads, cpuAvx2Fma, cpuAvx512 }
napi_value Info(napi_env env, napi_callback_info) {
  std::lock_guard<std::mutex> lk(g_call_mutex);
  napi_value o, isa, threads, avx2, avx512;
  napi_create_object(env, &o);
  const std::string name = gl::current_isa();
  napi_create_string_utf8(env, name.c_str(), name.size(), &isa);
  napi_create_int32(env, gl::get_threads(), &threads);
  napi_get_boolean(env, gl::cpu_has_avx2_fma(), &avx2);
  napi_get_boolean(env, gl::cpu_has_avx512(), &avx512);
  napi_set_named_property(env, o, "isa", isa);
  napi_set_named_property(env, o, "threads", threads);
  napi_set_named_property(env, o, "cpuAvx2Fma", avx2);
  napi_set_named_property(env, o, "cpuAvx512", avx512);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
