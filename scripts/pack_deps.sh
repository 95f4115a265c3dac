#!/usr/bin/env bash
# Packs what charrnn needs besides LibTorch into one folder, for a machine that has a LibTorch
# (e.g. pip's torch with CUDA) but neither Debian's -dev packages nor a network:
#   scripts/pack_deps.sh deps                      # here, after scripts/setup.sh
#   ... copy the tree with deps/ to the other machine, then there:
#   scripts/build_other_libtorch.sh deps [TORCH_PREFIX]
# deps/VERSIONS.txt records the Debian package versions that were packed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-deps}"
libdir=/usr/lib/x86_64-linux-gnu
rm -rf "$out"
mkdir -p "$out/include" "$out/lib" "$out/src"
for h in CLI spdlog fmt nlohmann zlib.h zconf.h x86_64-linux-gnu/divsufsort.h; do
  cp -rL "/usr/include/$h" "$out/include/"
done

# Copies lib<name>.so's real file and gives it the links the linker and the loader look for:
# lib<name>.so (link time) and its soname, e.g. libdivsufsort.so.3 (run time, found by RPATH).
pack_lib() {
  local real soname
  real="$(readlink -f "$libdir/$1")"
  soname="$(objdump -p "$real" | awk '$1 == "SONAME" {print $2}')"
  if [ -z "$soname" ]; then
    echo "pack_deps: $real has no SONAME; install its -dev package and retry" >&2
    exit 1
  fi
  cp "$real" "$out/lib/"
  if [ "$soname" != "$(basename "$real")" ]; then ln -sf "$(basename "$real")" "$out/lib/$soname"; fi
  ln -sf "$soname" "$out/lib/$1"
}
pack_lib libdivsufsort.so
pack_lib libz.so
cp -r /usr/src/googletest "$out/src/"

{
  for p in libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libdivsufsort-dev zlib1g-dev \
    googletest; do
    echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"
  done
  echo "FMT_VERSION $(grep -ho '#define FMT_VERSION [0-9]*' "$out"/include/fmt/{core,base}.h \
    2>/dev/null | awk '{print $3}' | head -1)"
} >"$out/VERSIONS.txt"
sed 's/^/pack_deps: /' "$out/VERSIONS.txt" >&2
ls -l "$out/lib" | awk 'NR > 1 {print "pack_deps: lib/" $9 ($10 ? " " $10 " " $11 : "")}' >&2
echo "pack_deps: $(du -sh "$out" | cut -f1) in $out" >&2
