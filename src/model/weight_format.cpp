#include "charrnn/model/weight_format.h"

#include <torch/torch.h>

#include "charrnn/errors.h"
#include "packed_gemm.h"

namespace charrnn {

WeightFormat parse_weight_format(const std::string& name) {
  if (name == "fp32") return WeightFormat::fp32;
  if (name == "bf16") return WeightFormat::bf16;
  throw InputError("unknown --weights '" + name + "' (choose fp32 or bf16)");
}

const char* weight_format_name(WeightFormat format) {
  return format == WeightFormat::bf16 ? "bf16" : "fp32";
}

void round_weights(CharLSTM& model, WeightFormat format) {
  if (format == WeightFormat::fp32) return;
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    if (p.key().find("weight") == std::string::npos) continue;
    // The kernels' own rounding, on a float copy on the CPU, so every device rounds alike.
    at::Tensor w = p.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    kernels::round_to_bf16(w.data_ptr<float>(), w.numel());
    p.value().copy_(w);
  }
}

}  // namespace charrnn
