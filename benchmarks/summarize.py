#!/usr/bin/env python3
"""Summarise a JMH JSON result of ForwardBenchmark/GemmBenchmark as the Markdown tables of docs/PERFORMANCE.md.

usage: python3 benchmarks/summarize.py /tmp/bench.json

Ratios are within the one JSON (one run). They are printed from the mean score and from the median sample
(SampleTime mode); on a shared machine the median is the more robust of the two.
"""
import json
import sys

# Must match BenchModels.llama34m(): L=8, D=512, H*Dh=512, d_mlp=1408, V=8192 (untied).
L, D, HDH, M, V = 8, 512, 512, 1408, 8192
MATMUL_PARAMS = L * (4 * D * HDH + 3 * D * M) + D * V  # 29,884,416


def forward_flops(t):
    return 2.0 * MATMUL_PARAMS * t + 4.0 * L * t * t * HDH


def main(path):
    rows = json.load(open(path))
    res = {}
    print("| benchmark | param | mode | samples | score ± error (ms) | min (ms) | median (ms) |")
    print("|---|---|---|---:|---:|---:|---:|")
    for b in rows:
        name = b["benchmark"].rsplit(".", 2)
        name = name[-2] + "." + name[-1]
        params = b.get("params", {})
        param = ", ".join(f"{k}={v}" for k, v in params.items())
        pm = b["primaryMetric"]
        pct = pm.get("scorePercentiles", {})
        count = sum(c for hist in pm.get("rawDataHistogram", []) for fork in hist for _, c in fork) \
            if "rawDataHistogram" in pm else len(pm.get("rawData", [[]])[0])
        res[(name, param)] = (pm["score"], pct.get("0.0"), pct.get("50.0"))
        print(f"| {name} | {param} | {b['mode']} | {count} | {pm['score']:.2f} ± {pm['scoreError']:.2f} "
              f"| {pct.get('0.0', float('nan')):.2f} | {pct.get('50.0', float('nan')):.2f} |")
    print()
    print("| T | variant | ratio − 1 (mean) | ratio − 1 (median) | ratio − 1 (min) |")
    print("|---|---|---:|---:|---:|")
    for t in (64, 256):
        base = res.get(("ForwardBenchmark.forward", f"tokens={t}"))
        if not base:
            continue
        for v in ("cacheOnePoint", "cacheAllPoints", "identityHooksEverywhere"):
            r = res.get((f"ForwardBenchmark.{v}", f"tokens={t}"))
            if r:
                print(f"| {t} | {v} | {100 * (r[0] / base[0] - 1):+.1f}% | {100 * (r[2] / base[2] - 1):+.1f}% "
                      f"| {100 * (r[1] / base[1] - 1):+.1f}% |")
    print()
    print("| op | GFLOP/s (mean) | GFLOP/s (median) | GFLOP/s (min time) |")
    print("|---|---:|---:|---:|")
    for n in (512, 1024, 2048):
        r = res.get(("GemmBenchmark.matmul", f"n={n}"))
        if r:
            f = 2.0 * n ** 3
            print(f"| gemm n={n} | {f / r[0] / 1e6:.1f} | {f / r[2] / 1e6:.1f} | {f / r[1] / 1e6:.1f} |")
    for t in (64, 256):
        r = res.get(("ForwardBenchmark.forward", f"tokens={t}"))
        if r:
            f = forward_flops(t)
            print(f"| forward T={t} ({f / 1e9:.3f} GFLOP) | {f / r[0] / 1e6:.1f} | {f / r[2] / 1e6:.1f} "
                  f"| {f / r[1] / 1e6:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench.json")
