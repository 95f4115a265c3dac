// adam_update on every kernel path against Adam's formulas in double precision, for lengths
// that leave every tail of the 8-wide loop. Torch-free: also built by scripts/arm64_kernel_test.sh.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "isa_test_util.h"
#include "train/adam_kernels.h"

namespace {

using charrnn::kernels::AdamCoefficients;
using AdamKernels = charrnn::test::PerIsa;

TEST_P(AdamKernels, MatchesTheFormulasInDoublePrecision) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal;
  // Step 3 of lr 2e-3 with torch's default betas and eps: sqrt(1 - 0.999^3), 2e-3 / (1 - 0.9^3).
  const AdamCoefficients c{0.9f,
                           0.1f,
                           0.999f,
                           0.001f,
                           1e-8f,
                           static_cast<float>(std::sqrt(1 - std::pow(0.999, 3))),
                           static_cast<float>(2e-3 / (1 - std::pow(0.9, 3)))};
  for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 1000}) {
    std::vector<float> p(n), g(n), m(n), v(n);
    for (int64_t i = 0; i < n; ++i) {
      p[i] = normal(gen), g[i] = normal(gen) * 0.1f, m[i] = normal(gen) * 0.01f;
      v[i] = i % 5 == 0 ? 0.f : std::abs(normal(gen)) * 1e-4f;  // 0: a fresh second moment
    }
    const std::vector<float> p0 = p, m0 = m, v0 = v;
    charrnn::kernels::adam_update(n, p.data(), g.data(), m.data(), v.data(), c);
    for (int64_t i = 0; i < n; ++i) {
      const double mi = double(0.9f) * m0[i] + double(0.1f) * g[i];
      const double vi = double(0.999f) * v0[i] + double(0.001f) * g[i] * g[i];
      const double step = mi / (std::sqrt(vi) / c.sqrt_bias_correction2 + 1e-8);
      const double pi = p0[i] - double(c.step_size) * step;
      // Float rounding, relative to the terms summed (they may cancel).
      const double m_terms = std::abs(0.9 * m0[i]) + std::abs(0.1 * g[i]);
      ASSERT_NEAR(m[i], mi, 1e-6 * m_terms) << "n=" << n << " i=" << i;
      ASSERT_NEAR(v[i], vi, 1e-6 * vi + 1e-15) << "n=" << n << " i=" << i;
      const double p_terms = std::abs(p0[i]) + std::abs(c.step_size * step);
      ASSERT_NEAR(p[i], pi, 1e-6 * p_terms + 1e-6 * c.step_size * std::abs(step))
          << "n=" << n << " i=" << i;
      ASSERT_NE(p[i], p0[i]) << "n=" << n << " i=" << i << ": not updated";
    }
  }
}

INSTANTIATE_PER_ISA(AdamKernels);

}  // namespace
