// The output layer and the cross-entropy loss in one autograd node, for CPU float32 training:
// logits = x W^T + b, then -log softmax(logits)[target] per row, summed or averaged. The same
// maths as torch::nn::Linear followed by cross_entropy, without ATen's separate log_softmax, NLL
// gather, their backward passes and the extra passes over the (N,256) logits they make: the
// gradient w.r.t. the logits, softmax - onehot, is formed in place of the logits while the loss
// is, with its column sums (the bias gradient), so backward is two matrix products.
#pragma once
#include <ATen/core/Tensor.h>

namespace charrnn {

// x: (N,H) float32 rows; targets: (N) int64 in [0, V); weight: (V,H); bias: (V). Returns the
// scalar loss, the mean over rows (sum: the sum), differentiable w.r.t. x, weight and bias.
// The loss's and the bias gradient's bits do not depend on the thread count.
at::Tensor head_cross_entropy(const at::Tensor& x, const at::Tensor& targets,
                              const at::Tensor& weight, const at::Tensor& bias, bool sum);

}  // namespace charrnn
