"""Memory over many trials: the process's resident memory after each of N small trials of an lstmtune
search, against a plain Keras loop fitting the same kind of models (clear_session between them, as
keras-tuner does), each in its own fresh process, side by side; and the same search with
`--workers 1 --recycle-after K`, whose trials run in a worker process replaced every K trials (the
training process's memory, from each trial record's memory_mb, and the search process's at the end).

    python benchmarks/memory_growth.py [--trials 50] [--rows 3000] [--recycle-after 10]

The goal (issue "Fast at every scale"): growth from trial 5 to the last trial at most 10%.
Prints RSS at trial 5 and at the end, the growth, and the per-trial time at the start and the end.
"""

from __future__ import annotations

import argparse
import json
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
  lookback: {{int: [12, 24]}}
  units: {{int: [4, 8]}}
  dropout: {{float: [0.0, 0.3]}}
  learning_rate: {{float: [1e-3, 1e-2], log: true}}
search: {{max_trials: {trials}, epochs: 2, patience: 2, tuner: random}}
"""

LSTMTUNE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
from lstmtune.tuning.search import run_search

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20

class Memory(Reporter):
    def __init__(self):
        self.points, self.started = [], time.perf_counter()
    def trial_end(self, number, record, best):
        now = time.perf_counter()
        self.points.append((rss_mb(), now - self.started))
        self.started = now

reporter = Memory()
request = SearchRequest({csv!r}, {space!r}, {out!r}, columns={{"target": ("y",)}})
run_search(plan_search(request), reporter)
print(json.dumps(reporter.points))
"""

WORKERS = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
from lstmtune.run.records import trial_records
from lstmtune.run.layout import RunDir
from lstmtune.tuning.search import run_search

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20

request = SearchRequest({csv!r}, {space!r}, {out!r}, columns={{"target": ("y",)}}, workers=1, recycle_after={recycle})
started = time.perf_counter()
run_search(plan_search(request), Reporter())
wall = time.perf_counter() - started
records = sorted(trial_records(RunDir({out!r})), key=lambda r: r["finished"])
print(json.dumps({{"points": [(r["memory_mb"], r["seconds"]) for r in records], "chief_mb": rss_mb(), "wall": wall}}))
"""

PLAIN = """
import gc, json, resource, time
import numpy as np, pandas as pd
from lstmtune.tuning.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
import keras

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20

y = pd.read_csv({csv!r})["y"].to_numpy(dtype="float32")
d = np.diff(y); d = (d - d.mean()) / d.std()
rng = np.random.default_rng(0)
points = []
for trial in range({trials}):
    started = time.perf_counter()
    keras.backend.clear_session(); gc.collect()
    lookback, units = int(rng.integers(12, 25)), int(rng.integers(4, 9))
    ends = np.arange(lookback, len(d) - 1)
    x = np.stack([d[e - lookback:e] for e in ends])[..., None]
    t = d[ends]
    model = keras.Sequential([keras.Input((lookback, 1)), keras.layers.LSTM(units), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, t, epochs=2, batch_size=32, verbose=0, validation_split=0.2)
    points.append((rss_mb(), time.perf_counter() - started))
print(json.dumps(points))
"""


def run(code: str):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(name: str, points: list[tuple[float, float]]) -> None:
    rss = [p[0] for p in points]
    seconds = [p[1] for p in points]
    fifth = rss[4]
    growth = (rss[-1] - fifth) / fifth
    print(
        f"  {name:9s} RSS at trial 5 {fifth:7.0f} MB, at trial {len(rss)} {rss[-1]:7.0f} MB: "
        f"growth {growth:+.1%} ({(rss[-1] - fifth) / (len(rss) - 5):.1f} MB per trial); "
        f"trial time, median of the first and last 5: {np.median(seconds[:5]):.2f} s -> {np.median(seconds[-5:]):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--recycle-after", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "series.csv"
        t = np.arange(args.rows)
        y = 50 + 10 * np.sin(2 * np.pi * t / 132) + np.random.default_rng(0).normal(0, 3, args.rows)
        pd.DataFrame({"y": y}).to_csv(csv, index=False)
        space = Path(tmp) / "space.yaml"
        space.write_text(SPACE.format(trials=args.trials))
        started = time.perf_counter()
        lstmtune = run(LSTMTUNE.format(root=str(ROOT), csv=str(csv), space=str(space), out=str(Path(tmp) / "run")))
        one_process = time.perf_counter() - started
        plain = run(PLAIN.format(csv=str(csv), trials=args.trials))
        workers = run(
            WORKERS.format(
                root=str(ROOT),
                csv=str(csv),
                space=str(space),
                out=str(Path(tmp) / "run-workers"),
                recycle=args.recycle_after,
            )
        )
    print(f"{args.trials} trials of 2 epochs on {args.rows} rows, each side a fresh process:")
    summary("lstmtune", lstmtune)
    summary("plain", plain)
    summary("recycled", workers["points"])
    print(
        f"  recycled: a worker process replaced every {args.recycle_after} trials; the search process itself "
        f"ended at {workers['chief_mb']:.0f} MB. Whole search: {one_process:.0f} s in one process, "
        f"{workers['wall']:.0f} s with the recycled worker ({workers['wall'] / one_process:.2f}x)"
    )


if __name__ == "__main__":
    main()
