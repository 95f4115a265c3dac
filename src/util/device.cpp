#include "charrnn/util/device.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <thread>

#include "charrnn/errors.h"
#include "charrnn/util/openblas_core.h"

namespace charrnn {

c10::Device resolve_device(const std::string& name) {
  if (name == "auto") {
    return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  }
  if (name == "cpu") return c10::Device(c10::kCPU);
  static const std::regex cuda_re("cuda(:([0-9]+))?");
  std::smatch m;
  if (!std::regex_match(name, m, cuda_re)) {
    throw InputError("unknown --device '" + name + "' (use auto, cpu, cuda or cuda:N)");
  }
  const int index = m[2].matched ? std::stoi(m[2].str()) : 0;
  const auto count = torch::cuda::device_count();
  if (index >= static_cast<int>(count)) {
    throw InputError("--device " + name + ": LibTorch sees " + std::to_string(count) +
                     " CUDA device(s) (use --device cpu, or a LibTorch built with CUDA)");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

namespace {

// Debian's libtorch calls whatever libblas.so.3 is selected; the reference BLAS made charrnn's
// training 40x slower here than OpenBLAS. An optimized BLAS exports its own symbols beside sgemm_.
bool reference_blas_loaded() {
  void* self = dlopen(nullptr, RTLD_NOW);
  void* sgemm = self != nullptr ? dlsym(self, "sgemm_") : nullptr;
  if (sgemm == nullptr) return false;  // this LibTorch does not use an external BLAS
  Dl_info info{};
  if (dladdr(sgemm, &info) != 0 && info.dli_fname != nullptr) {
    char* real = realpath(info.dli_fname, nullptr);
    const bool reference = real != nullptr && std::strstr(real, "/blas/libblas") != nullptr;
    std::free(real);
    if (reference) return true;  // Debian's alternatives point libblas.so.3 at netlib's
  }
  const bool optimized = dlsym(self, "openblas_get_num_threads") != nullptr ||
                         dlsym(self, "bli_init") != nullptr ||  // BLIS
                         dlsym(self, "MKL_Get_Max_Threads") != nullptr ||
                         dlsym(self, "ATL_buildinfo") != nullptr;  // ATLAS
  return !optimized;
}

// Every training step frees and reallocates the same few megabytes of tensors. With glibc's
// defaults those blocks go back to the kernel (munmap, or a trim of the heap top) and every
// page faults in zeroed again next step: 2x128 training measured 55 K chars/s that way and
// 70 K with the memory kept. The working set is bounded by the model and batch, so keeping it is
// the right trade for this process.
void keep_freed_memory() {
  static const bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum; larger blocks still use mmap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)done;
}

}  // namespace

void configure_threads(int threads) {
  keep_freed_memory();
  if (threads < 0) throw InputError("--threads must be 0 (all cores) or more");
  const int n = threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(n);
  static const bool reported = [] {  // once per process
    if (reference_blas_loaded()) {
      spdlog::warn(
          "matrix products run on the slow reference BLAS (training measured 40x slower); fix: "
          "sudo apt-get install libopenblas0-openmp");
    } else if (const std::string core = openblas_core(); !core.empty()) {
      const char* forced = std::getenv("OPENBLAS_CORETYPE");
      spdlog::debug("BLAS: OpenBLAS, {} kernels{}", core,
                    forced != nullptr ? " (OPENBLAS_CORETYPE=" + std::string(forced) + ")" : "");
    }
    return true;
  }();
  (void)reported;
}

}  // namespace charrnn
