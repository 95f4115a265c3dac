#include "charrnn/model/dropout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>

#include "dropout_kernels.h"

namespace charrnn {
namespace {

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

at::Tensor fast_dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p == 0.0) return x;
  return x * dropout_mask(x, p, draw_seed());
}

}  // namespace charrnn
