// Pieces several subcommands share: loading a model, reading a prime, parsing seeds.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "charrnn/store/checkpoint.h"

namespace charrnn::cli {

struct LoadedModel {
  Checkpoint ckpt;  // what was in the file (configuration, progress)
  CharLSTM model;   // in eval mode, on the requested device
  std::string path;
};

// PATH is a checkpoint file, or a run folder meaning its best checkpoint.
LoadedModel load_model(const std::string& path, const std::string& device, int threads);

// --prime TEXT / --prime-file F (exclusive); the bytes exactly as given.
std::string read_prime(const std::string& prime, const std::string& prime_file);

// A fresh seed when the user gave none, logged so the output can be reproduced.
uint64_t resolve_seed(const CLI::Option* opt, uint64_t given);

}  // namespace charrnn::cli
