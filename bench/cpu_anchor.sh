#!/usr/bin/env bash
# Side by side on the CPU, alternating in one run: bin/bench -backend cpu and
# the PyTorch CPU anchor (anchor_torch_cpu.py, PyTorch eager) at cpu-s with the
# same number of threads, ROUNDS times, then the ratios of the medians
# (bench/cpu_ratios.py).
#
#   bash bench/cpu_anchor.sh OUTDIR
#
# Writes OUTDIR/cpu-s.jsonl (every raw JSON line, in the order they were
# measured, each tagged with its round), OUTDIR/cpu-s.log (stderr), and
# OUTDIR/ratios.txt. Environment: BENCHES (our binaries, space-separated,
# default ./bin/bench; several, e.g. a build of an older commit, run one after
# the other within each round), ANCHOR (default ../shared/bench/anchor_torch_cpu.py),
# PYTHON (default /usr/bin/python3, Debian's python3-torch), THREADS (default 2:
# GOMAXPROCS for ours, --threads for torch), ROUNDS (default 2), STEPS (timed
# train steps, default 10) and WARMUP (default 3) for both, NSAMPLE and NFE
# (Euler sampling, default 256 and 10, the figures of issue 15), RUN_TIMEOUT
# (seconds per run, default 600).
set -uo pipefail
if [ $# -ne 1 ]; then
  echo "usage: bash bench/cpu_anchor.sh OUTDIR" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
benches=${BENCHES:-./bin/bench}
anchor=${ANCHOR:-$here/../../shared/bench/anchor_torch_cpu.py}
py=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
steps=${STEPS:-10}
warmup=${WARMUP:-3}
nsample=${NSAMPLE:-256}
nfe=${NFE:-10}
tmo=${RUN_TIMEOUT:-600}
for b in $benches; do
  [ -x "$b" ] || { echo "cpu_anchor.sh: $b not found (run make build)" >&2; exit 2; }
done
[ -f "$anchor" ] || { echo "cpu_anchor.sh: anchor $anchor not found (set ANCHOR)" >&2; exit 2; }
"$py" -c 'import torch' 2>/dev/null || {
  echo "cpu_anchor.sh: $py cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)" >&2; exit 2; }
mkdir -p "$out" || exit 1
lines=$out/cpu-s.jsonl
log=$out/cpu-s.log
: >"$lines"
: >"$log"
# cpu-s (docs/bench.md) with the sampling size above.
f="--tokens 16 --chans 4 --d 128 --layers 4 --heads 4 --batch 256 --nsample $nsample --nfe $nfe --steps $steps"
ours="-solvers euler"
tag() { sed "s|^{|{\"round\":$1,\"bin\":\"$2\",|"; }
status=0
for r in $(seq 1 "$rounds"); do
  for b in $benches; do
    echo "== round $r: $b" | tee -a "$log" >&2
    # shellcheck disable=SC2086
    GOMAXPROCS=$threads timeout "$tmo" "$b" -backend cpu $f $ours -warmup "$warmup" 2>>"$log" | tag "$r" "$b" >>"$lines"
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { echo "FAILED: $b (exit $rc)" | tee -a "$log" >&2; status=1; }
  done
  echo "== round $r: torch" | tee -a "$log" >&2
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$threads timeout "$tmo" "$py" "$anchor" --threads "$threads" $f 2>>"$log" | tag "$r" torch >>"$lines"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "FAILED: torch (exit $rc)" | tee -a "$log" >&2; status=1; }
done
"$py" "$here/cpu_ratios.py" "$lines" | tee "$out/ratios.txt"
exit $status
