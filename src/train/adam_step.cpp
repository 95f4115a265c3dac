#include "charrnn/train/adam_step.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

#include "adam_kernels.h"
#include "charrnn/store/optimizer_state_key.h"

namespace charrnn {
namespace {

bool fusable(const at::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous();
}

}  // namespace

void adam_step(torch::optim::Adam& opt) {
  auto& state = opt.state();
  using Map = std::remove_reference_t<decltype(state)>;
  // All or nothing: a step half fused and half torch's would still be right, but one path per
  // step keeps the rounding the same from step to step.
  for (auto& group : opt.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    if (o.amsgrad() || o.weight_decay() != 0) return void(opt.step());
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (!fusable(p) || !fusable(p.grad())) return void(opt.step());
      auto it = state.find(optimizer_state_key<Map>(p));
      if (it == state.end()) continue;
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
      if (!fusable(s.exp_avg()) || !fusable(s.exp_avg_sq())) return void(opt.step());
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& group : opt.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& entry = state[optimizer_state_key<Map>(p)];
      if (!entry) {  // as torch's first step creates it
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        entry = std::move(fresh);
      }
      auto& s = static_cast<torch::optim::AdamParamState&>(*entry);
      s.step(s.step() + 1);
      const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
      const double correction1 = 1 - std::pow(beta1, s.step());
      const double correction2 = 1 - std::pow(beta2, s.step());
      const kernels::AdamCoefficients c{static_cast<float>(beta1),
                                        static_cast<float>(1 - beta1),
                                        static_cast<float>(beta2),
                                        static_cast<float>(1 - beta2),
                                        static_cast<float>(o.eps()),
                                        static_cast<float>(std::sqrt(correction2)),
                                        static_cast<float>(o.lr() / correction1)};
      float* pp = p.data_ptr<float>();
      const float* g = p.grad().data_ptr<float>();
      float* m = s.exp_avg().data_ptr<float>();
      float* v = s.exp_avg_sq().data_ptr<float>();
      // Memory-bound: every element is read and written once, so both cores' bandwidth helps.
      at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t first, int64_t last) {
        kernels::adam_update(last - first, pp + first, g + first, m + first, v + first, c);
      });
      // Written through raw pointers: count it as the in-place update torch's step is, so that
      // autograd still notices a saved parameter that changed.
      p.unsafeGetTensorImpl()->bump_version();
    }
  }
}

}  // namespace charrnn
