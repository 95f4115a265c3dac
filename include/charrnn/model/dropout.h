// Dropout for the CPU training path: same distribution and scaling as torch::dropout
// (each element kept with probability 1-p and scaled by 1/(1-p)), but the mask comes from a
// counter-based generator filled in parallel. ATen 1.13's bernoulli_ draws one Mersenne-Twister
// number per element on one thread; it was 13% of a 2x128 training step.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace charrnn {

// Mask with x's shape and strides: 0 with probability p, else 1/(1-p). Element i (in storage
// order) depends only on (seed, i), so the mask is the same for any thread count.
at::Tensor dropout_mask(const at::Tensor& like, double p, uint64_t seed);

// x * mask in training mode with p > 0, x itself otherwise. The seed is one draw from the
// default CPU generator, so torch::manual_seed and saved generator states reproduce the masks.
// Differentiable w.r.t. x (the mask is a constant); the output keeps x's memory layout.
at::Tensor fast_dropout(const at::Tensor& x, double p, bool train);

}  // namespace charrnn
