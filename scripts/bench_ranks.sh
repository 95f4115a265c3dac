#!/usr/bin/env bash
# Data-parallel throughput on this machine: the same training run (B = 50, T = 50, STEPS steps,
# validation only at the end) as 1 process x 2 threads and as 2 ranks x 1 thread (--nproc 2),
# for 2x128 and 2x256, back to back. Prints a Markdown table of training chars/s.
# Usage: scripts/bench_ranks.sh CORPUS [STEPS]   (needs a quiet machine)
set -euo pipefail
corpus=${1:?usage: $0 CORPUS [STEPS]} steps=${2:-400}
bin=${CHARRNN_BIN:-$(dirname "$0")/../build/charrnn}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cps() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["chars_per_sec"]))'; }
echo "| model | 1 process x 2 threads | 2 ranks x 1 thread (--nproc 2) | ratio |"
echo "|---|---:|---:|---:|"
for hidden in 128 256; do
  common=(train --data "$corpus" --hidden "$hidden" --max-steps "$steps" --eval-every 100000
          --val-max-bytes 50000 --json)
  one=$("$bin" -q "${common[@]}" --out "$tmp/one$hidden" --threads 2 | cps)
  two=$("$bin" -q "${common[@]}" --out "$tmp/two$hidden" --threads 1 --nproc 2 | cps)
  echo "| 2x$hidden | $one | $two | $(python3 -c "print(f'{$two/$one:.2f}')") |"
done
