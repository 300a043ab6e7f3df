"""Trials per hour: one search process against `--workers 1` and `--workers N` (the CPU threads shared
out between the workers), each a fresh `lstmtune search` process on the same generated series and the
same random-search trials, repeated and interleaved; medians.

    python benchmarks/parallel_throughput.py [--workers 2] [--trials 12] [--repeats 2] [--rows 4000]

Throughput is completed trials over the search's own time (run.json times.search_seconds: from the
first trial to the last, worker start-ups included; TensorFlow's import and the final evaluation of
the best model are not). The goal (issue "Fast at every scale"): N workers reach at least 0.8 x N
times one worker's throughput on N cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

SPACE = """\
hyperparameters:
  lookback: 24
  units: {{int: [16, 32], step: 8}}
  dropout: {{float: [0.0, 0.3]}}
  kernel_l2: {{float: [1e-6, 1e-3], log: true}}
  learning_rate: {{float: [1e-3, 1e-2], log: true}}
  batch_size: 32
search: {{max_trials: {trials}, epochs: 3, patience: 3, tuner: random}}
"""


def search(csv: Path, space: Path, out: Path, workers: int) -> dict:
    command = [
        sys.executable,
        "-m",
        "lstmtune",
        "search",
        str(csv),
        "--target",
        "y",
        "--space",
        str(space),
        "--out",
        str(out),
        "--quiet",
        "--overwrite",
    ]
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env={**os.environ})
    wall = time.perf_counter() - started
    manifest = json.loads((out / "run.json").read_text())
    completed = manifest["trials"]["completed"]
    seconds = manifest["times"]["search_seconds"]
    return {"per_hour": completed / seconds * 3600, "search_seconds": seconds, "wall": wall, "completed": completed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args()
    sides = {"one process": 0, "1 worker": 1, f"{args.workers} workers": args.workers}
    results: dict[str, list[dict]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "series.csv"
        t = np.arange(args.rows)
        y = 50 + 10 * np.sin(2 * np.pi * t / 48) + np.random.default_rng(0).normal(0, 2, args.rows)
        pd.DataFrame({"y": y}).to_csv(csv, index=False)
        space = Path(tmp) / "space.yaml"
        space.write_text(SPACE.format(trials=args.trials))
        for repeat in range(args.repeats):
            for name, workers in sides.items():
                results[name].append(search(csv, space, Path(tmp) / f"run-{workers}", workers))
                print(f"  repeat {repeat + 1} {name}: {results[name][-1]}", file=sys.stderr, flush=True)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    print(
        f"{args.trials} random-search trials (3 epochs, 16-32 units, lookback 24, {args.rows} rows), "
        f"{cores} CPU cores, median of {args.repeats}:"
    )
    one_worker = statistics.median(r["per_hour"] for r in results["1 worker"])
    print(f"  {'side':12s} {'trials/hour':>12s} {'search s':>9s} {'wall s':>7s} {'x 1 worker':>11s}")
    for name, runs in results.items():
        per_hour = statistics.median(r["per_hour"] for r in runs)
        print(
            f"  {name:12s} {per_hour:12.0f} {statistics.median(r['search_seconds'] for r in runs):9.1f} "
            f"{statistics.median(r['wall'] for r in runs):7.1f} {per_hour / one_worker:11.2f}"
        )
    print(f"  goal: {args.workers} workers >= {0.8 * args.workers:.1f} x 1 worker")


if __name__ == "__main__":
    main()
