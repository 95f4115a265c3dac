// ProgressLine: the live one-line training status on a terminal's stderr.
#pragma once
#include <cstdint>

#include "charrnn/util/clock.h"

namespace charrnn {

class ProgressLine {
 public:
  ProgressLine();  // active only when stderr is a terminal
  bool active() const { return active_; }
  // Redraws at most a few times a second: "step 120/5000 | epoch 1 | loss 2.31 | ...".
  void update(int64_t step, int64_t total, int64_t epoch, double loss, double chars_per_sec,
              double eta_seconds);
  void clear();  // erase the line before a log line is printed

 private:
  bool active_;
  bool drawn_ = false;
  Clock::time_point last_{};
};

}  // namespace charrnn
