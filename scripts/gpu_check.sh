#!/usr/bin/env bash
# What the GPU issue asks to measure, in phases that each fit the device tool's 10-minute call
# (run them in order on the GPU machine; carry deps/ from scripts/pack_deps.sh and a corpus):
#   scripts/gpu_check.sh build   DEPS_DIR       # build-gpu/ against python3 torch's LibTorch
#   scripts/gpu_check.sh test                   # the *_CUDA tests, then the whole suite
#   scripts/gpu_check.sh diagnose               # which runtimes our binaries bind to (see below)
#   scripts/gpu_check.sh precision [STEPS]      # bf16/fp16 vs fp32 after STEPS, charrnn and peer
#   scripts/gpu_check.sh bench                  # charrnn vs the PyTorch peer on the GPU
#   scripts/gpu_check.sh quality [SECONDS]      # 2x512 on the corpus, default 540 s
# CORPUS defaults to data/tinyshakespeare.txt (git-ignored: copy ../shared's there and carry it). Results (JSON, logs) go to
# $OUT (the device tool's folder) or gpu-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
phase="${1:?usage: gpu_check.sh build DEPS_DIR | test | diagnose | precision [STEPS] | bench | quality [SECONDS]}"
res="${OUT:-gpu-results}"
mkdir -p "$res"
bin=build-gpu/charrnn
corpus="${CORPUS:-data/tinyshakespeare.txt}"
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
  diagnose)
    # The 42 crashes seen on PyTorch 2.11 were in every test that touched std::filesystem; its
    # libtorch_cpu.so exports a static copy of that part of libstdc++ (pytorch/pytorch#133437),
    # and its wheel bundles its own libgomp. Show where our binaries' symbols bind, then run the
    # regression tests (Runtime.*) and one formerly crashing test.
    torch_lib="$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
    {
      echo "== torch: $(python3 -c 'import torch; print(torch.__version__)') in $torch_lib"
      echo "== std::filesystem symbols exported by libtorch_cpu.so (T strong, W weak):"
      nm -D --defined-only "$torch_lib/libtorch_cpu.so" | grep -c ' [TW] _ZNSt10filesystem' || true
      echo "== OpenMP runtimes in torch/lib: $(ls "$torch_lib" | grep -i omp | tr '\n' ' ')"
      echo "== NEEDED of build-gpu/charrnn (libstdc++ must come before libtorch*):"
      readelf -d "$bin" | grep NEEDED
      echo "== ldd | grep omp:"
      ldd "$bin" | grep -i omp || true
      echo "== where remove_all binds:"
      LD_DEBUG=bindings build-gpu/tests/charrnn_tests --gtest_filter='Runtime.*' 2>&1 \
        | grep -E "remove_all|omp_get_max_threads" | sed 's/^ *[0-9]*: *//' | sort -u | head
      build-gpu/tests/charrnn_tests --gtest_filter='Runtime.*:Checkpoint.RoundTripGivesIdenticalLogits'
    } 2>&1 | tee "$res/diagnose.txt"
    ;;
  precision)
    # Is bf16's gap to fp32 ours (autocast/loss-scaling path) or the maths? The PyTorch peer
    # with torch.autocast on the same model, data, steps and seed is the referee.
    steps="${2:-300}"
    for p in fp32 bf16 fp16; do
      rm -rf "$res/prec-$p"
      "$bin" -q train --device cuda --precision "$p" --data "$corpus" --out "$res/prec-$p" \
        --hidden 256 --max-steps "$steps" --eval-every "$steps" --json >"$res/ours-prec-$p.json"
      python3 scripts/peer_pytorch.py train --device cuda --precision "$p" --data "$corpus" \
        --hidden 256 --max-steps "$steps" --eval-every "$steps" >"$res/peer-prec-$p.json"
    done
    python3 - "$res" <<'PY'
import json, sys
res = sys.argv[1]
print("| precision | charrnn val | peer val |")
print("|---|---:|---:|")
for p in ("fp32", "bf16", "fp16"):
    a = json.load(open(f"{res}/ours-prec-{p}.json")).get("val_loss")
    b = json.load(open(f"{res}/peer-prec-{p}.json"))["val_loss"]
    print(f"| {p} | {a} | {b:.4f} |")
PY
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
    echo "gpu_check.sh: unknown phase '$phase' (build, test, diagnose, precision, bench, quality)" >&2
    exit 2
    ;;
esac
