// CharLSTM: bytes → one-hot(256) → LSTM×L (H) → dropout → Linear(256) logits.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include <utility>

#include "charrnn/config.h"

namespace charrnn {

// Recurrent state carried from batch to batch. h, c: (L,B,H).
struct State {
  torch::Tensor h;
  torch::Tensor c;
  State detach() const { return {h.detach(), c.detach()}; }
};

class CharLSTMImpl : public torch::nn::Module {
 public:
  explicit CharLSTMImpl(const ModelConfig& cfg);

  // x: (B,T) int64 bytes; returns logits (B,T,256) and the state after the last step.
  // Dropout is active in train() mode only (between LSTM layers and before the head).
  std::pair<torch::Tensor, State> forward(const torch::Tensor& x, const State& state);

  // Cross-entropy of predicting y (B,T) int64 from x (B,T), in nats: the mean per byte, or the
  // sum with `sum`; and the state after the last step. Equal to cross_entropy(forward(x), y),
  // but the fused path's time-major features are scored in (T,B) order, so nothing is reordered
  // or copied on the way to the loss.
  std::pair<torch::Tensor, State> loss(const torch::Tensor& x, const torch::Tensor& y,
                                       const State& state, bool sum = false);

  // Zero state for `batch` streams on the model's device. h, c: (L,B,H).
  State initial_state(int64_t batch) const;

  const ModelConfig& config() const { return cfg_; }
  torch::Device device() const;

  // Use the fused CPU kernels when the model is on the CPU (same maths; see fused_lstm.h and
  // head_loss.h).
  void set_fused(bool on) { fused_ = on; }
  bool fused() const { return fused_; }

  torch::nn::LSTM lstm{nullptr};     // torch's LSTM owns the weights (cuDNN path on CUDA)
  torch::nn::Dropout drop{nullptr};  // before the output layer
  torch::nn::Linear head{nullptr};   // H → 256 logits

 private:
  // The LSTM stack and the dropout before the head: (B,T) bytes → (B,T,H) features (stored
  // time-major on the fused path) and the final state.
  std::pair<torch::Tensor, State> features(const torch::Tensor& x, const State& state);
  // Whether `input` runs the fused CPU kernels: the LSTM's, then the head and loss's.
  bool fused_path(const torch::Tensor& input) const;

  ModelConfig cfg_;
  bool fused_ = true;
};
TORCH_MODULE(CharLSTM);

// Total number of trainable scalars.
int64_t count_parameters(const CharLSTM& model);

}  // namespace charrnn
