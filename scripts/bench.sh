#!/usr/bin/env bash
# charrnn vs its peer (plain PyTorch in Python, same LibTorch 1.13, same model and step), on the
# same machine and thread count, in alternating rounds: charrnn, peer, charrnn, peer, ... A
# shared VM's speed drifts within minutes, and alternating puts both programs in each stretch;
# each ratio is the median of the rounds' own ratios.
# Usage: scripts/bench.sh [THREADS]   (default: all cores). Prints a table with ratios.
#   BENCH_ROUNDS=N      rounds per model size (default 3)
#   CHARRNN_ISA=avx2    forces charrnn's AVX2+FMA kernels. Both programs then also run OpenBLAS's
#                       AVX2 kernels (OPENBLAS_CORETYPE=Haswell, unless set): what an AVX2-only
#                       CPU runs. CHARRNN_ISA=portable etc. likewise force lower paths.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
rounds="${BENCH_ROUNDS:-3}"
bin=./build/charrnn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "${CHARRNN_ISA:-}" = avx2 ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  export OPENBLAS_CORETYPE=Haswell
fi
for h in 128 512; do
  steps=$([ "$h" = 128 ] && echo 30 || echo 8)
  for r in $(seq "$rounds"); do
    echo "bench: 2x$h round $r/$rounds: charrnn ..." >&2
    "$bin" -q bench --hidden "$h" --threads "$threads" --steps "$steps" --repeats 1 --json \
      > "$out/ours-$h-$r.json"
    echo "bench: 2x$h round $r/$rounds: pytorch peer ..." >&2
    # The peer runs the OpenBLAS kernels charrnn ran (charrnn restarts itself with
    # OPENBLAS_CORETYPE set where OpenBLAS does not know the CPU; see openblas_core.h).
    core=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("blas_core", ""))' \
      "$out/ours-$h-$r.json")
    peer_env=()
    if [ -n "$core" ]; then peer_env=(env "OPENBLAS_CORETYPE=$core"); fi
    "${peer_env[@]}" /usr/bin/python3 scripts/peer_pytorch.py bench --hidden "$h" --threads "$threads" \
      --steps "$steps" --repeats 1 > "$out/peer-$h-$r.json"
  done
done
/usr/bin/python3 - "$out" "$threads" "$rounds" <<'PY'
import json, statistics, sys
out, threads, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
load = lambda who, h: [json.load(open(f"{out}/{who}-{h}-{r}.json")) for r in range(1, rounds + 1)]
first = load("ours", 128)[0]
print(f"CPU: {first['cpu']}; charrnn kernel path: {first['isa']} (best on this CPU: {first['best_isa']}); "
      f"OpenBLAS kernels (both programs): {first.get('blas_core') or 'none'}")
print()
print(f"| measure ({threads} threads; medians of {rounds} alternating rounds) | charrnn | PyTorch peer | ratio |")
print("|---|---:|---:|---:|")
value = lambda run, key: run.get(key, {}).get("median", 0)
med = statistics.median
for h in (128, 512):
    ours, peer = load("ours", h), load("peer", h)
    rows = [("train_chars_per_sec", "training chars/s"),
            ("sample_b1_bytes_per_sec", "sampling batch 1 (1 thread) bytes/s")]
    if int(threads) > 1 and h == 512:  # 2x128's weights fit in L2: no split, as 1 thread
        rows.append(("sample_b1_threads_bytes_per_sec", f"sampling batch 1 ({threads} threads) bytes/s"))
    rows.append(("sample_b16_bytes_per_sec", "sampling batch 16 bytes/s"))
    for key, label in rows:
        a, b = [value(o, key) for o in ours], [value(p, key) for p in peer]
        ratio = med([x / y for x, y in zip(a, b)]) if min(b) > 0 else 0
        print(f"| 2x{h} {label} | {med(a):,.0f} | {med(b):,.0f} | {ratio:.2f}x |")
    # bf16 and int8 weights: the peer has no such mode, so the ratio is to charrnn's own fp32.
    low_rows = [("sample_b1_{}_bytes_per_sec", "sample_b1_bytes_per_sec", "batch 1 (1 thread)")]
    if h == 512:
        low_rows.append(("sample_b1_threads_{}_bytes_per_sec", "sample_b1_threads_bytes_per_sec",
                         f"batch 1 ({threads} threads)"))
    for fmt in ("bf16", "int8"):
        for key, fp32_key, label in low_rows:
            low = [value(o, key.format(fmt)) for o in ours]
            fp32 = [value(o, fp32_key) for o in ours]
            if min(low) > 0:
                ratio = med([x / y for x, y in zip(low, fp32)])
                print(f"| 2x{h} sampling {label}, {fmt} weights (ratio: to charrnn's fp32) | "
                      f"{med(low):,.0f} | | {ratio:.2f}x |")
    print(f"| 2x{h} peak memory MiB | {max(o['peak_rss_bytes'] for o in ours) / 2**20:.0f} | | |")
PY
