// One optimizer step of stateful truncated BPTT: the unit the trainer and the benchmark share.
#pragma once
#include <torch/optim/adam.h>

#include "charrnn/model.h"

namespace charrnn {

// Test-only numerical faults (see fault_injection.h); both off in real runs.
struct StepFaults {
  bool loss_nan = false;  // the loss becomes NaN before backward
  bool grad_inf = false;  // one gradient becomes +Inf after backward
};

struct StepOutcome {
  double loss = 0;       // mean cross-entropy per byte (nats)
  double grad_norm = 0;  // global gradient L2 norm before clipping (NaN if never computed)
  bool stepped() const;  // both finite: the optimizer stepped and the state advanced
};

// x, y: (B,T) int64 on the model's device. Runs forward from `state`, backward, clips the
// global gradient norm to `grad_clip` (0 = off) and steps `opt`. A non-finite loss or gradient
// norm stops it before the weights change (the caller decides what to do); otherwise `state`
// becomes the final state, detached.
StepOutcome train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                       const torch::Tensor& y, State& state, double grad_clip,
                       StepFaults faults = {});

}  // namespace charrnn
