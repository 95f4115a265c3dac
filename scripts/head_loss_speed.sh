#!/usr/bin/env bash
# charrnn's fused output layer + loss (head_loss.cpp) against ATen's linear + cross_entropy,
# forward and backward, alternating in one process (scripts/head_loss_speed.cpp).
# Usage: scripts/head_loss_speed.sh [THREADS] [BUILD_DIR]   (default: all cores; build, which
#   must hold a built libcharrnn_lib.a). Set OPENBLAS_CORETYPE as `charrnn -v` logs it (e.g.
#   Haswell for the AVX2 path, with CHARRNN_ISA=avx2): this program does not restart itself as
#   charrnn does.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
build="${2:-build}"
lib="$build/libcharrnn_lib.a"
if [ ! -f "$lib" ]; then
  echo "head_loss_speed: $lib not found; fix: scripts/setup.sh (or cmake --build $build)" >&2
  exit 1
fi
torch_inc=$(dirname "$(find /usr/include /usr/lib -path '*torch/csrc/api/include/torch/torch.h' -print -quit 2>/dev/null)")
if [ -z "$torch_inc" ] || [ "$torch_inc" = . ]; then
  echo "head_loss_speed: LibTorch's headers not found; fix: apt-get install libtorch-dev" >&2
  exit 1
fi
"${CXX:-g++}" -std=c++17 -O2 -fopenmp -Iinclude -I"$(dirname "$torch_inc")" \
  -o "$build/head_loss_speed" scripts/head_loss_speed.cpp "$lib" -ltorch -ltorch_cpu -lc10 -lfmt
"$build/head_loss_speed" "$threads"
