// PackedMatrix: packing plus one micro-kernel family per kernel path (AVX-512, AVX2+FMA, NEON,
// portable C++). Every family computes a tile of C from rows of A and whole panels of op(B),
// with beta applied at the end so beta == 0 never reads C. Each is a template over the panels'
// element type: float, uint16_t holding bf16 (Storage::bf16), which a load widens to float by a
// 16-bit shift, or int8_t (Storage::int8), which a load sign-extends and converts; the arithmetic
// after the load is the same, and an int8 tile multiplies its sums by the columns' scales before
// it stores them.
#include "packed_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "charrnn/errors.h"

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

// Elements of one panel: k rows of nr, and for int8 the panel's nr float scales after them.
template <typename T>
constexpr int64_t panel_elements(int64_t k, int64_t nr) {
  return k * nr + (std::is_same_v<T, int8_t> ? nr * static_cast<int64_t>(sizeof(float)) : 0);
}

// The scales of an int8 panel of k rows (4-byte aligned: k * nr is a multiple of 16).
inline const float* panel_scales(const int8_t* panel, int64_t k, int64_t nr) {
  return reinterpret_cast<const float*>(panel + k * nr);
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

// A tile of the x86 families: c (rows, the first `cols` of its panels' columns) = a rows @
// adjacent panels (the first at `panel`, the next pstride elements on) + beta * c.
template <typename T>
using TileFn = void (*)(int64_t k, const float* a, int64_t lda, const T* panel, int64_t pstride,
                        float beta, float* c, int64_t ldc, int64_t cols);

// Wider tiles for row blocks of at most `rows` rows, where a one-panel tile would have too few
// accumulators to cover the FMA latency: `vectors` vectors of `lanes` floats (half a panel)
// wide. fn[h][w][r] covers r rows by w vectors from half h of its first panel (AVX-512's may
// compute a padding vector past them; every tile stores only its `cols` columns).
// AVX2: 4 rows x 3 vectors, 12 accumulators where a one-panel tile has 8 (measured 8-14%
// faster at 8 rows, batch-16 sampling's share of a core); a tile may straddle two panels.
// AVX-512: 4 rows x 2 panels, 16 accumulators where one panel has 8.
template <typename T>
struct NarrowTiles {
  int64_t rows, vectors, lanes;
  TileFn<T> fn[2][5][5];
};

// The x86 families' tile tables, filled in by each family: one row over 1..4 panels, two rows
// over 1..2 panels, 1..mr rows over one panel, and optionally narrow tiles for blocks of few rows.
template <typename T>
struct Tiles {
  int64_t nr, mr;  // panel width, most rows per tile
  TileFn<T> one[5], two[3], rows[9];
  int64_t one_group = 4;  // most panels per one-row tile (entries of `one` past it unused)
  const NarrowTiles<T>* narrow = nullptr;
};

// The loops every x86 family shares. One or two rows (batch-1 and batch-2 sampling) take several
// panels per tile, so that eight independent accumulators hide the FMA latency. More rows take
// one panel at a time, panel outermost: its k*nr elements stay in cache while every row block
// passes over it.
template <typename T>
void multiply_tiled(const Tiles<T>& t, int64_t m, int64_t k, int64_t n, const float* a,
                    int64_t lda, const T* panels, float beta, float* c, int64_t ldc) {
  const int64_t np = (n + t.nr - 1) / t.nr, pstride = panel_elements<T>(k, t.nr);
  if (m <= 2) {
    const int64_t group = m == 1 ? t.one_group : 2;
    for (int64_t q = 0; q < np; q += group) {
      const int64_t g = std::min(group, np - q), j = q * t.nr;
      (m == 1 ? t.one : t.two)[g](k, a, lda, panels + q * pstride, pstride, beta, c + j, ldc,
                                  std::min(g * t.nr, n - j));
    }
    return;
  }
  // The row blocks are worked out once per pass over the panels, not per panel (a division
  // each: at batch 16, 8 rows a core and short k, that loop was 1.6% of sampling). Passes of at
  // most kMaxBlocks blocks; each element's sum is the same whatever tile computes it.
  constexpr int64_t kMaxBlocks = 64;
  for (int64_t r0 = 0; r0 < m; r0 += kMaxBlocks * t.mr) {
    int64_t first[kMaxBlocks], count[kMaxBlocks], blocks = 0;
    for_row_blocks(std::min(m - r0, kMaxBlocks * t.mr), t.mr, [&](int64_t i, int64_t rows) {
      first[blocks] = r0 + i;
      count[blocks++] = rows;
    });
    // Blocks the narrow tiles take (narrow->rows rows or fewer) walk the columns one narrow
    // tile at a time; the others a panel at a time. Either way the panels a tile reads stay in
    // cache while each block passes over them.
    auto narrow_block = [&](int64_t bl) { return t.narrow && count[bl] <= t.narrow->rows; };
    if (t.narrow) {
      const NarrowTiles<T>& nt = *t.narrow;
      const int64_t vectors = (n + nt.lanes - 1) / nt.lanes;
      for (int64_t s = 0; s < vectors; s += nt.vectors) {
        const int64_t w = std::min(nt.vectors, vectors - s), j = s * nt.lanes;
        const T* panel = panels + (s / 2) * pstride;
        for (int64_t bl = 0; bl < blocks; ++bl) {
          if (!narrow_block(bl)) continue;
          const int64_t i = first[bl];
          nt.fn[s % 2][w][count[bl]](k, a + i * lda, lda, panel, pstride, beta, c + i * ldc + j,
                                     ldc, std::min(w * nt.lanes, n - j));
        }
      }
    }
    for (int64_t q = 0; q < np; ++q) {
      const int64_t j = q * t.nr, cols = std::min(t.nr, n - j);
      for (int64_t bl = 0; bl < blocks; ++bl) {
        if (narrow_block(bl)) continue;
        const int64_t i = first[bl];
        t.rows[count[bl]](k, a + i * lda, lda, panels + q * pstride, pstride, beta,
                          c + i * ldc + j, ldc, cols);
      }
    }
  }
}

// The float a panel element stands for.
inline float widen(float x) { return x; }
inline float widen(uint16_t bf16) {
  const uint32_t bits = static_cast<uint32_t>(bf16) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}
inline float widen(int8_t q) { return q; }

// An MR x NR accumulator tile (row-major) times an int8 panel's column scales; others as they are.
template <int MR, int NR, typename T>
inline void scale_tile(float* acc, const T* panel, int64_t k) {
  if constexpr (std::is_same_v<T, int8_t>) {
    const float* s = panel_scales(panel, k, NR);
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NR; ++j) acc[r * NR + j] *= s[j];
  }
}

// ---- portable C++: 4x16 tiles written so the compiler vectorizes the 16-lane loops ----

constexpr int64_t kNrPortable = 16;
constexpr int64_t kMrPortable = 4;

template <int MR, typename T>
void tile_portable(int64_t k, const float* a, int64_t lda, const T* panel, float beta, float* c,
                   int64_t ldc, int64_t cols) {
  alignas(64) float acc[MR * kNrPortable] = {};
  for (int64_t p = 0; p < k; ++p) {
    const T* bp = panel + p * kNrPortable;
    for (int r = 0; r < MR; ++r) {
      const float av = a[r * lda + p];
      float* ar = acc + r * kNrPortable;
      for (int j = 0; j < kNrPortable; ++j) ar[j] += av * widen(bp[j]);
    }
  }
  scale_tile<MR, kNrPortable>(acc, panel, k);
  store_tile<MR, kNrPortable>(acc, cols, beta, c, ldc);
}

template <typename T>
void multiply_portable(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                       const T* panels, float beta, float* c, int64_t ldc) {
  using Tile = void (*)(int64_t, const float*, int64_t, const T*, float, float*, int64_t, int64_t);
  static constexpr Tile tiles[kMrPortable + 1] = {nullptr, tile_portable<1, T>,
                                                  tile_portable<2, T>, tile_portable<3, T>,
                                                  tile_portable<4, T>};
  for (int64_t j = 0; j < n; j += kNrPortable) {
    const T* panel = panels + (j / kNrPortable) * panel_elements<T>(k, kNrPortable);
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

// 16 panel elements as floats; p is 32-byte aligned (bf16) or 64-byte aligned (float).
CHARRNN_AVX512 inline __m512 load16(const float* p) { return _mm512_load_ps(p); }
CHARRNN_AVX512 inline __m512 load16(const uint16_t* p) {
  const __m256i h = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  // The maskz forms (all lanes) are the same instructions; GCC 12's plain forms start from an
  // "undefined" register that -Wmaybe-uninitialized reports.
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(0xffff, h);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, wide, 16));
}

CHARRNN_AVX512 inline __m512 load16(const int8_t* p) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, q));
}

// acc times the scales of the 16 columns from `lane` of an int8 tile's panel; others: acc.
template <typename T>
CHARRNN_AVX512 inline __m512 scale16(__m512 acc, const T* panel, int64_t k, int lane) {
  if constexpr (std::is_same_v<T, int8_t>) {
    return _mm512_mul_ps(acc, _mm512_loadu_ps(panel_scales(panel, k, 32) + lane));
  }
  return acc;
}

// Lanes 0..valid-1 of a 16-float vector (valid may be <= 0 or > 16).
CHARRNN_AVX512 inline __mmask16 lane_mask16(int64_t valid) {
  return static_cast<__mmask16>(valid >= 16 ? 0xffff : valid <= 0 ? 0 : (1u << valid) - 1);
}

// c (MR rows, the first `cols` of NP*32 columns) = a rows @ NP panels + beta * c.
// panel q of the tile starts at panel + q * pstride; each is (k,32), 64-byte aligned.
template <int MR, int NP, typename T>
CHARRNN_AVX512 void micro_tile(int64_t k, const float* a, int64_t lda, const T* panel,
                               int64_t pstride, float beta, float* c, int64_t ldc, int64_t cols) {
  constexpr int V = 2 * NP;  // 16-float vectors per tile row
  __m512 acc[MR][V];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  const T* bp = panel;
#pragma GCC unroll 8
  for (int64_t p = 0; p < k; ++p, bp += kNr512) {
    __m512 b[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) b[v] = load16(bp + (v / 2) * pstride + (v % 2) * 16);
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
    const T* pv = panel + (v / 2) * pstride;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      float* cv = c + r * ldc + v * 16;
      __m512 out = scale16(acc[r][v], pv, k, (v % 2) * 16);
      if (beta != 0.f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, cv), out);
      _mm512_mask_storeu_ps(cv, mask, out);
    }
  }
}

template <typename T>
void multiply_avx512(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                     const T* panels, float beta, float* c, int64_t ldc) {
  // Blocks of 1..4 rows: two panels (4 vectors) at a time, so every tile starts a panel (half
  // 0); an odd vector at the end takes a whole panel, whose padding lanes are zeros and masked.
  static constexpr NarrowTiles<T> narrow = [] {
    NarrowTiles<T> t{4, 4, 16, {}};
    const TileFn<T> one_panel[5] = {nullptr, micro_tile<1, 1, T>, micro_tile<2, 1, T>,
                                    micro_tile<3, 1, T>, micro_tile<4, 1, T>};
    const TileFn<T> two_panels[5] = {nullptr, micro_tile<1, 2, T>, micro_tile<2, 2, T>,
                                     micro_tile<3, 2, T>, micro_tile<4, 2, T>};
    for (int w = 1; w <= 4; ++w)
      for (int r = 1; r <= 4; ++r) t.fn[0][w][r] = w <= 2 ? one_panel[r] : two_panels[r];
    return t;
  }();
  static constexpr Tiles<T> tiles{
      kNr512,
      kMr512,
      {nullptr, micro_tile<1, 1, T>, micro_tile<1, 2, T>, micro_tile<1, 3, T>,
       micro_tile<1, 4, T>},
      {nullptr, micro_tile<2, 1, T>, micro_tile<2, 2, T>},
      {nullptr, micro_tile<1, 1, T>, micro_tile<2, 1, T>, micro_tile<3, 1, T>, micro_tile<4, 1, T>,
       micro_tile<5, 1, T>, micro_tile<6, 1, T>, micro_tile<7, 1, T>, micro_tile<8, 1, T>},
      4,
      &narrow};
  multiply_tiled(tiles, m, k, n, a, lda, panels, beta, c, ldc);
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

// 8 panel elements as floats; p is 16-byte aligned (bf16) or 32-byte aligned (float).
CHARRNN_AVX2 inline __m256 load8(const float* p) { return _mm256_load_ps(p); }
CHARRNN_AVX2 inline __m256 load8(const uint16_t* p) {
  const __m128i h = _mm_load_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

CHARRNN_AVX2 inline __m256 load8(const int8_t* p) {
  const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
}

// acc times the scales of the 8 columns from `lane` of an int8 tile's panel; others: acc.
template <typename T>
CHARRNN_AVX2 inline __m256 scale8(__m256 acc, const T* panel, int64_t k, int lane) {
  if constexpr (std::is_same_v<T, int8_t>) {
    return _mm256_mul_ps(acc, _mm256_loadu_ps(panel_scales(panel, k, 16) + lane));
  }
  return acc;
}

// c (MR rows, the first `cols` of V*8 columns) = a rows @ V vectors of 8 panel columns + beta * c,
// the first vector in half H0 of the first panel (at `panel`; the next pstride elements on; each
// (k,16), 64-byte aligned). Vector v is half (H0 + v) % 2 of panel (H0 + v) / 2.
template <int MR, int V, int H0, typename T>
CHARRNN_AVX2 void tile_avx2(int64_t k, const float* a, int64_t lda, const T* panel,
                            int64_t pstride, float beta, float* c, int64_t ldc, int64_t cols) {
  static_assert(H0 == 0 || H0 == 1);
  __m256 acc[MR][V];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  const T* bp = panel;
  // Unrolled by 8: measured 8% (25 rows, k 512) to 48% (2 rows) faster than the plain loop.
#pragma GCC unroll 8
  for (int64_t p = 0; p < k; ++p, bp += kNr2) {
    __m256 b[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) b[v] = load8(bp + ((H0 + v) / 2) * pstride + ((H0 + v) % 2) * 8);
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
    const T* pv = panel + ((H0 + v) / 2) * pstride;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      float* cv = c + r * ldc + v * 8;
      __m256 out = scale8(acc[r][v], pv, k, ((H0 + v) % 2) * 8);
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

// Sets t.fn[H][W][1..4]: 1..4 rows by W vectors from half H.
template <int H, int W, typename T>
constexpr void set_narrow_avx2(NarrowTiles<T>& t) {
  t.fn[H][W][1] = tile_avx2<1, W, H, T>;
  t.fn[H][W][2] = tile_avx2<2, W, H, T>;
  t.fn[H][W][3] = tile_avx2<3, W, H, T>;
  t.fn[H][W][4] = tile_avx2<4, W, H, T>;
}

template <typename T>
void multiply_avx2(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda, const T* panels,
                   float beta, float* c, int64_t ldc) {
  static constexpr NarrowTiles<T> narrow = [] {
    NarrowTiles<T> t{4, 3, 8, {}};
    set_narrow_avx2<0, 1>(t), set_narrow_avx2<0, 2>(t), set_narrow_avx2<0, 3>(t);
    set_narrow_avx2<1, 1>(t), set_narrow_avx2<1, 2>(t), set_narrow_avx2<1, 3>(t);
    return t;
  }();
  // One and two rows: whole panels (V = 2 vectors each).
  static constexpr Tiles<T> tiles{
      kNr2,
      kMr2,
      {nullptr, tile_avx2<1, 2, 0, T>, tile_avx2<1, 4, 0, T>, tile_avx2<1, 6, 0, T>,
       tile_avx2<1, 8, 0, T>},
      {nullptr, tile_avx2<2, 2, 0, T>, tile_avx2<2, 4, 0, T>},
      {nullptr, tile_avx2<1, 2, 0, T>, tile_avx2<2, 2, 0, T>, tile_avx2<3, 2, 0, T>,
       tile_avx2<4, 2, 0, T>, tile_avx2<5, 2, 0, T>, tile_avx2<6, 2, 0, T>},
      // int8: a load, a sign-extension and a conversion per 8 weights leave one FMA per cycle,
      // which 4 accumulators keep busy; 8 (1 x 4 panels) spill one of the 16 registers.
      std::is_same_v<T, int8_t> ? 2 : 4,
      &narrow};
  multiply_tiled(tiles, m, k, n, a, lda, panels, beta, c, ldc);
}

#endif  // __x86_64__

#if defined(__aarch64__)

// ---- NEON: 16-float panels (four 4-float vectors per row), tiles of up to 6 rows: 24
// accumulators + 4 B vectors of the 32 registers ----

constexpr int64_t kNrNeon = 16;
constexpr int64_t kMrNeon = 6;

// 4 panel elements as floats.
inline float32x4_t load4(const float* p) { return vld1q_f32(p); }
inline float32x4_t load4(const uint16_t* p) {
  return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}
inline float32x4_t load4(const int8_t* p) {
  int32_t four;  // the 4 bytes alone: a panel's last row may end its allocation
  std::memcpy(&four, p, sizeof four);
  const int16x8_t wide = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(four)));
  return vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
}

template <int MR, typename T>
void tile_neon(int64_t k, const float* a, int64_t lda, const T* panel, float beta, float* c,
               int64_t ldc, int64_t cols) {
  float32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_f32(0.f);
  for (int64_t p = 0; p < k; ++p) {
    const T* bp = panel + p * kNrNeon;
    const float32x4_t b0 = load4(bp), b1 = load4(bp + 4), b2 = load4(bp + 8),
                      b3 = load4(bp + 12);
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
  scale_tile<MR, kNrNeon>(out, panel, k);
  store_tile<MR, kNrNeon>(out, cols, beta, c, ldc);
}

template <typename T>
void multiply_neon(int64_t m, int64_t k, int64_t n, const float* a, int64_t lda, const T* panels,
                   float beta, float* c, int64_t ldc) {
  using Tile = void (*)(int64_t, const float*, int64_t, const T*, float, float*, int64_t, int64_t);
  static constexpr Tile tiles[kMrNeon + 1] = {nullptr,         tile_neon<1, T>, tile_neon<2, T>,
                                              tile_neon<3, T>, tile_neon<4, T>, tile_neon<5, T>,
                                              tile_neon<6, T>};
  for (int64_t j = 0; j < n; j += kNrNeon) {
    const T* panel = panels + (j / kNrNeon) * panel_elements<T>(k, kNrNeon);
    const int64_t cols = std::min(kNrNeon, n - j);
    for_row_blocks(m, kMrNeon, [&](int64_t i, int64_t rows) {
      tiles[rows](k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, cols);
    });
  }
}

#endif  // __aarch64__

int64_t panel_width(Isa isa) { return isa == Isa::avx512 ? 32 : 16; }

// Element (p, j) of op(B) goes to panel j/nr, row p, lane j%nr, as convert(element, j) makes it;
// panels [first, last) only. One panel at a time, reading B along its rows (no division per
// element: packing the recurrent weights runs once per training sequence). The lanes past n
// keep what the buffer held (zeros).
template <typename T, typename Convert>
void pack(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n, int64_t nr, T* dst,
          Convert convert, int64_t first, int64_t last) {
  const int64_t stride = panel_elements<T>(k, nr);
  for (int64_t j0 = first * nr; j0 < std::min(n, last * nr); j0 += nr) {
    T* panel = dst + (j0 / nr) * stride;
    const int64_t width = std::min(nr, n - j0);
    if (trans_b) {  // B is (n,k): column j of op(B) is row j of B
      for (int64_t l = 0; l < width; ++l) {
        const float* row = b + (j0 + l) * ldb;
        for (int64_t p = 0; p < k; ++p) panel[p * nr + l] = convert(row[p], j0 + l);
      }
    } else {
      for (int64_t p = 0; p < k; ++p) {
        const float* row = b + p * ldb + j0;
        for (int64_t l = 0; l < width; ++l) panel[p * nr + l] = convert(row[l], j0 + l);
      }
    }
  }
}

// Column j's int8 scale: scales[j] when given, else from the column's largest |element|.
std::vector<float> column_scales(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n,
                                 const float* scales) {
  if (scales) return std::vector<float>(scales, scales + n);
  std::vector<float> max_abs(n, 0.f);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      max_abs[j] = running_max_abs(max_abs[j], trans_b ? b[j * ldb + p] : b[p * ldb + j]);
  for (float& s : max_abs) s = int8_scale(s);
  return max_abs;
}

// The upper half of x's bits, rounded to nearest even; a NaN stays a (quiet) NaN.
uint16_t to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

template <typename T>
void multiply_on(Isa isa, int64_t m, int64_t k, int64_t n, const float* a, int64_t lda,
                 const T* p, float beta, float* c, int64_t ldc) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::avx512:
      multiply_avx512(m, k, n, a, lda, p, beta, c, ldc);
      return;
    case Isa::avx2:
      multiply_avx2(m, k, n, a, lda, p, beta, c, ldc);
      return;
#endif
#if defined(__aarch64__)
    case Isa::neon:
      multiply_neon(m, k, n, a, lda, p, beta, c, ldc);
      return;
#endif
    default:
      multiply_portable(m, k, n, a, lda, p, beta, c, ldc);
      return;
  }
}

}  // namespace

float round_to_bf16(float x) { return widen(to_bf16(x)); }

float int8_scale(float max_abs) {
  if (!std::isfinite(max_abs)) {
    throw InputError("a weight is not finite, which int8 cannot hold (use --weights fp32)");
  }
  return max_abs == 0.f ? 1.f : max_abs / 127.f;
}

int8_t quantize_int8(float x, float scale) {
  const float q = std::nearbyint(x / scale);
  return static_cast<int8_t>(std::clamp(q, -127.f, 127.f));
}

void round_to_int8(float* x, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) x[i] = scale * quantize_int8(x[i], scale);
}

void round_to_bf16(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = round_to_bf16(x[i]);
}

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n)
    : PackedMatrix(b, ldb, trans_b, k, n, active_isa()) {}

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n,
                           const ForRanges& for_ranges)
    : PackedMatrix(b, ldb, trans_b, k, n, active_isa(), Storage::fp32, nullptr, for_ranges) {}

PackedMatrix::PackedMatrix(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t n, Isa isa,
                           Storage storage, const float* scales, const ForRanges& for_ranges)
    : isa_(isa), storage_(storage), k_(k), n_(n), nr_(panel_width(isa)) {
  if (!isa_supported(isa)) set_isa(isa);  // throws the one-line InputError
  const int64_t np = (n + nr_ - 1) / nr_;
  const size_t raw = storage == Storage::int8
                         ? static_cast<size_t>(np * panel_elements<int8_t>(k, nr_))
                         : static_cast<size_t>(np * k * nr_ * element_bytes(storage));
  // aligned_alloc wants a multiple of the alignment; at least 64 bytes so k == 0 still owns memory.
  const size_t bytes = std::max<size_t>(64, (raw + 63) / 64 * 64);
  panels_.reset(std::aligned_alloc(64, bytes));
  if (!panels_) throw std::bad_alloc();
  // Zeros for the padding lanes: the last panel's (in fp32, the only ones pack does not write),
  // and in int8 also the scales of padding columns.
  if (storage == Storage::fp32) {
    const size_t last = static_cast<size_t>(std::max<int64_t>(np - 1, 0) * k * nr_) * sizeof(float);
    std::memset(static_cast<char*>(panels_.get()) + last, 0, bytes - last);
  } else {
    std::memset(panels_.get(), 0, bytes);
  }
  auto over_panels = [&](const std::function<void(int64_t, int64_t)>& body) {
    if (for_ranges) {
      for_ranges(np, body);
    } else {
      body(0, np);
    }
  };
  if (storage == Storage::int8) {
    const std::vector<float> s = column_scales(b, ldb, trans_b, k, n, scales);
    auto* dst = static_cast<int8_t*>(panels_.get());
    over_panels([&](int64_t first, int64_t last) {
      pack(b, ldb, trans_b, k, n, nr_, dst,
           [&](float x, int64_t j) { return quantize_int8(x, s[j]); }, first, last);
    });
    for (int64_t j = 0; j < n; ++j) {  // each panel's scales after its k rows (padding: 0)
      std::memcpy(dst + (j / nr_) * panel_elements<int8_t>(k, nr_) + k * nr_ +
                      (j % nr_) * sizeof(float),
                  &s[j], sizeof(float));
    }
  } else if (storage == Storage::bf16) {
    over_panels([&](int64_t first, int64_t last) {
      pack(b, ldb, trans_b, k, n, nr_, static_cast<uint16_t*>(panels_.get()),
           [](float x, int64_t) { return to_bf16(x); }, first, last);
    });
  } else {
    over_panels([&](int64_t first, int64_t last) {
      pack(b, ldb, trans_b, k, n, nr_, static_cast<float*>(panels_.get()),
           [](float x, int64_t) { return x; }, first, last);
    });
  }
}

void PackedMatrix::multiply(int64_t m, const float* a, int64_t lda, float beta, float* c,
                            int64_t ldc) const {
  multiply_panels(m, a, lda, beta, c, ldc, 0, panels());
}

void PackedMatrix::multiply_panels(int64_t m, const float* a, int64_t lda, float beta, float* c,
                                   int64_t ldc, int64_t first, int64_t last) const {
  const int64_t j = first * nr_, cols = std::min(n_, last * nr_) - j;
  if (m == 0 || cols <= 0) return;
  if (storage_ == Storage::int8) {
    const int64_t offset = first * panel_elements<int8_t>(k_, nr_);  // bytes before panel `first`
    multiply_on(isa_, m, k_, cols, a, lda, static_cast<const int8_t*>(panels_.get()) + offset,
                beta, c + j, ldc);
    return;
  }
  const int64_t offset = first * k_ * nr_;  // elements before panel `first`
  if (storage_ == Storage::bf16) {
    multiply_on(isa_, m, k_, cols, a, lda, static_cast<const uint16_t*>(panels_.get()) + offset,
                beta, c + j, ldc);
  } else {
    multiply_on(isa_, m, k_, cols, a, lda, static_cast<const float*>(panels_.get()) + offset, beta,
                c + j, ldc);
  }
}

}  // namespace charrnn::kernels
