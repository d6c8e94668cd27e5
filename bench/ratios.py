#!/usr/bin/env python3
"""Ratios of bin/bench (latentflow-cuda) to the PyTorch anchor, from JSON lines.

    python3 bench/ratios.py FILE.jsonl...

Lines are grouped by measurement ("train", "sample_euler") and shape (tokens,
chans, d, layers, heads, and batch or n and nfe). For each of our lines
(impl latentflow-*, one per GEMM precision) and each torch mode it prints
speedup = torch time / our time (step_ms for train, s for sampling; > 1 means
we are faster) and the throughput ratio samples_per_s ours / torch (the same
figure when both time the same work). Non-JSON lines are skipped.
"""
import json
import sys


def shape_key(r):
    if r.get("what") == "train":
        return ("train", r.get("tokens"), r.get("chans"), r.get("d"), r.get("layers"), r.get("heads"), r.get("batch"))
    return (r.get("what"), r.get("tokens"), r.get("chans"), r.get("d"), r.get("layers"), r.get("heads"),
            r.get("n"), r.get("nfe"))


def main(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    groups = {}
    for r in rows:
        groups.setdefault(shape_key(r), []).append(r)
    if not groups:
        print("no JSON lines found")
        return 1
    for key in sorted(groups, key=str):
        g = groups[key]
        what = key[0]
        tcol = "step_ms" if what == "train" else "s"
        ours = [r for r in g if str(r.get("impl", "")).startswith("latentflow")]
        torch = [r for r in g if str(r.get("impl", "")).startswith("torch")]
        print(f"{what}  T={key[1]} C={key[2]} D={key[3]} L={key[4]} H={key[5]} " +
              (f"B={key[6]}" if what == "train" else f"n={key[6]} nfe={key[7]}"))
        for o in ours:
            extra = ""
            if what == "train":
                if "mfu" in o:
                    extra += f"  mfu {100 * o['mfu']:.2f}% of {o.get('peak_tflops', '?')} TFLOP/s"
                if "peak_mem_mb" in o:
                    extra += f"  peak_mem {o['peak_mem_mb']:.0f} MB"
            print(f"  {o['impl']} ({o.get('precision', '?')}): {tcol} {o[tcol]:.4g}, samples/s {o['samples_per_s']:.4g}{extra}")
            for t in torch:
                speed = t[tcol] / o[tcol] if o[tcol] else float("nan")
                thr = o["samples_per_s"] / t["samples_per_s"] if t["samples_per_s"] else float("nan")
                print(f"    vs {t['impl']:<20} {tcol} {t[tcol]:.4g}  speedup {speed:.2f}x  samples/s ratio {thr:.2f}x")
        if not ours:
            for t in torch:
                print(f"  {t['impl']}: {tcol} {t[tcol]:.4g} (no latentflow line)")
        if not torch:
            print("  (no torch line)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
