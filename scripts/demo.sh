#!/usr/bin/env bash
# Quick-start command (a): install, build, train the default model on the default corpus for a
# few minutes, then print samples at temperatures 0.2, 0.5, 1.0 and 1.2 side by side, with the
# measured trade-off (charrnn compare).
# Usage: scripts/demo.sh [SECONDS]   (default 300; running it again trains SECONDS more)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
scripts/setup.sh
data/prepare_jargon.sh
run=models/jargon
if [ -e "$run/latest.ckpt" ]; then
  # --time-limit counts the run's whole training time, so add to what it has had.
  done_s=$(tail -n 1 "$run/metrics.jsonl" | grep -o '"elapsed":[0-9]*' | cut -d: -f2 || true)
  ./build/charrnn train --out "$run" --resume --time-limit "$(( ${done_s:-0} + seconds ))"
else
  ./build/charrnn train --data data/jargon.txt --out "$run" --time-limit "$seconds"
fi
./build/charrnn -q compare --model "$run" --temperatures 0.2,0.5,1.0,1.2 --prime "hacker " --seed 7
