// Instruction-set detection and the process-wide kernel path.
#include "charrnn/model/cpu_isa.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "charrnn/errors.h"

namespace charrnn::kernels {
namespace {

constexpr Isa kAll[] = {Isa::portable, Isa::avx2, Isa::avx512, Isa::neon};

// Valid names on this build, best first, for error messages.
std::string supported_names() {
  std::string s;
  for (int i = 3; i >= 0; --i)
    if (isa_supported(kAll[i])) s += std::string(s.empty() ? "" : ", ") + isa_name(kAll[i]);
  return s;
}

Isa from_name(const std::string& name, const char* origin) {
  for (Isa isa : kAll)
    if (name == isa_name(isa)) return isa;
  throw InputError(std::string(origin) + " '" + name +
                   "' is not a kernel path (use one of: " + supported_names() + ")");
}

void check_supported(Isa isa, const char* origin) {
  if (!isa_supported(isa))
    throw InputError(std::string(origin) + " " + isa_name(isa) +
                     ": this CPU or build lacks it (use one of: " + supported_names() + ")");
}

// The path in use; -1 until the first active_isa() or set_isa().
std::atomic<int> g_active{-1};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::portable:
      return "portable";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::neon:
      return "neon";
  }
  return "?";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::portable:
      return true;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV).
    case Isa::avx2: {
      static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
      return yes;
    }
    case Isa::avx512: {
      static const bool yes = __builtin_cpu_supports("avx512f");
      return yes;
    }
#elif defined(__aarch64__)
    case Isa::neon:
      return true;  // Advanced SIMD is mandatory on ARMv8-A
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::neon})
    if (isa_supported(isa)) return isa;
  return Isa::portable;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_relaxed);
  if (v >= 0) return static_cast<Isa>(v);
  Isa isa = best_isa();
  if (const char* env = std::getenv("CHARRNN_ISA"); env != nullptr && *env != '\0') {
    isa = from_name(env, "CHARRNN_ISA");
    check_supported(isa, "CHARRNN_ISA");
  }
  int expected = -1;  // another thread may have raced us here: keep whichever came first
  g_active.compare_exchange_strong(expected, static_cast<int>(isa));
  return static_cast<Isa>(g_active.load());
}

void set_isa(Isa isa) {
  check_supported(isa, "kernel path");
  g_active.store(static_cast<int>(isa));
}

void set_isa(const std::string& name) {
  const Isa isa = from_name(name, "--isa");
  check_supported(isa, "--isa");
  g_active.store(static_cast<int>(isa));
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    // x86: "model name\t: AMD EPYC ..."; many ARM kernels have no model name line.
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      const auto start =
          colon == std::string::npos ? colon : line.find_first_not_of(" \t", colon + 1);
      if (start != std::string::npos) return line.substr(start);
    }
  }
  return "unknown CPU";
}

long l2_cache_bytes() {
  static const long bytes = [] {
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (const long n = sysconf(_SC_LEVEL2_CACHE_SIZE); n > 0) return n;
#endif
    // "2048K" (many ARM kernels report caches only here, or nowhere).
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index2/size");
    long n = 0;
    char unit = 0;
    if (in >> n >> unit && n > 0) return unit == 'M' ? n << 20 : unit == 'K' ? n << 10 : n;
    return 1L << 20;
  }();
  return bytes;
}

}  // namespace charrnn::kernels
