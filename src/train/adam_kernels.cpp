#include "adam_kernels.h"

#include <cmath>

#include "charrnn/model/cpu_isa.h"
#include "model/simd_vec.h"

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

#define CHARRNN_SIMD_FILE "train/adam_kernels_simd.inc"
#include "model/simd_each_path.inc"

}  // namespace

void adam_update(int64_t n, float* p, const float* g, float* m, float* v,
                 const AdamCoefficients& c) {
  switch (active_isa()) {
#if defined(__x86_64__)
    case Isa::avx2:
      return avx2::adam(n, p, g, m, v, c);
    case Isa::avx512:
      return avx512::adam(n, p, g, m, v, c);
#elif defined(__aarch64__)
    case Isa::neon:
      return neon::adam(n, p, g, m, v, c);
#endif
    default:
      return adam_scalar(0, n, p, g, m, v, c);
  }
}

}  // namespace charrnn::kernels
