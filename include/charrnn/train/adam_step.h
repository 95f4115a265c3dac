// torch::optim::Adam's step, one pass per parameter: the same update (in float, within rounding
// of torch's), the same state entries (step, exp_avg, exp_avg_sq, under the optimizer's own
// keys), so checkpoints, resume and a later opt.step() carry on from it unchanged.
#pragma once
#include <torch/optim/adam.h>

namespace charrnn {

// Steps `opt` like opt.step(). CPU float parameters with contiguous gradients (and state) take
// the fused kernel, split over the intra-op threads; anything else (CUDA, other dtypes, AMSGrad,
// weight decay) is opt.step() itself.
void adam_step(torch::optim::Adam& opt);

}  // namespace charrnn
