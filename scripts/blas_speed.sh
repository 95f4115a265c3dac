#!/usr/bin/env bash
# The system OpenBLAS's rate on 2 x 512 training's big GEMMs, 2 threads, and the training
# speed that rate allows (the README's bound for that row). Needs OpenBLAS's library
# (libopenblas0-openmp, which the set-up installs) and g++; no LibTorch, no BLAS headers.
# Usage: scripts/blas_speed.sh [BUILD_DIR]   (default: build-kernel-speed)
#   OPENBLAS_CORETYPE=Haswell forces OpenBLAS's AVX2 kernels, as scripts/bench.sh does with
#   CHARRNN_ISA=avx2.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build-kernel-speed}"
lib=$(ls /usr/lib/*-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
if [ -z "$lib" ]; then
  echo "blas_speed: no libopenblas.so.0 under /usr/lib/*-linux-gnu; fix: apt-get install libopenblas0-openmp" >&2
  exit 1
fi
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O2 -fopenmp -Wall -Wextra -o "$out/blas_speed" scripts/blas_speed.cpp "$lib"
"$out/blas_speed"
