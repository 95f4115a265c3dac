// dropout_fill: four 64-bit draws (eight mask floats) per AVX2 step, or one per portable step.
#include "dropout_kernels.h"

#include <algorithm>

#include "charrnn/model/cpu_isa.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace charrnn::kernels {
namespace {

constexpr uint64_t kGolden = kDrawStride;

void fill_portable(uint64_t base, uint64_t threshold, float scale, int64_t j0, int64_t j1,
                   int64_t n, float* m) {
  for (int64_t j = j0; j < j1; ++j) {
    const uint64_t r = mix64(base + static_cast<uint64_t>(j) * kGolden);
    m[2 * j] = (r & 0xffffffffULL) < threshold ? 0.f : scale;
    if (2 * j + 1 < n) m[2 * j + 1] = (r >> 32) < threshold ? 0.f : scale;
  }
}

#if defined(__x86_64__)

#define CHARRNN_AVX2 __attribute__((target("avx2,fma")))

// Low 64 bits of a * b per lane (AVX2 has no 64-bit multiply): lo*lo + ((lo*hi + hi*lo) << 32).
CHARRNN_AVX2 inline __m256i mullo64(__m256i a, __m256i b) {
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b),
                                         _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32)));
  return _mm256_add_epi64(_mm256_mul_epu32(a, b), _mm256_slli_epi64(cross, 32));
}

CHARRNN_AVX2 inline __m256i mix64x4(__m256i z) {
  z = mullo64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)),
              _mm256_set1_epi64x(static_cast<int64_t>(0xbf58476d1ce4e5b9ULL)));
  z = mullo64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)),
              _mm256_set1_epi64x(static_cast<int64_t>(0x94d049bb133111ebULL)));
  return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

CHARRNN_AVX2 void fill_avx2(uint64_t base, uint64_t threshold, float scale, int64_t j0, int64_t j1,
                            int64_t n, float* m) {
  // Draws j..j+3 in the four 64-bit lanes: as 32-bit lanes that is elements 2j..2j+7 in order.
  const int64_t full = std::min(j1, n / 2);  // draws whose two elements both exist
  int64_t j = j0;
  if (j + 4 <= full) {
    auto u = [](uint64_t v) { return static_cast<int64_t>(v); };
    __m256i ctr = _mm256_setr_epi64x(u(base + j * kGolden), u(base + (j + 1) * kGolden),
                                     u(base + (j + 2) * kGolden), u(base + (j + 3) * kGolden));
    const __m256i step = _mm256_set1_epi64x(u(4 * kGolden));
    // Unsigned u < threshold as a signed compare with both sides shifted by 2^31.
    const __m256i bias = _mm256_set1_epi32(static_cast<int>(0x80000000u));
    const __m256i thr = _mm256_xor_si256(
        _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(threshold))), bias);
    const __m256 keep = _mm256_set1_ps(scale);
    for (; j + 4 <= full; j += 4) {
      const __m256i r = _mm256_xor_si256(mix64x4(ctr), bias);
      const __m256i drop = _mm256_cmpgt_epi32(thr, r);
      _mm256_storeu_ps(m + 2 * j, _mm256_andnot_ps(_mm256_castsi256_ps(drop), keep));
      ctr = _mm256_add_epi64(ctr, step);
    }
  }
  fill_portable(base, threshold, scale, j, j1, n, m);
}

#endif  // __x86_64__

}  // namespace

void dropout_fill(uint64_t base, uint64_t threshold, float scale, int64_t j0, int64_t j1, int64_t n,
                  float* m) {
#if defined(__x86_64__)
  // threshold == 2^32 cannot happen (p < 1), so it fits the 32-bit compare.
  const Isa isa = active_isa();
  if ((isa == Isa::avx2 || isa == Isa::avx512) && threshold <= 0xffffffffULL) {
    fill_avx2(base, threshold, scale, j0, j1, n, m);
    return;
  }
#endif
  fill_portable(base, threshold, scale, j0, j1, n, m);
}

}  // namespace charrnn::kernels
