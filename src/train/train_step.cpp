#include "charrnn/train/train_step.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace charrnn {

bool StepOutcome::stepped() const { return std::isfinite(loss) && std::isfinite(grad_norm); }

StepOutcome train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                       const torch::Tensor& y, State& state, double grad_clip, StepFaults faults,
                       Precision precision, LossScaler* scaler) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  StepOutcome out;
  out.grad_norm = std::numeric_limits<double>::quiet_NaN();
  torch::Tensor loss;
  State next;
  {
    AutocastScope autocast(precision);
    // Mean cross-entropy per byte (nats); autocast computes it in float32.
    auto [l, after] = model->loss(x, y, state);
    loss = l;
    // The carried state stays float32 whatever autocast computed it in (checkpoints hold it).
    next = {after.h.to(torch::kFloat), after.c.to(torch::kFloat)};
  }
  if (faults.loss_nan) loss = loss * std::numeric_limits<double>::quiet_NaN();
  out.loss = loss.item<double>();
  if (!std::isfinite(out.loss)) return out;
  opt.zero_grad();
  const bool scaling = scaler != nullptr && scaler->enabled();
  (scaling ? scaler->scale_loss(loss) : loss).backward();
  if (faults.grad_inf) model->parameters().front().mutable_grad().fill_(kInf);
  if (scaling) scaler->unscale(model->parameters());
  // Clipping at +Inf scales by exactly 1: the norm is needed for the finiteness check anyway.
  out.grad_norm =
      torch::nn::utils::clip_grad_norm_(model->parameters(), grad_clip > 0 ? grad_clip : kInf);
  const bool finite = std::isfinite(out.grad_norm);
  if (scaling) {
    // At the smallest scale an overflow is no longer the scale's fault: report it as a fault.
    out.overflow = !finite && scaler->scale() > 1.0;
    if (finite || out.overflow) scaler->update(finite);
    if (out.overflow) state = next.detach();
  }
  if (!finite) return out;
  opt.step();
  state = next.detach();
  return out;
}

}  // namespace charrnn
