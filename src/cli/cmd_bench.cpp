// charrnn bench: steady-state training and sampling speed of a model shape.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "charrnn/bench/bench.h"
#include "charrnn/model/cpu_isa.h"
#include "charrnn/util/json_writer.h"
#include "charrnn/util/openblas_core.h"
#include "commands.h"
#include "options.h"

namespace charrnn::cli {
namespace {

nlohmann::json to_json(const Spread& s) {
  return {{"min", s.min}, {"median", s.median}, {"max", s.max}};
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchConfig>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("bench", "Measure training and sampling speed (no I/O)");
  add_shape_options(cmd, o->model);
  cmd->add_option("--batch", o->batch, "Training streams B");
  cmd->add_option("--seq-len", o->seq_len, "Training BPTT length T");
  add_threads_option(cmd, o->threads);  // training and batch-16 sampling; batch 1 uses one
  add_device_option(cmd, o->device);
  add_precision_option(cmd, o->precision);
  cmd->add_option("--warmup", o->warmup, "Untimed training steps first");
  cmd->add_option("--steps", o->steps, "Timed training steps per repeat");
  cmd->add_option("--repeats", o->repeats, "Repeats (min/median/max)");
  cmd->add_option("--sample-bytes", o->sample_bytes, "Bytes per stream per sampling repeat");
  add_no_fused_flag(cmd, o->fused);
  cmd->add_flag("--json", *json, "Print one JSON object on stdout");
  auto isa = add_isa_option(cmd);
  cmd->callback([o, json, &exit_code, isa] {
    apply_isa(*isa);
    const BenchResult r = run_benchmark(*o);
    const std::string path = kernels::isa_name(kernels::active_isa());
    const std::string best = kernels::isa_name(kernels::best_isa());
    const std::string cpu = kernels::cpu_model_name();
    if (*json) {
      std::cout << dump_json(nlohmann::json{
                       {"impl", o->fused ? "charrnn" : "charrnn-torch-lstm"},
                       {"layers", o->model.layers},
                       {"hidden", o->model.hidden},
                       {"batch", o->batch},
                       {"seq_len", o->seq_len},
                       {"threads", r.threads},
                       {"device", r.device},
                       {"precision", o->precision},
                       {"isa", path},
                       {"best_isa", best},
                       {"cpu", cpu},
                       {"blas_core", openblas_core()},
                       {"train_chars_per_sec", to_json(r.train_chars_per_sec)},
                       {"sample_b1_bytes_per_sec", to_json(r.sample_b1_bytes_per_sec)},
                       {"sample_b1_bf16_bytes_per_sec", to_json(r.sample_b1_bf16_bytes_per_sec)},
                       {"sample_b1_int8_bytes_per_sec", to_json(r.sample_b1_int8_bytes_per_sec)},
                       {"sample_b1_threads_bytes_per_sec",
                        to_json(r.sample_b1_threads_bytes_per_sec)},
                       {"sample_b1_threads_bf16_bytes_per_sec",
                        to_json(r.sample_b1_threads_bf16_bytes_per_sec)},
                       {"sample_b1_threads_int8_bytes_per_sec",
                        to_json(r.sample_b1_threads_int8_bytes_per_sec)},
                       {"sample_b16_bytes_per_sec", to_json(r.sample_b16_bytes_per_sec)},
                       {"peak_rss_bytes", r.peak_rss_bytes}})
                << std::endl;
    } else {
      auto row = [](const char* what, const Spread& s, const char* unit) {
        std::printf("%-26s %10.0f %10.0f %10.0f  %s\n", what, s.min, s.median, s.max, unit);
      };
      std::printf("charrnn bench: %d x %d, B=%d T=%d, %s, %d thread(s)\n", o->model.layers,
                  o->model.hidden, o->batch, o->seq_len, r.device.c_str(), r.threads);
      std::printf("kernel path: %s (best on this CPU: %s); CPU: %s; OpenBLAS kernels: %s\n",
                  path.c_str(), best.c_str(), cpu.c_str(),
                  openblas_core().empty() ? "none" : openblas_core().c_str());
      std::printf("%-26s %10s %10s %10s\n", "", "min", "median", "max");
      row("training", r.train_chars_per_sec, "chars/s");
      row("sampling, batch 1 (1 thr)", r.sample_b1_bytes_per_sec, "bytes/s");
      row("  the same, bf16 weights", r.sample_b1_bf16_bytes_per_sec, "bytes/s");
      row("  the same, int8 weights", r.sample_b1_int8_bytes_per_sec, "bytes/s");
      if (r.threads > 1 && r.sample_b1_threads_bytes_per_sec.median > 0) {
        row("sampling, batch 1 (all thr)", r.sample_b1_threads_bytes_per_sec, "bytes/s");
        row("  the same, bf16 weights", r.sample_b1_threads_bf16_bytes_per_sec, "bytes/s");
        row("  the same, int8 weights", r.sample_b1_threads_int8_bytes_per_sec, "bytes/s");
      }
      row("sampling, batch 16", r.sample_b16_bytes_per_sec, "bytes/s");
      std::printf("peak resident memory       %10.1f MiB\n", r.peak_rss_bytes / 1048576.0);
    }
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
