#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined)
# and runs each for SECONDS (default 60), with leak detection on.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: checkpoint, corpus, request (default: all)
# Longer runs: scripts/fuzz.sh 3600 checkpoint. Build and corpora go to $FUZZ_BUILD_DIR
# (default build-fuzz/); the inputs found are kept there and reused by the next run. A crash
# leaves its input in $FUZZ_BUILD_DIR/artifacts/ and fails the script.
# The targets are torch-free (LibTorch is built with g++): checkpoint_format.cpp is the
# checkpoint loader's byte, header and CRC validation; corpus.cpp is the corpus reader;
# request.cpp is charrnn serve's request body → config parser.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(checkpoint corpus request)
OUT="${FUZZ_BUILD_DIR:-build-fuzz}"
CXX="${CLANGXX:-clang++}"
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
mkdir -p "$OUT/artifacts"
COMMON=(-std=c++17 -g -O1 -Iinclude -fno-omit-frame-pointer)
SAN=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)

declare -A SOURCES=(
  [checkpoint]="src/store/checkpoint_format.cpp src/store/config_json.cpp src/util/json_writer.cpp"
  [corpus]="src/data/corpus.cpp"
  [request]="src/serve/request.cpp src/compare/temperature_grid.cpp src/util/json_writer.cpp src/util/display_bytes.cpp"
)

"$CXX" "${COMMON[@]}" tests/fuzz/make_seeds.cpp src/store/checkpoint_format.cpp src/store/config_json.cpp src/util/json_writer.cpp \
  -lz -o "$OUT/make_seeds"
"$OUT/make_seeds" "$OUT/seeds"

for t in "${TARGETS[@]}"; do
  [ -n "${SOURCES[$t]:-}" ] || { echo "fuzz: unknown target '$t' (checkpoint, corpus, request)" >&2; exit 2; }
  echo "fuzz: building $t" >&2
  # shellcheck disable=SC2086
  "$CXX" "${COMMON[@]}" "${SAN[@]}" "tests/fuzz/fuzz_$t.cpp" ${SOURCES[$t]} -lz -o "$OUT/fuzz_$t"
  mkdir -p "$OUT/found_$t"
  echo "fuzz: running $t for ${SECS}s" >&2
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/${t}-" "$OUT/found_$t" "$OUT/seeds/$t" 2>"$OUT/fuzz_$t.log" \
    || { tail -40 "$OUT/fuzz_$t.log" >&2; echo "fuzz: $t FAILED (see $OUT/fuzz_$t.log)" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units|^Done" "$OUT/fuzz_$t.log" >&2 || true
  echo "fuzz: $t ok" >&2
done
