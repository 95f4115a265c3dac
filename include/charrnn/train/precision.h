// Mixed precision for CUDA training: autocast for the forward pass (weights, optimizer state
// and checkpoints stay float32), and dynamic loss scaling for fp16, whose narrow exponent range
// would otherwise flush small gradients to zero. CPU training is always float32.
#pragma once
#include <c10/core/Device.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace charrnn {

enum class Precision { kFp32, kBf16, kFp16 };

// "fp32" | "bf16" | "fp16"; anything else is an InputError naming the choices.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision p);

// InputError unless `p` is fp32 or `device` is CUDA.
void check_precision(Precision p, const c10::Device& device);

// Autocasts CUDA ops to bf16/fp16 for its lifetime (nothing for fp32), restoring the previous
// autocast settings and clearing autocast's weight-cast cache when it ends.
class AutocastScope {
 public:
  explicit AutocastScope(Precision p);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

// Dynamic loss scaling, the scheme of torch.cuda.amp.GradScaler: the loss is multiplied by
// `scale` before backward and the gradients divided by it after; when any gradient overflows
// the step is skipped and the scale halves, and after `growth_interval` clean steps in a row it
// doubles. Scales are powers of two, so scaling and unscaling are exact. Disabled, it is the
// identity and never skips.
class LossScaler {
 public:
  explicit LossScaler(bool enabled, double init_scale = 65536.0, int growth_interval = 2000);

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }

  torch::Tensor scale_loss(const torch::Tensor& loss) const;
  void unscale(const std::vector<torch::Tensor>& params) const;  // grads /= scale
  // Records whether this step's gradients were finite; adjusts the scale.
  void update(bool finite);

 private:
  bool enabled_;
  double scale_;
  int growth_interval_;
  int clean_steps_ = 0;
};

}  // namespace charrnn
