#!/usr/bin/env python3
"""Ratios of the medians from bench/cpu_anchor.sh's JSON lines.

    python3 bench/cpu_ratios.py FILE.jsonl

For each measurement ("train": step_ms, "sample_euler": s) it takes the median
over the rounds of each binary (our lines, keyed by their "bin" tag and commit)
and of torch, and prints speedup = torch median / our median (> 1: we are
faster), with every round's figure beside it.
"""
import json
import statistics
import sys


def main(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    if not rows:
        print("no JSON lines found")
        return 1
    for what, col in (("train", "step_ms"), ("sample_euler", "s")):
        g = [r for r in rows if r.get("what") == what]
        if not g:
            continue
        torch = [r[col] for r in g if str(r.get("impl", "")).startswith("torch")]
        ours = {}
        for r in g:
            if str(r.get("impl", "")).startswith("latentflow"):
                ours.setdefault((r.get("bin"), r.get("commit")), []).append(r)
        r0 = g[0]
        size = f"B={r0['batch']}" if what == "train" else f"n={r0['n']} nfe={r0['nfe']}"
        print(f"{what} T={r0['tokens']} C={r0['chans']} D={r0['d']} L={r0['layers']} H={r0['heads']} {size} ({col})")
        tm = statistics.median(torch) if torch else float("nan")
        print(f"  torch-cpu-eager        median {tm:.4g}  rounds {', '.join(f'{v:.4g}' for v in torch)}")
        for (b, c), rs in ours.items():
            v = [r[col] for r in rs]
            m = statistics.median(v)
            extra = ""
            if what == "train" and "gflop_per_s" in rs[0]:
                extra = f"  GFLOP/s {statistics.median(r['gflop_per_s'] for r in rs):.3g}"
            print(f"  {b} ({c}) median {m:.4g}  rounds {', '.join(f'{x:.4g}' for x in v)}{extra}")
            print(f"    speedup vs torch (torch median / ours): {tm / m:.2f}x")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: cpu_ratios.py FILE.jsonl", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
