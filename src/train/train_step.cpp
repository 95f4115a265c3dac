#include "charrnn/train/train_step.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "charrnn/train/adam_step.h"

namespace charrnn {
namespace {

// The ranks' mean gradients and loss, and the sums of `sync.shared`, in one allreduce of a flat
// float32 buffer: [gradients..., loss, shared...] (the gradients' own precision: half the bytes
// of float64 on the wire; every rank receives the same sums).
void average_over_ranks(CharLSTM& model, torch::Tensor& loss, StepSync& sync) {
  std::vector<torch::Tensor> parts;
  auto params = model->parameters();
  for (const auto& p : params) parts.push_back(p.grad().reshape({-1}).to(torch::kFloat));
  parts.push_back(loss.detach().reshape({1}).to(torch::kFloat));
  parts.push_back(
      torch::tensor(sync.shared, torch::kFloat64).to(torch::kFloat).to(loss.device()));
  torch::Tensor flat = torch::cat(parts);
  sync.group->allreduce_sum(flat);
  const double inv = 1.0 / sync.group->world();
  int64_t at = 0;
  for (auto& p : params) {
    const int64_t n = p.numel();
    p.mutable_grad().copy_(flat.slice(0, at, at + n).mul(inv).view_as(p));
    at += n;
  }
  loss = flat.slice(0, at, at + 1).mul(inv).to(loss.scalar_type()).reshape({});
  const auto shared = flat.slice(0, at + 1).cpu();
  for (size_t i = 0; i < sync.shared.size(); ++i) sync.shared[i] = shared[i].item<double>();
}

}  // namespace

bool StepOutcome::stepped() const { return std::isfinite(loss) && std::isfinite(grad_norm); }

StepOutcome train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                       const torch::Tensor& y, State& state, double grad_clip, StepFaults faults,
                       Precision precision, LossScaler* scaler, StepSync* sync) {
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
  const bool together = sync != nullptr && sync->group != nullptr;
  out.loss = loss.item<double>();
  // Alone, a bad loss stops here; ranks go on to the allreduce, which spreads it to all of them.
  if (!together && !std::isfinite(out.loss)) return out;
  opt.zero_grad();
  const bool scaling = scaler != nullptr && scaler->enabled();
  (scaling ? scaler->scale_loss(loss) : loss).backward();
  if (faults.grad_inf) model->parameters().front().mutable_grad().fill_(kInf);
  if (together) {
    average_over_ranks(model, loss, *sync);
    out.loss = loss.item<double>();
    if (!std::isfinite(out.loss)) return out;
  }
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
  adam_step(opt);
  state = next.detach();
  return out;
}

}  // namespace charrnn
