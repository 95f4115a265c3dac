#!/usr/bin/env bash
# Installs charrnn's Debian packages (Debian 12 bookworm or Debian 13 trixie) and builds it
# (Release) into ./build.
# Usage: scripts/setup.sh   (as root, or a user with sudo)
# CHARRNN_SETUP_MINIMAL=1 leaves out what only benchmarks and two kinds of test use (the PyTorch
# peer, Chromium, clang): the build and the rest of the suite are the same. CI's second Debian
# root uses it; those tests run on the first.
set -euo pipefail
cd "$(dirname "$0")/.."

# What differs between the releases: the clang whose sanitizer runtimes the fuzz targets need.
# LibTorch is 1.13 on Debian 12 and 2.6 on Debian 13; both build charrnn.
. /etc/os-release
case "${VERSION_ID:-}" in
  12) CLANG_RT=libclang-rt-14-dev ;;
  13) CLANG_RT=libclang-rt-19-dev ;;
  *)
    echo "setup: Debian 12 or 13 expected, found '${PRETTY_NAME:-unknown}' in /etc/os-release;" \
      "install the packages listed in scripts/setup.sh by hand, then run cmake as it does" >&2
    exit 1
    ;;
esac
echo "setup: ${PRETTY_NAME}" >&2

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # LibTorch (CPU): tensors, autograd, torch::nn::LSTM, Adam
  libgloo-dev             # Gloo's headers, which c10d's Gloo process group needs (--nproc)
  libopenblas0-openmp     # optimized BLAS: libtorch's matrix products (13x faster than netlib)
  libcli11-dev            # command-line parsing
  libspdlog-dev libfmt-dev  # logging to stderr
  nlohmann-json3-dev      # checkpoint headers, metrics.jsonl, --json output
  zlib1g-dev              # CRC-32 of checkpoints
  libdivsufsort-dev       # suffix arrays: the reference the compare copy metrics are tested against
  libcpp-httplib-dev      # charrnn serve's HTTP server (0.11 on Debian 12, 0.18 on 13)
  libgtest-dev            # the test suite
  gnuplot-nox             # plots in compare reports and training curves
  jargon-text             # the default corpus (the Jargon File)
)
EXTRAS=(
  python3-torch           # the plain-PyTorch peer used by the benchmarks
  clang "$CLANG_RT"       # libFuzzer + sanitizers for the fuzz targets (ctest -L fuzz)
  chromium                # headless browser for the playground page's test (ServeBrowser.*)
)
if [ "${CHARRNN_SETUP_MINIMAL:-0}" = 1 ]; then
  echo "setup: CHARRNN_SETUP_MINIMAL=1: leaving out ${EXTRAS[*]} (fuzz and browser tests skip)" >&2
else
  PACKAGES+=("${EXTRAS[@]}")
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ccache when present (CI keeps its cache between runs); the build is the same without it.
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >&2
cmake --build build -j "$(nproc)" >&2
