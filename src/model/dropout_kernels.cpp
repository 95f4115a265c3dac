// dropout_fill: eight 64-bit draws (sixteen mask floats) per AVX-512 step, four per AVX2 step, or
// one per portable step (also NEON, whose vectors have no 64-bit multiply: emulating it costs
// about as many instructions as the scalar loop, where ARM64 multiplies 64 bits in one).
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

#define CHARRNN_AVX512 __attribute__((target("avx512f,avx2,fma")))

// As mullo64 on eight lanes (AVX-512F has no 64-bit low multiply either; that is AVX-512DQ).
CHARRNN_AVX512 inline __m512i mullo64x8(__m512i a, __m512i b) {
  const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), b),
                                         _mm512_mul_epu32(a, _mm512_srli_epi64(b, 32)));
  return _mm512_add_epi64(_mm512_mul_epu32(a, b), _mm512_slli_epi64(cross, 32));
}

CHARRNN_AVX512 inline __m512i mix64x8(__m512i z) {
  z = mullo64x8(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                _mm512_set1_epi64(static_cast<int64_t>(0xbf58476d1ce4e5b9ULL)));
  z = mullo64x8(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                _mm512_set1_epi64(static_cast<int64_t>(0x94d049bb133111ebULL)));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

CHARRNN_AVX512 void fill_avx512(uint64_t base, uint64_t threshold, float scale, int64_t j0,
                                int64_t j1, int64_t n, float* m) {
  // Draws j..j+7 in the eight 64-bit lanes: as 32-bit lanes, elements 2j..2j+15 in order.
  const int64_t full = std::min(j1, n / 2);
  int64_t j = j0;
  if (j + 8 <= full) {
    auto at = [&](int64_t i) { return static_cast<int64_t>(base + (j + i) * kGolden); };
    __m512i ctr = _mm512_set_epi64(at(7), at(6), at(5), at(4), at(3), at(2), at(1), at(0));
    const __m512i step = _mm512_set1_epi64(static_cast<int64_t>(8 * kGolden));
    const __m512i thr = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(threshold)));
    const __m512 keep = _mm512_set1_ps(scale);
    for (; j + 8 <= full; j += 8) {
      const __mmask16 drop = _mm512_cmplt_epu32_mask(mix64x8(ctr), thr);
      _mm512_storeu_ps(m + 2 * j, _mm512_maskz_mov_ps(static_cast<__mmask16>(~drop), keep));
      ctr = _mm512_add_epi64(ctr, step);
    }
  }
  fill_avx2(base, threshold, scale, j, j1, n, m);
}

#endif  // __x86_64__

}  // namespace

void dropout_fill(uint64_t base, uint64_t threshold, float scale, int64_t j0, int64_t j1, int64_t n,
                  float* m) {
#if defined(__x86_64__)
  // threshold == 2^32 cannot happen (p < 1), so it fits the 32-bit compare.
  const Isa isa = active_isa();
  if (isa == Isa::avx512 && threshold <= 0xffffffffULL) {
    fill_avx512(base, threshold, scale, j0, j1, n, m);
    return;
  }
  if (isa == Isa::avx2 && threshold <= 0xffffffffULL) {
    fill_avx2(base, threshold, scale, j0, j1, n, m);
    return;
  }
#endif
  fill_portable(base, threshold, scale, j0, j1, n, m);
}

}  // namespace charrnn::kernels
