// Checkpoint: one self-describing file holding everything a run needs to continue or sample.
//
// Layout (little-endian):
//   "CHARRNN\0" magic (8 bytes) | u32 format version | u64 header length | header JSON
//   | tensor payload (raw, in header order) | u32 CRC-32 of every byte before it.
// The JSON header holds the model and training configuration, progress, and for each tensor
// its name, dtype, shape and byte length. Tensors are stored on the CPU, so a checkpoint
// loads on any machine whatever device trained it.
#pragma once
#include <torch/optim/adam.h>

#include <limits>
#include <map>
#include <string>

#include "charrnn/config.h"
#include "charrnn/model.h"

namespace charrnn {

constexpr uint32_t kCheckpointVersion = 1;

// Where a run stands; enough to continue it exactly.
struct Progress {
  int64_t step = 0;            // optimizer steps done
  int64_t epoch = 0;           // epoch in progress (0-based)
  int64_t batch_in_epoch = 0;  // next batch of that epoch
  double elapsed = 0;          // training seconds so far, summed over resumes
  double best_val = std::numeric_limits<double>::infinity();  // best validation nats/byte
  double last_val = std::numeric_limits<double>::quiet_NaN();  // latest validation nats/byte
};

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

// A checkpoint file, or a run folder meaning its best checkpoint (latest if no best yet).
std::string resolve_checkpoint_path(const std::string& path);

// Live objects ⇄ checkpoint tensors.
void store_model(const CharLSTM& model, Checkpoint& ckpt);
// Builds a CPU model from the config and weights; InputError if a tensor disagrees.
CharLSTM restore_model(const Checkpoint& ckpt);
void store_optimizer(const torch::optim::Adam& opt, const CharLSTM& model, Checkpoint& ckpt);
void restore_optimizer(const Checkpoint& ckpt, const CharLSTM& model, torch::optim::Adam& opt);

}  // namespace charrnn
