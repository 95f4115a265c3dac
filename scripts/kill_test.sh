#!/usr/bin/env bash
# Kill test: SIGKILL `charrnn train` at random moments, resume with --resume each time, and check
# that nothing was lost against an uninterrupted run with the same seed.
#   scripts/kill_test.sh [KILLS]      (default 20; the suite's short variant is
#                                      Robustness.SurvivesRepeatedSigkill, 5 kills)
# Environment: CHARRNN_BIN (default build/charrnn), CORPUS (default the first 20 KB of the
# Jargon File that scripts/setup.sh installs), STEPS (default 1000), MAX_DELAY_MS (default: scaled to
# this machine: start-up time plus 1/(2 KILLS) of the uninterrupted run, so the kills spread over
# it).
# Checks: every checkpoint loads (charrnn eval), the run reached STEPS, metrics.jsonl has each
# step 1..STEPS exactly once, no *.tmp.* file is left, and the final weights, optimizer state and
# carried state equal the uninterrupted run's, tensor by tensor (python3, stdlib only).
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS="${1:-20}"
BIN="${CHARRNN_BIN:-build/charrnn}"
STEPS="${STEPS:-1000}"
[ -x "$BIN" ] || { echo "kill_test: no $BIN (build first, or set CHARRNN_BIN)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/charrnn-kill-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
if [ -n "${CORPUS:-}" ]; then cp "$CORPUS" "$WORK/corpus.txt"
else
  jargon=/usr/share/doc/jargon-text/jargon.txt.gz
  [ -r "$jargon" ] || { echo "kill_test: no $jargon (scripts/setup.sh installs it, or set CORPUS)" >&2; exit 2; }
  { zcat "$jargon" || true; } | head -c 20000 >"$WORK/corpus.txt"
fi

# The tiny run the tests use too (tests/tiny_run.flags; # lines are comments).
read -ra TINY <<<"$(grep -v '^#' tests/tiny_run.flags | tr '\n' ' ')"
FLAGS=(--data "$WORK/corpus.txt" --max-steps "$STEPS" "${TINY[@]}")

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
echo "kill_test: uninterrupted reference run ($STEPS steps)" >&2
t0=$(now_ms)
"$BIN" -q train "${FLAGS[@]}" --out "$WORK/ref"
ref_ms=$(( $(now_ms) - t0 ))
if [ -z "${MAX_DELAY_MS:-}" ]; then
  t0=$(now_ms)
  "$BIN" --help >/dev/null  # loading LibTorch is most of a run's start-up
  # Half a share of the run per attempt: resumes start faster than a cold --help, and a run
  # that finishes early ends the test short of KILLS.
  MAX_DELAY_MS=$(( $(now_ms) - t0 + ref_ms / (2 * KILLS) + 50 ))
fi
echo "kill_test: reference run took ${ref_ms} ms; kills land within ${MAX_DELAY_MS} ms of each start" >&2

kills=0
attempts=0
finished=0
while [ "$kills" -lt "$KILLS" ]; do
  attempts=$((attempts + 1))
  "$BIN" -q train "${FLAGS[@]}" --out "$WORK/run" --resume 2>>"$WORK/stderr.log" &
  pid=$!
  delay_ms=$((50 + RANDOM % MAX_DELAY_MS))
  sleep "$(printf '0.%03d' $((delay_ms % 1000)))"; sleep $((delay_ms / 1000))
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    { wait "$pid"; } 2>/dev/null || true
    kills=$((kills + 1))
    step=$(python3 -c 'import json,sys
try:
    import struct; b=open(sys.argv[1],"rb").read(); n=struct.unpack_from("<Q",b,12)[0]
    print(json.loads(b[20:20+n])["progress"]["step"])
except FileNotFoundError: print("none")' "$WORK/run/latest.ckpt")
    echo "kill_test: kill $kills after ${delay_ms} ms (latest.ckpt at step $step)" >&2
  else
    wait "$pid" || { echo "kill_test: FAILED: a run exited with an error" >&2; tail "$WORK/stderr.log" >&2; exit 1; }
    finished=1
    echo "kill_test: the run finished after $kills kills (raise STEPS for more)" >&2
    break
  fi
done
if [ "$finished" -eq 0 ]; then
  "$BIN" -q train "${FLAGS[@]}" --out "$WORK/run" --resume 2>>"$WORK/stderr.log"
fi

fail() { echo "kill_test: FAILED: $*" >&2; exit 1; }
for f in "$WORK"/run/*.ckpt; do
  "$BIN" -q eval --model "$f" --data "$WORK/corpus.txt" --json >/dev/null || fail "$f does not load"
done
if ls "$WORK"/run | grep -q '\.tmp\.'; then fail "temporary files left: $(ls "$WORK"/run)"; fi
python3 - "$WORK/ref" "$WORK/run" "$STEPS" <<'PY' || fail "see above"
import json, struct, sys
ref, run, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])

def tensors(path):
    b = open(path, "rb").read()
    n = struct.unpack_from("<Q", b, 12)[0]
    h = json.loads(b[20:20 + n])
    off, out = 20 + n, {}
    for t in h["tensors"]:
        out[t["name"]] = b[off:off + t["bytes"]]
        off += t["bytes"]
    return h, out

ok = True
for name in ("latest.ckpt", "best.ckpt"):
    (ha, a), (hb, b) = tensors(f"{ref}/{name}"), tensors(f"{run}/{name}")
    if hb["progress"]["step"] != ha["progress"]["step"]:
        print(f"{name}: step {hb['progress']['step']} != {ha['progress']['step']}"); ok = False
    diff = [k for k in a if not k.startswith("rng.") and a[k] != b.get(k)]
    if diff or a.keys() != b.keys():
        print(f"{name}: tensors differ: {diff}"); ok = False
got = [json.loads(l)["step"] for l in open(f"{run}/metrics.jsonl")]
if got != list(range(1, steps + 1)):
    dup = sorted({s for s in got if got.count(s) > 1})
    missing = sorted(set(range(1, steps + 1)) - set(got))
    print(f"metrics.jsonl: {len(got)} records, duplicated {dup[:10]}, missing {missing[:10]}"); ok = False
sys.exit(0 if ok else 1)
PY
echo "kill_test: PASSED: $kills SIGKILLs over $attempts attempts; $STEPS steps; every checkpoint loads; metrics complete; weights equal the uninterrupted run's" >&2
