#include "charrnn/model/model.h"

#include <torch/torch.h>

#include "charrnn/errors.h"
#include "charrnn/model/dropout.h"
#include "charrnn/model/fused_lstm.h"
#include "charrnn/model/head_loss.h"

namespace charrnn {

CharLSTMImpl::CharLSTMImpl(const ModelConfig& cfg) : cfg_(cfg) {
  if (cfg.layers < 1) throw InputError("--layers must be at least 1");
  if (cfg.hidden < 1) throw InputError("--hidden must be at least 1");
  if (!(cfg.dropout >= 0.0 && cfg.dropout < 1.0)) {
    throw InputError("--dropout must be in [0, 1)");
  }
  // torch's LSTM applies dropout to the outputs of every layer but the last.
  lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(kVocab, cfg.hidden)
                                                     .num_layers(cfg.layers)
                                                     .dropout(cfg.layers > 1 ? cfg.dropout : 0.0)
                                                     .batch_first(true)));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
  head = register_module("head", torch::nn::Linear(cfg.hidden, kVocab));
}

torch::Device CharLSTMImpl::device() const { return head->weight.device(); }

bool CharLSTMImpl::fused_path(const torch::Tensor& input) const {
  return fused_ && input.device().is_cpu() && head->weight.scalar_type() == torch::kFloat;
}

State CharLSTMImpl::initial_state(int64_t batch) const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device());
  return {torch::zeros({cfg_.layers, batch, cfg_.hidden}, opts),
          torch::zeros({cfg_.layers, batch, cfg_.hidden}, opts)};
}

std::pair<torch::Tensor, State> CharLSTMImpl::forward(const torch::Tensor& x, const State& state) {
  auto [f, next] = features(x, state);
  // logits: (B,T,256)
  return {head->forward(f), next};
}

std::pair<torch::Tensor, State> CharLSTMImpl::loss(const torch::Tensor& x, const torch::Tensor& y,
                                                   const State& state, bool sum) {
  auto [f, next] = features(x, state);
  // f: (B,T,H). Time-major storage: score (T,B,H) so head and loss read it as it lies.
  const bool time_major = f.transpose(0, 1).is_contiguous();
  const auto feats = time_major ? f.transpose(0, 1) : f;
  const auto targets = (time_major ? y.t() : y).reshape({-1}).to(f.device());
  if (fused_path(f)) {
    // The head and the loss as one node (head_loss.h): rows (T*B,H) or (B*T,H)
    return {head_cross_entropy(feats.reshape({-1, cfg_.hidden}), targets, head->weight, head->bias,
                               sum),
            next};
  }
  // logits: (T*B,256) or (B*T,256), rows in the order of targets
  const auto logits = head->forward(feats).reshape({-1, kVocab});
  namespace F = torch::nn::functional;
  auto opts = F::CrossEntropyFuncOptions();
  if (sum) opts.reduction(torch::kSum);
  return {F::cross_entropy(logits, targets, opts), next};
}

std::pair<torch::Tensor, State> CharLSTMImpl::features(const torch::Tensor& x, const State& state) {
  if (fused_path(x)) {
    // Fused CPU kernels, same maths as torch's LSTM (see fused_lstm.h), reading torch's own
    // parameters so optimizer, checkpoints and the CUDA path are unchanged. Like torch's LSTM,
    // dropout goes on the outputs of every layer but the last (fast_dropout: same
    // distribution as torch's, cheaper masks, and it keeps the time-major layout).
    auto params = lstm->named_parameters();
    auto param = [&](const char* name, int k) { return params[name + std::to_string(k)]; };
    const double p = lstm->options.dropout();
    std::vector<torch::Tensor> hs, cs;
    torch::Tensor y;  // (B,T,H) output of the layer below
    for (int k = 0; k < cfg_.layers; ++k) {
      auto w_ih = param("weight_ih_l", k), w_hh = param("weight_hh_l", k);
      auto b_ih = param("bias_ih_l", k), b_hh = param("bias_hh_l", k);
      // x: (B,T) bytes for the first layer; y: (B,T,H) from the layer below otherwise.
      auto o = k == 0 ? fused_lstm_layer_bytes(x, state.h[0], state.c[0], w_ih, w_hh, b_ih, b_hh)
                      : fused_lstm_layer(fast_dropout(y, p, is_training()), state.h[k], state.c[k],
                                         w_ih, w_hh, b_ih, b_hh);
      y = o[0];
      hs.push_back(o[1]);
      cs.push_back(o[2]);
    }
    return {fast_dropout(y, cfg_.dropout, is_training()), {torch::stack(hs), torch::stack(cs)}};
  }
  // Reference path: one-hot (B,T,256) through torch's LSTM (cuDNN on CUDA).
  auto onehot = torch::one_hot(x, kVocab).to(torch::kFloat);
  auto [seq, hc] = lstm->forward(onehot, std::make_tuple(state.h, state.c));
  return {drop->forward(seq), {std::get<0>(hc), std::get<1>(hc)}};
}

int64_t count_parameters(const CharLSTM& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  return n;
}

}  // namespace charrnn
