// The LSTM gate update (forward and backward), exp_inplace and scale_logits on every kernel path
// against double-precision formulas (scale_logits: the scalar expression's bits): widths with and
// without a vector tail, strided rows, bias or none.
// Torch-free: also built by scripts/arm64_kernel_test.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "isa_test_util.h"
#include "model/lstm_kernels.h"

namespace {

using charrnn::kernels::exp_inplace;
using charrnn::kernels::lstm_gates_backward;
using charrnn::kernels::lstm_gates_forward;

std::vector<float> uniform(size_t count, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(gen);
  return v;
}

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

using GateKernels = charrnn::test::PerIsa;

// Runs the forward gate update on `rows` rows of pre-activations (row stride ldg, the c_prev rows
// stride ldc) and returns the largest absolute difference of any output (the four activations,
// c, tanh c, h) from the double-precision formulas.
double forward_error(int64_t rows, int64_t H, std::vector<float> gates, int64_t ldg,
                     const float* bias, const std::vector<float>& cp, int64_t ldc) {
  const std::vector<float> pre = gates;
  const int64_t ldh = 2 * H;
  std::vector<float> c(rows * ldc), tc(rows * ldc), h(rows * ldh);
  lstm_gates_forward(rows, H, gates.data(), ldg, bias, cp.data(), ldc, c.data(), ldc, tc.data(),
                     ldc, h.data(), ldh);
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < H; ++j) {
      auto z = [&](int64_t q) {
        return double(pre[r * ldg + q * H + j]) + (bias ? bias[q * H + j] : 0.0);
      };
      const double i = sig(z(0)), f = sig(z(1)), g = std::tanh(z(2)), o = sig(z(3));
      const double cj = f * cp[r * ldc + j] + i * g, tcj = std::tanh(cj);
      const double got[] = {gates[r * ldg + j],
                            gates[r * ldg + H + j],
                            gates[r * ldg + 2 * H + j],
                            gates[r * ldg + 3 * H + j],
                            c[r * ldc + j],
                            tc[r * ldc + j],
                            h[r * ldh + j]};
      const double want[] = {i, f, g, o, cj, tcj, o * tcj};
      for (int q = 0; q < 7; ++q) worst = std::max(worst, std::abs(got[q] - want[q]));
    }
  }
  return worst;
}

TEST_P(GateKernels, ForwardMatchesDoubleFormulas) {
  for (int64_t H : {1, 5, 8, 13, 64}) {
    for (bool with_bias : {false, true}) {
      const int64_t rows = 3, G = 4 * H, ldg = G + 3, ldc = H + 1;
      const std::vector<float> bias = uniform(G, -1, 1, 3);
      const double worst = forward_error(rows, H, uniform(rows * ldg, -6, 6, H), ldg,
                                         with_bias ? bias.data() : nullptr,
                                         uniform(rows * ldc, -3, 3, 2), ldc);
      EXPECT_LT(worst, 2e-6) << "H=" << H << " bias=" << with_bias;
    }
  }
}

TEST_P(GateKernels, ForwardSaturatesAtExtremePreActivations) {
  // Beyond exp's range (|z| > 87) the vector exp clamps its argument: the activations must still
  // be 0, 1 or -1 there, never a NaN or a wrapped-around exponent.
  const std::vector<float> extremes = {-INFINITY, -1e30f, -100.f, -88.5f, -87.5f, -44.f, -20.f,
                                       20.f,      44.f,   87.5f,  88.5f,  100.f,  1e30f, INFINITY};
  const auto n = static_cast<int64_t>(extremes.size());
  for (int64_t H : {16, 37}) {  // whole vectors on every path; vector tails
    const int64_t G = 4 * H;
    std::vector<float> gates(G);
    for (int64_t q = 0; q < 4; ++q)  // each gate sees every value, in a different unit
      for (int64_t j = 0; j < H; ++j) gates[q * H + j] = extremes[(j + 3 * q) % n];
    EXPECT_LT(forward_error(1, H, gates, G, nullptr, uniform(H, -3, 3, 4), H), 2e-6) << "H=" << H;
  }
}

TEST_P(GateKernels, BackwardMatchesDoubleFormulas) {
  for (int64_t H : {1, 7, 8, 19, 64}) {
    const int64_t rows = 2, G = 4 * H;
    // Activations as forward leaves them: sigmoids in (0,1), tanh in (-1,1).
    const std::vector<float> acts = uniform(rows * G, 0.01f, 0.99f, H),
                             tc = uniform(rows * H, -0.99f, 0.99f, 2),
                             cp = uniform(rows * H, -2, 2, 3), dh = uniform(rows * H, -1, 1, 4);
    std::vector<float> dc = uniform(rows * H, -1, 1, 5), dg(rows * G);
    const std::vector<float> dc_in = dc;
    lstm_gates_backward(rows, H, acts.data(), G, tc.data(), H, cp.data(), H, dh.data(), H,
                        dc.data(), H, dg.data(), G);
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < H; ++j) {
        const double i = acts[r * G + j], f = acts[r * G + H + j], g = acts[r * G + 2 * H + j],
                     o = acts[r * G + 3 * H + j], t = tc[r * H + j], d = dh[r * H + j];
        const double dcj = dc_in[r * H + j] + d * o * (1 - t * t);
        const double want[] = {dcj * g * i * (1 - i), dcj * cp[r * H + j] * f * (1 - f),
                               dcj * i * (1 - g * g), d * t * o * (1 - o), dcj * f};
        const double got[] = {dg[r * G + j], dg[r * G + H + j], dg[r * G + 2 * H + j],
                              dg[r * G + 3 * H + j], dc[r * H + j]};
        for (int q = 0; q < 5; ++q) worst = std::max(worst, std::abs(got[q] - want[q]));
      }
    }
    EXPECT_LT(worst, 1e-6) << "H=" << H;
  }
}

TEST_P(GateKernels, ExpIsAccurateAndFlushesBelowTheNormalRange) {
  std::vector<float> x = uniform(1001, -87, 88, 11);
  x[0] = -100.f, x[1] = -87.4f, x[2] = 0.f, x[3] = -1000.f;
  const std::vector<float> in = x;
  exp_inplace(static_cast<int64_t>(x.size()), x.data());
  EXPECT_EQ(x[0], 0.f);
  EXPECT_EQ(x[1], 0.f);
  EXPECT_EQ(x[2], 1.f);
  EXPECT_EQ(x[3], 0.f);
  double worst = 0;
  for (size_t i = 4; i < x.size(); ++i) {
    const double want = std::exp(double(in[i]));
    worst = std::max(worst, std::abs(x[i] - want) / want);
  }
  EXPECT_LT(worst, 2e-7);  // about 1.7 ulp
}

TEST_P(GateKernels, ScaledLogitsHaveTheScalarBits) {
  // The sampler's draws must not depend on the kernel path: every lane must be exactly
  // float(max((double(z) - shift) * scale, -1000)), including NaN, infinities, values that
  // overflow float after scaling, and the vector tails (n = 1..40).
  std::vector<float> z = uniform(40, -30, 30, 21);
  z[3] = std::nanf(""), z[7] = INFINITY, z[8] = -INFINITY, z[9] = 3e38f, z[10] = -3e38f;
  z[11] = 1e-40f;  // denormal
  for (double scale : {1.0, 1.0 / 0.7, 1.0 / 1e-30, 1.0 / 3.0}) {
    for (int64_t n = 1; n <= 40; ++n) {
      std::vector<float> got(n, 7.f);
      charrnn::kernels::scale_logits(n, z.data(), 2.5, scale, got.data());
      for (int64_t i = 0; i < n; ++i) {
        const float want = static_cast<float>(std::max((z[i] - 2.5) * scale, -1000.0));
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(got[i])) << "n=" << n << " i=" << i;
        } else {
          EXPECT_EQ(got[i], want) << "n=" << n << " i=" << i << " scale=" << scale;
        }
      }
    }
  }
}

INSTANTIATE_PER_ISA(GateKernels);

}  // namespace
