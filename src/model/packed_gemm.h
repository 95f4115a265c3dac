// Small-M matrix products against a right-hand matrix that is reused many times: the recurrent
// weights, multiplied by a 25..50-row state once per time step. A BLAS call repacks its operand
// on every call (for w_hh, 256 KB per step at 2x128, about a third of the step's GEMM time);
// here it is packed once per sequence into 32-column panels and the AVX-512 micro-kernel reads
// it straight from cache. CPUs without AVX-512 fall back to the BLAS call on the unpacked matrix.
// Private to src/: callers own A and C.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace charrnn::kernels {

class PackedMatrix {
 public:
  // Packs op(B) (k,n): B is row-major with row stride ldb, (k,n) as is or (n,k) when trans_b.
  // B must outlive the PackedMatrix (the fallback reads it directly). The own kernel runs where
  // the CPU has AVX-512F; `native` false forces the BLAS fallback (tests cover both paths).
  PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n, bool native = true);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }

  // C (m,n) = A (m,k) @ op(B) + beta * C; A, C row-major with row strides lda, ldc.
  void multiply(int64_t m, const float* a, int64_t lda, float beta, float* c, int64_t ldc) const;

 private:
  const float* b_;
  int64_t ldb_;
  bool trans_b_;
  int64_t k_, n_;
  at::Tensor panels_;  // (ceil(n/32), k, 32), zero-padded; undefined without AVX-512
};

}  // namespace charrnn::kernels
