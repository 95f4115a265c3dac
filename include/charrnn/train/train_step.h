// One optimizer step of stateful truncated BPTT: the unit the trainer and the benchmark share.
#pragma once
#include <torch/optim/adam.h>

#include <vector>

#include "charrnn/model/model.h"
#include "charrnn/train/distributed.h"
#include "charrnn/train/precision.h"

namespace charrnn {

// Test-only numerical faults (see fault_injection.h); both off in real runs.
struct StepFaults {
  bool loss_nan = false;  // the loss becomes NaN before backward
  bool grad_inf = false;  // one gradient becomes +Inf after backward
};

// Data-parallel: the group whose ranks average their gradients (and loss) in one allreduce
// before clipping, and values the ranks share in the same message (summed over the ranks).
struct StepSync {
  ProcessGroup* group = nullptr;  // none: a single process
  std::vector<double> shared;     // in: this rank's values; out: their sums over the ranks
};

struct StepOutcome {
  double loss = 0;        // mean cross-entropy per byte (nats)
  double grad_norm = 0;   // global gradient L2 norm before clipping (NaN if never computed)
  bool overflow = false;  // fp16 loss scaling: gradients overflowed, update skipped (normal)
  bool stepped() const;   // both finite: the optimizer stepped and the state advanced
};

// x, y: (B,T) int64 on the model's device. Runs forward from `state` (autocast to `precision`
// on CUDA), backward, clips the global gradient norm to `grad_clip` (0 = off) and steps `opt`.
// With a `scaler` (fp16) the loss is scaled before backward and the gradients unscaled after;
// an overflow while the scale can still halve skips the update and advances `state`
// (outcome.overflow). Any other non-finite loss or gradient norm stops it before the weights
// change (the caller decides what to do); otherwise `state` becomes the final state, detached.
// With `sync`, x and y hold this rank's streams; the loss and gradients are the mean over the
// ranks, so every rank decides alike and takes the same step.
StepOutcome train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                       const torch::Tensor& y, State& state, double grad_clip,
                       StepFaults faults = {}, Precision precision = Precision::kFp32,
                       LossScaler* scaler = nullptr, StepSync* sync = nullptr);

}  // namespace charrnn
