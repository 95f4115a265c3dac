// OpenBLAS's kernels on CPUs newer than the OpenBLAS. OpenBLAS builds for many CPUs at once
// (DYNAMIC_ARCH, as Debian's) pick their kernels from the CPU's model number when the library
// loads. A model they do not know gets their oldest x86-64 kernels: Debian 12's OpenBLAS 0.3.21
// runs SSE3 "Prescott" kernels on Emerald Rapids (family 6, model 207), so LibTorch's matrix
// products (training's input projections and weight gradients) made 2x128 training 2.8x slower
// than with its AVX-512 ones. Only OPENBLAS_CORETYPE, read when the library loads, changes that choice, so
// main() re-executes the program once with it set (re-execution keeps the process id).
#pragma once
#include <string>

namespace charrnn {

// OpenBLAS's core name in this process ("Prescott", "SkylakeX", ...), or "" when LibTorch's BLAS
// is not OpenBLAS.
std::string openblas_core();

// The OPENBLAS_CORETYPE this CPU should run when OpenBLAS picked kernels without AVX2 on a CPU
// that has it: "SkylakeX" with AVX-512 (F, BW, DQ, VL), else "Haswell" with AVX2+FMA. "" when
// OpenBLAS's choice stands: its kernels already use AVX2, the CPU lacks AVX2, the environment
// already sets OPENBLAS_CORETYPE (the user's choice, or our re-execution), or no OpenBLAS.
std::string openblas_core_override();

// Re-executes this program (the binary /proc/self/exe names, the same argv) with
// OPENBLAS_CORETYPE=core.
// Returns only when exec fails (the caller carries on with OpenBLAS's choice).
void reexec_with_openblas_core(const std::string& core, char** argv);

}  // namespace charrnn
