// Which instruction set the hand-written CPU kernels use (packed GEMM, gate updates, exp).
// Detected once at first use: the best the CPU has. CHARRNN_ISA (environment) or --isa, and
// tests through set_isa(), may force a lower path so one machine can run and measure every
// path it supports. Torch-free: the ARM64 kernel tests build it without LibTorch.
#pragma once
#include <string>

namespace charrnn::kernels {

// Lowest to highest on each architecture; neon exists only on aarch64 builds.
enum class Isa { portable, avx2, avx512, neon };

// "portable", "avx2" (AVX2+FMA), "avx512" (AVX-512F), "neon".
const char* isa_name(Isa isa);

// Whether this build and this CPU can run `isa` (portable: always).
bool isa_supported(Isa isa);

// The best path this CPU supports.
Isa best_isa();

// The path the kernels use now. The first call applies CHARRNN_ISA when it is set, and throws
// InputError (one line, naming the fix) when it names an unknown path or one this CPU lacks.
Isa active_isa();

// Forces a path; throws InputError when `isa` is not supported here. Not meant to be called
// while kernels run on other threads. A PackedMatrix keeps the path it was packed for.
void set_isa(Isa isa);

// set_isa(by name); InputError lists the valid names on a typo.
void set_isa(const std::string& name);

// /proc/cpuinfo's "model name" (or "unknown CPU").
std::string cpu_model_name();

// The size of one core's L2 cache in bytes: glibc's sysconf, else sysfs, else 1 MiB. Decides
// where a model's weights stop fitting a core's cache (stepper.cpp).
long l2_cache_bytes();

}  // namespace charrnn::kernels
