#!/usr/bin/env bash
# Training-recipe grid: each named configuration trains for the same wall-clock budget on the
# same corpus and threads, one after another, and the table of final validation losses is
# printed at the end (and kept in OUT/grid.tsv). Runs are kept in OUT/<name>/ (metrics.jsonl for
# the curves: `charrnn plot OUT/a OUT/b --x time` draws them together).
#
# Usage: scripts/recipe_grid.sh CORPUS OUT SECONDS NAME='FLAGS' [NAME='FLAGS' ...]
#   e.g. scripts/recipe_grid.sh ../shared/corpora/tinyshakespeare.txt models/grid 600 \
#          default='' fast='--recipe fast'
# Set CHARRNN_GRID_PREFIX to run each training under a wrapper (e.g. 'chrt -f 10' to keep a
# busy machine's other work from distorting the timings). Needs a quiet machine otherwise.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 CORPUS OUT SECONDS NAME='FLAGS'..." >&2; exit 2; }
corpus=$1 out=$2 seconds=$3
shift 3
bin=${CHARRNN_BIN:-$(dirname "$0")/../build/charrnn}
[ -f "$corpus" ] || { echo "corpus '$corpus' not found (pass a text file)" >&2; exit 2; }
mkdir -p "$out"
for spec in "$@"; do
  name=${spec%%=*} flags=${spec#*=}
  if [ -e "$out/$name/latest.ckpt" ]; then
    echo "grid: $name already trained in $out/$name, skipped" >&2
  else
    echo "grid: $name: $bin train --data $corpus --out $out/$name --time-limit $seconds --threads 2 $flags" >&2
    # shellcheck disable=SC2086  # FLAGS is a word list on purpose
    ${CHARRNN_GRID_PREFIX:-} "$bin" train --data "$corpus" --out "$out/$name" \
      --time-limit "$seconds" --threads 2 --json $flags > "$out/$name.json" 2> "$out/$name.log"
  fi
  python3 - "$name" "$out/$name.json" "$flags" >> "$out/grid.tsv" <<'PY'
import json, sys
name, path, flags = sys.argv[1:]
s = json.load(open(path))
print(f"{name}\t{s['val_loss']:.4f}\t{s['best_val_loss']:.4f}\t{s['steps']}\t{s['chars_per_sec']:.0f}\t{flags}")
PY
  tail -1 "$out/grid.tsv" >&2
done
echo "name	val	best_val	steps	chars/s	flags"
cat "$out/grid.tsv"
