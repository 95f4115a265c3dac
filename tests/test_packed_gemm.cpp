// PackedMatrix against ATen's mm: every row-block remainder (1..8 rows), column tails that are
// not a multiple of the 32-wide panel, both layouts of B, beta 0 and 1, strided A and C, and
// the BLAS fallback on the same inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "model/packed_gemm.h"

namespace {

using charrnn::kernels::PackedMatrix;

struct Case {
  int64_t m, k, n;
};

void check(const Case& cs, bool trans_b, float beta, bool native) {
  torch::manual_seed(cs.m * 1000 + cs.k * 10 + cs.n);
  // A and C live inside wider buffers so row strides differ from their widths.
  const int64_t lda = cs.k + 3, ldc = cs.n + 5;
  auto a_buf = torch::randn({cs.m, lda});
  auto a = a_buf.narrow(1, 0, cs.k);
  // B stored (k,n), or (n,k) when transposed, with a row stride wider than the row.
  auto b_buf = trans_b ? torch::randn({cs.n, cs.k + 2}) : torch::randn({cs.k, cs.n + 2});
  auto op_b = trans_b ? b_buf.narrow(1, 0, cs.k).t() : b_buf.narrow(1, 0, cs.n);
  auto c_buf = torch::randn({cs.m, ldc});
  if (beta == 0.f) c_buf.fill_(std::numeric_limits<float>::quiet_NaN());  // must be ignored
  auto c0 = c_buf.narrow(1, 0, cs.n).clone();

  const PackedMatrix packed(b_buf.data_ptr<float>(), b_buf.size(1), trans_b, cs.k, cs.n, native);
  packed.multiply(cs.m, a_buf.data_ptr<float>(), lda, beta, c_buf.data_ptr<float>(), ldc);

  // Reference in double precision.
  auto want = torch::mm(a.to(torch::kDouble), op_b.to(torch::kDouble));
  if (beta != 0.f) want += beta * c0.to(torch::kDouble);
  auto got = c_buf.narrow(1, 0, cs.n).to(torch::kDouble);
  const double err = (got - want).abs().max().item<double>();
  EXPECT_LT(err, 1e-4 * std::sqrt(static_cast<double>(cs.k)))
      << "m=" << cs.m << " k=" << cs.k << " n=" << cs.n << " trans_b=" << trans_b
      << " beta=" << beta << " native=" << native;
  // Columns past n in C's row stride are untouched.
  if (ldc > cs.n) {
    auto pad = c_buf.narrow(1, cs.n, ldc - cs.n);
    if (beta == 0.f) {
      EXPECT_TRUE(pad.isnan().all().item<bool>());
    }
  }
}

const Case kCases[] = {{1, 128, 512}, {7, 128, 512}, {25, 128, 512}, {25, 512, 128}, {16, 256, 512},
                       {50, 64, 40},  {9, 3, 17},    {8, 1, 33},     {13, 200, 256}, {3, 17, 96}};

TEST(PackedGemm, MatchesMmForEveryShapeLayoutAndBeta) {
  for (const auto& cs : kCases)
    for (bool trans_b : {false, true})
      for (float beta : {0.f, 1.f}) check(cs, trans_b, beta, /*native=*/true);
}

TEST(PackedGemm, BlasFallbackMatchesMmToo) {
  for (const auto& cs : kCases)
    for (bool trans_b : {false, true})
      for (float beta : {0.f, 1.f}) check(cs, trans_b, beta, /*native=*/false);
}

TEST(PackedGemm, EveryRowCountUpToTwoTiles) {
  for (int64_t m = 1; m <= 17; ++m) check({m, 40, 48}, true, 1.f, /*native=*/true);
}

}  // namespace
