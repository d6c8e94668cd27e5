#!/usr/bin/env bash
# gputests.sh: the GPU test suite on the emulated device (make test-emu).
#   1. every test of ./gpu/... and ./kernels/... with tag cudaemu (conformance
#      in fp32/TF32/bf16, CPU vs GPU training steps, capture and replay, the
#      checkerboard at CI size, the regression tests, the emulator's own tests);
#   2. the conformance suite, the training steps and the capture tests again
#      with every block's threads in reverse order, so a missing
#      __syncthreads changes a result;
#   3. the kernel bench's checks (cmd/kbench: every variant of attention,
#      colsum and ln_bwd against the CPU; the emulated device does not time).
# Prints the failures, the largest error of each op, how many tests ran and
# how long each pass took. Full logs: emu-test.log, emu-test-reverse.log,
# emu-kbench.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
rc=0
t0=$(date +%s)
$GO test -tags cudaemu -count=1 -v -timeout 25m ./gpu/... ./kernels/... > emu-test.log 2>&1 || rc=$?
t1=$(date +%s)
LATENTFLOW_EMU_ORDER=reverse $GO test -tags cudaemu -count=1 -v -timeout 25m \
  -run 'Conformance|TrainStep|Capture|ScatterAddRows' ./gpu/ > emu-test-reverse.log 2>&1 || rc=$?
t2=$(date +%s)
$GO run -tags cudaemu ./cmd/kbench > emu-kbench.log 2>&1 || { rc=1; echo "kbench: a variant failed its check (emu-kbench.log):"; grep -v '"ok":true' emu-kbench.log | head -5; }
echo "kernel bench on the emulated device: $(grep -c '"ok":true' emu-kbench.log) variants checked ok"
grep -hE '^(--- FAIL|FAIL|ok |panic)' emu-test.log emu-test-reverse.log
grep -h 'largest error' emu-test.log | sed 's/^ *backendtest.go:[0-9]*: //'
count() { grep -c -- "$1" "$2"; }
for f in emu-test.log emu-test-reverse.log; do
  echo "emulated device, $f: $(count '--- PASS' $f) tests passed, $(count '--- FAIL' $f) failed, $(count '--- SKIP' $f) skipped (subtests included)"
done
echo "emulated device: forward order $((t1 - t0)) s, reverse order $((t2 - t1)) s (build included)"
if [ "$rc" -ne 0 ]; then echo "make test-emu: FAILED (see emu-test.log, emu-test-reverse.log)"; fi
exit $rc
