// Benchmark: steady-state training and sampling speed, no I/O, min/median/max over repeats.
#pragma once
#include <cstdint>
#include <string>

#include "charrnn/config.h"

namespace charrnn {

struct BenchConfig {
  ModelConfig model;
  int batch = 50;                  // training streams B
  int seq_len = 50;                // training BPTT length T
  int threads = 0;                 // training and batch-16 sampling threads; 0 = all cores
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "fp32";  // CUDA only: fp32 | bf16 | fp16 training
  bool fused = true;               // CPU: fused LSTM kernels (false = torch::nn::LSTM)
  int warmup = 5;                  // untimed steps before measuring
  int steps = 20;                  // training steps per repeat
  int repeats = 3;                 // timed repeats (min/median/max)
  int64_t sample_bytes = 2000;     // bytes per stream per sampling repeat
  double temperature = 0.8;        // sampling temperature (the peer's)
};

struct Spread {
  double min = 0, median = 0, max = 0;
};

struct BenchResult {
  Spread train_chars_per_sec;
  Spread sample_b1_bytes_per_sec;   // one stream, one thread
  Spread sample_b1_bf16_bytes_per_sec;  // the same with bf16 weights (CPU only; else zeros)
  Spread sample_b1_int8_bytes_per_sec;  // the same with int8 weights (CPU only; else zeros)
  // One stream on `threads` threads, fp32, bf16 and int8 weights (CPU and threads > 1; else
  // zeros).
  Spread sample_b1_threads_bytes_per_sec;
  Spread sample_b1_threads_bf16_bytes_per_sec;
  Spread sample_b1_threads_int8_bytes_per_sec;
  Spread sample_b16_bytes_per_sec;  // 16 streams, `threads` threads
  int64_t peak_rss_bytes = 0;
  std::string device;
  int threads = 0;
};

BenchResult run_benchmark(const BenchConfig& cfg);

}  // namespace charrnn
