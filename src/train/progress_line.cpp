#include "charrnn/train/progress_line.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace charrnn {

ProgressLine::ProgressLine() : active_(::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::update(int64_t step, int64_t total, int64_t epoch, double loss,
                          double chars_per_sec, double eta_seconds) {
  const auto now = Clock::now();
  if (!active_ || now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  const auto eta = static_cast<long>(std::max(0.0, eta_seconds));
  std::fprintf(stderr,
               "\r\033[Kstep %lld/%lld | epoch %lld | loss %.4f | %.1fK chars/s | ETA %ldm%02lds",
               static_cast<long long>(step), static_cast<long long>(total),
               static_cast<long long>(epoch), loss, chars_per_sec / 1000.0, eta / 60, eta % 60);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace charrnn
