#include "packed_gemm.h"

#include <ATen/ATen.h>
#include <immintrin.h>

#include "lstm_kernels.h"

namespace charrnn::kernels {
namespace {

constexpr int64_t kNr = 32;  // panel width: two 16-float vectors
constexpr int64_t kMr = 8;   // rows per micro-tile: 16 accumulators of the 32 vector registers

#define CHARRNN_AVX512 __attribute__((target("avx512f")))

// c[0..MR) rows (32 columns, `mask0/1` selecting the valid ones) = a rows @ panel + beta * c.
// panel: (k,32) contiguous, 64-byte aligned.
template <int MR>
CHARRNN_AVX512 void micro_tile(int64_t k, const float* a, int64_t lda, const float* panel,
                               float beta, float* c, int64_t ldc, __mmask16 mask0,
                               __mmask16 mask1) {
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(panel + p * kNr);
    const __m512 b1 = _mm512_load_ps(panel + p * kNr + 16);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + p]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
  }
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    if (beta != 0.f) {
      acc0[r] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, cr), acc0[r]);
      acc1[r] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, cr + 16), acc1[r]);
    }
    _mm512_mask_storeu_ps(cr, mask0, acc0[r]);
    _mm512_mask_storeu_ps(cr + 16, mask1, acc1[r]);
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, float, float*, int64_t,
                        __mmask16, __mmask16);

CHARRNN_AVX512 void multiply_avx512(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                                    const float* panels, float beta, float* c, int64_t ldc) {
  static constexpr TileFn tiles[kMr + 1] = {nullptr,       micro_tile<1>, micro_tile<2>,
                                            micro_tile<3>, micro_tile<4>, micro_tile<5>,
                                            micro_tile<6>, micro_tile<7>, micro_tile<8>};
  // Panel outermost: its k*32 floats stay in L1 while every row block passes over it.
  for (int64_t j = 0; j < n; j += kNr) {
    const float* panel = panels + (j / kNr) * k * kNr;
    const int64_t cols = std::min(kNr, n - j);
    const auto mask0 = static_cast<__mmask16>(cols >= 16 ? 0xffff : (1u << cols) - 1);
    const auto mask1 = static_cast<__mmask16>(cols >= 32  ? 0xffff
                                              : cols > 16 ? (1u << (cols - 16)) - 1
                                                          : 0);
    for (int64_t i = 0; i < m; i += kMr) {
      const int64_t rows = std::min(kMr, m - i);
      tiles[rows](k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, mask0, mask1);
    }
  }
}

bool cpu_has_avx512f() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

}  // namespace

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n,
                           bool native)
    : b_(b), ldb_(ldb), trans_b_(trans_b), k_(k), n_(n) {
  if (!native || !cpu_has_avx512f()) return;
  const int64_t np = (n + kNr - 1) / kNr;
  panels_ = at::zeros({np, k, kNr}, at::kFloat);  // ATen's CPU allocator aligns to 64 bytes
  float* dst = panels_.data_ptr<float>();
  // Element (p, j) of op(B) goes to panel j/32, row p, lane j%32. Walk B in its storage order.
  auto slot = [&](int64_t p, int64_t j) -> float& {
    return dst[((j / kNr) * k + p) * kNr + j % kNr];
  };
  if (trans_b) {
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) slot(p, j) = b[j * ldb + p];
  } else {
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) slot(p, j) = b[p * ldb + j];
  }
}

void PackedMatrix::multiply(int64_t m, const float* a, int64_t lda, float beta, float* c,
                            int64_t ldc) const {
  if (m == 0 || n_ == 0) return;
  if (!panels_.defined()) {
    sgemm(false, trans_b_, m, n_, k_, 1.f, a, lda, b_, ldb_, beta, c, ldc);
    return;
  }
  multiply_avx512(m, k_, n_, a, lda, panels_.data_ptr<float>(), beta, c, ldc);
}

}  // namespace charrnn::kernels
