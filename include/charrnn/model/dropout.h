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

// The streams the batch being computed holds, out of the run's `total` streams: data-parallel
// ranks each hold a contiguous slice starting at `offset`. While one is in scope (on this
// thread), fast_dropout keys each element's draw by its index in the whole (B_total,T,H) batch
// laid out as x is, so any split of the streams over ranks draws the same masks as one process.
class DropoutStreams {
 public:
  DropoutStreams(int64_t offset, int64_t total);
  ~DropoutStreams();
  DropoutStreams(const DropoutStreams&) = delete;
  DropoutStreams& operator=(const DropoutStreams&) = delete;

 private:
  int64_t saved_offset_, saved_total_;
};

// dropout_mask for x: (B,T,H) holding streams [offset, offset + B) of `total`, stored batch-major
// or time-major: element (b,t,j) gets the draw of its index in the (total,T,H) tensor of the same
// layout. offset 0 and total B give dropout_mask(x, p, seed) exactly.
at::Tensor dropout_mask_streams(const at::Tensor& x, double p, uint64_t seed, int64_t offset,
                                int64_t total);

// x * mask in training mode with p > 0, x itself otherwise. The seed is one draw from the
// default CPU generator, so torch::manual_seed and saved generator states reproduce the masks.
// Differentiable w.r.t. x (the mask is a constant); the output keeps x's memory layout.
// Inside a DropoutStreams scope x must be (B,T,H), and masks follow dropout_mask_streams.
at::Tensor fast_dropout(const at::Tensor& x, double p, bool train);

}  // namespace charrnn
