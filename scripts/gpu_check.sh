#!/usr/bin/env bash
# What the GPU issue asks to measure, in phases that each fit the device tool's 10-minute call
# (run them in order on the GPU machine; carry deps/ from scripts/pack_deps.sh and a corpus):
#   scripts/gpu_check.sh build   DEPS_DIR       # build-gpu/ against python3 torch's LibTorch
#   scripts/gpu_check.sh test                   # the *_CUDA tests, then the whole suite
#   scripts/gpu_check.sh bench                  # charrnn vs the PyTorch peer on the GPU
#   scripts/gpu_check.sh quality [SECONDS]      # 2x512 on the corpus, default 540 s
# CORPUS defaults to ../shared/corpora/tinyshakespeare.txt. Results (JSON, logs) go to
# $OUT (the device tool's folder) or gpu-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
phase="${1:?usage: gpu_check.sh build DEPS_DIR | test | bench | quality [SECONDS]}"
res="${OUT:-gpu-results}"
mkdir -p "$res"
bin=build-gpu/charrnn
corpus="${CORPUS:-../shared/corpora/tinyshakespeare.txt}"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader >"$res/gpu.txt" 2>&1 || true

case "$phase" in
  build)
    scripts/build_other_libtorch.sh "${2:?DEPS_DIR from scripts/pack_deps.sh}" "" build-gpu \
      2>&1 | tail -5
    ;;
  test)
    (cd build-gpu && ctest -R '_CUDA' --output-on-failure) 2>&1 | tee "$res/cuda-tests.txt"
    (cd build-gpu && ctest -E '^Fuzz' -j 8 --output-on-failure) 2>&1 | tail -15 >"$res/suite.txt"
    cat "$res/suite.txt"
    ;;
  bench)
    # Batch 50 (the CPU set-up) and larger batches for the best throughput, each precision.
    for h in 128 512; do
      for b in 50 256 1024; do
        for p in fp32 bf16 fp16; do
          tag="h$h-b$b-$p"
          "$bin" -q bench --device cuda --hidden "$h" --batch "$b" --precision "$p" --steps 20 \
            --repeats 3 --sample-bytes 300 --json >"$res/ours-$tag.json"
          python3 scripts/peer_pytorch.py bench --device cuda --hidden "$h" --batch "$b" \
            --precision "$p" --steps 20 --repeats 3 --sample-bytes 300 >"$res/peer-$tag.json"
        done
      done
    done
    python3 - "$res" <<'PY'
import glob, json, os, sys
res = sys.argv[1]
print("| shape, batch, precision | charrnn chars/s | peer chars/s | ratio |")
print("|---|---:|---:|---:|")
for ours in sorted(glob.glob(f"{res}/ours-*.json")):
    tag = os.path.basename(ours)[5:-5]
    a = json.load(open(ours))["train_chars_per_sec"]["median"]
    b = json.load(open(f"{res}/peer-{tag}.json"))["train_chars_per_sec"]["median"]
    print(f"| {tag} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
PY
    ;;
  quality)
    secs="${2:-540}"
    rm -rf "$res/q512"
    "$bin" train --device cuda --data "$corpus" --out "$res/q512" --hidden 512 --batch 128 \
      --seq-len 100 --dropout 0.25 --time-limit "$secs" --eval-every 250 --json \
      >"$res/quality.json" 2>"$res/quality.log"
    cat "$res/quality.json"
    ;;
  *)
    echo "gpu_check.sh: unknown phase '$phase' (build, test, bench, quality)" >&2
    exit 2
    ;;
esac
