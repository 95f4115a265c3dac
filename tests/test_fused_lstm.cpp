// The fused LSTM layer must be torch::nn::LSTM with the same weights: outputs, final states and
// every gradient, at tiny and realistic sizes, from zero and from carried state.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "charrnn/model/fused_lstm.h"
#include "charrnn/model/model.h"
#include "kernels/isa_test_util.h"

namespace {

constexpr double kTol = 1e-5;

struct Case {
  int64_t B, T, I, H;
  bool carried_state;  // nonzero h0/c0, as when state is carried across batches
};

// B > 8 splits rows across threads ({21, ...}: input product per step); {17, 3, 512, 512}'s
// w_ih and w_hh (8 MB) are beyond half an L2, so its input product is one GEMM.
const Case kCases[] = {{2, 3, 4, 5, false},     {2, 3, 4, 5, true},     {1, 1, 3, 8, true},
                       {3, 7, 9, 17, true},     {8, 20, 256, 64, false}, {8, 20, 256, 64, true},
                       {21, 6, 10, 12, true},   {17, 3, 512, 512, true}};

// The cases take both ways of forming the input product.
TEST(FusedLstm, CasesCoverTheInputProductPerStepAndInOneGemm) {
  int per_step = 0, one_gemm = 0;
  for (const Case& c : kCases)
    (charrnn::fused_input_product_per_step(c.B, c.I, c.H) ? per_step : one_gemm)++;
  EXPECT_GT(per_step, 0);
  EXPECT_GT(one_gemm, 0);
}

std::string describe(const Case& c) {
  return "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) + " I=" + std::to_string(c.I) +
         " H=" + std::to_string(c.H) + (c.carried_state ? " carried state" : " zero state");
}

// Max |a-b| beyond the tolerance a + r|b| (allclose with atol = rtol = kTol); 0 when close.
void expect_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << " is undefined";
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double err = (got - want).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(got, want, kTol, kTol))
      << what << ": max |diff| " << err << " (max |want| " << want.abs().max().item<double>()
      << ")";
}

struct Weights {
  torch::Tensor w_ih, w_hh, b_ih, b_hh;
};

// A one-layer torch LSTM and leaf copies of its weights for the fused layer.
std::pair<torch::nn::LSTM, Weights> make_lstm(int64_t I, int64_t H) {
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(I, H).num_layers(1).batch_first(true));
  auto p = lstm->named_parameters();
  Weights w{p["weight_ih_l0"].detach().clone().requires_grad_(),
            p["weight_hh_l0"].detach().clone().requires_grad_(),
            p["bias_ih_l0"].detach().clone().requires_grad_(),
            p["bias_hh_l0"].detach().clone().requires_grad_()};
  return {lstm, w};
}

// Random weighted sum of all three outputs, so every output gradient path is exercised.
struct Probe {
  torch::Tensor gy, gh, gc;
  torch::Tensor loss(const torch::Tensor& y, const torch::Tensor& h, const torch::Tensor& c) const {
    return (y * gy).sum() + (h * gh).sum() + (c * gc).sum();
  }
};

void compare_layer(const Case& c, bool byte_input) {
  SCOPED_TRACE(describe(c) + (byte_input ? " bytes" : " float"));
  torch::manual_seed(c.B * 1000 + c.T * 100 + c.I + c.H + (c.carried_state ? 7 : 0));
  auto [lstm, w] = make_lstm(c.I, c.H);

  torch::Tensor bytes = torch::randint(0, c.I, {c.B, c.T}, torch::kLong);
  torch::Tensor x =
      byte_input ? torch::one_hot(bytes, c.I).to(torch::kFloat) : torch::randn({c.B, c.T, c.I});
  x.requires_grad_(!byte_input);
  const double scale = c.carried_state ? 0.5 : 0.0;
  torch::Tensor h0 = (torch::randn({c.B, c.H}) * scale).requires_grad_();
  torch::Tensor c0 = (torch::randn({c.B, c.H}) * scale).requires_grad_();
  Probe probe{torch::randn({c.B, c.T, c.H}), torch::randn({c.B, c.H}), torch::randn({c.B, c.H})};

  // Reference: torch's LSTM; state is (layers,B,H).
  auto h0_ref = h0.detach().clone().requires_grad_();
  auto c0_ref = c0.detach().clone().requires_grad_();
  auto x_ref = x.detach().clone().requires_grad_(!byte_input);
  auto [y_ref, state_ref] =
      lstm->forward(x_ref, std::make_tuple(h0_ref.unsqueeze(0), c0_ref.unsqueeze(0)));
  torch::Tensor hT_ref = std::get<0>(state_ref).squeeze(0);
  torch::Tensor cT_ref = std::get<1>(state_ref).squeeze(0);
  probe.loss(y_ref, hT_ref, cT_ref).backward();

  auto out = byte_input
                 ? charrnn::fused_lstm_layer_bytes(bytes, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh)
                 : charrnn::fused_lstm_layer(x, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
  ASSERT_EQ(out.size(), 3u);
  probe.loss(out[0], out[1], out[2]).backward();

  expect_close(out[0], y_ref, "y");
  expect_close(out[1], hT_ref, "hT");
  expect_close(out[2], cT_ref, "cT");
  if (!byte_input) expect_close(x.grad(), x_ref.grad(), "dx");
  expect_close(h0.grad(), h0_ref.grad(), "dh0");
  expect_close(c0.grad(), c0_ref.grad(), "dc0");
  auto p = lstm->named_parameters();
  expect_close(w.w_ih.grad(), p["weight_ih_l0"].grad(), "dw_ih");
  expect_close(w.w_hh.grad(), p["weight_hh_l0"].grad(), "dw_hh");
  expect_close(w.b_ih.grad(), p["bias_ih_l0"].grad(), "db_ih");
  expect_close(w.b_hh.grad(), p["bias_hh_l0"].grad(), "db_hh");
}

// The equivalence tests run once per kernel path (packed GEMM and gate code) the CPU supports.
using FusedLstmPath = charrnn::test::PerIsa;

TEST_P(FusedLstmPath, MatchesTorchLstmForwardAndGradients) {
  for (const Case& c : kCases) compare_layer(c, /*byte_input=*/false);
}

TEST_P(FusedLstmPath, ByteInputMatchesTorchLstmOnOneHot) {
  for (const Case& c : kCases) compare_layer(c, /*byte_input=*/true);
}

// Two fused layers chained (the second reads the first's time-major output without a copy)
// equal a two-layer torch LSTM.
TEST_P(FusedLstmPath, StackedLayersMatchTwoLayerTorchLstm) {
  const int64_t B = 4, T = 9, V = 256, H = 16;
  torch::manual_seed(3);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(V, H).num_layers(2).batch_first(true));
  torch::Tensor bytes = torch::randint(0, V, {B, T}, torch::kLong);
  torch::Tensor h0 = torch::randn({2, B, H}) * 0.5, c0 = torch::randn({2, B, H}) * 0.5;
  torch::Tensor gy = torch::randn({B, T, H});

  auto [y_ref, st] =
      lstm->forward(torch::one_hot(bytes, V).to(torch::kFloat), std::make_tuple(h0, c0));
  (y_ref * gy).sum().backward();
  auto p = lstm->named_parameters();
  std::vector<torch::Tensor> ref_grads;
  for (auto& kv : p) ref_grads.push_back(kv.value().grad().clone());
  for (auto& kv : p) kv.value().mutable_grad().zero_();

  auto l0 = charrnn::fused_lstm_layer_bytes(bytes, h0[0], c0[0], p["weight_ih_l0"],
                                            p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]);
  auto l1 = charrnn::fused_lstm_layer(l0[0], h0[1], c0[1], p["weight_ih_l1"], p["weight_hh_l1"],
                                      p["bias_ih_l1"], p["bias_hh_l1"]);
  (l1[0] * gy).sum().backward();
  expect_close(l1[0], y_ref, "y");
  expect_close(torch::stack({l0[1], l1[1]}), std::get<0>(st), "hT");
  expect_close(torch::stack({l0[2], l1[2]}), std::get<1>(st), "cT");
  size_t k = 0;
  for (auto& kv : p) expect_close(kv.value().grad(), ref_grads[k++], kv.key());
}

// Only y is used: the unused final-state outputs reach backward as undefined gradients.
TEST(FusedLstm, UnusedFinalStateNeedsNoGradient) {
  torch::manual_seed(5);
  auto [lstm, w] = make_lstm(6, 8);
  torch::Tensor x = torch::randn({3, 4, 6}, torch::requires_grad());
  auto out = charrnn::fused_lstm_layer(x, torch::zeros({3, 8}), torch::zeros({3, 8}), w.w_ih,
                                       w.w_hh, w.b_ih, w.b_hh);
  out[0].sum().backward();
  auto [y_ref, st] = lstm->forward(x.detach());
  expect_close(out[0], y_ref, "y");
  EXPECT_TRUE(x.grad().defined());
  EXPECT_TRUE(w.w_hh.grad().defined());
}

TEST(FusedLstm, RejectsBadShapesAndBytes) {
  auto [lstm, w] = make_lstm(4, 5);
  torch::Tensor h = torch::zeros({2, 5});
  EXPECT_THROW(
      charrnn::fused_lstm_layer(torch::randn({2, 3, 7}), h, h, w.w_ih, w.w_hh, w.b_ih, w.b_hh),
      c10::Error);
  EXPECT_THROW(charrnn::fused_lstm_layer_bytes(torch::full({2, 3}, 4, torch::kLong), h, h, w.w_ih,
                                               w.w_hh, w.b_ih, w.b_hh),
               c10::Error);
}

// CharLSTM with set_fused(true) runs these kernels on the CPU; with dropout off it must give
// torch's logits, state and parameter gradients.
TEST_P(FusedLstmPath, ModelWithFusedOnMatchesFusedOff) {
  for (int layers : {1, 2, 3}) {
    SCOPED_TRACE("layers " + std::to_string(layers));
    torch::manual_seed(layers);
    charrnn::ModelConfig cfg;
    cfg.layers = layers;
    cfg.hidden = 24;
    cfg.dropout = 0.0;
    charrnn::CharLSTM model(cfg);
    model->train();
    const int64_t B = 5, T = 11;
    auto x = torch::randint(0, 256, {B, T}, torch::kLong);
    auto target = torch::randint(0, 256, {B, T}, torch::kLong);
    charrnn::State s0{torch::randn({layers, B, 24}) * 0.5, torch::randn({layers, B, 24}) * 0.5};

    auto run = [&](bool fused) {
      model->set_fused(fused);
      model->zero_grad();
      auto [logits, state] = model->forward(x, s0);
      torch::nn::functional::cross_entropy(logits.reshape({-1, 256}), target.reshape({-1}))
          .backward();
      std::vector<torch::Tensor> r = {logits.detach(), state.h.detach(), state.c.detach()};
      for (const auto& p : model->parameters()) r.push_back(p.grad().clone());
      return r;
    };
    const auto ref = run(false), got = run(true);
    ASSERT_EQ(ref.size(), got.size());
    for (size_t i = 0; i < ref.size(); ++i)
      expect_close(got[i], ref[i], "output " + std::to_string(i));
  }
}

INSTANTIATE_PER_ISA(FusedLstmPath);

}  // namespace
