// The LSTM gate loops and exp, per kernel path (cpu_isa.h): AVX2+FMA vectors, or portable
// scalar C++ (also the tails of the vector loops). The AVX-512 path runs the AVX2 code: the gate
// update is a few percent of a step, and every AVX-512 CPU has AVX2+FMA. NEON runs the portable
// code. Torch-free (sgemm lives in sgemm.cpp).
#include "lstm_kernels.h"

#include <cmath>

#include "charrnn/model/cpu_isa.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

#if defined(__x86_64__)

// True where the active path has the AVX2 gate code.
bool use_avx2() {
  const Isa isa = active_isa();
  return isa == Isa::avx2 || isa == Isa::avx512;
}

// ---- AVX2 + FMA, chosen at run time so the default build stays portable ----

#define CHARRNN_AVX2 __attribute__((target("avx2,fma")))

// Cephes-style exp: range reduction by ln2 then a degree-5 polynomial; ~1 ulp on [-88, 88].
CHARRNN_AVX2 inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)),
                    _mm256_set1_ps(88.3762626647949f));
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  __m256i n = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
  return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(n, 23)));
}

// 1/d for d in [1, 2^128): the 12-bit estimate and one Newton step, within 2 ulp. A division
// issues once every 5 or more cycles on one port; the gate update needs five per unit.
CHARRNN_AVX2 inline __m256 reciprocal8(__m256 d) {
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(1.f)), r);
}

CHARRNN_AVX2 inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.f);
  return reciprocal8(_mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(x) = 1 - 2 / (1 + e^{2x}); absolute error ~2e-7, saturates cleanly at both ends.
CHARRNN_AVX2 inline __m256 tanh8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 e = exp8(_mm256_add_ps(x, x));
  return _mm256_fnmadd_ps(_mm256_set1_ps(2.f), reciprocal8(_mm256_add_ps(one, e)), one);
}

// Eight pre-activations from position k of a gates row, with the bias when there is one.
CHARRNN_AVX2 inline __m256 pre_activation8(const float* g, const float* bias, int64_t k) {
  const __m256 v = _mm256_loadu_ps(g + k);
  return bias ? _mm256_add_ps(v, _mm256_loadu_ps(bias + k)) : v;
}

CHARRNN_AVX2 void gates_forward_avx2(int64_t rows, int64_t H, float* gates, int64_t ldg,
                                     const float* bias, const float* c_prev, int64_t ldcp, float* c,
                                     int64_t ldc, float* tanh_c, int64_t ldtc, float* h,
                                     int64_t ldh) {
  for (int64_t r = 0; r < rows; ++r) {
    float* g = gates + r * ldg;
    const float* cp = c_prev + r * ldcp;
    float* cr = c + r * ldc;
    float* tcr = tanh_c ? tanh_c + r * ldtc : nullptr;
    float* hr = h + r * ldh;
    int64_t j = 0;
    for (; j + 8 <= H; j += 8) {
      const __m256 i = sigmoid8(pre_activation8(g, bias, j));
      const __m256 f = sigmoid8(pre_activation8(g, bias, H + j));
      const __m256 gg = tanh8(pre_activation8(g, bias, 2 * H + j));
      const __m256 o = sigmoid8(pre_activation8(g, bias, 3 * H + j));
      const __m256 cj = _mm256_fmadd_ps(f, _mm256_loadu_ps(cp + j), _mm256_mul_ps(i, gg));
      const __m256 tcj = tanh8(cj);
      _mm256_storeu_ps(g + j, i);
      _mm256_storeu_ps(g + H + j, f);
      _mm256_storeu_ps(g + 2 * H + j, gg);
      _mm256_storeu_ps(g + 3 * H + j, o);
      _mm256_storeu_ps(cr + j, cj);
      if (tcr) _mm256_storeu_ps(tcr + j, tcj);
      _mm256_storeu_ps(hr + j, _mm256_mul_ps(o, tcj));
    }
    gates_forward_row_scalar(j, H, g, bias, cp, cr, tcr, hr);
  }
}

CHARRNN_AVX2 void gates_backward_avx2(int64_t rows, int64_t H, const float* acts, int64_t lda,
                                      const float* tanh_c, int64_t ldtc, const float* c_prev,
                                      int64_t ldcp, const float* dh, int64_t lddh, float* dc,
                                      int64_t lddc, float* dgates, int64_t lddg) {
  const __m256 one = _mm256_set1_ps(1.f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* a = acts + r * lda;
    const float* tc = tanh_c + r * ldtc;
    const float* cp = c_prev + r * ldcp;
    const float* dhr = dh + r * lddh;
    float* dcr = dc + r * lddc;
    float* dg = dgates + r * lddg;
    int64_t j = 0;
    for (; j + 8 <= H; j += 8) {
      const __m256 i = _mm256_loadu_ps(a + j), f = _mm256_loadu_ps(a + H + j),
                   g = _mm256_loadu_ps(a + 2 * H + j), o = _mm256_loadu_ps(a + 3 * H + j);
      const __m256 tcj = _mm256_loadu_ps(tc + j), dhj = _mm256_loadu_ps(dhr + j);
      const __m256 do_ = _mm256_mul_ps(dhj, tcj);
      const __m256 dcj = _mm256_fmadd_ps(_mm256_mul_ps(dhj, o), _mm256_fnmadd_ps(tcj, tcj, one),
                                         _mm256_loadu_ps(dcr + j));
      const __m256 di = _mm256_mul_ps(dcj, g), dgg = _mm256_mul_ps(dcj, i),
                   df = _mm256_mul_ps(dcj, _mm256_loadu_ps(cp + j));
      _mm256_storeu_ps(dg + j, _mm256_mul_ps(_mm256_mul_ps(di, i), _mm256_sub_ps(one, i)));
      _mm256_storeu_ps(dg + H + j, _mm256_mul_ps(_mm256_mul_ps(df, f), _mm256_sub_ps(one, f)));
      _mm256_storeu_ps(dg + 2 * H + j, _mm256_mul_ps(dgg, _mm256_fnmadd_ps(g, g, one)));
      _mm256_storeu_ps(dg + 3 * H + j, _mm256_mul_ps(_mm256_mul_ps(do_, o), _mm256_sub_ps(one, o)));
      _mm256_storeu_ps(dcr + j, _mm256_mul_ps(dcj, f));
    }
    gates_backward_row_scalar(j, H, a, tc, cp, dhr, dcr, dg);
  }
}

CHARRNN_AVX2 void exp_inplace_avx2(int64_t n, float* x) {
  const __m256 floor = _mm256_set1_ps(kExpUnderflow);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 keep = _mm256_cmp_ps(v, floor, _CMP_GE_OQ);
    _mm256_storeu_ps(x + i, _mm256_and_ps(exp8(v), keep));
  }
  exp_portable(n - i, x + i);
}

#endif  // __x86_64__

}  // namespace

void exp_inplace(int64_t n, float* x) {
#if defined(__x86_64__)
  if (use_avx2()) {
    exp_inplace_avx2(n, x);
    return;
  }
#endif
  exp_portable(n, x);
}

void lstm_gates_forward(int64_t rows, int64_t hidden, float* gates, int64_t ld_gates,
                        const float* bias, const float* c_prev, int64_t ld_c_prev, float* c,
                        int64_t ld_c, float* tanh_c, int64_t ld_tanh_c, float* h, int64_t ld_h) {
#if defined(__x86_64__)
  if (use_avx2()) {
    gates_forward_avx2(rows, hidden, gates, ld_gates, bias, c_prev, ld_c_prev, c, ld_c, tanh_c,
                       ld_tanh_c, h, ld_h);
    return;
  }
#endif
  for (int64_t r = 0; r < rows; ++r)
    gates_forward_row_scalar(0, hidden, gates + r * ld_gates, bias, c_prev + r * ld_c_prev,
                             c + r * ld_c, tanh_c ? tanh_c + r * ld_tanh_c : nullptr, h + r * ld_h);
}

void lstm_gates_backward(int64_t rows, int64_t hidden, const float* acts, int64_t ld_acts,
                         const float* tanh_c, int64_t ld_tanh_c, const float* c_prev,
                         int64_t ld_c_prev, const float* dh, int64_t ld_dh, float* dc,
                         int64_t ld_dc, float* dgates, int64_t ld_dgates) {
#if defined(__x86_64__)
  if (use_avx2()) {
    gates_backward_avx2(rows, hidden, acts, ld_acts, tanh_c, ld_tanh_c, c_prev, ld_c_prev, dh,
                        ld_dh, dc, ld_dc, dgates, ld_dgates);
    return;
  }
#endif
  for (int64_t r = 0; r < rows; ++r)
    gates_backward_row_scalar(0, hidden, acts + r * ld_acts, tanh_c + r * ld_tanh_c,
                              c_prev + r * ld_c_prev, dh + r * ld_dh, dc + r * ld_dc,
                              dgates + r * ld_dgates);
}

}  // namespace charrnn::kernels
