// softmax_xent_row on every kernel path against the double-precision formulas: widths with and
// without a vector tail, bias or none, logits large enough that a naive exp would overflow, and
// rows with a non-finite logit. Torch-free: also built by scripts/arm64_kernel_test.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "isa_test_util.h"
#include "model/lstm_kernels.h"

namespace {

using charrnn::kernels::softmax_xent_row;

using SoftmaxXent = charrnn::test::PerIsa;

// The row's loss and gradient in double: log sum exp(z + b) - (z + b)[target], and
// softmax(z + b) - onehot(target).
double reference(const std::vector<float>& z, const float* bias, int64_t target,
                 std::vector<double>& grad) {
  const int64_t n = static_cast<int64_t>(z.size());
  std::vector<double> v(n);
  for (int64_t j = 0; j < n; ++j) v[j] = double(z[j]) + (bias ? bias[j] : 0.0);
  const double m = *std::max_element(v.begin(), v.end());
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  grad.assign(n, 0);
  for (int64_t j = 0; j < n; ++j) grad[j] = std::exp(v[j] - m) / s - (j == target ? 1 : 0);
  return std::log(s) + m - v[target];
}

TEST_P(SoftmaxXent, MatchesTheDoubleFormulas) {
  std::mt19937 gen(7);
  for (int64_t n : {1, 5, 8, 16, 37, 256}) {
    for (float spread : {1.f, 30.f, 400.f}) {  // 400: exp(z) alone would overflow float
      std::uniform_real_distribution<float> dist(-spread, spread);
      std::vector<float> z(n), bias(n);
      for (float& x : z) x = dist(gen);
      for (float& x : bias) x = dist(gen) * 0.1f;
      for (const float* b : std::vector<const float*>{nullptr, bias.data()}) {
        const int64_t target = static_cast<int64_t>(gen() % n);
        std::vector<double> want_grad;
        const double want = reference(z, b, target, want_grad);
        std::vector<float> got_grad = z;
        const double got = softmax_xent_row(n, got_grad.data(), b, target);
        SCOPED_TRACE(::testing::Message() << "n " << n << " spread " << spread << " bias " << !!b);
        // float logits: the loss carries their rounding, about 1e-7 of the largest |logit|
        EXPECT_NEAR(got, want, 1e-6 * (1 + spread)) << "loss";
        for (int64_t j = 0; j < n; ++j) EXPECT_NEAR(got_grad[j], want_grad[j], 2e-6) << "j " << j;
      }
    }
  }
}

TEST_P(SoftmaxXent, UniformLogitsGiveLogN) {
  // A hand-worked case: n equal logits give loss log n and gradient 1/n - onehot.
  std::vector<float> z(40, 3.5f);
  const double loss = softmax_xent_row(40, z.data(), nullptr, 9);
  EXPECT_NEAR(loss, std::log(40.0), 1e-6);
  for (int j = 0; j < 40; ++j) EXPECT_NEAR(z[j], 1.0 / 40 - (j == 9 ? 1 : 0), 1e-7);
}

TEST_P(SoftmaxXent, NonFiniteLogitMakesTheRowNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), inf, -inf}) {
    for (int64_t at : {0, 13, 36}) {  // in a vector and in the tail
      std::vector<float> z(37, 0.5f);
      z[at] = bad;
      EXPECT_TRUE(std::isnan(softmax_xent_row(37, z.data(), nullptr, 2))) << bad << " at " << at;
      for (float g : z) EXPECT_TRUE(std::isnan(g));
    }
  }
}

INSTANTIATE_PER_ISA(SoftmaxXent);

}  // namespace
