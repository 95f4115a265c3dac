// The Stepper's fast CPU path must produce the logits of model->forward (eval mode) on the
// reference path (torch::nn::LSTM, which shares none of the Stepper's kernels), step by step with
// the state carried, for any batch and depth.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "charrnn/errors.h"
#include "charrnn/model/model.h"
#include "charrnn/model/stepper.h"
#include "kernels/isa_test_util.h"

namespace charrnn {
namespace {

ModelConfig config(int layers, int hidden) {
  ModelConfig c;
  c.layers = layers;
  c.hidden = hidden;
  c.dropout = 0.3;  // must be inert: the Stepper samples, it never trains
  return c;
}

// Every weight matrix of the model rounded to bf16 by torch (biases kept): what a bf16 Stepper
// must compute, worked out with none of its code.
void round_weights_to_bf16(CharLSTM& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    if (p.key().find("weight") != std::string::npos) {
      p.value().copy_(p.value().to(torch::kBFloat16).to(torch::kFloat));
    }
  }
}

// Every weight in int8 as weight_format.h defines it, worked out by torch: per layer one scale per
// row of [w_ih | w_hh], per row for the head; s = max |w| / 127, w -> s * round(w / s) (torch's
// round is half to even).
void round_weights_to_int8(CharLSTM& model) {
  torch::NoGradGuard no_grad;
  auto quantize = [](const std::vector<torch::Tensor>& parts) {
    auto s = torch::cat(parts, 1).abs().amax(1, /*keepdim=*/true) / 127.f;  // (rows,1)
    s = torch::where(s == 0, torch::ones_like(s), s);
    for (auto w : parts) w.copy_(s * torch::round(w / s).clamp(-127, 127));
  };
  auto p = model->lstm->named_parameters();
  for (int k = 0; k < model->config().layers; ++k)
    quantize({p["weight_ih_l" + std::to_string(k)], p["weight_hh_l" + std::to_string(k)]});
  quantize({model->head->weight});
}

// Runs `steps` random bytes through both the Stepper and model->forward one step at a time and
// expects equal logits at every step. With bf16 or int8 weights, forward runs the model with its
// weights rounded to that format.
void expect_stepper_matches_forward(int layers, int hidden, int64_t batch, int steps,
                                    WeightFormat weights = WeightFormat::fp32) {
  SCOPED_TRACE("layers " + std::to_string(layers) + " hidden " + std::to_string(hidden) +
               " batch " + std::to_string(batch) + " weights " + weight_format_name(weights));
  torch::manual_seed(layers * 100 + batch);
  CharLSTM model(config(layers, hidden));
  model->train();  // the Stepper must not depend on the model's mode
  Stepper stepper(model, batch, weights);
  if (weights == WeightFormat::bf16) round_weights_to_bf16(model);
  if (weights == WeightFormat::int8) round_weights_to_int8(model);
  model->eval();
  model->set_fused(false);  // an independent computation: torch's own LSTM
  torch::NoGradGuard no_grad;
  State state = model->initial_state(batch);
  auto bytes = torch::randint(0, 256, {batch, steps}, torch::kLong);
  std::vector<uint8_t> in(batch);
  std::vector<float> got(batch * kVocab);
  for (int t = 0; t < steps; ++t) {
    for (int64_t b = 0; b < batch; ++b) in[b] = static_cast<uint8_t>(bytes[b][t].item<int64_t>());
    stepper.step(in.data(), got.data());
    auto [logits, next] = model->forward(bytes.slice(1, t, t + 1), state);
    state = next;
    auto want = logits.reshape({batch, kVocab});
    auto diff = (torch::from_blob(got.data(), {batch, kVocab}) - want).abs().max().item<double>();
    ASSERT_LE(diff, 1e-5) << "step " << t;
  }
}

// Once per kernel path the CPU supports: batch 1 and 2 use their own AVX2 tiles.
using StepperPath = test::PerIsa;

TEST_P(StepperPath, MatchesModelForwardStepByStep) {
  for (int layers : {1, 2, 3})
    for (int64_t batch : {1, 5}) expect_stepper_matches_forward(layers, 24, batch, 12);
}

TEST_P(StepperPath, MatchesModelForwardAtDefaultSize) {
  for (int64_t batch : {1, 2, 16}) expect_stepper_matches_forward(2, 128, batch, 20);
}

TEST_P(StepperPath, Bf16WeightsMatchTheModelWithRoundedWeights) {
  for (int64_t batch : {1, 2, 7})
    expect_stepper_matches_forward(2, 40, batch, 12, WeightFormat::bf16);
  expect_stepper_matches_forward(3, 17, 1, 6, WeightFormat::bf16);
}

TEST_P(StepperPath, Int8WeightsMatchTheModelWithQuantizedWeights) {
  for (int64_t batch : {1, 2, 7})
    expect_stepper_matches_forward(2, 40, batch, 12, WeightFormat::int8);
  expect_stepper_matches_forward(3, 17, 1, 6, WeightFormat::int8);
  expect_stepper_matches_forward(1, 128, 2, 6, WeightFormat::int8);
}

// round_weights (what eval --weights int8 scores) is the same model, to the bit.
TEST(Stepper, RoundWeightsToInt8IsTheQuantizedModel) {
  torch::manual_seed(8);
  CharLSTM a(config(2, 24)), b(config(2, 24));
  torch::NoGradGuard no_grad;
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (auto& kv : pa) pb[kv.key()].copy_(kv.value());
  round_weights(a, WeightFormat::int8);
  round_weights_to_int8(b);
  for (auto& kv : pa) {
    EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
    if (kv.key().find("weight") != std::string::npos) {  // at most 255 distinct values per row
      EXPECT_LE(std::get<0>(at::_unique(kv.value()[0])).numel(), 255) << kv.key();
    }
  }
}

// bf16 is a different model: the test above would pass for a Stepper that ignored the format
// only if rounding changed nothing, so check that it does.
TEST(Stepper, Bf16WeightsChangeTheLogitsByTheRoundingOnly) {
  torch::manual_seed(5);
  CharLSTM model(config(2, 64));
  Stepper fp32(model, 1), bf16(model, 1, WeightFormat::bf16);
  std::vector<float> a(kVocab), b(kVocab);
  const uint8_t byte = 'e';
  fp32.step(&byte, a.data());
  bf16.step(&byte, b.data());
  double worst = 0;
  for (int i = 0; i < kVocab; ++i) worst = std::max<double>(worst, std::abs(a[i] - b[i]));
  EXPECT_GT(worst, 1e-6);  // the weights did change
  EXPECT_LT(worst, 1e-2);  // by bf16's 2^-9 relative rounding, no more
  EXPECT_EQ(parse_weight_format("bf16"), WeightFormat::bf16);
  // int8's steps are up to max|w| / 254 per weight: bigger, still small.
  Stepper int8(model, 1, WeightFormat::int8);
  int8.step(&byte, b.data());
  worst = 0;
  for (int i = 0; i < kVocab; ++i) worst = std::max<double>(worst, std::abs(a[i] - b[i]));
  EXPECT_GT(worst, 1e-5);
  EXPECT_LT(worst, 5e-2);
  EXPECT_EQ(parse_weight_format("int8"), WeightFormat::int8);
  EXPECT_THROW(parse_weight_format("int4"), InputError);
}

// Odd hidden sizes exercise the scalar tails of the vectorized gate loop.
TEST_P(StepperPath, MatchesModelForwardWithOddHidden) {
  expect_stepper_matches_forward(2, 13, 3, 8);
}

// A model bigger than a core's L2 (2 x 384: 7.5 MB of weights) has its products split by
// column panels over the intra-op threads. The split path matches the model, and its logits
// are the very bits of one thread's, so a seed's bytes do not depend on --threads.
TEST(Stepper, BigModelSplitOverThreadsGivesOneThreadsBits) {
  const int threads = at::get_num_threads();
  auto logits_with_threads = [](int n, int64_t batch) {
    at::set_num_threads(n);
    torch::manual_seed(21);
    CharLSTM model(config(2, 384));
    Stepper stepper(model, batch);
    std::vector<uint8_t> in(batch);
    std::vector<float> out(batch * kVocab), all;
    for (int t = 0; t < 4; ++t) {
      for (int64_t b = 0; b < batch; ++b) in[b] = static_cast<uint8_t>('a' + 3 * t + b);
      stepper.step(in.data(), out.data());
      all.insert(all.end(), out.begin(), out.end());
    }
    return all;
  };
  for (int64_t batch : {1, 3})
    EXPECT_EQ(logits_with_threads(1, batch), logits_with_threads(2, batch));
  at::set_num_threads(2);
  expect_stepper_matches_forward(2, 384, 1, 3);
  expect_stepper_matches_forward(2, 384, 2, 3, WeightFormat::bf16);
  expect_stepper_matches_forward(2, 384, 1, 3, WeightFormat::int8);
  at::set_num_threads(threads);
}

TEST(Stepper, ResetReturnsToTheZeroState) {
  torch::manual_seed(9);
  CharLSTM model(config(2, 16));
  Stepper stepper(model, 2);
  const uint8_t prime[2] = {'a', 'b'}, other[2] = {'x', 'y'};
  std::vector<float> first(2 * kVocab), again(2 * kVocab);
  stepper.step(prime, first.data());
  stepper.step(other, again.data());
  stepper.reset();
  stepper.step(prime, again.data());
  EXPECT_EQ(first, again);
}

INSTANTIATE_PER_ISA(StepperPath);

}  // namespace
}  // namespace charrnn
