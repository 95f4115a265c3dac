// kernels::sgemm: row-major SGEMM straight into the BLAS that LibTorch links. The one kernel
// here that needs LibTorch; the rest of lstm_kernels.h (lstm_kernels.cpp) is torch-free.
#include <ATen/ATen.h>
#include <dlfcn.h>

#include "lstm_kernels.h"

namespace charrnn::kernels {
namespace {

// Fortran BLAS: column-major, every argument by pointer, LP64 ints.
using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*,
                         const float*, const int*, const float*, const int*, const float*, float*,
                         const int*);

// LibTorch needs sgemm_ itself, so the BLAS it was linked with is already in the process; look
// the symbol up there rather than adding a link dependency. Null means: use ATen instead.
SgemmFn blas_sgemm() {
  static const SgemmFn fn = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return fn;
}

// Row-major (rows, cols) matrix with row stride ld, as a tensor view over caller memory.
at::Tensor view_of(const float* p, int64_t rows, int64_t cols, int64_t ld) {
  return at::from_blob(const_cast<float*>(p), {rows, cols}, {ld, 1}, at::kFloat);
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (const SgemmFn fn = blas_sgemm()) {
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
    const char ta = trans_b ? 'T' : 'N', tb = trans_a ? 'T' : 'N';
    const int M = static_cast<int>(n), N = static_cast<int>(m), K = static_cast<int>(k);
    const int la = static_cast<int>(ldb), lb = static_cast<int>(lda), lc = static_cast<int>(ldc);
    fn(&ta, &tb, &M, &N, &K, &alpha, b, &la, a, &lb, &beta, c, &lc);
    return;
  }
  at::Tensor op_a = trans_a ? view_of(a, k, m, lda).t() : view_of(a, m, k, lda);
  at::Tensor op_b = trans_b ? view_of(b, n, k, ldb).t() : view_of(b, k, n, ldb);
  view_of(c, m, n, ldc).addmm_(op_a, op_b, beta, alpha);
}

}  // namespace charrnn::kernels
