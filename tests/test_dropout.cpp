// fast_dropout: the distribution torch::dropout has (drop with probability p, keep scaled by
// 1/(1-p)), independence between neighbours, reproducibility from torch's seed, the same mask
// for any thread count, and its gradient.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "charrnn/model/dropout.h"
#include "kernels/isa_test_util.h"

namespace {

using charrnn::dropout_mask;
using charrnn::fast_dropout;

// |observed - expected| within 6 standard deviations of a binomial proportion.
void expect_proportion(double observed, double p, int64_t n, const char* what) {
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(observed, p, 6 * sd) << what;
}

TEST(Dropout, DropsWithProbabilityPAndScalesTheRest) {
  for (double p : {0.1, 0.5, 0.9}) {
    const auto x = torch::empty({1000, 1000});
    const auto m = dropout_mask(x, p, 42);
    const int64_t n = m.numel();
    const auto dropped = m.eq(0);
    expect_proportion(dropped.to(torch::kDouble).mean().item<double>(), p, n, "drop rate");
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    EXPECT_TRUE(m.masked_select(dropped.logical_not()).eq(scale).all().item<bool>());
    // Neighbours share one 64-bit draw: both halves must still be independent.
    const auto d = dropped.reshape({-1, 2}).to(torch::kDouble);
    const double both = (d.select(1, 0) * d.select(1, 1)).mean().item<double>();
    expect_proportion(both, p * p, n / 2, "both of a pair dropped");
    // And positions far apart in the stream are not periodic copies.
    EXPECT_FALSE(torch::equal(m.narrow(0, 0, 500), m.narrow(0, 500, 500)));
  }
}

TEST(Dropout, MaskDependsOnlyOnSeedNotThreads) {
  const auto x = torch::empty({333, 777});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = dropout_mask(x, 0.3, 7);
  at::set_num_threads(std::max(2, threads));
  const auto many = dropout_mask(x, 0.3, 7);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, many));
  EXPECT_FALSE(torch::equal(one, dropout_mask(x, 0.3, 8)));
}

// Every kernel path fills the mask with the same bits (odd sizes: the vector loop's tail too).
using DropoutPath = charrnn::test::PerIsa;

TEST_P(DropoutPath, MaskIsTheSameBitsOnEveryPath) {
  for (int64_t n : {1, 7, 8, 9, 17, 4096 * 3 + 5}) {
    const auto x = torch::empty({n});
    for (double p : {0.0, 0.3, 0.999}) {
      at::Tensor want;
      {
        charrnn::test::IsaScope portable(charrnn::kernels::Isa::portable);
        want = dropout_mask(x, p, 11);
      }
      EXPECT_TRUE(torch::equal(dropout_mask(x, p, 11), want)) << "n=" << n << " p=" << p;
    }
  }
}

TEST_P(DropoutPath, DropsWithProbabilityP) {
  const auto m = dropout_mask(torch::empty({1001, 999}), 0.3, 42);
  expect_proportion(m.eq(0).to(torch::kDouble).mean().item<double>(), 0.3, m.numel(), "drop rate");
}

INSTANTIATE_PER_ISA(DropoutPath);

TEST(Dropout, ReproducibleFromTorchSeed) {
  const auto x = torch::ones({64, 50, 128});
  torch::manual_seed(5);
  const auto a = fast_dropout(x, 0.2, true);
  const auto b = fast_dropout(x, 0.2, true);  // the generator moved on
  torch::manual_seed(5);
  const auto c = fast_dropout(x, 0.2, true);
  EXPECT_TRUE(torch::equal(a, c));
  EXPECT_FALSE(torch::equal(a, b));
}

TEST(Dropout, IdentityInEvalModeOrAtZero) {
  const auto x = torch::randn({4, 5});
  EXPECT_TRUE(fast_dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(fast_dropout(x, 0.0, true).is_same(x));
}

TEST(Dropout, GradientIsTheMask) {
  torch::manual_seed(1);
  auto x = torch::randn({30, 40}).abs_().add_(0.5).requires_grad_();
  auto y = fast_dropout(x, 0.25, true);
  auto g = torch::randn({30, 40});
  (y * g).sum().backward();
  // y = x * mask, so dL/dx = g * mask = g * y / x.
  EXPECT_TRUE(torch::allclose(x.grad(), g * y.detach() / x.detach(), 1e-6, 1e-6));
}

TEST(Dropout, KeepsTimeMajorLayout) {
  // (B,T,H) viewed over (T,B,H) storage, as the fused LSTM layer returns it.
  const auto x = torch::randn({7, 5, 3}).transpose(0, 1);
  const auto y = fast_dropout(x, 0.5, true);
  EXPECT_EQ(y.strides(), x.strides());
}

}  // namespace
