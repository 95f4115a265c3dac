#include "options.h"

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

}  // namespace charrnn::cli
