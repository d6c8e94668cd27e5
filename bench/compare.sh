#!/usr/bin/env bash
# Side by side, in one run on the GPU host: bin/bench -backend cuda and the
# PyTorch anchor (eager, compile, bf16, compile-bf16) on the same shapes,
# then the ratios (bench/ratios.py).
#
#   bash bench/compare.sh OUTDIR [SHAPE...]      (SHAPE: gpu-s, gpu-m; default both)
#
# Writes OUTDIR/<shape>.jsonl (every raw JSON line, ours and the anchor's),
# OUTDIR/<shape>.log (stderr and failures) and OUTDIR/ratios.txt.
# Environment: BENCH (default ./bin/bench, built by make gpu), BACKEND (default
# cuda; cpu only to smoke-test the script without a GPU), ANCHOR (default
# .device/anchor_torch.py), MODES (default "eager compile bf16 compile-bf16"),
# GEMMS (LATENTFLOW_GEMM values for our runs, default "tf32"), STEPS (timed
# train steps, default 50) and WARMUP (default 10): the anchor's own defaults,
# so both time the same number of steps; RUN_TIMEOUT (seconds per run, default 300).
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash bench/compare.sh OUTDIR [gpu-s|gpu-m ...]" >&2
  exit 2
fi
out=$1
shift
shapes=${*:-gpu-s gpu-m}
bench=${BENCH:-./bin/bench}
backend=${BACKEND:-cuda}
anchor=${ANCHOR:-.device/anchor_torch.py}
modes=${MODES:-eager compile bf16 compile-bf16}
gemms=${GEMMS:-tf32}
steps=${STEPS:-50}
warmup=${WARMUP:-10}
tmo=${RUN_TIMEOUT:-300}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" || exit 1
[ -x "$bench" ] || { echo "compare.sh: $bench not found (run make gpu)" >&2; exit 2; }
[ -f "$anchor" ] || { echo "compare.sh: $anchor not found (pack .device/ or set ANCHOR)" >&2; exit 2; }

# The flags of docs/bench.md's shapes (T C D L H batch nsample nfe).
flags() {
  case $1 in
    gpu-s) echo "--tokens 16 --chans 4 --d 256 --layers 6 --heads 4 --batch 512 --nsample 4096 --nfe 100" ;;
    gpu-m) echo "--tokens 256 --chans 4 --d 768 --layers 12 --heads 12 --batch 64 --nsample 1024 --nfe 50" ;;
    cpu-s) echo "--tokens 16 --chans 4 --d 128 --layers 4 --heads 4 --batch 256 --nsample 1024 --nfe 20" ;;
    *) return 1 ;;
  esac
}

status=0
for s in $shapes; do
  f=$(flags "$s") || { echo "compare.sh: unknown shape $s" >&2; exit 2; }
  lines=$out/$s.jsonl
  log=$out/$s.log
  : >"$lines"
  : >"$log"
  for g in $gemms; do
    echo "== $s: latentflow-$backend, GEMMs $g" | tee -a "$log" >&2
    # shellcheck disable=SC2086
    LATENTFLOW_GEMM=$g timeout "$tmo" "$bench" -backend "$backend" $f -steps "$steps" -warmup "$warmup" \
      >>"$lines" 2>>"$log"
    rc=$?
    if [ $rc -ne 0 ]; then
      echo "FAILED: latentflow-$backend $g on $s (exit $rc)" | tee -a "$log" >&2
      status=1
    fi
  done
  for m in $modes; do
    echo "== $s: torch $m" | tee -a "$log" >&2
    # shellcheck disable=SC2086
    timeout "$tmo" python3 "$anchor" --mode "$m" $f --steps "$steps" >>"$lines" 2>>"$log"
    rc=$?
    if [ $rc -ne 0 ]; then
      echo "FAILED: torch $m on $s (exit $rc)" | tee -a "$log" >&2
      status=1
    fi
  done
done
python3 "$here/ratios.py" "$out"/*.jsonl | tee "$out/ratios.txt"
exit $status
