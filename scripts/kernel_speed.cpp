// How close the packed GEMM runs to the CPU's arithmetic peak, per kernel path: a loop of
// independent FMAs gives the peak (256-bit on AVX2, 512-bit on AVX-512, 128-bit on NEON, scalar
// on portable), then PackedMatrix::multiply runs the shapes training and sampling use, one
// thread, warm caches. Torch-free; built and run by scripts/kernel_speed.sh.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "charrnn/model/cpu_isa.h"
#include "model/packed_gemm.h"
#include "model/simd_vec.h"

namespace {

using charrnn::kernels::Isa;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

namespace charrnn::kernels {
namespace {
#define CHARRNN_SIMD_FILE "scripts/fma_peak_simd.inc"
#include "model/simd_each_path.inc"
}  // namespace
}  // namespace charrnn::kernels

namespace {

// G multiply-adds per second of the FMA loop for `isa` (0: not measured here).
double peak(Isa isa) {
  constexpr long kIterations = 100000000;
  switch (isa) {
#if defined(__x86_64__)
    case Isa::avx2:
      return charrnn::kernels::avx2::fma_peak(kIterations);
    case Isa::avx512:
      return charrnn::kernels::avx512::fma_peak(kIterations);
#elif defined(__aarch64__)
    case Isa::neon:
      return charrnn::kernels::neon::fma_peak(kIterations);
#endif
    default:
      return 0;
  }
}

// GMAC/s of c (m,n) += a (m,k) @ b (k,n) with b packed, on the active path.
double packed_rate(int64_t m, int64_t k, int64_t n) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> b(k * n), a(m * k), c(m * n);
  for (float& x : b) x = u(gen);
  for (float& x : a) x = u(gen);
  const charrnn::kernels::PackedMatrix w(b.data(), k, /*trans_b=*/true, k, n);  // b as (n,k)
  const long reps = std::max<long>(3, static_cast<long>(4e9 / (double(m) * k * n)));
  for (int i = 0; i < 3; ++i) w.multiply(m, a.data(), k, 1.f, c.data(), n);
  const auto t0 = Clock::now();
  for (long i = 0; i < reps; ++i) w.multiply(m, a.data(), k, 1.f, c.data(), n);
  return double(m) * k * n * reps / seconds_since(t0) / 1e9;
}

}  // namespace

int main() {
  std::printf("CPU: %s\n", charrnn::kernels::cpu_model_name().c_str());
  // m, k, n: a core's rows of the recurrent product in training (B = 50 over 2 cores) at
  // 2x128 and 2x512, batch-16 sampling's 8 rows per core, batch 1.
  const int64_t shapes[][3] = {{25, 128, 512}, {25, 512, 2048}, {8, 128, 512},
                               {8, 256, 512},  {1, 128, 512},   {1, 512, 2048}};
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (!charrnn::kernels::isa_supported(isa)) continue;
    charrnn::kernels::set_isa(isa);
    const double top = peak(isa);
    if (top > 0) {
      std::printf("%-8s FMA peak %.1f GMAC/s per core\n", charrnn::kernels::isa_name(isa), top);
    } else {
      std::printf("%-8s (no FMA peak loop for this path)\n", charrnn::kernels::isa_name(isa));
    }
    for (const auto& s : shapes) {
      const double r = packed_rate(s[0], s[1], s[2]);
      std::printf("%-8s packed M=%ld K=%ld N=%ld: %.1f GMAC/s", charrnn::kernels::isa_name(isa),
                  static_cast<long>(s[0]), static_cast<long>(s[1]), static_cast<long>(s[2]), r);
      if (top > 0) std::printf(" (%.0f%% of peak)", 100 * r / top);
      std::printf("\n");
    }
  }
}
