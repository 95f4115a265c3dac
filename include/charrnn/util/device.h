// Device selection: auto | cpu | cuda | cuda:N.
#pragma once
#include <c10/core/Device.h>

#include <string>

namespace charrnn {

// Resolves a --device value. `auto` picks CUDA when LibTorch sees a GPU.
// Throws InputError for a malformed name or a CUDA device that is not present.
c10::Device resolve_device(const std::string& name);

// Sets intra-op threads (0 = all cores), keeps freed tensor memory in the process instead of
// returning it to the kernel each step, and warns once if matrix products will run on the
// slow reference BLAS.
void configure_threads(int threads);

}  // namespace charrnn
