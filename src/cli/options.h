// Options several subcommands share, each defined once with one help text. Values are checked
// by the library (InputError naming the flag), never by CLI11 validators, so every bad value
// reaches main's one-line "charrnn: error: ..." and exit status 2.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "charrnn/config.h"

namespace charrnn::cli {

// --model PATH (required): a checkpoint file, or a run folder meaning its best checkpoint.
CLI::Option* add_model_option(CLI::App* cmd, std::string& model);
// --device NAME: auto, cpu, cuda or cuda:N.
CLI::Option* add_device_option(CLI::App* cmd, std::string& device);
// --threads N: CPU threads, 0 = all cores (each command keeps its own default).
CLI::Option* add_threads_option(CLI::App* cmd, int& threads);
// --layers, --hidden: the model's shape.
void add_shape_options(CLI::App* cmd, ModelConfig& model);
// --precision NAME: fp32, bf16 or fp16 (CUDA).
CLI::Option* add_precision_option(CLI::App* cmd, std::string& precision);
// --no-fused: torch's LSTM instead of the fused CPU kernels.
CLI::Option* add_no_fused_flag(CLI::App* cmd, bool& fused);
// --length N: bytes generated per sample.
CLI::Option* add_length_option(CLI::App* cmd, int64_t& length);
// --prime TEXT / --prime-file FILE, mutually exclusive (read_prime reads them).
void add_prime_options(CLI::App* cmd, std::string& prime, std::string& prime_file);
// --top-k K, --top-p P: the filters applied before sampling.
void add_filter_options(CLI::App* cmd, int& top_k, double& top_p);
// --seed N; returns the option so resolve_seed can tell whether it was given.
CLI::Option* add_seed_option(CLI::App* cmd, uint64_t& seed);
// --temperature/-t, --top-k, --top-p, --seed; returns --seed's option.
CLI::Option* add_sampling_options(CLI::App* cmd, SampleConfig& sampling);

// --weights FORMAT: fp32, bf16 or int8, the format sampling keeps the weight matrices in (parse
// with parse_weight_format).
CLI::Option* add_weights_option(CLI::App* cmd, std::string& weights);

// --isa PATH on a command that runs the CPU kernels; the returned string is empty when unset.
std::shared_ptr<std::string> add_isa_option(CLI::App* cmd);

// Applies --isa (or else CHARRNN_ISA) before any kernel runs and logs the path at debug level
// (charrnn -v). Throws InputError for a path unknown or unsupported here.
void apply_isa(const std::string& isa);

}  // namespace charrnn::cli
