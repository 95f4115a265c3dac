#include "charrnn/model/dropout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>

#include "dropout_kernels.h"

namespace charrnn {
namespace {

thread_local int64_t t_offset = 0;
thread_local int64_t t_total = 0;  // 0: no DropoutStreams scope

// Mask floats m[0, len) for the elements whose index in the whole mask is g, g+1, ...: the
// draws of dropout_mask's fill shifted by g/2 (draw j covers elements 2j and 2j+1).
void fill_segment(uint64_t base, uint64_t threshold, float scale, int64_t g, int64_t len,
                  float* m) {
  if (len <= 0) return;
  if (g % 2 == 1) {  // the odd element takes the high half of draw (g-1)/2
    const uint64_t r = kernels::mix64(base + static_cast<uint64_t>(g / 2) * kernels::kDrawStride);
    m[0] = (r >> 32) < threshold ? 0.f : scale;
    ++g, ++m, --len;
  }
  const uint64_t shifted = base + static_cast<uint64_t>(g / 2) * kernels::kDrawStride;
  kernels::dropout_fill(shifted, threshold, scale, 0, (len + 1) / 2, len, m);
}

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  auto* impl = at::check_generator<at::CPUGeneratorImpl>(gen);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return impl->random64();
}

}  // namespace

at::Tensor dropout_mask(const at::Tensor& like, double p, uint64_t seed) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, "dropout_mask: p must be in [0, 1), got ", p);
  TORCH_CHECK(like.is_non_overlapping_and_dense(), "dropout_mask: tensor must be dense");
  at::Tensor mask = at::empty_like(like, like.options().dtype(at::kFloat));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  // Element dropped when its 32-bit uniform u < p * 2^32, i.e. with probability p (to 2^-32).
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  float* m = mask.data_ptr<float>();
  const int64_t n = mask.numel();
  const uint64_t base = kernels::mix64(seed);
  // Each 64-bit draw gives two 32-bit uniforms: elements 2j and 2j+1 use draw j.
  at::parallel_for(0, (n + 1) / 2, 4096, [&](int64_t j0, int64_t j1) {
    kernels::dropout_fill(base, threshold, scale, j0, j1, n, m);
  });
  return mask;
}

DropoutStreams::DropoutStreams(int64_t offset, int64_t total)
    : saved_offset_(t_offset), saved_total_(t_total) {
  t_offset = offset;
  t_total = total;
}

DropoutStreams::~DropoutStreams() {
  t_offset = saved_offset_;
  t_total = saved_total_;
}

at::Tensor dropout_mask_streams(const at::Tensor& x, double p, uint64_t seed, int64_t offset,
                                int64_t total) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, "dropout_mask_streams: p must be in [0, 1), got ", p);
  TORCH_CHECK(x.dim() == 3, "dropout_mask_streams: x must be (B,T,H)");
  const int64_t B = x.size(0), T = x.size(1), H = x.size(2);
  TORCH_CHECK(offset >= 0 && offset + B <= total, "dropout_mask_streams: streams out of range");
  const bool time_major = x.transpose(0, 1).is_contiguous();
  TORCH_CHECK(time_major || x.is_contiguous(), "dropout_mask_streams: x must be dense");
  at::Tensor mask = at::empty_like(x, x.options().dtype(at::kFloat));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  const uint64_t base = kernels::mix64(seed);
  float* m = mask.data_ptr<float>();
  if (!time_major) {  // storage (B,T,H): this rank's streams are one block of the whole
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      fill_segment(base, threshold, scale, (offset + b0) * T * H, (b1 - b0) * T * H,
                   m + b0 * T * H);
    });
  } else {  // storage (T,B,H): one block per time step
    at::parallel_for(0, T, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        fill_segment(base, threshold, scale, (t * total + offset) * H, B * H, m + t * B * H);
      }
    });
  }
  return mask;
}

at::Tensor fast_dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p == 0.0) return x;
  const uint64_t seed = draw_seed();
  if (t_total > 0) return x * dropout_mask_streams(x, p, seed, t_offset, t_total);
  return x * dropout_mask(x, p, seed);
}

}  // namespace charrnn
