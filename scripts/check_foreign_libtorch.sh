#!/usr/bin/env bash
# Proves, without a GPU, that a build with packed dependencies (scripts/pack_deps.sh) uses the
# packed fmt even when LibTorch's include/ holds another one, as PyTorch's LibTorch does (2.11
# ships fmt 12 in torch/include/fmt, which broke the packed spdlog 1.10).
#   scripts/check_foreign_libtorch.sh DEPS_DIR [FOREIGN_FMT_DIR] [BUILD_DIR]
# Needs Debian's libtorch-dev (run on Debian 13 with deps packed on Debian 12 for the real case).
# It makes a LibTorch-like prefix, build-foreign-prefix/: include/ links to Debian's LibTorch
# headers plus a copy of FOREIGN_FMT_DIR (default /usr/include/fmt, Debian 13's fmt 10) as
# include/fmt; TorchConfig.cmake takes that prefix from $TORCH_INSTALL_PREFIX. Then it builds
# charrnn against it and runs it. Exits non-zero when the build picks the foreign fmt.
set -euo pipefail
cd "$(dirname "$0")/.."
deps="$(realpath "${1:?usage: check_foreign_libtorch.sh DEPS_DIR [FOREIGN_FMT_DIR] [BUILD_DIR]}")"
fmt="${2:-/usr/include/fmt}"
build="${3:-build-foreign}"
prefix="$PWD/build-foreign-prefix"

# FMT_VERSION of the fmt in folder $1 (core.h up to fmt 10, base.h from fmt 11), or "".
fmt_version() {
  cat "$1"/core.h "$1"/base.h 2>/dev/null | awk '/#define FMT_VERSION [0-9]/ {print $3; exit}' || true
}
ours="$(fmt_version "$deps/include/fmt")"
theirs="$(fmt_version "$fmt")"
if [ -z "$theirs" ] || [ "$ours" = "$theirs" ]; then
  echo "check_foreign_libtorch: need a fmt other than the packed one ($ours) in $fmt (found" \
    "'${theirs:-none}'); pass FOREIGN_FMT_DIR, e.g. Debian 13's /usr/include/fmt" >&2
  exit 1
fi

# Debian's LibTorch headers: every top-level /usr/include entry its -dev package installs.
rm -rf "$prefix" && mkdir -p "$prefix/include"
dpkg -L libtorch-dev | grep -E '^/usr/include/[^/]+$' | while read -r dir; do
  [ -d "$dir" ] && ln -s "$dir" "$prefix/include/"
done
cp -r "$fmt" "$prefix/include/fmt"
echo "check_foreign_libtorch: LibTorch-like prefix $prefix with fmt $theirs in include/;" \
  "packed fmt $ours in $deps" >&2

rm -rf "$build" && mkdir -p "$build"
if ! TORCH_INSTALL_PREFIX="$prefix" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCHARRNN_DEPS_DIR="$deps" -DCHARRNN_BUILD_TESTS=OFF >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  exit 1
fi
grep -E '^-- charrnn:' "$build/configure.log" >&2 || true
# The include directories of one translation unit, in command-line order.
echo "check_foreign_libtorch: include order of src/cli/main.cpp:" >&2
grep -m1 '"command".*src/cli/main.cpp' "$build/compile_commands.json" |
  grep -oE '(-isystem|-I) ?[^ ]+' | sed 's/^/  /' >&2
if ! TORCH_INSTALL_PREFIX="$prefix" cmake --build "$build" --target charrnn -j "$(nproc)" \
  >"$build/build.log" 2>&1; then
  grep -m5 -E 'error' "$build/build.log" >&2
  echo "check_foreign_libtorch: FAILED: charrnn does not build with fmt $theirs in LibTorch's" \
    "include/ (full log: $build/build.log)" >&2
  exit 1
fi
"$build/charrnn" --help >/dev/null
echo "check_foreign_libtorch: passed: charrnn built with the packed fmt $ours beside LibTorch's" \
  "fmt $theirs, and runs" >&2
