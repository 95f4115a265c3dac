// Small-M matrix products against a right-hand matrix that is reused many times: the recurrent
// weights, multiplied by a 1..50-row state once per time step. A BLAS call repacks its operand
// on every call (for w_hh, 256 KB per step at 2x128, about a third of the step's GEMM time);
// here it is packed once into column panels and a register-tiled micro-kernel reads it straight
// from cache. The panel width follows the kernel path (cpu_isa.h) active at packing time:
// 32 floats for AVX-512 (8x32 tiles; 4x64 for blocks of 4 rows or fewer), 16 for AVX2+FMA
// (6x16 tiles; 4x24, across panel boundaries, for blocks of 4 rows or fewer), NEON (6x16) and
// portable C++ (4x16).
// Torch-free: the ARM64 kernel tests build it without LibTorch.
// Private to src/: callers own A and C.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>

#include "charrnn/model/cpu_isa.h"

namespace charrnn::kernels {

// How the packed copy of B is stored. bf16 keeps the upper 16 bits of each float (rounded to
// nearest even): half the bytes to stream from cache or memory per product, which is what bounds
// batch-1 sampling once the weights outgrow the core's L2. int8 keeps a quarter: column j of
// op(B) as integers q in [-127, 127] times one float scale s_j (see quantize_int8). A and C, the
// products and the sums stay float; the kernels widen each bf16 or int8 to a float, and an int8
// column's sum is multiplied by its scale once, at the end.
enum class Storage { fp32, bf16, int8 };

// Bytes per stored element (an int8 panel also keeps one float scale per column).
constexpr int64_t element_bytes(Storage storage) {
  return storage == Storage::int8 ? 1 : storage == Storage::bf16 ? 2 : 4;
}

// x rounded to the nearest bf16 (ties to even), as the float it stands for; NaN stays NaN.
float round_to_bf16(float x);
// The same for each of the n floats at x, in place.
void round_to_bf16(float* x, int64_t n);

// The int8 scale of a column whose largest |element| is max_abs: max_abs / 127, so that element
// maps to +-127; 1 for an all-zero column. InputError when max_abs is not finite.
float int8_scale(float max_abs);
// The largest |element| so far, given the one before (start at 0) and the next element. A NaN,
// once seen, stays (std::max would drop it when a finite element follows), so int8_scale then
// refuses the column.
inline float running_max_abs(float so_far, float x) {
  const float a = std::abs(x);
  return std::isnan(so_far) || a <= so_far ? so_far : a;
}
// x / scale rounded to the nearest integer (ties to even), clamped to [-127, 127]; the element
// then stands for scale * q.
int8_t quantize_int8(float x, float scale);
// Each of the n floats at x replaced, in place, by the value its int8 stands for at `scale`.
void round_to_int8(float* x, int64_t n, float scale);

// Runs body(first, last) over ranges that cover [0, n) once, on the calling thread or spread
// over the caller's threads (the kernels own no threads: fused_lstm.cpp passes at::parallel_for).
using ForRanges =
    std::function<void(int64_t n, const std::function<void(int64_t first, int64_t last)>& body)>;

class PackedMatrix {
 public:
  // Packs op(B) (k,n): B is row-major with row stride ldb, (k,n) as is or (n,k) when trans_b.
  // B is copied: it need not outlive the PackedMatrix. Packed for `isa` (an InputError if the
  // CPU lacks it), by default the active path, in `storage`, by default fp32. With int8 storage
  // `scales` (n floats, from int8_scale) gives the columns' scales; null: each column's own
  // int8_scale(max |element|).
  PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n);
  // The same, fp32 on the active path, with its panels packed in the ranges for_ranges hands
  // out: training repacks a layer's recurrent weights (4 MB at 2x512) twice a step, which
  // would otherwise leave the other cores waiting.
  PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n,
               const ForRanges& for_ranges);
  PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n, Isa isa,
               Storage storage = Storage::fp32, const float* scales = nullptr,
               const ForRanges& for_ranges = nullptr);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  Isa isa() const { return isa_; }
  Storage storage() const { return storage_; }

  // C (m,n) = A (m,k) @ op(B) + beta * C; A, C row-major with row strides lda, ldc.
  // beta == 0 never reads C (it may hold NaN).
  void multiply(int64_t m, const float* a, int64_t lda, float beta, float* c, int64_t ldc) const;

  // The same for column panels [first, last) only: C's columns [first*nr, min(last*nr, n)).
  // Each column is computed exactly as multiply() computes it, so threads that take disjoint
  // panel ranges produce the same C bits as one call.
  int64_t panels() const { return (n_ + nr_ - 1) / nr_; }
  void multiply_panels(int64_t m, const float* a, int64_t lda, float beta, float* c, int64_t ldc,
                       int64_t first, int64_t last) const;

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  Isa isa_;
  Storage storage_;
  int64_t k_, n_, nr_;                // nr_: panel width in elements
  // ceil(n/nr) panels, each (k, nr) floats, bf16s or int8s (then followed by its nr scales),
  // zero-padded, 64-byte aligned
  std::unique_ptr<void, Free> panels_;
};

}  // namespace charrnn::kernels
