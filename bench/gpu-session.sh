#!/usr/bin/env bash
# The first GPU session in one call: everything a short loan of a GPU should
# produce, most important first, each step under its own time limit and all
# of them inside BUDGET seconds, every result written under OUT.
#
#   bash .device/build.sh 'bash bench/gpu-session.sh'          (on the GPU host, OUT set by the device tool)
#   OUT=/tmp/s TAGS=cudaemu BACKEND=cpu bash bench/gpu-session.sh  (a dry run here: the emulated device)
#
# Steps (a step that does not fit in what is left of the budget is skipped
# and says so in OUT/summary.txt):
#   1. build: the commands with the CUDA backend and the kernel bench;
#   2. smoke: the GPU tests most likely to show a real-hardware problem
#      (opening the device, the GEMMs in three math modes, attention scalar
#      and on tensor cores, the layer norm and reductions, one CPU-vs-GPU
#      train step, capture and replay, the launch counts);
#   3. kbench: every kernel variant checked against the CPU and timed (gpu-m
#      shapes), one JSON line each;
#   4. compare at gpu-s: bin/bench beside PyTorch eager, compile, bf16 and
#      compile-bf16 (bench/compare.sh), with the ratios;
#   5. compare at gpu-m;
#   6. the whole GPU suite (make test-gpu) with the time that is left.
# Environment: OUT (required), BUDGET (seconds, default 540: the device
# tool's 600 s per call less the build's margin), TAGS (default cuda),
# BACKEND (bin/bench's, default cuda), STEPS (compare.sh's timed steps,
# default 20), KBENCH_SIZE (default m), ANCHOR (compare.sh's, default
# .device/anchor_torch.py). Exit status 1 if a step failed, 0 otherwise (skipped steps
# are not failures).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder for the results}"
budget=${BUDGET:-540}
tags=${TAGS:-cuda}
backend=${BACKEND:-cuda}
steps=${STEPS:-20}
go=${GO:-go}
mkdir -p "$OUT" || exit 1
t0=$(date +%s)
summary=$OUT/summary.txt
status=0
{
  echo "gpu-session: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), budget ${budget} s, tags $tags"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
} | tee "$summary"

left() { echo $((budget - ($(date +%s) - t0))); }

# step NAME NEED LIMIT CMD...: runs CMD (bash -c) under min(LIMIT, what is
# left) seconds if at least NEED seconds are left; its output goes to
# OUT/NAME.log, one line to the summary.
step() {
  local name=$1 need=$2 limit=$3
  shift 3
  local l
  l=$(left)
  if [ "$l" -lt "$need" ]; then
    echo "$name: skipped ($l s left, needs $need)" | tee -a "$summary"
    return 0
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  local s rc
  s=$(date +%s)
  timeout "$limit" bash -o pipefail -c "$*" >"$OUT/$name.log" 2>&1
  rc=$?
  local took=$(($(date +%s) - s))
  if [ $rc -eq 0 ]; then
    echo "$name: ok in $took s" | tee -a "$summary"
  elif [ $rc -eq 124 ]; then
    echo "$name: TIMED OUT after $took s (limit $limit s; partial output in $name.log)" | tee -a "$summary"
    status=1
  else
    echo "$name: FAILED (exit $rc) in $took s, see $name.log:" | tee -a "$summary"
    tail -5 "$OUT/$name.log" | sed 's/^/    /' | tee -a "$summary"
    status=1
  fi
  return $rc
}

gotest="LATENTFLOW_REQUIRE_GPU=1 $go test -tags $tags -count=1 -v"
step build 60 240 "mkdir -p bin && $go build -tags $tags -o bin/ ./cmd/train ./cmd/sample ./cmd/bench ./cmd/eval ./cmd/kbench" ||
  { echo "gpu-session: the build failed; nothing else can run" | tee -a "$summary"; exit 1; }
step smoke 60 150 "$gotest -timeout 150s -run 'TestOpen|TestConformanceFP32/(Gemm|Attention|LayerNorm|ResidualLayerNorm|SumSquares|CFMLoss|GradClipScale|MultiBiasGrad)|TestConformanceTF32/Gemm|TestConformanceBF16/Gemm|TestAttentionTC|TestTrainStepMatchesCPU|TestCapturedTrainStep|TestLaunchesPerStepGpuS' ./gpu/"
step kbench 30 90 "./bin/kbench -size ${KBENCH_SIZE:-m} -reps 10 | tee '$OUT/kbench.jsonl'"
step compare-gpu-s 90 150 "BACKEND=$backend STEPS=$steps WARMUP=5 RUN_TIMEOUT=60 bash bench/compare.sh '$OUT/compare' gpu-s"
step compare-gpu-m 90 180 "BACKEND=$backend STEPS=$steps WARMUP=5 RUN_TIMEOUT=60 bash bench/compare.sh '$OUT/compare-m' gpu-m"
step test-gpu 60 600 "LATENTFLOW_GPU_LONG=1 $gotest -timeout 40m ./gpu/ ./kernels/..."
echo "gpu-session: done in $(($(date +%s) - t0)) s, exit $status" | tee -a "$summary"
exit $status
