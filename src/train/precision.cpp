#include "charrnn/train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "charrnn/errors.h"

namespace charrnn {
namespace {

// LibTorch 2.4 replaced the CUDA-only autocast calls with per-device ones (the old ones remain,
// deprecated); use whichever this LibTorch has as its main API.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cuda_autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
void set_cuda_autocast(bool on) { at::autocast::set_autocast_enabled(at::kCUDA, on); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_dtype(at::kCUDA, t); }
#else
bool cuda_autocast_enabled() { return at::autocast::is_enabled(); }
void set_cuda_autocast(bool on) { at::autocast::set_enabled(on); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_gpu_dtype(); }
void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_gpu_dtype(t); }
#endif

}  // namespace

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  throw InputError("--precision must be fp32, bf16 or fp16, got '" + name + "'");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    default:
      return "fp32";
  }
}

void check_precision(Precision p, const c10::Device& device) {
  if (p != Precision::kFp32 && !device.is_cuda()) {
    throw InputError(std::string("--precision ") + precision_name(p) +
                     " needs a CUDA device; on the CPU training is float32 (use --precision fp32 "
                     "or --device cuda)");
  }
}

AutocastScope::AutocastScope(Precision p) {
  if (p == Precision::kFp32) return;
  active_ = true;
  was_enabled_ = cuda_autocast_enabled();
  was_dtype_ = cuda_autocast_dtype();
  set_cuda_autocast_dtype(p == Precision::kBf16 ? at::kBFloat16 : at::kHalf);
  set_cuda_autocast(true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache holds low-precision copies of the weights for this forward pass only.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cuda_autocast(was_enabled_);
  set_cuda_autocast_dtype(was_dtype_);
}

LossScaler::LossScaler(bool enabled, double init_scale, int growth_interval)
    : enabled_(enabled), scale_(enabled ? init_scale : 1.0), growth_interval_(growth_interval) {}

torch::Tensor LossScaler::scale_loss(const torch::Tensor& loss) const {
  return enabled_ ? loss * scale_ : loss;
}

void LossScaler::unscale(const std::vector<torch::Tensor>& params) const {
  if (!enabled_) return;
  torch::NoGradGuard no_grad;
  for (const auto& p : params) {
    if (p.grad().defined()) p.grad().div_(scale_);
  }
}

void LossScaler::update(bool finite) {
  if (!enabled_) return;
  if (!finite) {
    scale_ = std::max(scale_ / 2, 1.0);
    clean_steps_ = 0;
    return;
  }
  if (++clean_steps_ >= growth_interval_) {
    scale_ = std::min(scale_ * 2, 16777216.0 * 65536.0);  // 2^40: far above any useful scale
    clean_steps_ = 0;
  }
}

}  // namespace charrnn
