#!/usr/bin/env bash
# The packed GEMM's speed against this CPU's FMA peak, per kernel path it supports, one thread:
# the figures behind the README's "bound by arithmetic" statements. Torch-free: builds
# scripts/kernel_speed.cpp with the kernels alone (no LibTorch, no CMake).
# Usage: scripts/kernel_speed.sh [BUILD_DIR]   (default: build-kernel-speed)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build-kernel-speed}"
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O2 -I. -Iinclude -Isrc -Wall -Wextra -o "$out/kernel_speed" \
  scripts/kernel_speed.cpp src/model/cpu_isa.cpp src/model/packed_gemm.cpp
"$out/kernel_speed"
