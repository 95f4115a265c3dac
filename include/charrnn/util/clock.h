// Clock: wall time for throughput and progress figures (a monotonic clock, never the date).
#pragma once
#include <chrono>

namespace charrnn {

using Clock = std::chrono::steady_clock;

// Seconds from `t0` until now.
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace charrnn
