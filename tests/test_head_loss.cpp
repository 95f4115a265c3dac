// head_cross_entropy (the output layer and the loss as one node) against torch::nn::Linear and
// cross_entropy computed in double precision: the loss and every gradient, both reductions, on
// every kernel path; the loss's bits for any thread count; bad targets refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "charrnn/model/head_loss.h"
#include "kernels/isa_test_util.h"

namespace {

struct Grads {
  torch::Tensor loss, x, w, b;
};

Grads run(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& w0,
          const torch::Tensor& b0, bool sum, bool reference) {
  const auto dtype = reference ? torch::kDouble : torch::kFloat;
  auto leaf = [&](const torch::Tensor& t) { return t.to(dtype).clone().requires_grad_(true); };
  auto x = leaf(x0), w = leaf(w0), b = leaf(b0);
  torch::Tensor loss;
  if (reference) {
    auto opts = torch::nn::functional::CrossEntropyFuncOptions();
    if (sum) opts.reduction(torch::kSum);
    loss = torch::nn::functional::cross_entropy(torch::nn::functional::linear(x, w, b), t, opts);
  } else {
    loss = charrnn::head_cross_entropy(x, t, w, b, sum);
  }
  // A scalar gradient other than 1, as a scaled loss would pass back.
  (loss * 0.75).backward();
  return {loss.detach(), x.grad(), w.grad(), b.grad()};
}

using HeadLoss = charrnn::test::PerIsa;

TEST_P(HeadLoss, MatchesLinearAndCrossEntropyInDouble) {
  struct Case {
    int64_t N, H, V;
  };
  // 77 rows: blocks of 32 and a partial one; 2,500 x 128 x 256: a 2 x 128 training step.
  for (const Case& c : {Case{1, 3, 5}, Case{77, 24, 37}, Case{2500, 128, 256}}) {
    for (bool sum : {false, true}) {
      torch::manual_seed(3);
      const auto x = torch::randn({c.N, c.H}), w = torch::randn({c.V, c.H}) * 0.3,
                 b = torch::randn({c.V});
      const auto t = torch::randint(0, c.V, {c.N}, torch::kLong);
      const Grads got = run(x, t, w, b, sum, false), want = run(x, t, w, b, sum, true);
      SCOPED_TRACE(::testing::Message() << c.N << "x" << c.H << "x" << c.V << (sum ? " sum" : ""));
      const double scale = sum ? c.N : 1;  // the summed loss and its gradients are N times larger
      EXPECT_NEAR(got.loss.item<double>(), want.loss.item<double>(),
                  2e-6 * want.loss.abs().item<double>());
      EXPECT_TRUE(torch::allclose(got.x.to(torch::kDouble), want.x, 1e-4, 1e-6));
      EXPECT_TRUE(torch::allclose(got.w.to(torch::kDouble), want.w, 1e-4, 1e-6 * scale));
      EXPECT_TRUE(torch::allclose(got.b.to(torch::kDouble), want.b, 1e-4, 1e-6 * scale));
    }
  }
}

INSTANTIATE_PER_ISA(HeadLoss);

TEST(HeadLossThreads, LossAndBiasGradientBitsDoNotDependOnThreadCount) {
  torch::manual_seed(5);
  const auto x = torch::randn({1000, 64}), w = torch::randn({256, 64}) * 0.2,
             b = torch::randn({256});
  const auto t = torch::randint(0, 256, {1000}, torch::kLong);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const Grads one = run(x, t, w, b, false, false);
  at::set_num_threads(std::max(2, threads));  // at least two, also on a one-core machine
  const Grads many = run(x, t, w, b, false, false);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.loss, many.loss));
  EXPECT_TRUE(torch::equal(one.b, many.b));
}

TEST(HeadLossThreads, TargetOutsideTheVocabularyIsAnError) {
  const auto x = torch::randn({4, 8}), w = torch::randn({16, 8}), b = torch::randn({16});
  for (int64_t bad : {-1, 16}) {
    const auto t = torch::tensor(std::vector<int64_t>{0, 3, bad, 1});
    try {
      charrnn::head_cross_entropy(x, t, w, b, false);
      ADD_FAILURE() << "no error for target " << bad;
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what()).find("outside [0,16)"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
