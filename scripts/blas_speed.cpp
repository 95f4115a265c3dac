// The rate of the BLAS GEMMs that dominate 2 x 512 training, on 2 threads, two ways: one
// OpenBLAS call that splits the work over its threads, and each core its own half of C in a
// single-threaded call (OpenBLAS runs single-threaded inside an OpenMP region), alternating in
// one process. With the step's 24.6 G multiply-adds (README, "Benchmark") it gives the
// training speed a step could reach if every multiply-add ran at that rate and nothing else
// ran. Built and run by scripts/blas_speed.sh against the system's OpenBLAS (no LibTorch).
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <random>
#include <vector>

// OpenBLAS's own exports, declared here so that no cblas.h (libblas-dev) is needed; the enum
// values are CBLAS's.
extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
void cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);
void openblas_set_num_threads(int);
}

namespace {

using Clock = std::chrono::steady_clock;

// Row-major C (m,n) = op(A) (m,k) @ op(B) (k,n).
struct Shape {
  const char* what;
  bool trans_a, trans_b;
  int m, n, k;
};

// GMAC/s of `reps` products, as one call (split = false) or each thread its half of C's rows.
double rate(const Shape& s, bool split, const float* a, const float* b, float* c, int reps) {
  const int lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n;
  const CBLAS_TRANSPOSE ta = s.trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = s.trans_b ? CblasTrans : CblasNoTrans;
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) {
    if (!split) {
      cblas_sgemm(CblasRowMajor, ta, tb, s.m, s.n, s.k, 1.f, a, lda, b, ldb, 0.f, c, s.n);
      continue;
    }
#pragma omp parallel num_threads(2)
    {
      const int t = omp_get_thread_num(), m0 = s.m * t / 2, m1 = s.m * (t + 1) / 2;
      // row m0 of op(A): a column of A when transposed
      const float* a0 = s.trans_a ? a + m0 : a + static_cast<size_t>(m0) * lda;
      cblas_sgemm(CblasRowMajor, ta, tb, m1 - m0, s.n, s.k, 1.f, a0, lda, b, ldb, 0.f,
                  c + static_cast<size_t>(m0) * s.n, s.n);
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return double(s.m) * s.n * s.k * reps / seconds / 1e9;
}

}  // namespace

int main() {
  openblas_set_num_threads(2);
  // B = 50 streams x T = 50 bytes = 2,500 rows; H = 512, 4H = 2048; 256 outputs.
  const Shape shapes[] = {
      {"layer 2 input product x W_ih^T", false, true, 2500, 2048, 512},
      {"weight gradient d_gates^T x", true, false, 2048, 512, 2500},
      {"input gradient d_gates W_ih", false, false, 2500, 512, 2048},
      {"head x W^T", false, true, 2500, 256, 512},
  };
  constexpr int kRounds = 8, kReps = 5;
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1, 1);
  double sum_one = 0, sum_split = 0;
  std::printf("2 threads, mean of %d alternating rounds of %d products, GMAC/s:\n", kRounds, kReps);
  for (const Shape& s : shapes) {
    std::vector<float> a(static_cast<size_t>(s.m) * s.k), b(static_cast<size_t>(s.k) * s.n);
    std::vector<float> c(static_cast<size_t>(s.m) * s.n);
    for (float& x : a) x = u(gen);
    for (float& x : b) x = u(gen);
    rate(s, false, a.data(), b.data(), c.data(), 1);  // warm-up: threads, pages, caches
    rate(s, true, a.data(), b.data(), c.data(), 1);
    double one = 0, split = 0;
    for (int r = 0; r < kRounds; ++r) {
      one += rate(s, false, a.data(), b.data(), c.data(), kReps) / kRounds;
      split += rate(s, true, a.data(), b.data(), c.data(), kReps) / kRounds;
    }
    std::printf("  %-34s (%4d x %4d, k %4d): one call %5.1f, a half per core %5.1f\n", s.what, s.m,
                s.n, s.k, one, split);
    sum_one += one / std::size(shapes), sum_split += split / std::size(shapes);
  }
  const double best = sum_one > sum_split ? sum_one : sum_split;
  std::printf(
      "mean %.1f GMAC/s: 24.6 G multiply-adds a 2,500-byte step at that rate, with "
      "nothing else, would train %.0f chars/s\n",
      best, best * 1e9 / 24.6e9 * 2500);
}
