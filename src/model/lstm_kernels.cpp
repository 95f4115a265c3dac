// The LSTM gate loops, exp, the sampler's scaled logits and the softmax cross-entropy row, per
// kernel path (cpu_isa.h): one vector implementation (lstm_kernels_simd.inc) compiled for
// AVX2+FMA, AVX-512 and NEON, and portable scalar C++ (also the tails of the vector loops).
// Torch-free (sgemm lives in sgemm.cpp).
#include "lstm_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "charrnn/model/cpu_isa.h"
#include "simd_vec.h"

namespace charrnn::kernels {
namespace {

// ---- portable scalar maths (the portable path, and the tails of the vector loops) ----

// ln(FLT_MIN): exp of anything lower is a denormal or 0; exp_inplace returns 0 there.
constexpr float kExpUnderflow = -87.33654f;

inline float sigmoid1(float x) { return 1.f / (1.f + std::exp(-x)); }

void gates_forward_row_scalar(int64_t j0, int64_t H, float* g, const float* bias, const float* cp,
                              float* c, float* tc, float* h) {
  auto b = [&](int64_t k) { return bias ? bias[k] : 0.f; };
  for (int64_t j = j0; j < H; ++j) {
    const float i = sigmoid1(g[j] + b(j)), f = sigmoid1(g[H + j] + b(H + j)),
                gg = std::tanh(g[2 * H + j] + b(2 * H + j)),
                o = sigmoid1(g[3 * H + j] + b(3 * H + j));
    const float cj = f * cp[j] + i * gg, tcj = std::tanh(cj);
    g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
    c[j] = cj;
    if (tc) tc[j] = tcj;
    h[j] = o * tcj;
  }
}

void gates_backward_row_scalar(int64_t j0, int64_t H, const float* a, const float* tc,
                               const float* cp, const float* dh, float* dc, float* dg) {
  for (int64_t j = j0; j < H; ++j) {
    const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
    const float do_ = dh[j] * tc[j];
    const float dcj = dc[j] + dh[j] * o * (1.f - tc[j] * tc[j]);
    dg[j] = dcj * g * i * (1.f - i);
    dg[H + j] = dcj * cp[j] * f * (1.f - f);
    dg[2 * H + j] = dcj * i * (1.f - g * g);
    dg[3 * H + j] = do_ * o * (1.f - o);
    dc[j] = dcj * f;
  }
}

void exp_portable(int64_t n, float* x) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < kExpUnderflow ? 0.f : std::exp(x[i]);
}

void scale_logits_portable(int64_t n, const float* z, double shift, double scale, float* q) {
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<float>(std::max((z[i] - shift) * scale, kScaledLogitFloor));
}

// softmax_xent_row's pieces, shared by the portable path and the vector paths' tails.
// z += bias over n elements, folding them into the running max m and finiteness flag.
void softmax_xent_tail_max(int64_t n, float* z, const float* bias, float& m, float& flag) {
  for (int64_t i = 0; i < n; ++i) {
    if (bias) z[i] += bias[i];
    m = std::max(m, z[i]);
    flag += z[i] - z[i];
  }
}
// z = exp(z - m) over n elements; returns their sum.
double softmax_xent_tail_exp(int64_t n, float* z, float m) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = z[i] - m;
    z[i] = d < kExpUnderflow ? 0.f : std::exp(d);
    sum += z[i];
  }
  return sum;
}
// A row with an Inf or NaN logit: NaN loss and gradient (see lstm_kernels.h).
double softmax_xent_not_finite(int64_t n, float* z) {
  std::fill(z, z + n, std::numeric_limits<float>::quiet_NaN());
  return std::numeric_limits<double>::quiet_NaN();
}
double softmax_xent_row_portable(int64_t n, float* z, const float* bias, int64_t target) {
  float m = -std::numeric_limits<float>::infinity(), flag = 0.f;
  softmax_xent_tail_max(n, z, bias, m, flag);
  if (flag != 0.f) return softmax_xent_not_finite(n, z);
  const float zt = z[target];
  const double sum = softmax_xent_tail_exp(n, z, m);
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) z[i] *= inv;
  z[target] -= 1.f;
  return std::log(sum) + m - zt;
}

// The vector kernels of one path (lstm_kernels_simd.inc); null on the portable path.
struct VectorKernels {
  void (*gates_forward)(int64_t, int64_t, float*, int64_t, const float*, const float*, int64_t,
                        float*, int64_t, float*, int64_t, float*, int64_t);
  void (*gates_backward)(int64_t, int64_t, const float*, int64_t, const float*, int64_t,
                         const float*, int64_t, const float*, int64_t, float*, int64_t, float*,
                         int64_t);
  void (*exp_inplace)(int64_t, float*);
  void (*scale_logits)(int64_t, const float*, double, double, float*);
  double (*softmax_xent_row)(int64_t, float*, const float*, int64_t);
};

#define CHARRNN_SIMD_FILE "model/lstm_kernels_simd.inc"
#include "model/simd_each_path.inc"

const VectorKernels* vector_kernels() {
  switch (active_isa()) {
#if defined(__x86_64__)
    case Isa::avx2:
      return &avx2::kVectorKernels;
    case Isa::avx512:
      return &avx512::kVectorKernels;
#elif defined(__aarch64__)
    case Isa::neon:
      return &neon::kVectorKernels;
#endif
    default:
      return nullptr;
  }
}

}  // namespace

void exp_inplace(int64_t n, float* x) {
  if (const VectorKernels* v = vector_kernels()) return v->exp_inplace(n, x);
  exp_portable(n, x);
}

void scale_logits(int64_t n, const float* z, double shift, double scale, float* q) {
  if (const VectorKernels* v = vector_kernels()) return v->scale_logits(n, z, shift, scale, q);
  scale_logits_portable(n, z, shift, scale, q);
}

double softmax_xent_row(int64_t n, float* z, const float* bias, int64_t target) {
  if (const VectorKernels* v = vector_kernels()) return v->softmax_xent_row(n, z, bias, target);
  return softmax_xent_row_portable(n, z, bias, target);
}

void lstm_gates_forward(int64_t rows, int64_t hidden, float* gates, int64_t ld_gates,
                        const float* bias, const float* c_prev, int64_t ld_c_prev, float* c,
                        int64_t ld_c, float* tanh_c, int64_t ld_tanh_c, float* h, int64_t ld_h) {
  if (const VectorKernels* v = vector_kernels()) {
    return v->gates_forward(rows, hidden, gates, ld_gates, bias, c_prev, ld_c_prev, c, ld_c, tanh_c,
                            ld_tanh_c, h, ld_h);
  }
  for (int64_t r = 0; r < rows; ++r)
    gates_forward_row_scalar(0, hidden, gates + r * ld_gates, bias, c_prev + r * ld_c_prev,
                             c + r * ld_c, tanh_c ? tanh_c + r * ld_tanh_c : nullptr, h + r * ld_h);
}

void lstm_gates_backward(int64_t rows, int64_t hidden, const float* acts, int64_t ld_acts,
                         const float* tanh_c, int64_t ld_tanh_c, const float* c_prev,
                         int64_t ld_c_prev, const float* dh, int64_t ld_dh, float* dc,
                         int64_t ld_dc, float* dgates, int64_t ld_dgates) {
  if (const VectorKernels* v = vector_kernels()) {
    return v->gates_backward(rows, hidden, acts, ld_acts, tanh_c, ld_tanh_c, c_prev, ld_c_prev, dh,
                             ld_dh, dc, ld_dc, dgates, ld_dgates);
  }
  for (int64_t r = 0; r < rows; ++r)
    gates_backward_row_scalar(0, hidden, acts + r * ld_acts, tanh_c + r * ld_tanh_c,
                              c_prev + r * ld_c_prev, dh + r * ld_dh, dc + r * ld_dc,
                              dgates + r * ld_dgates);
}

}  // namespace charrnn::kernels
