// The runtimes this process really binds to. PyTorch's own LibTorch builds carry copies of
// runtimes that Debian's share with us: a statically linked part of libstdc++ that libtorch_cpu.so
// exports (std::filesystem among it, pytorch/pytorch#133437), and a renamed GNU OpenMP
// (torch/lib/libgomp-<hash>.so.1). Binding our calls to torch's libstdc++ copy crashed every test
// that touched the file system on PyTorch 2.11; two OpenMP runtimes in one process are known to
// compute wrong results (pytorch/pytorch#149422). These pass trivially against Debian's LibTorch
// and are the regression tests for CMakeLists.txt's link set-up on the others.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <omp.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// The file of the loaded object that defines the code at `address`.
std::string object_of(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "(unknown)";
  return info.dli_fname;
}

std::vector<std::string> loaded_objects() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') {
          static_cast<std::vector<std::string>*>(out)->push_back(info->dlpi_name);
        }
        return 0;
      },
      &names);
  return names;
}

std::string basename_of(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

TEST(Runtime, StdFilesystemBindsToLibstdcxx) {
  // remove_all is compiled into libstdc++.so, never inlined: its address is the one every call
  // of ours resolves to.
  using RemoveAll = std::uintmax_t (*)(const std::filesystem::path&);
  const auto fn = static_cast<RemoveAll>(&std::filesystem::remove_all);
  const std::string owner = basename_of(object_of(reinterpret_cast<const void*>(fn)));
  EXPECT_EQ(owner.rfind("libstdc++", 0), 0u)
      << "std::filesystem::remove_all comes from " << owner
      << ": link libstdc++ ahead of LibTorch (see CMakeLists.txt)";
}

TEST(Runtime, OneOpenMpRuntimeInTheProcess) {
  std::vector<std::string> runtimes;
  for (const auto& name : loaded_objects()) {
    const std::string base = basename_of(name);
    if (base.find("gomp") != std::string::npos || base.rfind("libomp", 0) == 0 ||
        base.rfind("libiomp", 0) == 0) {
      runtimes.push_back(name);
    }
  }
  std::string list;
  for (const auto& r : runtimes) list += " " + r;
  EXPECT_LE(runtimes.size(), 1u) << "OpenMP runtimes loaded:" << list;
  // Our kernels' OpenMP calls and LibTorch's must reach the same runtime.
  if (runtimes.size() == 1) {
    EXPECT_EQ(object_of(reinterpret_cast<const void*>(&omp_get_max_threads)), runtimes[0]);
  }
}
