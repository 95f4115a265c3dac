#!/usr/bin/env bash
# Packs what charrnn needs besides LibTorch into one folder, for a machine that has a LibTorch
# (e.g. pip's torch with CUDA) but neither Debian's -dev packages nor a network:
#   scripts/pack_deps.sh deps                      # here, after scripts/setup.sh
#   ... copy the tree with deps/ to the other machine, then there:
#   scripts/build_other_libtorch.sh deps [TORCH_PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-deps}"
rm -rf "$out"
mkdir -p "$out/include" "$out/lib" "$out/src"
for h in CLI spdlog fmt nlohmann zlib.h zconf.h x86_64-linux-gnu/divsufsort.h; do
  cp -rL "/usr/include/$h" "$out/include/"
done
for l in libdivsufsort.so libz.so; do
  cp -L "/usr/lib/x86_64-linux-gnu/$l" "$out/lib/"
done
cp -r /usr/src/googletest "$out/src/"
echo "pack_deps: $(du -sh "$out" | cut -f1) in $out" >&2
