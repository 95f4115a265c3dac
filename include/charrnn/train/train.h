// Trainer: stateful truncated BPTT with Adam, clipping, validation, metrics and checkpoints.
#pragma once
#include <cstdint>
#include <string>

#include "charrnn/config.h"
#include "charrnn/train/distributed.h"

namespace charrnn {

struct TrainSummary {
  int64_t steps = 0;
  int64_t epoch = 0;
  double val_loss = 0;       // last validation, nats/byte
  double best_val = 0;       // best validation, nats/byte
  double chars_per_sec = 0;  // this session's training throughput
  double elapsed = 0;        // training seconds, all sessions
  int stop_signal = 0;       // SIGINT/SIGTERM that stopped it, 0 if it ran to its end
  std::string run_dir;
};

// Trains into cfg.out (resuming from its latest checkpoint when cfg.resume).
// Throws InputError for bad input; saves a checkpoint before returning on a signal.
// Under torchrun's environment (RANK, WORLD_SIZE, ...) this process is one rank of a
// data-parallel run (distributed.h); rank 0 writes the run folder.
TrainSummary train(const ModelConfig& model_cfg, const TrainConfig& cfg,
                   const DistOptions& dist = {});

// Async-signal-safe: asks a running train() to checkpoint and return.
void request_stop(int signo);

}  // namespace charrnn
