// Adam's update of one parameter in one pass over its elements, per kernel path (cpu_isa.h):
// AVX-512, AVX2+FMA or NEON vectors (adam_kernels_simd.inc), or portable C++. torch::optim::Adam
// does the same arithmetic as seven tensor ops, each a pass over the parameter's size in memory
// (about 90 MB a step at 2x512). Torch-free. Private to src/.
#pragma once
#include <cstdint>

namespace charrnn::kernels {

// One step's constants: beta1, 1 - beta1, beta2, 1 - beta2 (each worked out in double and then
// rounded, as torch does), eps, sqrt(1 - beta2^t) and lr / (1 - beta1^t).
struct AdamCoefficients {
  float beta1, rest1, beta2, rest2, eps, sqrt_bias_correction2, step_size;
};

// For each of the n elements, in torch's order of operations:
//   m = beta1 m + rest1 g;  v = beta2 v + rest2 g^2;
//   p -= step_size * m / (sqrt(v) / sqrt_bias_correction2 + eps)
void adam_update(int64_t n, float* p, const float* g, float* m, float* v,
                 const AdamCoefficients& c);

}  // namespace charrnn::kernels
