#include "charrnn/model.h"

#include <torch/torch.h>

#include "charrnn/errors.h"

namespace charrnn {

CharLSTMImpl::CharLSTMImpl(const ModelConfig& cfg) : cfg_(cfg) {
  if (cfg.layers < 1) throw InputError("--layers must be at least 1");
  if (cfg.hidden < 1) throw InputError("--hidden must be at least 1");
  if (!(cfg.dropout >= 0.0 && cfg.dropout < 1.0)) {
    throw InputError("--dropout must be in [0, 1)");
  }
  // torch's LSTM applies dropout to the outputs of every layer but the last.
  lstm = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(kVocab, cfg.hidden)
                                  .num_layers(cfg.layers)
                                  .dropout(cfg.layers > 1 ? cfg.dropout : 0.0)
                                  .batch_first(true)));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
  head = register_module("head", torch::nn::Linear(cfg.hidden, kVocab));
}

torch::Device CharLSTMImpl::device() const { return head->weight.device(); }

State CharLSTMImpl::initial_state(int64_t batch) const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device());
  return {torch::zeros({cfg_.layers, batch, cfg_.hidden}, opts),
          torch::zeros({cfg_.layers, batch, cfg_.hidden}, opts)};
}

std::pair<torch::Tensor, State> CharLSTMImpl::forward(const torch::Tensor& x, const State& state) {
  // x: (B,T) int64 → y: (B,T,H)
  torch::Tensor y;
  State out;
  // Reference path: one-hot (B,T,256) through torch's LSTM (cuDNN on CUDA).
  auto onehot = torch::one_hot(x, kVocab).to(torch::kFloat);
  auto [seq, hc] = lstm->forward(onehot, std::make_tuple(state.h, state.c));
  y = seq;
  out = {std::get<0>(hc), std::get<1>(hc)};
  // logits: (B,T,256)
  return {head->forward(drop->forward(y)), out};
}

int64_t count_parameters(const CharLSTM& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  return n;
}

}  // namespace charrnn
