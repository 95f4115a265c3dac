#!/usr/bin/env bash
# Builds the torch-free kernels (CPU path detection, packed GEMM, gate updates, exp, dropout
# masks, the Adam update) and their GoogleTest unit tests (tests/kernels/) for ARM64 with
# Debian's cross compiler, and runs them under qemu-user: correctness of the portable and NEON
# paths, no LibTorch needed.
# Usage: scripts/arm64_kernel_test.sh [BUILD_DIR [GTEST_ARGS...]]   (default: build-arm64)
#   KERNEL_TEST_NATIVE=1 builds and runs the same driver for this machine instead (x86-64: the
#   portable, AVX2 and AVX-512 paths the CPU has), which shows the kernels stay torch-free.
# Needs (installs nothing): g++-aarch64-linux-gnu qemu-user libc6-arm64-cross libgtest-dev
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build-arm64}"
[ "$#" -gt 0 ] && shift
if [ "${KERNEL_TEST_NATIVE:-0}" = 1 ]; then
  cxx="${CXX:-g++}"
  run=()
else
  cxx=aarch64-linux-gnu-g++
  command -v "$cxx" >/dev/null || { echo "arm64_kernel_test: $cxx not found (apt-get install g++-aarch64-linux-gnu libc6-arm64-cross)" >&2; exit 1; }
  command -v qemu-aarch64 >/dev/null || { echo "arm64_kernel_test: qemu-aarch64 not found (apt-get install qemu-user)" >&2; exit 1; }
  run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
fi
gtest=/usr/src/googletest/googletest
[ -f "$gtest/src/gtest-all.cc" ] || { echo "arm64_kernel_test: GoogleTest source missing at $gtest (apt-get install libgtest-dev)" >&2; exit 1; }
mkdir -p "$out"
flags=(-std=c++17 -O2 -pthread -Iinclude -Isrc -I"$gtest/include")
# GoogleTest from source once per build folder: its Debian library is built for this machine only.
if [ ! -f "$out/gtest.o" ]; then
  "$cxx" "${flags[@]}" -I"$gtest" -c "$gtest/src/gtest-all.cc" -o "$out/gtest.o"
  "$cxx" "${flags[@]}" -I"$gtest" -c "$gtest/src/gtest_main.cc" -o "$out/gtest_main.o"
fi
"$cxx" "${flags[@]}" -Wall -Wextra -o "$out/kernel_tests" \
  src/model/cpu_isa.cpp src/model/packed_gemm.cpp src/model/lstm_kernels.cpp \
  src/model/dropout_kernels.cpp src/train/adam_kernels.cpp \
  tests/kernels/test_*.cpp "$out/gtest.o" "$out/gtest_main.o"
echo "arm64_kernel_test: running $out/kernel_tests ${run[*]:+under ${run[*]}}" >&2
"${run[@]}" "$out/kernel_tests" "$@"
