#include "charrnn/train_step.h"

#include <torch/torch.h>

#include <cmath>

namespace charrnn {

double train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                  const torch::Tensor& y, State& state, double grad_clip) {
  auto [logits, next] = model->forward(x, state);
  // logits: (B,T,256) → mean cross-entropy per byte (nats)
  auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}), y.reshape({-1}));
  opt.zero_grad();
  loss.backward();
  const double value = loss.item<double>();
  if (!std::isfinite(value)) return value;  // the caller decides; the weights stay untouched
  if (grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), grad_clip);
  opt.step();
  state = next.detach();
  return value;
}

}  // namespace charrnn
