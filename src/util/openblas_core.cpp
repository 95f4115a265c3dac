#include "charrnn/util/openblas_core.h"

#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace charrnn {

std::string openblas_core() {
  using CoreName = char* (*)();
  void* self = dlopen(nullptr, RTLD_NOW);
  const auto fn = self != nullptr ? reinterpret_cast<CoreName>(dlsym(self, "openblas_get_corename"))
                                  : nullptr;
  const char* name = fn != nullptr ? fn() : nullptr;
  return name != nullptr ? name : "";
}

std::string openblas_core_override() {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
  const std::string core = openblas_core();
  if (core.empty()) return "";
  // OpenBLAS's x86-64 cores whose sgemm kernels use AVX2 or AVX-512.
  for (const char* fast : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"})
    if (strcasecmp(core.c_str(), fast) == 0) return "";
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

void reexec_with_openblas_core(const std::string& core, char** argv) {
  // The binary's own path rather than /proc/self/exe, so that the process keeps its name
  // ("charrnn", not "exe") in ps, top and pkill.
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  if (setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  execv(path, argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: leave the environment as it was
}

}  // namespace charrnn
