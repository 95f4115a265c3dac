#include "charrnn/train/fault_injection.h"

#include <cstdlib>

#include "charrnn/errors.h"

namespace charrnn {

FaultInjection::FaultInjection(const std::string& spec) {
  if (spec.empty()) return;
  auto bad = [&] {
    return InputError("CHARRNN_INJECT_FAULT='" + spec +
                      "' is malformed (use loss-nan@STEP[xCOUNT] or grad-inf@STEP[xCOUNT], or "
                      "unset it)");
  };
  const auto at = spec.find('@');
  if (at == std::string::npos) throw bad();
  const std::string kind = spec.substr(0, at);
  if (kind == "loss-nan") {
    kind_ = Kind::kLossNaN;
  } else if (kind == "grad-inf") {
    kind_ = Kind::kGradInf;
  } else {
    throw bad();
  }
  const char* p = spec.c_str() + at + 1;
  char* end = nullptr;
  step_ = std::strtoll(p, &end, 10);
  if (end == p || step_ < 1) throw bad();
  remaining_ = 1;
  if (*end == 'x') {
    p = end + 1;
    remaining_ = std::strtoll(p, &end, 10);
    if (end == p || remaining_ < 1) throw bad();
  }
  if (*end != '\0') throw bad();
}

FaultInjection FaultInjection::from_env() {
  const char* v = std::getenv("CHARRNN_INJECT_FAULT");
  return FaultInjection(v == nullptr ? "" : v);
}

bool FaultInjection::fire(Kind kind, int64_t step) {
  if (kind != kind_ || step != step_ || remaining_ <= 0) return false;
  --remaining_;
  return true;
}

}  // namespace charrnn
