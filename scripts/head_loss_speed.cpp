// The output layer and loss of a training step, forward and backward, two ways in one process,
// alternating: ATen's linear + cross_entropy (what the step ran before head_loss.cpp, and what
// torch::nn::Linear + F.cross_entropy run in the peer), and charrnn's head_cross_entropy.
// 2,500 rows (B = 50 x T = 50), 256 outputs, H = 128 and 512.
// Built and run by scripts/head_loss_speed.sh against the build's libcharrnn_lib.a.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "charrnn/model/head_loss.h"

int main(int argc, char** argv) {
  // threads: the first argument, or all cores (as charrnn's --threads 0)
  at::set_num_threads(argc > 1 ? std::atoi(argv[1]) : std::thread::hardware_concurrency());
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  constexpr int64_t N = 2500, V = 256;
  constexpr int kRounds = 5, kIters = 40;
  std::printf("%d threads; mean ms per forward + backward over %d rounds of %d, alternating:\n",
              at::get_num_threads(), kRounds, kIters);
  for (int64_t H : {128, 512}) {
    torch::manual_seed(1);
    torch::nn::Linear head(H, V);
    const auto x = torch::randn({N, H}).requires_grad_(true);
    const auto t = torch::randint(0, V, {N}, torch::kLong);
    double aten = 0, fused = 0;
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < kIters; ++i) {
        const auto t0 = Clock::now();
        torch::nn::functional::cross_entropy(head->forward(x), t).backward();
        const auto t1 = Clock::now();
        charrnn::head_cross_entropy(x, t, head->weight, head->bias, false).backward();
        const auto t2 = Clock::now();
        aten += ms(t0, t1), fused += ms(t1, t2);
      }
    }
    const double n = kRounds * kIters;
    std::printf(
        "  H %3lld: ATen linear + cross_entropy %6.3f ms, head_cross_entropy %6.3f ms: %.2fx\n",
        static_cast<long long>(H), aten / n, fused / n, aten / fused);
  }
}
