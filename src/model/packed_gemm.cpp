// PackedMatrix: packing plus one micro-kernel family per kernel path (AVX-512, AVX2+FMA, NEON,
// portable C++). Every family computes a tile of C from rows of A and whole panels of op(B),
// with beta applied at the end so beta == 0 never reads C.
#include "packed_gemm.h"

#include <algorithm>
#include <cstring>
#include <new>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace charrnn::kernels {
namespace {

// Splits m rows into ceil(m/mr) blocks of near-equal size (25 rows at mr 6: 5,5,5,5,5), so no
// block is a lone row whose few accumulators leave the FMA units waiting on latency.
template <typename Fn>
void for_row_blocks(int64_t m, int64_t mr, Fn&& fn) {
  const int64_t blocks = (m + mr - 1) / mr;
  for (int64_t b = 0, i = 0; b < blocks; ++b) {
    const int64_t rows = (m - i) / (blocks - b);  // the remainder goes to the last blocks
    fn(i, rows);
    i += rows;
  }
}

// Writes an MR x NR tile kept in `acc` (row-major, NR floats per row) to C's first `cols`
// columns: c = acc + beta * c. For the paths without masked stores.
template <int MR, int NR>
inline void store_tile(const float* acc, int64_t cols, float beta, float* c, int64_t ldc) {
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    const float* ar = acc + r * NR;
    if (beta == 0.f) {
      for (int64_t j = 0; j < cols; ++j) cr[j] = ar[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) cr[j] = ar[j] + beta * cr[j];
    }
  }
}

// ---- portable C++: 4x16 tiles written so the compiler vectorizes the 16-lane loops ----

constexpr int64_t kNrPortable = 16;
constexpr int64_t kMrPortable = 4;

template <int MR>
void tile_portable(int64_t k, const float* a, int64_t lda, const float* panel, float beta, float* c,
                   int64_t ldc, int64_t cols) {
  alignas(64) float acc[MR * kNrPortable] = {};
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = panel + p * kNrPortable;
    for (int r = 0; r < MR; ++r) {
      const float av = a[r * lda + p];
      float* ar = acc + r * kNrPortable;
      for (int j = 0; j < kNrPortable; ++j) ar[j] += av * bp[j];
    }
  }
  store_tile<MR, kNrPortable>(acc, cols, beta, c, ldc);
}

void multiply_portable(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                       const float* panels, float beta, float* c, int64_t ldc) {
  using Tile =
      void (*)(int64_t, const float*, int64_t, const float*, float, float*, int64_t, int64_t);
  static constexpr Tile tiles[kMrPortable + 1] = {nullptr, tile_portable<1>, tile_portable<2>,
                                                  tile_portable<3>, tile_portable<4>};
  for (int64_t j = 0; j < n; j += kNrPortable) {
    const float* panel = panels + (j / kNrPortable) * k * kNrPortable;
    const int64_t cols = std::min(kNrPortable, n - j);
    for_row_blocks(m, kMrPortable, [&](int64_t i, int64_t rows) {
      tiles[rows](k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, cols);
    });
  }
}

#if defined(__x86_64__)

// ---- AVX-512F: 32-float panels (two 16-float vectors per row). A tile is MR rows by NP
// adjacent panels: 8x1 for many rows (16 accumulators of the 32 registers), 2x2 and 1x4 for one
// or two rows (8 independent accumulators: a 1x1 tile's two would leave the FMA units waiting
// on latency at batch 1). ----

constexpr int64_t kNr512 = 32;  // panel width: two 16-float vectors
constexpr int64_t kMr512 = 8;   // rows per micro-tile: 16 accumulators of the 32 vector registers

#define CHARRNN_AVX512 __attribute__((target("avx512f")))

// Lanes 0..valid-1 of a 16-float vector (valid may be <= 0 or > 16).
CHARRNN_AVX512 inline __mmask16 lane_mask16(int64_t valid) {
  return static_cast<__mmask16>(valid >= 16 ? 0xffff : valid <= 0 ? 0 : (1u << valid) - 1);
}

// c (MR rows, the first `cols` of NP*32 columns) = a rows @ NP panels + beta * c.
// panel q of the tile starts at panel + q * pstride; each is (k,32), 64-byte aligned.
template <int MR, int NP>
CHARRNN_AVX512 void micro_tile(int64_t k, const float* a, int64_t lda, const float* panel,
                               int64_t pstride, float beta, float* c, int64_t ldc, int64_t cols) {
  constexpr int V = 2 * NP;  // 16-float vectors per tile row
  __m512 acc[MR][V];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 b[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      b[v] = _mm512_load_ps(panel + (v / 2) * pstride + p * kNr512 + (v % 2) * 16);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + p]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
    }
  }
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    const __mmask16 mask = lane_mask16(cols - v * 16);
    if (mask == 0) break;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      float* cv = c + r * ldc + v * 16;
      __m512 out = acc[r][v];
      if (beta != 0.f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, cv), out);
      _mm512_mask_storeu_ps(cv, mask, out);
    }
  }
}

using TileFn512 = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float, float*,
                           int64_t, int64_t);

CHARRNN_AVX512 void multiply_avx512(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                                    const float* panels, float beta, float* c, int64_t ldc) {
  const int64_t np = (n + kNr512 - 1) / kNr512, pstride = k * kNr512;
  if (m <= 2) {
    // One or two rows (batch-1 and batch-2 sampling): several panels per tile.
    static constexpr TileFn512 one[5] = {nullptr, micro_tile<1, 1>, micro_tile<1, 2>,
                                         micro_tile<1, 3>, micro_tile<1, 4>};
    static constexpr TileFn512 two[3] = {nullptr, micro_tile<2, 1>, micro_tile<2, 2>};
    const int64_t group = m == 1 ? 4 : 2;
    for (int64_t q = 0; q < np; q += group) {
      const int64_t g = std::min(group, np - q), j = q * kNr512;
      (m == 1 ? one : two)[g](k, a, lda, panels + q * pstride, pstride, beta, c + j, ldc,
                              std::min(g * kNr512, n - j));
    }
    return;
  }
  static constexpr TileFn512 tiles[kMr512 + 1] = {
      nullptr,          micro_tile<1, 1>, micro_tile<2, 1>, micro_tile<3, 1>, micro_tile<4, 1>,
      micro_tile<5, 1>, micro_tile<6, 1>, micro_tile<7, 1>, micro_tile<8, 1>};
  // Panel outermost: its k*32 floats stay in L1 while every row block passes over it.
  for (int64_t q = 0; q < np; ++q) {
    const int64_t j = q * kNr512, cols = std::min(kNr512, n - j);
    for_row_blocks(m, kMr512, [&](int64_t i, int64_t rows) {
      tiles[rows](k, a + i * lda, lda, panels + q * pstride, pstride, beta, c + i * ldc + j, ldc,
                  cols);
    });
  }
}

// ---- AVX2+FMA: 16-float panels (two 8-float vectors per row). A tile is MR rows by NP
// adjacent panels: 6x1 for many rows (12 accumulators + 2 B vectors + a broadcast of the 16
// registers), 2x2 and 1x4 for one or two rows (8 independent accumulators, enough to cover the
// FMA latency where a 1x1 tile would stall on it). ----

constexpr int64_t kNr2 = 16;
constexpr int64_t kMr2 = 6;

#define CHARRNN_AVX2 __attribute__((target("avx2,fma")))

// Lanes 0..valid-1 of an 8-float vector, for masked loads and stores of column tails.
CHARRNN_AVX2 inline __m256i lane_mask(int64_t valid) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(valid)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// c (MR rows, the first `cols` of NP*16 columns) = a rows @ NP panels + beta * c.
// panel q of the tile starts at panel + q * pstride; each is (k,16), 64-byte aligned.
template <int MR, int NP>
CHARRNN_AVX2 void tile_avx2(int64_t k, const float* a, int64_t lda, const float* panel,
                            int64_t pstride, float beta, float* c, int64_t ldc, int64_t cols) {
  constexpr int V = 2 * NP;  // 8-float vectors per tile row
  __m256 acc[MR][V];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m256 b[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      b[v] = _mm256_load_ps(panel + (v / 2) * pstride + p * kNr2 + (v % 2) * 8);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(av, b[v], acc[r][v]);
    }
  }
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    const int64_t valid = std::min<int64_t>(8, cols - v * 8);
    if (valid <= 0) break;
    const __m256i mask = lane_mask(valid);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      float* cv = c + r * ldc + v * 8;
      __m256 out = acc[r][v];
      if (valid == 8) {
        if (beta != 0.f) out = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cv), out);
        _mm256_storeu_ps(cv, out);
      } else {
        if (beta != 0.f) out = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cv, mask), out);
        _mm256_maskstore_ps(cv, mask, out);
      }
    }
  }
}

using TileFn2 = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float, float*,
                         int64_t, int64_t);

CHARRNN_AVX2 void multiply_avx2(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                                const float* panels, float beta, float* c, int64_t ldc) {
  const int64_t np = (n + kNr2 - 1) / kNr2, pstride = k * kNr2;
  if (m <= 2) {
    // One or two rows (batch-1 and batch-2 sampling): several panels per tile.
    static constexpr TileFn2 one[5] = {nullptr, tile_avx2<1, 1>, tile_avx2<1, 2>, tile_avx2<1, 3>,
                                       tile_avx2<1, 4>};
    static constexpr TileFn2 two[3] = {nullptr, tile_avx2<2, 1>, tile_avx2<2, 2>};
    const int64_t group = m == 1 ? 4 : 2;
    for (int64_t q = 0; q < np; q += group) {
      const int64_t g = std::min(group, np - q), j = q * kNr2;
      (m == 1 ? one : two)[g](k, a, lda, panels + q * pstride, pstride, beta, c + j, ldc,
                              std::min(g * kNr2, n - j));
    }
    return;
  }
  static constexpr TileFn2 tiles[kMr2 + 1] = {nullptr,         tile_avx2<1, 1>, tile_avx2<2, 1>,
                                              tile_avx2<3, 1>, tile_avx2<4, 1>, tile_avx2<5, 1>,
                                              tile_avx2<6, 1>};
  // Panel outermost: its k*16 floats stay in L1 while every row block passes over it.
  for (int64_t q = 0; q < np; ++q) {
    const int64_t j = q * kNr2, cols = std::min(kNr2, n - j);
    for_row_blocks(m, kMr2, [&](int64_t i, int64_t rows) {
      tiles[rows](k, a + i * lda, lda, panels + q * pstride, pstride, beta, c + i * ldc + j, ldc,
                  cols);
    });
  }
}

#endif  // __x86_64__

#if defined(__aarch64__)

// ---- NEON: 16-float panels (four 4-float vectors per row), tiles of up to 6 rows: 24
// accumulators + 4 B vectors of the 32 registers ----

constexpr int64_t kNrNeon = 16;
constexpr int64_t kMrNeon = 6;

template <int MR>
void tile_neon(int64_t k, const float* a, int64_t lda, const float* panel, float beta, float* c,
               int64_t ldc, int64_t cols) {
  float32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_f32(0.f);
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = panel + p * kNrNeon;
    const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8),
                      b3 = vld1q_f32(bp + 12);
    for (int r = 0; r < MR; ++r) {
      const float av = a[r * lda + p];
      acc[r][0] = vfmaq_n_f32(acc[r][0], b0, av);
      acc[r][1] = vfmaq_n_f32(acc[r][1], b1, av);
      acc[r][2] = vfmaq_n_f32(acc[r][2], b2, av);
      acc[r][3] = vfmaq_n_f32(acc[r][3], b3, av);
    }
  }
  alignas(64) float out[MR * kNrNeon];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) vst1q_f32(out + r * kNrNeon + 4 * v, acc[r][v]);
  store_tile<MR, kNrNeon>(out, cols, beta, c, ldc);
}

void multiply_neon(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                   const float* panels, float beta, float* c, int64_t ldc) {
  using Tile =
      void (*)(int64_t, const float*, int64_t, const float*, float, float*, int64_t, int64_t);
  static constexpr Tile tiles[kMrNeon + 1] = {
      nullptr, tile_neon<1>, tile_neon<2>, tile_neon<3>, tile_neon<4>, tile_neon<5>, tile_neon<6>};
  for (int64_t j = 0; j < n; j += kNrNeon) {
    const float* panel = panels + (j / kNrNeon) * k * kNrNeon;
    const int64_t cols = std::min(kNrNeon, n - j);
    for_row_blocks(m, kMrNeon, [&](int64_t i, int64_t rows) {
      tiles[rows](k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, cols);
    });
  }
}

#endif  // __aarch64__

int64_t panel_width(Isa isa) { return isa == Isa::avx512 ? 32 : 16; }

}  // namespace

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n)
    : PackedMatrix(b, ldb, trans_b, k, n, active_isa()) {}

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n, Isa isa)
    : isa_(isa), k_(k), n_(n), nr_(panel_width(isa)) {
  if (!isa_supported(isa)) set_isa(isa);  // throws the one-line InputError
  const int64_t np = (n + nr_ - 1) / nr_;
  // aligned_alloc wants a multiple of the alignment; at least 64 bytes so k == 0 still owns memory.
  const size_t raw = static_cast<size_t>(np * k * nr_) * sizeof(float);
  const size_t bytes = std::max<size_t>(64, (raw + 63) / 64 * 64);
  panels_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!panels_) throw std::bad_alloc();
  float* dst = panels_.get();
  std::memset(dst, 0, bytes);
  // Element (p, j) of op(B) goes to panel j/nr, row p, lane j%nr. Walk B in its storage order.
  const int64_t nr = nr_;
  auto slot = [&](int64_t p, int64_t j) -> float& { return dst[((j / nr) * k + p) * nr + j % nr]; };
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
  const float* p = panels_.get();
  switch (isa_) {
#if defined(__x86_64__)
    case Isa::avx512:
      multiply_avx512(m, k_, n_, a, lda, p, beta, c, ldc);
      return;
    case Isa::avx2:
      multiply_avx2(m, k_, n_, a, lda, p, beta, c, ldc);
      return;
#endif
#if defined(__aarch64__)
    case Isa::neon:
      multiply_neon(m, k_, n_, a, lda, p, beta, c, ldc);
      return;
#endif
    default:
      multiply_portable(m, k_, n_, a, lda, p, beta, c, ldc);
      return;
  }
}

}  // namespace charrnn::kernels
