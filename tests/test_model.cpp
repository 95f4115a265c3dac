#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "charrnn/model/model.h"

using namespace charrnn;

namespace {

ModelConfig tiny(int layers, int hidden) {
  ModelConfig c;
  c.layers = layers;
  c.hidden = hidden;
  c.dropout = 0.0;
  return c;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// An independent LSTM written from the equations (gate order i, f, g, o), in double, with the
// first layer's input as one-hot bytes (so W_ih x is column x of W_ih).
std::vector<std::vector<double>> reference_logits(CharLSTM& m, const std::vector<int>& bytes) {
  const int L = m->config().layers, H = m->config().hidden;
  auto param = [&](const std::string& name) {
    return m->named_parameters()[name].to(torch::kDouble).contiguous();
  };
  std::vector<std::vector<double>> h(L, std::vector<double>(H, 0.0)), c = h, out;
  for (int byte : bytes) {
    std::vector<double> input;  // empty on layer 0: one-hot handled as a column lookup
    for (int l = 0; l < L; ++l) {
      const auto s = std::to_string(l);
      auto wih = param("lstm.weight_ih_l" + s), whh = param("lstm.weight_hh_l" + s);
      auto bih = param("lstm.bias_ih_l" + s), bhh = param("lstm.bias_hh_l" + s);
      auto Wi = wih.accessor<double, 2>(), Wh = whh.accessor<double, 2>();
      auto bi = bih.accessor<double, 1>(), bh = bhh.accessor<double, 1>();
      std::vector<double> gates(4 * H);
      for (int r = 0; r < 4 * H; ++r) {
        double g = bi[r] + bh[r];
        if (l == 0) {
          g += Wi[r][byte];
        } else {
          for (int k = 0; k < H; ++k) g += Wi[r][k] * input[k];
        }
        for (int k = 0; k < H; ++k) g += Wh[r][k] * h[l][k];
        gates[r] = g;
      }
      for (int k = 0; k < H; ++k) {
        const double i = sigmoid(gates[k]), f = sigmoid(gates[H + k]);
        const double g = std::tanh(gates[2 * H + k]), o = sigmoid(gates[3 * H + k]);
        c[l][k] = f * c[l][k] + i * g;
        h[l][k] = o * std::tanh(c[l][k]);
      }
      input = h[l];
    }
    auto w = param("head.weight"), b = param("head.bias");
    auto W = w.accessor<double, 2>();
    std::vector<double> z(kVocab);
    for (int v = 0; v < kVocab; ++v) {
      z[v] = b[v].item<double>();
      for (int k = 0; k < H; ++k) z[v] += W[v][k] * input[k];
    }
    out.push_back(z);
  }
  return out;
}

}  // namespace

TEST(Model, ShapesOfLogitsAndState) {
  torch::manual_seed(0);
  CharLSTM m(tiny(2, 16));
  auto x = torch::randint(0, 256, {3, 7}, torch::kLong);
  auto [logits, state] = m->forward(x, m->initial_state(3));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 7, 256}));
  EXPECT_EQ(state.h.sizes(), (std::vector<int64_t>{2, 3, 16}));
  EXPECT_EQ(state.c.sizes(), (std::vector<int64_t>{2, 3, 16}));
}

TEST(Model, MatchesTheLstmEquationsOnOneHotBytes) {
  for (int layers : {1, 2, 3}) {
    torch::manual_seed(layers);
    CharLSTM m(tiny(layers, 6));
    m->eval();
    const std::vector<int> bytes = {72, 105, 33, 0, 255, 10};
    auto x = torch::tensor(std::vector<int64_t>(bytes.begin(), bytes.end())).reshape({1, -1});
    torch::NoGradGuard ng;
    auto [logits, state] = m->forward(x, m->initial_state(1));
    const auto ref = reference_logits(m, bytes);
    for (size_t t = 0; t < bytes.size(); ++t) {
      for (int v = 0; v < kVocab; v += 17) {
        EXPECT_NEAR(logits[0][t][v].item<double>(), ref[t][v], 1e-5) << "layers " << layers;
      }
    }
  }
}

TEST(Model, StateCarriesAcrossCalls) {
  torch::manual_seed(1);
  CharLSTM m(tiny(2, 12));
  m->eval();
  torch::NoGradGuard ng;
  auto x = torch::randint(0, 256, {4, 10}, torch::kLong);
  auto [whole, s_whole] = m->forward(x, m->initial_state(4));
  auto [first, s1] = m->forward(x.slice(1, 0, 6), m->initial_state(4));
  auto [second, s2] = m->forward(x.slice(1, 6, 10), s1);
  EXPECT_TRUE(torch::allclose(torch::cat({first, second}, 1), whole, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s2.h, s_whole.h, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s2.c, s_whole.c, 1e-5, 1e-6));
  // And a zero state is not the same as the carried one: the carry matters.
  auto [fresh, unused] = m->forward(x.slice(1, 6, 10), m->initial_state(4));
  EXPECT_FALSE(torch::allclose(fresh, second, 1e-3, 1e-3));
}

TEST(Model, DropoutOnlyInTrainMode) {
  torch::manual_seed(2);
  ModelConfig c = tiny(2, 32);
  c.dropout = 0.5;
  CharLSTM m(c);
  auto x = torch::randint(0, 256, {2, 5}, torch::kLong);
  m->eval();
  auto a = m->forward(x, m->initial_state(2)).first;
  auto b = m->forward(x, m->initial_state(2)).first;
  EXPECT_TRUE(torch::equal(a, b));
  m->train();
  auto d = m->forward(x, m->initial_state(2)).first;
  EXPECT_FALSE(torch::allclose(a, d, 1e-4, 1e-4));
}

TEST(Model, LossEqualsCrossEntropyOfForwardWithGradients) {
  // loss() scores the fused path's features in (T,B) order; it must be the same number, with
  // the same gradients, as cross_entropy(forward()), on both paths, with dropout active.
  for (bool fused : {true, false}) {
    for (bool sum : {false, true}) {
      ModelConfig c;
      c.hidden = 20;
      c.dropout = 0.3;
      torch::manual_seed(4);
      CharLSTM m(c);
      m->set_fused(fused);
      m->train();
      const auto x = torch::randint(0, 256, {5, 7}, torch::kLong);
      const auto y = torch::randint(0, 256, {5, 7}, torch::kLong);
      const State s0 = m->initial_state(5);

      torch::manual_seed(17);  // same dropout masks for both computations
      auto [l1, st1] = m->loss(x, y, s0, sum);
      l1.backward();
      std::vector<torch::Tensor> g1;
      for (auto& p : m->parameters()) {
        g1.push_back(p.grad().clone());
        p.mutable_grad().zero_();
      }
      torch::manual_seed(17);
      auto [logits, st2] = m->forward(x, s0);
      auto opts = torch::nn::functional::CrossEntropyFuncOptions();
      if (sum) opts.reduction(torch::kSum);
      auto l2 =
          torch::nn::functional::cross_entropy(logits.reshape({-1, 256}), y.reshape({-1}), opts);
      l2.backward();
      SCOPED_TRACE(std::string(fused ? "fused" : "reference") + (sum ? ", sum" : ", mean"));
      const double v1 = l1.item<double>(), v2 = l2.item<double>();
      EXPECT_NEAR(v1, v2, 1e-5 * std::abs(v2));
      EXPECT_TRUE(torch::allclose(st1.h, st2.h) && torch::allclose(st1.c, st2.c));
      const auto params = m->parameters();
      for (size_t i = 0; i < params.size(); ++i)
        EXPECT_TRUE(torch::allclose(g1[i], params[i].grad(), 1e-5, 1e-6)) << "parameter " << i;
    }
  }
}
