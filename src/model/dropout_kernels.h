// The counter-based dropout mask fill behind dropout_mask (dropout.cpp), per kernel path
// (cpu_isa.h): AVX-512, AVX2 or portable C++ (also NEON). Every path gives the same bits.
// Torch-free. Private to src/.
#pragma once
#include <cstdint>

namespace charrnn::kernels {

// SplitMix64's output function: a bijective mix whose outputs for consecutive inputs pass
// BigCrush, which makes (seed + counter) a counter-based generator.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The counter stride between consecutive draws (the golden ratio in 64 bits, as in SplitMix64).
constexpr uint64_t kDrawStride = 0x9e3779b97f4a7c15ULL;

// Draw j is mix64(base + j * kDrawStride); its low 32 bits decide element 2j and its
// high 32 bits element 2j+1: 0 when the 32-bit uniform is below `threshold` (p * 2^32), else
// `scale`. Fills m[2*j0 .. min(2*j1, n)) of the n-float mask m.
void dropout_fill(uint64_t base, uint64_t threshold, float scale, int64_t j0, int64_t j1, int64_t n,
                  float* m);

}  // namespace charrnn::kernels
