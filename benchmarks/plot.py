#!/usr/bin/python3
"""Plots netbuf's JMH results and prints them as a Markdown table.

Usage: benchmarks/plot.py RESULT.json [RESULT.json...] [-o docs/benchmarks.png]

Reads JMH JSON files (java -jar benchmarks.jar ... -rf json -rff FILE) and draws two panels:
the checkpoint+commit cost per backend for 1, 4 and 16 vifs (CheckpointBenchmark), and the
attach time against the number of other domains in XenStore (AttachScalingBenchmark). Error
bars are JMH's 99.9% confidence half-widths. Needs python3-matplotlib.
"""

import argparse
import json
import math
import sys


def load(paths):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for entry in json.load(f):
                metric = entry["primaryMetric"]
                error = metric.get("scoreError")
                rows.append({
                    "benchmark": entry["benchmark"].rsplit(".", 2)[-2],
                    "method": entry["benchmark"].rsplit(".", 1)[-1],
                    "params": entry.get("params", {}),
                    "score": metric["score"],
                    "error": None if error is None or (isinstance(error, float) and math.isnan(error)) else error,
                    "unit": metric["scoreUnit"],
                    "count": len(metric.get("rawData", [[]])[0]) if metric.get("rawData") else 0,
                })
    return rows


def table(rows):
    print("| benchmark | method | parameters | score | ± (99.9%) | unit | iterations |")
    print("|---|---|---|---:|---:|---|---:|")
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
        error = "" if r["error"] is None else f"{r['error']:.3g}"
        print(f"| {r['benchmark']} | {r['method']} | {params} | {r['score']:.4g} | {error} | {r['unit']} | {r['count']} |")


def plot(rows, output):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))

    checkpoint = [r for r in rows if r["benchmark"] == "CheckpointBenchmark"]
    paths = [p for p in ("raw", "native", "tools") if any(r["params"].get("path") == p for r in checkpoint)]
    vifs = sorted({int(r["params"]["vifs"]) for r in checkpoint})
    width = 0.8 / max(len(paths), 1)
    for i, path in enumerate(paths):
        xs, ys, es = [], [], []
        for j, n in enumerate(vifs):
            match = [r for r in checkpoint if r["params"].get("path") == path and int(r["params"]["vifs"]) == n]
            if match:
                xs.append(j + (i - (len(paths) - 1) / 2) * width)
                ys.append(match[0]["score"])
                es.append(match[0]["error"] or 0)
        bars = left.bar(xs, ys, width, yerr=es, capsize=3, label=path)
        left.bar_label(bars, labels=[f"{y:.3g}" for y in ys], fontsize=7, padding=2)
    left.set_yscale("log")
    left.set_xticks(range(len(vifs)), [f"{n} vif{'s' if n > 1 else ''}" for n in vifs])
    unit = checkpoint[0]["unit"] if checkpoint else ""
    left.set_ylabel(f"checkpoint + commit ({unit}, log scale)")
    left.set_title("Checkpoint cost per backend")
    left.legend(title="path")
    left.grid(axis="y", which="both", alpha=0.3)

    scaling = [r for r in rows if r["benchmark"] == "AttachScalingBenchmark"]
    for backend in ("native", "tools"):
        points = sorted((int(r["params"]["domains"]), r["score"], r["error"] or 0)
                        for r in scaling if r["params"].get("xenstore") == backend)
        if points:
            right.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] for p in points],
                           marker="o", capsize=3, label=f"xenstore {backend}")
            for x, y, _ in points:
                right.annotate(f"{y:.3g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    right.set_xscale("log")
    right.set_yscale("log")
    unit = scaling[0]["unit"] if scaling else ""
    right.set_xlabel("other domains with netbuf claims in XenStore (log scale)")
    right.set_ylabel(f"attach ({unit}, log scale)")
    right.set_title("Attach time against the number of domains")
    right.legend()
    right.grid(which="both", alpha=0.3)

    fig.tight_layout()
    fig.savefig(output, dpi=110)
    print(f"wrote {output}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JMH JSON result files")
    parser.add_argument("-o", "--output", default="docs/benchmarks.png", help="the PNG to write")
    args = parser.parse_args()
    rows = load(args.results)
    table(rows)
    plot(rows, args.output)


if __name__ == "__main__":
    main()
