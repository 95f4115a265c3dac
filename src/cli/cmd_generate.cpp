// charrnn generate: sample text from a trained model, streaming bytes to stdout.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "charrnn/errors.h"
#include "charrnn/sample/generate.h"
#include "charrnn/sample/sampler.h"
#include "cmd_common.h"
#include "commands.h"

namespace charrnn::cli {
namespace {

struct GenerateOptions {
  std::string model;
  int64_t length = 500;  // bytes to generate per sample
  std::string prime;     // warms the state; printed first
  std::string prime_file;
  SampleConfig sampling;
  int num_samples = 1;
  std::string device = "auto";
  int threads = 1;  // batch-1 sampling is fastest on one thread
};

}  // namespace

void add_generate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a trained model");
  cmd->add_option("--model", o->model, "Checkpoint file, or run folder (its best checkpoint)")
      ->required();
  cmd->add_option("--length", o->length, "Bytes to generate per sample");
  auto* prime = cmd->add_option("--prime", o->prime, "Start text: warms the state, printed first");
  cmd->add_option("--prime-file", o->prime_file, "Read the start text from a file")
      ->excludes(prime);
  cmd->add_option("--temperature,-t", o->sampling.temperature,
                  "Divide the logits by T before the softmax (0 = greedy)");
  cmd->add_option("--top-k", o->sampling.top_k,
                  "Sample only from the k most likely bytes (0 = off)");
  cmd->add_option("--top-p", o->sampling.top_p,
                  "Sample only from the smallest set of bytes with this much mass (1 = off)");
  auto* seed = cmd->add_option("--seed", o->sampling.seed,
                               "Random seed (default: a fresh one, logged); sample i uses seed+i")
                   ->default_str("fresh");
  cmd->add_option("--num-samples,-n", o->num_samples, "Samples to generate, one after another");
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N");
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)");
  auto isa = add_isa_option(cmd);
  cmd->callback([o, seed, &exit_code, isa] {
    apply_isa(*isa);
    validate_sampling(o->sampling);
    if (o->length < 0) throw InputError("--length must be >= 0");
    if (o->num_samples < 1) throw InputError("--num-samples must be at least 1");
    const std::string prime = read_prime(o->prime, o->prime_file);
    const auto loaded = load_model(o->model, o->device, o->threads);
    const uint64_t base_seed = resolve_seed(seed, o->sampling.seed);
    for (int i = 0; i < o->num_samples; ++i) {
      SampleConfig s = o->sampling;
      s.seed = base_seed + static_cast<uint64_t>(i);
      if (i > 0) std::fputs("\n\n", stdout);
      std::fwrite(prime.data(), 1, prime.size(), stdout);
      generate(loaded.model, prime, {s}, o->length, [](size_t, uint8_t byte, const float*) {
        std::fputc(byte, stdout);
        if (byte == '\n') std::fflush(stdout);  // stream line by line to a pipe or terminal
      });
      std::fflush(stdout);
    }
    std::fputc('\n', stdout);
    exit_code = 0;
  });
}

}  // namespace charrnn::cli
