// Learning-rate schedules: char-rnn's per-epoch decay, or a budget-aware warm-up then decay.
//
// A budget-aware schedule decays by progress through the run's budget — the largest of
// step / total steps (--epochs, --max-steps) and elapsed / --time-limit — so a 10-minute run
// ends at its floor whatever the machine's speed or the corpus size. Everything it reads
// (config, step, elapsed) is in every checkpoint, so a resumed run continues on the same curve.
#pragma once
#include <cstdint>
#include <string>

#include "charrnn/config.h"

namespace charrnn {

enum class LrSchedule {
  kCharRnn,   // --lr for --lr-decay-after epochs, then x --lr-decay per epoch
  kConstant,  // --lr throughout (after any warm-up)
  kLinear,    // warm-up, then linear from --lr to --lr * --lr-floor at the end of the budget
  kCosine,    // warm-up, then half a cosine from --lr to --lr * --lr-floor
};

// "char-rnn" | "constant" | "linear" | "cosine"; throws InputError naming the choices.
LrSchedule parse_lr_schedule(const std::string& name);

// Where a run stands: what the schedule may depend on.
struct ScheduleClock {
  int64_t step = 0;         // optimizer steps taken before this one
  int64_t epoch = 0;        // 0-based epoch of this step
  double elapsed = 0;       // seconds of training so far, over every session of the run
  int64_t total_steps = 0;  // the step budget: min(epochs x steps per epoch, --max-steps)
};

// Fraction of the budget used, in [0, 1]: the step fraction or, with --time-limit, the time
// fraction, whichever is further along.
double budget_fraction(const TrainConfig& c, const ScheduleClock& at);

// The learning rate for the step at `at` (before NaN/Inf rollback scaling).
double lr_at(const TrainConfig& c, const ScheduleClock& at);

}  // namespace charrnn
