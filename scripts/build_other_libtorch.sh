#!/usr/bin/env bash
# Builds charrnn against a LibTorch other than Debian's, e.g. the one inside pip's torch (CUDA):
#   scripts/build_other_libtorch.sh DEPS_DIR [TORCH_PREFIX] [BUILD_DIR]
# DEPS_DIR comes from scripts/pack_deps.sh ("" to use the system's packages). TORCH_PREFIX
# defaults to the prefix of the python3 torch. Needs cmake, ninja and a C++17 compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
deps="${1:-}"
prefix="${2:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
build="${3:-build-other}"
args=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release)
if [ -n "$deps" ]; then args+=(-DCHARRNN_DEPS_DIR="$(realpath "$deps")"); fi
cmake -S . -B "$build" -G Ninja "${args[@]}" >&2
cmake --build "$build" -j "$(nproc)" >&2
echo "built $build/charrnn against $prefix" >&2
