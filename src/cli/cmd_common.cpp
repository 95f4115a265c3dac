#include "cmd_common.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "charrnn/errors.h"
#include "charrnn/util/device.h"

namespace charrnn::cli {

LoadedModel load_model(const std::string& path, const std::string& device, int threads) {
  const auto dev = resolve_device(device);
  configure_threads(threads);
  const auto file = resolve_checkpoint_path(path);
  Checkpoint ckpt = load_checkpoint(file);
  CharLSTM model = restore_model(ckpt);
  model->to(dev);
  model->eval();
  spdlog::info("model {}: {} layers x {} hidden, step {}, val {:.4f} nats/byte", file,
               ckpt.model.layers, ckpt.model.hidden, ckpt.progress.step, ckpt.progress.last_val);
  return {std::move(ckpt), model, file};
}

std::string read_prime(const std::string& prime, const std::string& prime_file) {
  if (prime_file.empty()) return prime;
  std::error_code ec;
  const auto status = std::filesystem::status(prime_file, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    // A folder reads as empty and a FIFO blocks: neither is a prime.
    throw InputError("--prime-file '" + prime_file + "' is not a regular file (pass a text file)");
  }
  std::ifstream in(prime_file, std::ios::binary);
  if (!in) {
    throw InputError("cannot read --prime-file '" + prime_file + "': " + std::strerror(errno) +
                     " (check the path)");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t resolve_seed(const CLI::Option* opt, uint64_t given) {
  if (opt->count() > 0) return given;
  std::random_device rd;
  const uint64_t seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  spdlog::info("seed {} (pass --seed {} to reproduce this output)", seed, seed);
  return seed;
}

}  // namespace charrnn::cli
