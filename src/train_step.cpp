#include "charrnn/train_step.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace charrnn {

bool StepOutcome::stepped() const { return std::isfinite(loss) && std::isfinite(grad_norm); }

StepOutcome train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                       const torch::Tensor& y, State& state, double grad_clip, StepFaults faults) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  StepOutcome out;
  out.grad_norm = std::numeric_limits<double>::quiet_NaN();
  auto [logits, next] = model->forward(x, state);
  // logits: (B,T,256) → mean cross-entropy per byte (nats)
  auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}), y.reshape({-1}));
  if (faults.loss_nan) loss = loss * std::numeric_limits<double>::quiet_NaN();
  out.loss = loss.item<double>();
  if (!std::isfinite(out.loss)) return out;
  opt.zero_grad();
  loss.backward();
  if (faults.grad_inf) model->parameters().front().mutable_grad().fill_(kInf);
  // Clipping at +Inf scales by exactly 1: the norm is needed for the finiteness check anyway.
  out.grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(),
                                                    grad_clip > 0 ? grad_clip : kInf);
  if (!std::isfinite(out.grad_norm)) return out;
  opt.step();
  state = next.detach();
  return out;
}

}  // namespace charrnn
