// FaultInjection: test-only numerical faults, so the trainer's NaN/Inf recovery can be tested.
//
//   CHARRNN_INJECT_FAULT=KIND@STEP[xCOUNT]
//     KIND  loss-nan  the training loss of that step becomes NaN (and so do its gradients)
//           grad-inf  one gradient of that step becomes +Inf (the loss stays finite)
//     STEP  the step being computed, 1-based (the step that would become progress.step)
//     COUNT how many times that step is poisoned (default 1; a rollback recomputes it)
// e.g. CHARRNN_INJECT_FAULT=loss-nan@25x3. Unset (always, outside tests): no effect.
#pragma once
#include <cstdint>
#include <string>

namespace charrnn {

class FaultInjection {
 public:
  enum class Kind { kNone, kLossNaN, kGradInf };

  // Parses `spec` (the variable's value); throws InputError naming the variable if malformed.
  explicit FaultInjection(const std::string& spec = "");
  // From the environment variable CHARRNN_INJECT_FAULT.
  static FaultInjection from_env();

  // Whether `step` gets `kind` now; counts the use.
  bool fire(Kind kind, int64_t step);

 private:
  Kind kind_ = Kind::kNone;
  int64_t step_ = 0;
  int64_t remaining_ = 0;
};

}  // namespace charrnn
