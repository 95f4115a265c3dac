#!/usr/bin/env bash
# Builds charrnn against a LibTorch other than Debian's, e.g. the one inside pip's torch (CUDA):
#   scripts/build_other_libtorch.sh DEPS_DIR [TORCH_PREFIX] [BUILD_DIR]
# DEPS_DIR comes from scripts/pack_deps.sh ("" to use the system's packages). TORCH_PREFIX
# defaults to the prefix of the python3 torch. Needs cmake, ninja and a C++17 compiler.
# Prints what it used (LibTorch, packed fmt/spdlog, compiler, OpenMP runtime) and checks that
# the binary starts, i.e. that it finds every shared library it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
deps="${1:-}"
prefix="${2:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
build="${3:-build-other}"
args=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release)
if [ -n "$deps" ]; then args+=(-DCHARRNN_DEPS_DIR="$(realpath "$deps")"); fi
if command -v ccache >/dev/null; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
mkdir -p "$build"
if ! cmake -S . -B "$build" -G Ninja "${args[@]}" >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  exit 1
fi
grep -E '^-- charrnn:' "$build/configure.log" >&2
cmake --build "$build" -j "$(nproc)" >&2
echo "build_other_libtorch: libraries charrnn loads:" >&2
ldd "$build/charrnn" | grep -E 'gomp|omp|divsufsort|libz|torch_cpu|c10' | sed 's/^/  /' >&2
if ldd "$build/charrnn" | grep -q 'not found'; then
  echo "build_other_libtorch: $build/charrnn misses a library (above: 'not found'); re-run" \
    "scripts/pack_deps.sh and check DEPS_DIR/lib" >&2
  exit 1
fi
"$build/charrnn" --help >/dev/null
echo "build_other_libtorch: built $build/charrnn against $prefix" >&2
