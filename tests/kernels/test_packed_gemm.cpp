// PackedMatrix on every kernel path against a double-precision reference: every row-block
// remainder (1..17 rows), column tails that are not a multiple of any panel width, both layouts
// of B, beta 0 (over NaN-filled C, which must not be read) and 1, strided A and C.
// Torch-free: also built by scripts/arm64_kernel_test.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "charrnn/errors.h"
#include "isa_test_util.h"
#include "model/packed_gemm.h"

namespace {

using charrnn::kernels::Isa;
using charrnn::kernels::PackedMatrix;
using charrnn::kernels::Storage;

struct Case {
  int64_t m, k, n;
};

std::vector<float> randn(size_t count, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(count);
  for (float& x : v) x = dist(gen);
  return v;
}

// x to the nearest bf16, worked out apart from the library: of the two floats whose low 16 bits
// are zero around x, the nearer one, and on a tie the one whose last kept bit is 0.
float bf16_reference(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const uint32_t down_bits = bits & 0xffff0000u, up_bits = down_bits + 0x10000u;
  float down, up;
  std::memcpy(&down, &down_bits, sizeof down);
  std::memcpy(&up, &up_bits, sizeof up);
  const double dd = std::abs(double(x) - down), du = std::abs(double(up) - x);
  if (dd != du) return dd < du ? down : up;
  return (down_bits & 0x10000u) == 0 ? down : up;
}

// Column j of op(B) in int8, worked out from the format's definition: s = max |b| / 127 (1 for
// a zero column), each element standing for s * round-half-even(b / s), clamped to +-127.
// `scale_factor` widens every scale (given scales need not be the columns' own).
std::vector<float> int8_reference(const std::vector<float>& column, float scale_factor = 1.f) {
  float max_abs = 0.f;
  for (float x : column) max_abs = std::max(max_abs, std::abs(x));
  const float s = (max_abs == 0.f ? 1.f : max_abs / 127.f) * scale_factor;
  std::vector<float> out;
  for (float x : column) {
    double q = std::nearbyint(double(x / s));
    out.push_back(s * static_cast<float>(std::clamp(q, -127.0, 127.0)));
  }
  return out;
}

// Max |error| of one multiply against the double-precision product, in units of the expected
// rounding error sqrt(k) * 1e-5; fails on any column past n that changed. With bf16 or int8
// storage the reference multiplies by B's values rounded to that format; `given_scales` packs
// int8 with each column's own scale times 1.5 passed in, rather than computed by the library.
void check(const Case& cs, bool trans_b, float beta, Storage storage = Storage::fp32,
           bool given_scales = false) {
  const auto seed = static_cast<unsigned>(cs.m * 1000 + cs.k * 10 + cs.n);
  // A and C live inside wider buffers so row strides differ from their widths.
  const int64_t lda = cs.k + 3, ldc = cs.n + 5;
  // B stored (k,n), or (n,k) when transposed, with a row stride wider than the row.
  const int64_t ldb = trans_b ? cs.k + 2 : cs.n + 2;
  const std::vector<float> a = randn(cs.m * lda, seed),
                           b = randn((trans_b ? cs.n : cs.k) * ldb, seed + 1);
  std::vector<float> c = randn(cs.m * ldc, seed + 2);
  if (beta == 0.f) std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
  const std::vector<float> c0 = c;
  auto raw_b = [&](int64_t p, int64_t j) { return trans_b ? b[j * ldb + p] : b[p * ldb + j]; };
  std::vector<std::vector<float>> int8_columns;  // [j][p]
  std::vector<float> scales;                     // given_scales: what the library is given
  if (storage == Storage::int8) {
    for (int64_t j = 0; j < cs.n; ++j) {
      std::vector<float> column;
      float max_abs = 0.f;
      for (int64_t p = 0; p < cs.k; ++p) {
        column.push_back(raw_b(p, j));
        max_abs = std::max(max_abs, std::abs(column.back()));
      }
      int8_columns.push_back(int8_reference(column, given_scales ? 1.5f : 1.f));
      scales.push_back((max_abs == 0.f ? 1.f : max_abs / 127.f) * 1.5f);
    }
  }
  auto op_b = [&](int64_t p, int64_t j) {
    if (storage == Storage::int8) return int8_columns[j][p];
    return storage == Storage::bf16 ? bf16_reference(raw_b(p, j)) : raw_b(p, j);
  };

  const PackedMatrix packed(b.data(), ldb, trans_b, cs.k, cs.n, charrnn::kernels::active_isa(),
                            storage, given_scales ? scales.data() : nullptr);
  ASSERT_EQ(packed.storage(), storage);
  packed.multiply(cs.m, a.data(), lda, beta, c.data(), ldc);

  const std::string what = "m=" + std::to_string(cs.m) + " k=" + std::to_string(cs.k) +
                           " n=" + std::to_string(cs.n) + " trans_b=" + std::to_string(trans_b) +
                           " beta=" + std::to_string(beta) +
                           (storage == Storage::bf16   ? " bf16"
                            : storage == Storage::int8 ? (given_scales ? " int8 given" : " int8")
                                                       : "");
  const double tol = 1e-5 * std::sqrt(static_cast<double>(cs.k) + 1.0) * 4;
  double worst = 0;
  for (int64_t i = 0; i < cs.m; ++i) {
    for (int64_t j = 0; j < cs.n; ++j) {
      double want = 0;
      for (int64_t p = 0; p < cs.k; ++p) want += double(a[i * lda + p]) * op_b(p, j);
      if (beta != 0.f) want += double(beta) * c0[i * ldc + j];
      const double err = std::abs(c[i * ldc + j] - want);
      if (!(err <= worst)) worst = err;  // NaN propagates into `worst`
    }
    for (int64_t j = cs.n; j < ldc; ++j) {
      const float was = c0[i * ldc + j], now = c[i * ldc + j];
      ASSERT_TRUE(was == now || (std::isnan(was) && std::isnan(now)))
          << what << ": wrote past column n at row " << i << " column " << j;
    }
  }
  EXPECT_LE(worst, tol) << what;
}

const Case kCases[] = {{1, 128, 512},  {2, 128, 512},  {7, 128, 512}, {25, 128, 512},
                       {25, 512, 128}, {16, 256, 512}, {50, 64, 40},  {9, 3, 17},
                       {8, 1, 33},     {13, 200, 256}, {3, 17, 96},   {1, 33, 72},
                       {2, 9, 49},     {1, 5, 7},      {6, 0, 20},    {1, 256, 256},
                       // more row blocks than one pass over the panels takes (64 tiles)
                       {600, 9, 40}};

using PackedGemm = charrnn::test::PerIsa;

TEST_P(PackedGemm, MatchesDoubleReferenceForEveryShapeLayoutAndBeta) {
  for (const auto& cs : kCases)
    for (bool trans_b : {false, true})
      for (float beta : {0.f, 1.f}) check(cs, trans_b, beta);
}

TEST_P(PackedGemm, EveryRowCountUpToThreeTilesAndEveryColumnTail) {
  for (int64_t m = 1; m <= 17; ++m)
    for (float beta : {0.f, 1.f}) check({m, 40, 48}, true, beta);
  for (int64_t n = 1; n <= 70; ++n)
    for (int64_t m : {1, 2, 3, 7}) check({m, 11, n}, false, n % 2 ? 1.f : 0.f);
  // One and two rows take several panels per tile (up to 4 x 32 columns): every tail of a
  // partial group past the first full one.
  for (int64_t n = 71; n <= 200; ++n)
    for (int64_t m : {1, 2}) check({m, 11, n}, n % 3 == 0, n % 2 ? 1.f : 0.f);
}

// bf16 storage: B rounded to bf16, everything else float, on every path, shapes and tails.
TEST_P(PackedGemm, Bf16StorageMultipliesByTheRoundedMatrix) {
  for (const auto& cs : kCases)
    for (bool trans_b : {false, true}) check(cs, trans_b, trans_b ? 1.f : 0.f, Storage::bf16);
  for (int64_t n = 1; n <= 140; ++n)
    for (int64_t m : {1, 2, 4, 5})
      check({m, 13, n}, n % 2 == 0, n % 3 ? 1.f : 0.f, Storage::bf16);
}

// int8 storage: B quantized per column, everything else float, on every path, shapes and tails
// (a panel's scales sit after its rows, so every panel offset is exercised), with the scales
// computed by the library and given to it.
TEST_P(PackedGemm, Int8StorageMultipliesByTheQuantizedMatrix) {
  for (const auto& cs : kCases)
    for (bool trans_b : {false, true})
      check(cs, trans_b, trans_b ? 1.f : 0.f, Storage::int8, /*given_scales=*/!trans_b);
  for (int64_t n = 1; n <= 140; ++n)
    for (int64_t m : {1, 2, 4, 5})
      check({m, 13, n}, n % 2 == 0, n % 3 ? 1.f : 0.f, Storage::int8, n % 5 == 0);
}

// multiply_panels over disjoint panel ranges (as threads split a big product) writes exactly
// the bits one multiply() writes, and nothing outside its own columns.
TEST_P(PackedGemm, PanelRangesGiveTheSameBitsAsOneCall) {
  for (Storage storage : {Storage::fp32, Storage::bf16, Storage::int8})
    for (const Case cs : {Case{1, 96, 300}, Case{2, 40, 129}, Case{3, 40, 200}, Case{5, 33, 77},
                          Case{8, 40, 200}, Case{16, 64, 512}}) {
      const std::vector<float> a = randn(cs.m * cs.k, 11), b = randn(cs.k * cs.n, 12);
      const PackedMatrix packed(b.data(), cs.n, false, cs.k, cs.n, charrnn::kernels::active_isa(),
                                storage);
      std::vector<float> whole = randn(cs.m * cs.n, 13);
      const std::vector<float> c0 = whole;
      packed.multiply(cs.m, a.data(), cs.k, 1.f, whole.data(), cs.n);
      const int64_t nr = charrnn::kernels::active_isa() == Isa::avx512 ? 32 : 16,
                    np = packed.panels();
      ASSERT_EQ(np, (cs.n + nr - 1) / nr);
      for (int64_t cut : {int64_t{0}, int64_t{1}, np / 2, np - 1, np}) {
        std::vector<float> parts = c0;
        packed.multiply_panels(cs.m, a.data(), cs.k, 1.f, parts.data(), cs.n, cut, np);
        for (int64_t i = 0; i < cs.m; ++i)  // only columns from panel `cut` on were written
          for (int64_t j = 0; j < std::min(cs.n, cut * nr); ++j)
            ASSERT_EQ(parts[i * cs.n + j], c0[i * cs.n + j]) << "cut " << cut << " col " << j;
        packed.multiply_panels(cs.m, a.data(), cs.k, 1.f, parts.data(), cs.n, 0, cut);
        ASSERT_EQ(0, std::memcmp(parts.data(), whole.data(), whole.size() * sizeof(float)))
            << "m=" << cs.m << " n=" << cs.n << " cut at panel " << cut;
      }
    }
}

// Hand-worked: a column whose largest |element| is 2.54 has scale 0.02, and 2.54 is 127 steps;
// with scale 0.25 (exact in binary), -12.625 is -50.5 steps and 0.375 is 1.5: ties, which go to
// the even -50 and 2; a zero column gets scale 1.
TEST(Int8, QuantizesToTheNearestStepOfTheColumnScale) {
  using charrnn::kernels::int8_scale;
  using charrnn::kernels::quantize_int8;
  const float s = int8_scale(2.54f);
  EXPECT_FLOAT_EQ(s, 0.02f);
  EXPECT_EQ(quantize_int8(2.54f, s), 127);
  EXPECT_EQ(quantize_int8(-2.54f, s), -127);
  EXPECT_EQ(quantize_int8(-12.625f, 0.25f), -50);
  EXPECT_EQ(quantize_int8(0.375f, 0.25f), 2);
  EXPECT_EQ(quantize_int8(0.37f, 0.25f), 1);
  EXPECT_EQ(quantize_int8(0.12f, 0.25f), 0);
  EXPECT_EQ(quantize_int8(9.f, s), 127);  // beyond a given scale's range: clamped
  EXPECT_EQ(int8_scale(0.f), 1.f);
  EXPECT_THROW(int8_scale(std::numeric_limits<float>::infinity()), charrnn::InputError);
  EXPECT_THROW(int8_scale(std::numeric_limits<float>::quiet_NaN()), charrnn::InputError);
  // Packing a column that holds a NaN is the same one-line error, not a silent garbage column,
  // wherever the NaN is (one before a finite element must not be forgotten).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const auto& b : {std::vector<float>{1.f, nan, 0.5f}, std::vector<float>{nan, 1.f, 2.f}}) {
    EXPECT_THROW(
        PackedMatrix(b.data(), 1, false, 3, 1, charrnn::kernels::active_isa(), Storage::int8),
        charrnn::InputError);
  }
}

TEST(Bf16, RoundsToNearestEven) {
  using charrnn::kernels::round_to_bf16;
  const float ulp = std::ldexp(1.f, -7);  // bf16's spacing in [1, 2)
  EXPECT_EQ(round_to_bf16(1.f), 1.f);
  EXPECT_EQ(round_to_bf16(1.f + ulp / 2), 1.f);                   // tie: even (1.0) wins
  EXPECT_EQ(round_to_bf16(1.f + ulp + ulp / 2), 1.f + 2 * ulp);   // tie: even (1 + 2 ulp) wins
  EXPECT_EQ(round_to_bf16(1.f + ulp / 2 + ulp / 64), 1.f + ulp);  // past the tie: up
  EXPECT_EQ(round_to_bf16(-1.f - ulp / 4), -1.f);
  EXPECT_EQ(round_to_bf16(0.f), 0.f);
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::infinity()),
            std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  std::mt19937 gen(3);
  std::normal_distribution<float> dist(0.f, 10.f);
  for (int i = 0; i < 100000; ++i) {
    const float x = dist(gen);
    ASSERT_EQ(round_to_bf16(x), bf16_reference(x)) << x;
  }
}

TEST_P(PackedGemm, KeepsThePathItWasPackedFor) {
  // Packed now, multiplied after the active path changed: the panel layout must still match.
  const std::vector<float> b = randn(20 * 40, 7), a = randn(3 * 20, 8);
  const PackedMatrix packed(b.data(), 40, false, 20, 40);
  EXPECT_EQ(packed.isa(), GetParam());
  std::vector<float> want(3 * 40), got(3 * 40);
  packed.multiply(3, a.data(), 20, 0.f, want.data(), 40);
  {
    charrnn::test::IsaScope other(Isa::portable);
    packed.multiply(3, a.data(), 20, 0.f, got.data(), 40);
  }
  EXPECT_EQ(want, got);
}

TEST_P(PackedGemm, PackingInRangesGivesTheSameProducts) {
  // Training packs its panels on several threads: each range handed out must pack exactly its
  // panels. Here one panel per range, last first, against one packing pass; both layouts of B,
  // a column tail (70 is no multiple of 16 or 32).
  const int64_t m = 7, k = 33, n = 70;
  const std::vector<float> b = randn(k * n, 11), a = randn(m * k, 12);
  for (bool trans_b : {false, true}) {
    SCOPED_TRACE(trans_b ? "B transposed" : "B as is");
    const int64_t ldb = trans_b ? k : n;
    int64_t ranges = 0;
    const PackedMatrix whole(b.data(), ldb, trans_b, k, n);
    const PackedMatrix in_ranges(
        b.data(), ldb, trans_b, k, n,
        [&](int64_t panels, const std::function<void(int64_t, int64_t)>& body) {
          for (int64_t p = panels - 1; p >= 0; --p, ++ranges) body(p, p + 1);
        });
    EXPECT_EQ(ranges, whole.panels());
    std::vector<float> want(m * n), got(m * n);
    whole.multiply(m, a.data(), k, 0.f, want.data(), n);
    in_ranges.multiply(m, a.data(), k, 0.f, got.data(), n);
    EXPECT_EQ(want, got);
  }
}

INSTANTIATE_PER_ISA(PackedGemm);

TEST(CpuIsa, UnknownOrUnsupportedPathIsAOneLineErrorListingTheChoices) {
  try {
    charrnn::kernels::set_isa(std::string("avx3"));
    FAIL() << "set_isa(\"avx3\") did not throw";
  } catch (const charrnn::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("avx3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("portable"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  for (Isa isa : charrnn::test::kAllIsas) {
    if (charrnn::kernels::isa_supported(isa)) continue;
    EXPECT_THROW(charrnn::kernels::set_isa(isa), charrnn::InputError)
        << charrnn::kernels::isa_name(isa);
  }
  EXPECT_TRUE(charrnn::kernels::isa_supported(Isa::portable));
  EXPECT_TRUE(charrnn::kernels::isa_supported(charrnn::kernels::best_isa()));
}

}  // namespace
