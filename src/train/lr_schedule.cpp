#include "charrnn/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "charrnn/errors.h"

namespace charrnn {

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "char-rnn") return LrSchedule::kCharRnn;
  if (name == "constant") return LrSchedule::kConstant;
  if (name == "linear") return LrSchedule::kLinear;
  if (name == "cosine") return LrSchedule::kCosine;
  throw InputError("unknown --lr-schedule '" + name +
                   "' (choose char-rnn, constant, linear or cosine)");
}

double budget_fraction(const TrainConfig& c, const ScheduleClock& at) {
  double f = at.total_steps > 0 ? static_cast<double>(at.step) / at.total_steps : 0.0;
  if (c.time_limit > 0) f = std::max(f, at.elapsed / c.time_limit);
  return std::clamp(f, 0.0, 1.0);
}

double lr_at(const TrainConfig& c, const ScheduleClock& at) {
  const LrSchedule s = parse_lr_schedule(c.lr_schedule);
  if (s == LrSchedule::kCharRnn) {
    return c.lr * std::pow(c.lr_decay, std::max<int64_t>(0, at.epoch - c.lr_decay_after + 1));
  }
  // Warm-up by steps, not budget: Adam's moment estimates need a number of updates, whatever
  // the budget. Step k (0-based) uses (k + 1) / warmup of the rate.
  const double warm = at.step < c.lr_warmup
                          ? static_cast<double>(at.step + 1) / static_cast<double>(c.lr_warmup)
                          : 1.0;
  const double p = budget_fraction(c, at);
  double decay = 1.0;  // multiplier of --lr, from 1 down to --lr-floor
  if (s == LrSchedule::kLinear) decay = 1.0 - (1.0 - c.lr_floor) * p;
  if (s == LrSchedule::kCosine)
    decay = c.lr_floor + (1.0 - c.lr_floor) * 0.5 * (1 + std::cos(M_PI * p));
  return c.lr * warm * decay;
}

}  // namespace charrnn
