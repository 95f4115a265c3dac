// One float vector type per kernel path, with the few operations the element-wise kernels need
// (gate update, exp, Adam, the sampler's scaled logits): Avx2Vec (8 lanes), Avx512Vec (16),
// NeonVec (4). A kernel is written once against `V` (lstm_kernels_simd.inc,
// adam_kernels_simd.inc) and compiled once per path by simd_each_path.inc, inside that path's
// target region (CHARRNN_BEGIN_AVX2 ... CHARRNN_END_TARGET), so one binary carries every path and
// cpu_isa.h picks at run time.
// Torch-free. Private to src/.
#pragma once
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

// Every function defined between a BEGIN and CHARRNN_END_TARGET may use that instruction set
// (GCC's target pragma; clang's attribute pragma). Only code the dispatch reaches on a CPU that
// has the set may call them.
#if defined(__clang__)
#define CHARRNN_BEGIN_AVX2 \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
// clang-format off
#define CHARRNN_BEGIN_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx2,fma\"))), apply_to = function)")
// clang-format on
#define CHARRNN_END_TARGET _Pragma("clang attribute pop")
#else
#define CHARRNN_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define CHARRNN_BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx2,fma\")")
#define CHARRNN_END_TARGET _Pragma("GCC pop_options")
#endif

namespace charrnn::kernels {

#if defined(__x86_64__)

CHARRNN_BEGIN_AVX2
struct Avx2Vec {
  using type = __m256;
  static constexpr int lanes = 8;
  static type load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, type a) { _mm256_storeu_ps(p, a); }
  static type set1(float x) { return _mm256_set1_ps(x); }
  static type add(type a, type b) { return _mm256_add_ps(a, b); }
  static type sub(type a, type b) { return _mm256_sub_ps(a, b); }
  static type mul(type a, type b) { return _mm256_mul_ps(a, b); }
  static type div(type a, type b) { return _mm256_div_ps(a, b); }
  static type sqrt(type a) { return _mm256_sqrt_ps(a); }
  static type min(type a, type b) { return _mm256_min_ps(a, b); }
  static type max(type a, type b) { return _mm256_max_ps(a, b); }
  static type fmadd(type a, type b, type c) { return _mm256_fmadd_ps(a, b, c); }    // a*b + c
  static type fnmadd(type a, type b, type c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a*b
  // The float whose sign and exponent fields hold t's low 9 bits (0 and n + 127 in exp_v);
  // the bits above them shift out.
  static type exponent_from_low_bits(type t) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  }
  // 1/d for d in [1, 2^128): the 12-bit estimate and one Newton step, within 2 ulp. A division
  // issues once every 5 or more cycles on one port; the gate update needs five per unit.
  static type reciprocal(type d) {
    const type r = _mm256_rcp_ps(d);
    return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, set1(1.f)), r);
  }
  // a where x >= bound, else 0.
  static type keep_at_least(type x, float bound, type a) {
    return _mm256_and_ps(a, _mm256_cmp_ps(x, set1(bound), _CMP_GE_OQ));
  }
  // float(max((double(z_j) - shift) * scale, floor)) per lane, in double as scalar C++ computes
  // it (the same bits; max keeps a NaN as std::max(x, floor) does), then narrowed to float.
  static type scale_in_double(const float* z, double shift, double scale, double floor) {
    auto half = [&](const float* p) {
      const __m256d x = _mm256_mul_pd(
          _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(p)), _mm256_set1_pd(shift)),
          _mm256_set1_pd(scale));
      return _mm256_cvtpd_ps(_mm256_max_pd(_mm256_set1_pd(floor), x));  // NaN x: x
    };
    return _mm256_set_m128(half(z + 4), half(z));
  }
};
CHARRNN_END_TARGET

CHARRNN_BEGIN_AVX512
struct Avx512Vec {
  using type = __m512;
  static constexpr int lanes = 16;
  // GCC 12's unmasked forms of some AVX-512 intrinsics start from an "undefined" register that
  // -Wmaybe-uninitialized reports; the all-lanes maskz forms are the same instructions.
  static constexpr __mmask16 kAll = 0xffff;
  static type load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, type a) { _mm512_storeu_ps(p, a); }
  static type set1(float x) { return _mm512_set1_ps(x); }
  static type add(type a, type b) { return _mm512_add_ps(a, b); }
  static type sub(type a, type b) { return _mm512_sub_ps(a, b); }
  static type mul(type a, type b) { return _mm512_mul_ps(a, b); }
  static type div(type a, type b) { return _mm512_div_ps(a, b); }
  static type sqrt(type a) { return _mm512_maskz_sqrt_ps(kAll, a); }
  static type min(type a, type b) { return _mm512_maskz_min_ps(kAll, a, b); }
  static type max(type a, type b) { return _mm512_maskz_max_ps(kAll, a, b); }
  static type fmadd(type a, type b, type c) { return _mm512_fmadd_ps(a, b, c); }
  static type fnmadd(type a, type b, type c) { return _mm512_fnmadd_ps(a, b, c); }
  static type exponent_from_low_bits(type t) {
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, _mm512_castps_si512(t), 23));
  }
  // The 14-bit estimate and one Newton step (within 1 ulp).
  static type reciprocal(type d) {
    const type r = _mm512_maskz_rcp14_ps(kAll, d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, set1(1.f)), r);
  }
  static type keep_at_least(type x, float bound, type a) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(bound), _CMP_GE_OQ), a);
  }
  static type scale_in_double(const float* z, double shift, double scale, double floor) {
    constexpr __mmask8 k8 = 0xff;
    auto half = [&](const float* p) {
      const __m512d x = _mm512_mul_pd(
          _mm512_sub_pd(_mm512_maskz_cvtps_pd(k8, _mm256_loadu_ps(p)), _mm512_set1_pd(shift)),
          _mm512_set1_pd(scale));
      return _mm512_maskz_cvtpd_ps(k8, _mm512_maskz_max_pd(k8, _mm512_set1_pd(floor), x));
    };
    const __m512d lo =
        _mm512_maskz_insertf64x4(k8, _mm512_setzero_pd(), _mm256_castps_pd(half(z)), 0);
    return _mm512_castpd_ps(_mm512_maskz_insertf64x4(k8, lo, _mm256_castps_pd(half(z + 8)), 1));
  }
};
CHARRNN_END_TARGET

#elif defined(__aarch64__)

// Advanced SIMD is part of every ARMv8-A CPU: no target region needed.
struct NeonVec {
  using type = float32x4_t;
  static constexpr int lanes = 4;
  static type load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, type a) { vst1q_f32(p, a); }
  static type set1(float x) { return vdupq_n_f32(x); }
  static type add(type a, type b) { return vaddq_f32(a, b); }
  static type sub(type a, type b) { return vsubq_f32(a, b); }
  static type mul(type a, type b) { return vmulq_f32(a, b); }
  static type div(type a, type b) { return vdivq_f32(a, b); }
  static type sqrt(type a) { return vsqrtq_f32(a); }
  static type min(type a, type b) { return vminq_f32(a, b); }
  static type max(type a, type b) { return vmaxq_f32(a, b); }
  static type fmadd(type a, type b, type c) { return vfmaq_f32(c, a, b); }
  static type fnmadd(type a, type b, type c) { return vfmsq_f32(c, a, b); }
  static type exponent_from_low_bits(type t) {
    return vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(t), 23));
  }
  // ARMv8's vector division is exact and pipelined well enough here; the estimate (8 bits)
  // would need two Newton steps.
  static type reciprocal(type d) { return vdivq_f32(vdupq_n_f32(1.f), d); }
  static type keep_at_least(type x, float bound, type a) {
    return vreinterpretq_f32_u32(
        vandq_u32(vreinterpretq_u32_f32(a), vcgeq_f32(x, vdupq_n_f32(bound))));
  }
  static type scale_in_double(const float* z, double shift, double scale, double floor) {
    const float32x4_t f = vld1q_f32(z);
    auto half = [&](float32x2_t two) {
      const float64x2_t x =
          vmulq_f64(vsubq_f64(vcvt_f64_f32(two), vdupq_n_f64(shift)), vdupq_n_f64(scale));
      return vcvt_f32_f64(vmaxq_f64(x, vdupq_n_f64(floor)));  // NaN in, NaN out
    };
    return vcombine_f32(half(vget_low_f32(f)), half(vget_high_f32(f)));
  }
};

#endif

}  // namespace charrnn::kernels
