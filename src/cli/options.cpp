#include "options.h"

#include <spdlog/spdlog.h>

#include "charrnn/model/cpu_isa.h"

namespace charrnn::cli {

CLI::Option* add_model_option(CLI::App* cmd, std::string& model) {
  return cmd->add_option("--model", model, "Checkpoint file, or run folder (its best checkpoint)")
      ->required();
}

CLI::Option* add_device_option(CLI::App* cmd, std::string& device) {
  return cmd->add_option("--device", device, "auto, cpu, cuda or cuda:N");
}

CLI::Option* add_threads_option(CLI::App* cmd, int& threads) {
  return cmd->add_option("--threads", threads, "CPU threads (0 = all cores)");
}

CLI::Option* add_weights_option(CLI::App* cmd, std::string& weights) {
  return cmd->add_option("--weights", weights,
                         "Weights as trained (fp32), rounded to bf16 (half the memory traffic, up "
                         "to 2x faster on big models) or to int8 with a scale per row (a quarter); "
                         "the same text distribution to within the rounding");
}

void add_shape_options(CLI::App* cmd, ModelConfig& model) {
  cmd->add_option("--layers", model.layers, "LSTM layers");
  cmd->add_option("--hidden", model.hidden, "LSTM units per layer");
}

CLI::Option* add_precision_option(CLI::App* cmd, std::string& precision) {
  return cmd->add_option("--precision", precision,
                         "CUDA: fp32, or bf16/fp16 mixed precision (fp16 with loss scaling)");
}

CLI::Option* add_no_fused_flag(CLI::App* cmd, bool& fused) {
  return cmd->add_flag("--no-fused{false}", fused,
                       "Use torch's LSTM instead of the fused CPU kernels");
}

CLI::Option* add_length_option(CLI::App* cmd, int64_t& length) {
  return cmd->add_option("--length", length, "Bytes to generate per sample");
}

void add_prime_options(CLI::App* cmd, std::string& prime, std::string& prime_file) {
  auto* text =
      cmd->add_option("--prime", prime, "Start text: warms the state; every sample begins with it");
  cmd->add_option("--prime-file", prime_file, "Read the start text from a file")->excludes(text);
}

void add_filter_options(CLI::App* cmd, int& top_k, double& top_p) {
  cmd->add_option("--top-k", top_k, "Sample only from the k most likely bytes (0 = off)");
  cmd->add_option("--top-p", top_p,
                  "Sample only from the smallest set of bytes with this much mass (1 = off)");
}

CLI::Option* add_seed_option(CLI::App* cmd, uint64_t& seed) {
  return cmd
      ->add_option("--seed", seed,
                   "Random seed (default: a fresh one, logged); sample i uses seed+i (at every "
                   "temperature in compare)")
      ->default_str("fresh");
}

CLI::Option* add_sampling_options(CLI::App* cmd, SampleConfig& sampling) {
  cmd->add_option("--temperature,-t", sampling.temperature,
                  "Divide the logits by T before the softmax (0 = greedy)");
  add_filter_options(cmd, sampling.top_k, sampling.top_p);
  return add_seed_option(cmd, sampling.seed);
}

std::shared_ptr<std::string> add_isa_option(CLI::App* cmd) {
  auto isa = std::make_shared<std::string>();
  cmd->add_option("--isa", *isa,
                  "CPU kernel path: avx512, avx2, neon or portable (default: the best this CPU "
                  "has, or CHARRNN_ISA); a lower one for testing and comparison");
  return isa;
}

void apply_isa(const std::string& isa) {
  if (!isa.empty()) kernels::set_isa(isa);
  const kernels::Isa active = kernels::active_isa();  // reads CHARRNN_ISA when --isa is unset
  spdlog::debug("kernel path: {} (best on this CPU: {}; {})", kernels::isa_name(active),
                kernels::isa_name(kernels::best_isa()), kernels::cpu_model_name());
}

}  // namespace charrnn::cli
