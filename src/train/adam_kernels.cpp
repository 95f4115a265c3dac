#include "adam_kernels.h"

#include <cmath>

#include "charrnn/model/cpu_isa.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace charrnn::kernels {
namespace {

// Elements [i, n): the portable path, and the tail of the vector loop.
void adam_scalar(int64_t i, int64_t n, float* p, const float* g, float* m, float* v,
                 const AdamCoefficients& c) {
  for (; i < n; ++i) {
    m[i] = c.beta1 * m[i] + c.rest1 * g[i];
    v[i] = c.beta2 * v[i] + c.rest2 * g[i] * g[i];
    p[i] -= c.step_size * (m[i] / (std::sqrt(v[i]) / c.sqrt_bias_correction2 + c.eps));
  }
}

#if defined(__x86_64__)

__attribute__((target("avx2,fma"))) void adam_avx2(int64_t n, float* p, const float* g, float* m,
                                                   float* v, const AdamCoefficients& c) {
  const __m256 b1 = _mm256_set1_ps(c.beta1), b2 = _mm256_set1_ps(c.beta2),
               a1 = _mm256_set1_ps(c.rest1), a2 = _mm256_set1_ps(c.rest2),
               eps = _mm256_set1_ps(c.eps), bc2 = _mm256_set1_ps(c.sqrt_bias_correction2),
               step = _mm256_set1_ps(c.step_size);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 mi = _mm256_fmadd_ps(b1, _mm256_loadu_ps(m + i), _mm256_mul_ps(a1, gi));
    const __m256 vi =
        _mm256_fmadd_ps(b2, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(a2, gi), gi));
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
    const __m256 pi = _mm256_fnmadd_ps(step, _mm256_div_ps(mi, denom), _mm256_loadu_ps(p + i));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, pi);
  }
  adam_scalar(i, n, p, g, m, v, c);
}

#endif  // __x86_64__

}  // namespace

void adam_update(int64_t n, float* p, const float* g, float* m, float* v,
                 const AdamCoefficients& c) {
#if defined(__x86_64__)
  const Isa isa = active_isa();
  if (isa == Isa::avx2 || isa == Isa::avx512) return adam_avx2(n, p, g, m, v, c);
#endif
  adam_scalar(0, n, p, g, m, v, c);
}

}  // namespace charrnn::kernels
