#include "charrnn/model/weight_format.h"

#include <torch/torch.h>

#include "charrnn/errors.h"
#include "packed_gemm.h"

namespace charrnn {

WeightFormat parse_weight_format(const std::string& name) {
  if (name == "fp32") return WeightFormat::fp32;
  if (name == "bf16") return WeightFormat::bf16;
  if (name == "int8") return WeightFormat::int8;
  throw InputError("unknown --weights '" + name + "' (choose fp32, bf16 or int8)");
}

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::bf16:
      return "bf16";
    case WeightFormat::int8:
      return "int8";
    default:
      return "fp32";
  }
}

std::vector<float> int8_row_scales(const std::vector<at::Tensor>& parts) {
  const int64_t rows = parts.at(0).size(0);
  std::vector<float> max_abs(rows, 0.f);
  for (const at::Tensor& part : parts) {
    TORCH_CHECK(part.dim() == 2 && part.size(0) == rows && part.scalar_type() == at::kFloat &&
                    part.is_contiguous() && part.device().is_cpu(),
                "int8_row_scales: parts must be contiguous float CPU matrices of ", rows, " rows");
    const float* w = part.data_ptr<float>();
    const int64_t cols = part.size(1);
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t i = 0; i < cols; ++i)
        max_abs[j] = kernels::running_max_abs(max_abs[j], w[j * cols + i]);
  }
  for (float& s : max_abs) s = kernels::int8_scale(s);
  return max_abs;
}

namespace {

// Each weight of the float CPU matrices `parts` replaced by the value its format stands for.
void round_matrices(const std::vector<at::Tensor>& parts, WeightFormat format) {
  if (format == WeightFormat::bf16) {
    for (const at::Tensor& w : parts) kernels::round_to_bf16(w.data_ptr<float>(), w.numel());
    return;
  }
  const std::vector<float> scales = int8_row_scales(parts);
  for (const at::Tensor& w : parts) {
    const int64_t cols = w.size(1);
    for (int64_t j = 0; j < w.size(0); ++j)
      kernels::round_to_int8(w.data_ptr<float>() + j * cols, cols, scales[j]);
  }
}

}  // namespace

void round_weights(CharLSTM& model, WeightFormat format) {
  if (format == WeightFormat::fp32) return;
  torch::NoGradGuard no_grad;
  // Rounded by the kernels' own code, on float copies on the CPU, so every device rounds alike.
  auto cpu_copy = [](const at::Tensor& p) {
    return p.detach().to(torch::kCPU, torch::kFloat).contiguous().clone();
  };
  auto lstm = model->lstm->named_parameters();
  for (int64_t k = 0; k < model->config().layers; ++k) {
    const std::string s = std::to_string(k);
    at::Tensor& w_ih = lstm["weight_ih_l" + s];
    at::Tensor& w_hh = lstm["weight_hh_l" + s];
    const std::vector<at::Tensor> parts{cpu_copy(w_ih), cpu_copy(w_hh)};
    round_matrices(parts, format);
    w_ih.copy_(parts[0]);
    w_hh.copy_(parts[1]);
  }
  const std::vector<at::Tensor> head{cpu_copy(model->head->weight)};
  round_matrices(head, format);
  model->head->weight.copy_(head[0]);
}

}  // namespace charrnn
