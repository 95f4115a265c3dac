// One optimizer step of stateful truncated BPTT: the unit the trainer and the benchmark share.
#pragma once
#include <torch/optim/adam.h>

#include "charrnn/model.h"

namespace charrnn {

// x, y: (B,T) int64 on the model's device. Runs forward from `state`, mean cross-entropy per
// byte, backward, clips the global gradient norm to `grad_clip` (0 = off) and steps `opt`
// — unless the loss is not finite, in which case no step is taken. `state` becomes the final
// state, detached. Returns the loss in nats per byte.
double train_step(CharLSTM& model, torch::optim::Adam& opt, const torch::Tensor& x,
                  const torch::Tensor& y, State& state, double grad_clip);

}  // namespace charrnn
