#!/usr/bin/env bash
# charrnn vs its peer (plain PyTorch in Python, same LibTorch 1.13, same model and step),
# measured back to back in one run, on the same machine and thread count.
# Usage: scripts/bench.sh [THREADS]   (default: all cores). Prints a table with ratios.
# CHARRNN_ISA=avx2|portable|... forces charrnn's CPU kernel path (default: the best it has).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
bin=./build/charrnn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for h in 128 512; do
  steps=$([ "$h" = 128 ] && echo 30 || echo 8)
  echo "bench: 2x$h charrnn ..." >&2
  "$bin" -q bench --hidden "$h" --threads "$threads" --steps "$steps" --repeats 3 --json > "$out/ours-$h.json"
  echo "bench: 2x$h pytorch peer ..." >&2
  # The peer runs the OpenBLAS kernels charrnn ran (charrnn restarts itself with
  # OPENBLAS_CORETYPE set where OpenBLAS does not know the CPU; see openblas_core.h).
  core=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("blas_core", ""))' "$out/ours-$h.json")
  peer_env=()
  if [ -n "$core" ]; then peer_env=(env "OPENBLAS_CORETYPE=$core"); fi
  "${peer_env[@]}" /usr/bin/python3 scripts/peer_pytorch.py bench --hidden "$h" --threads "$threads" --steps "$steps" \
    --repeats 3 > "$out/peer-$h.json"
done
/usr/bin/python3 - "$out" "$threads" <<'PY'
import json, sys
out, threads = sys.argv[1], sys.argv[2]
first = json.load(open(f"{out}/ours-128.json"))
print(f"CPU: {first['cpu']}; charrnn kernel path: {first['isa']} (best on this CPU: {first['best_isa']}); "
      f"OpenBLAS kernels (both programs): {first.get('blas_core') or 'none'}")
print()
print(f"| measure (median of 3; {threads} threads) | charrnn | PyTorch peer | ratio |")
print("|---|---:|---:|---:|")
for h in (128, 512):
    ours = json.load(open(f"{out}/ours-{h}.json"))
    peer = json.load(open(f"{out}/peer-{h}.json"))
    for key, label in (("train_chars_per_sec", "training chars/s"),
                       ("sample_b1_bytes_per_sec", "sampling batch 1 (1 thread) bytes/s"),
                       ("sample_b16_bytes_per_sec", "sampling batch 16 bytes/s")):
        a, b = ours[key]["median"], peer[key]["median"]
        print(f"| 2x{h} {label} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
    bf16 = ours.get("sample_b1_bf16_bytes_per_sec", {}).get("median", 0)
    if bf16 > 0:  # the peer has no such mode: the ratio is to charrnn's own fp32 figure
        fp32 = ours["sample_b1_bytes_per_sec"]["median"]
        print(f"| 2x{h} sampling batch 1, bf16 weights (vs charrnn fp32) | {bf16:,.0f} | "
              f"{fp32:,.0f} | {bf16 / fp32:.2f}x |")
    print(f"| 2x{h} peak memory MiB | {ours['peak_rss_bytes'] / 2**20:.0f} | | |")
PY
