#!/usr/bin/env bash
# Quick-start command (a): install, build, train the default model on the default corpus for a
# few minutes, then print samples at temperatures 0.2, 0.5, 1.0 and 1.2.
# Usage: scripts/demo.sh [SECONDS]   (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
scripts/setup.sh
data/prepare_jargon.sh
if [ -e models/jargon/latest.ckpt ]; then
  resume=(--resume --time-limit "$seconds")  # a second run continues the first
else
  resume=(--data data/jargon.txt --time-limit "$seconds")
fi
./build/charrnn train --out models/jargon "${resume[@]}"
for t in 0.2 0.5 1.0 1.2; do
  printf '\n===== temperature %s =====\n' "$t"
  ./build/charrnn -q generate --model models/jargon --temperature "$t" --length 400 --seed 7 \
    --prime "hacker "
done
