// adam_step against torch::optim::Adam itself (an independent computation of the same update):
// the same parameters and moments step after step, with the learning rate changing between
// steps, state that torch's own step and the checkpoint find where they look for it, and
// torch's step itself where the fused kernel does not apply.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "charrnn/train/adam_step.h"

namespace charrnn {
namespace {

// Parameters of a few shapes (one shorter than a vector, one with a tail), one without a grad.
std::vector<torch::Tensor> make_params() {
  torch::manual_seed(4);
  std::vector<torch::Tensor> ps;
  for (int64_t n : {3, 8, 1000, 37 * 5})
    ps.push_back(torch::randn({n}).reshape({-1, n % 5 == 0 ? 5 : 1}).requires_grad_());
  return ps;
}

void set_grads(std::vector<torch::Tensor>& ps, int step) {
  torch::manual_seed(100 + step);
  for (size_t i = 0; i + 1 < ps.size(); ++i) ps[i].mutable_grad() = torch::randn_like(ps[i]) * 0.1;
  // The last keeps no grad: Adam leaves it and makes no state for it.
}

void set_lr(torch::optim::Adam& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
}

const torch::optim::AdamParamState& state_of(torch::optim::Adam& opt, const torch::Tensor& p) {
  for (auto& [key, s] : opt.state()) {
    (void)key;
    const auto& a = static_cast<const torch::optim::AdamParamState&>(*s);
    if (a.exp_avg().sizes() == p.sizes()) return a;
  }
  throw std::runtime_error("no state");
}

TEST(AdamStep, MatchesTorchsAdamStepAfterStep) {
  auto ours = make_params(), theirs = make_params();
  torch::optim::Adam a(ours, torch::optim::AdamOptions(2e-3)),
      b(theirs, torch::optim::AdamOptions(2e-3));
  for (int step = 1; step <= 6; ++step) {
    set_lr(a, 2e-3 / step);
    set_lr(b, 2e-3 / step);
    set_grads(ours, step);
    set_grads(theirs, step);
    adam_step(a);
    b.step();
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_TRUE(torch::allclose(ours[i], theirs[i], 1e-6, 1e-7))
          << "param " << i << " step " << step;
    }
  }
  ASSERT_EQ(a.state().size(), b.state().size());  // none for the parameter without a grad
  EXPECT_EQ(a.state().size(), ours.size() - 1);
  EXPECT_TRUE(torch::equal(ours.back(), theirs.back()));
  for (size_t i = 0; i + 1 < ours.size(); ++i) {
    const auto &sa = state_of(a, ours[i]), &sb = state_of(b, theirs[i]);
    EXPECT_EQ(sa.step(), 6);
    // The moments' terms cancel at times: an absolute tolerance at the gradients' scale (0.1).
    EXPECT_TRUE(torch::allclose(sa.exp_avg(), sb.exp_avg(), 1e-6, 1e-7));
    EXPECT_TRUE(torch::allclose(sa.exp_avg_sq(), sb.exp_avg_sq(), 1e-6, 1e-12));
  }
  // torch's own step carries on from the fused one's state (same keys, same step counts): two
  // more of its steps on each side keep the parameters together.
  for (int step = 7; step <= 8; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    a.step();
    b.step();
  }
  for (size_t i = 0; i < ours.size(); ++i)
    EXPECT_TRUE(torch::allclose(ours[i], theirs[i], 1e-6, 1e-7)) << "param " << i;
  EXPECT_EQ(a.state().size(), b.state().size());
}

// Weight decay (and AMSGrad) are torch's step itself: bit for bit.
TEST(AdamStep, FallsBackToTorchsStepForWeightDecay) {
  auto ours = make_params(), theirs = make_params();
  auto opts = torch::optim::AdamOptions(1e-2).weight_decay(0.1);
  torch::optim::Adam a(ours, opts), b(theirs, opts);
  for (int step = 1; step <= 3; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    adam_step(a);
    b.step();
  }
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(torch::equal(ours[i], theirs[i]));
}

}  // namespace
}  // namespace charrnn
