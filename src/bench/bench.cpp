#include "charrnn/bench/bench.h"

#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "charrnn/errors.h"
#include "charrnn/sample/generate.h"
#include "charrnn/train/precision.h"
#include "charrnn/train/train_step.h"
#include "charrnn/util/clock.h"
#include "charrnn/util/device.h"

namespace charrnn {
namespace {

Spread spread(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return {xs.front(), xs[xs.size() / 2], xs.back()};
}

// Bytes per second of generate() with `streams` streams, best-effort steady state.
double sampling_rate(const CharLSTM& model, int streams, int64_t bytes, double temperature,
                     WeightFormat weights = WeightFormat::fp32) {
  std::vector<SampleConfig> cfg(static_cast<size_t>(streams));
  for (int i = 0; i < streams; ++i) {
    cfg[i].temperature = temperature;
    cfg[i].seed = static_cast<uint64_t>(i);
  }
  const auto t0 = Clock::now();
  generate(model, "", cfg, bytes, {}, weights);
  return static_cast<double>(bytes) * streams / seconds_since(t0);
}

}  // namespace

BenchResult run_benchmark(const BenchConfig& cfg) {
  if (cfg.steps < 1 || cfg.repeats < 1 || cfg.warmup < 0 || cfg.sample_bytes < 1) {
    throw InputError("--steps, --repeats and --sample-bytes must be >= 1, --warmup >= 0");
  }
  if (cfg.batch < 1 || cfg.seq_len < 1) throw InputError("--batch and --seq-len must be >= 1");
  const auto device = resolve_device(cfg.device);
  const Precision precision = parse_precision(cfg.precision);
  check_precision(precision, device);
  configure_threads(cfg.threads);
  const int threads = at::get_num_threads();

  torch::manual_seed(0);
  CharLSTM model(cfg.model);
  model->set_fused(cfg.fused);
  model->to(device);
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(2e-3));
  // Random bytes: speed does not depend on the text, and no I/O is measured.
  auto x = torch::randint(0, kVocab, {cfg.batch, cfg.seq_len}, torch::kLong).to(device);
  auto y = torch::randint(0, kVocab, {cfg.batch, cfg.seq_len}, torch::kLong).to(device);
  State state = model->initial_state(cfg.batch);
  LossScaler scaler(precision == Precision::kFp16);
  auto step = [&] { train_step(model, opt, x, y, state, 5.0, {}, precision, &scaler); };
  for (int i = 0; i < cfg.warmup; ++i) step();

  BenchResult r;
  std::vector<double> train_rates, b1, b1_bf16, b1_int8, b1_mt, b1_mt_bf16, b1_mt_int8, b16;
  for (int rep = 0; rep < cfg.repeats; ++rep) {
    const auto t0 = Clock::now();
    // item() inside each step synchronises any device, so the clock sees the work.
    for (int i = 0; i < cfg.steps; ++i) step();
    train_rates.push_back(static_cast<double>(cfg.steps) * cfg.batch * cfg.seq_len /
                          seconds_since(t0));
  }
  model->eval();
  // Batch 1: one stream, with fp32 and (CPU) bf16 and int8 weights, warmed up first.
  auto batch1 = [&](WeightFormat weights) {
    sampling_rate(model, 1, std::min<int64_t>(200, cfg.sample_bytes), cfg.temperature, weights);
    std::vector<double> rates;
    for (int rep = 0; rep < cfg.repeats; ++rep)
      rates.push_back(sampling_rate(model, 1, cfg.sample_bytes, cfg.temperature, weights));
    return rates;
  };
  at::set_num_threads(1);  // batch-1 sampling: one thread, as the target says
  b1 = batch1(WeightFormat::fp32);
  if (device.is_cpu()) {
    b1_bf16 = batch1(WeightFormat::bf16);
    b1_int8 = batch1(WeightFormat::int8);
  }
  at::set_num_threads(threads);
  // And on every thread: a big model's products are split by columns (stepper.cpp).
  if (device.is_cpu() && threads > 1) {
    b1_mt = batch1(WeightFormat::fp32);
    b1_mt_bf16 = batch1(WeightFormat::bf16);
    b1_mt_int8 = batch1(WeightFormat::int8);
  }
  for (int rep = 0; rep < cfg.repeats; ++rep) {
    b16.push_back(sampling_rate(model, 16, cfg.sample_bytes, cfg.temperature));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.train_chars_per_sec = spread(train_rates);
  r.sample_b1_bytes_per_sec = spread(b1);
  if (!b1_bf16.empty()) r.sample_b1_bf16_bytes_per_sec = spread(b1_bf16);
  if (!b1_int8.empty()) r.sample_b1_int8_bytes_per_sec = spread(b1_int8);
  if (!b1_mt.empty()) r.sample_b1_threads_bytes_per_sec = spread(b1_mt);
  if (!b1_mt_bf16.empty()) r.sample_b1_threads_bf16_bytes_per_sec = spread(b1_mt_bf16);
  if (!b1_mt_int8.empty()) r.sample_b1_threads_int8_bytes_per_sec = spread(b1_mt_int8);
  r.sample_b16_bytes_per_sec = spread(b16);
  r.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  r.device = device.str();
  r.threads = threads;
  return r;
}

}  // namespace charrnn
