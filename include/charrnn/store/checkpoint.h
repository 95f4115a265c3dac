// Checkpoint: one self-describing file holding everything a run needs to continue or sample.
// The byte layout and its validation live in checkpoint_format.h (torch-free, fuzzed); this
// layer turns its tensor records into tensors and back. Tensors are stored on the CPU, so a
// checkpoint loads on any machine whatever device trained it.
#pragma once
#include <torch/optim/adam.h>

#include <map>
#include <string>
#include <vector>

#include "charrnn/config.h"
#include "charrnn/model/model.h"
#include "charrnn/store/checkpoint_format.h"

namespace charrnn {

struct Checkpoint {
  ModelConfig model;
  TrainConfig train;
  Progress progress;
  // "model.<param>", "adam.<param>.exp_avg|exp_avg_sq", "state.h|c", "rng.cpu", ...
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, int64_t> adam_steps;  // per-parameter Adam step counts
};

// Writes atomically: a temporary file in the same folder, fsync, then rename.
// Throws InputError when the target cannot be written (the previous file stays intact).
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);

// Reads and validates (magic, version, checksum, sizes). Throws InputError with a hint.
Checkpoint load_checkpoint(const std::string& path);
// The same for a file's bytes already in memory; `name` is used in error messages.
Checkpoint decode_checkpoint(const std::vector<char>& bytes, const std::string& name);

// A checkpoint file, or a run folder meaning its best checkpoint (latest if no best yet).
std::string resolve_checkpoint_path(const std::string& path);

// Live objects ⇄ checkpoint tensors.
void store_model(const CharLSTM& model, Checkpoint& ckpt);
// Builds a CPU model from the config and weights; InputError if a tensor disagrees.
CharLSTM restore_model(const Checkpoint& ckpt);
void store_optimizer(const torch::optim::Adam& opt, const CharLSTM& model, Checkpoint& ckpt);
void restore_optimizer(const Checkpoint& ckpt, const CharLSTM& model, torch::optim::Adam& opt);

}  // namespace charrnn
