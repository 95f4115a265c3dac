// The dropout mask fill on every kernel path: the same bits as the portable path (including the
// vector loop's tails and split ranges, as parallel_for splits them), and the drop rate p.
// Torch-free: also built by scripts/arm64_kernel_test.sh.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "isa_test_util.h"
#include "model/dropout_kernels.h"

namespace {

using charrnn::kernels::dropout_fill;
using charrnn::kernels::mix64;

std::vector<float> fill(int64_t n, double p, int64_t split) {
  std::vector<float> m(n, -1.f);
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const int64_t draws = (n + 1) / 2;
  dropout_fill(mix64(11), threshold, scale, 0, std::min(split, draws), n, m.data());
  if (split < draws) dropout_fill(mix64(11), threshold, scale, split, draws, n, m.data());
  return m;
}

using DropoutKernels = charrnn::test::PerIsa;

TEST_P(DropoutKernels, SameBitsAsPortableForAnySizeAndSplit) {
  for (int64_t n : {1, 7, 8, 9, 17, 1001, 4096 * 2 + 3}) {
    for (double p : {0.0, 0.3, 0.999}) {
      for (int64_t split : {int64_t{1} << 40, int64_t{3}, n / 5}) {
        const std::vector<float> got = fill(n, p, split);
        std::vector<float> want;
        {
          charrnn::test::IsaScope portable(charrnn::kernels::Isa::portable);
          want = fill(n, p, split);
        }
        EXPECT_EQ(got, want) << "n=" << n << " p=" << p << " split=" << split;
      }
    }
  }
}

TEST_P(DropoutKernels, DropsWithProbabilityPAndScalesTheRest) {
  const int64_t n = 200001;
  for (double p : {0.1, 0.5}) {
    const std::vector<float> m = fill(n, p, n);
    int64_t dropped = 0, scaled = 0;
    for (float v : m) dropped += v == 0.f, scaled += v == static_cast<float>(1.0 / (1.0 - p));
    EXPECT_EQ(dropped + scaled, n) << "p=" << p;
    // Within 6 standard deviations of a binomial proportion.
    EXPECT_NEAR(double(dropped) / n, p, 6 * std::sqrt(p * (1 - p) / n)) << "p=" << p;
  }
}

INSTANTIATE_PER_ISA(DropoutKernels);

}  // namespace
