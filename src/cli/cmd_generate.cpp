// charrnn generate: sample text from a trained model, streaming bytes to stdout.
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "charrnn/errors.h"
#include "charrnn/model/cpu_isa.h"
#include "charrnn/model/stepper.h"
#include "charrnn/model/weight_format.h"
#include "charrnn/sample/generate.h"
#include "charrnn/sample/sampler.h"
#include "cmd_common.h"
#include "commands.h"
#include "options.h"

namespace charrnn::cli {
namespace {

// A model whose fp32 weights outgrow the core's L2 cache streams them from memory for every
// byte: say once that smaller weights (and more threads) are faster, with what they cost.
void suggest_weights(const CharLSTM& model, WeightFormat weights) {
  if (weights != WeightFormat::fp32 || !model->device().is_cpu()) return;
  const int64_t bytes = step_weight_bytes(model->config(), WeightFormat::fp32);
  if (bytes <= kernels::l2_cache_bytes()) return;
  spdlog::info(
      "this model's weights ({:.1f} MB in fp32) outgrow this CPU's L2 cache ({:.1f} MB): "
      "--weights int8 or bf16 generates up to 3x faster (a slightly different model: `charrnn "
      "eval --weights int8` scores it){}",
      bytes / 1e6, kernels::l2_cache_bytes() / 1e6,
      at::get_num_threads() > 1 ? "" : ", and --threads 2 or more adds cores' cache bandwidth");
}

struct GenerateOptions {
  std::string model;
  int64_t length = 500;  // bytes to generate per sample
  std::string prime;     // warms the state; printed first
  std::string prime_file;
  SampleConfig sampling;
  int num_samples = 1;
  std::string device = "auto";
  int threads = 1;               // batch-1 sampling is fastest on one thread
  std::string weights = "fp32";  // fp32 | bf16 | int8: the format the sampler keeps the weights in
};

}  // namespace

void add_generate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a trained model");
  add_model_option(cmd, o->model);
  add_length_option(cmd, o->length);
  add_prime_options(cmd, o->prime, o->prime_file);
  auto* seed = add_sampling_options(cmd, o->sampling);
  cmd->add_option("--num-samples,-n", o->num_samples, "Samples to generate, one after another");
  add_device_option(cmd, o->device);
  add_threads_option(cmd, o->threads);
  add_weights_option(cmd, o->weights);
  auto isa = add_isa_option(cmd);
  cmd->callback([o, seed, &exit_code, isa] {
    apply_isa(*isa);
    validate_sampling(o->sampling);
    const WeightFormat weights = parse_weight_format(o->weights);
    require_input(o->length >= 0, "--length must be >= 0, got " + std::to_string(o->length));
    require_input(o->num_samples >= 1,
                  "--num-samples must be at least 1, got " + std::to_string(o->num_samples));
    const std::string prime = read_prime(o->prime, o->prime_file);
    const auto loaded = load_model(o->model, o->device, o->threads);
    suggest_weights(loaded.model, weights);
    const uint64_t base_seed = resolve_seed(seed, o->sampling.seed);
    for (int i = 0; i < o->num_samples; ++i) {
      SampleConfig s = o->sampling;
      s.seed = base_seed + static_cast<uint64_t>(i);
      if (i > 0) std::fputs("\n\n", stdout);
      std::fwrite(prime.data(), 1, prime.size(), stdout);
      generate(
          loaded.model, prime, {s}, o->length,
          [](size_t, uint8_t byte, const float*) {
            std::fputc(byte, stdout);
            if (byte == '\n') std::fflush(stdout);  // stream line by line to a pipe or terminal
          },
          weights);
      std::fflush(stdout);
    }
    std::fputc('\n', stdout);
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
