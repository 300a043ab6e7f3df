"""Benchmark: lstmtune on a big numeric CSV (1,000,000 rows x 8 columns plus a time column) against plain
pandas / tf.data doing the same work, in the same run, interleaved, medians printed with ratios.

Prints figures; asserts nothing (timings on shared machines are noisy).

  (a) read     lstmtune.data.csv_reader.read_csv (the bare read, all checks included; and the compact read that
               forecasting uses: float features as float32, times parsed per chunk) against pandas.read_csv
               (C engine, and the pyarrow engine when pyarrow imports); and the whole planning of a
               forecast search up to the prepared arrays (`plan_search` without a run directory, as
               `lstmtune check` runs it) against a plain preparation (read_csv, parse the times, sort,
               scale on the training rows, float32 array)
  (b) memory   peak RSS (VmHWM of /proc/self/status) of each of those in a fresh process, and the peak above the
               process's RSS after its imports, against the raw float32 size of the data (goal <= 3x)
  (c) windows  training windows per second out of lstmtune's forecast tf.data pipeline
               (ForecastKeras.dataset("train", shuffle=True), one epoch) against bare tf.data pipelines
               over the same float32 array with the same batch size and lookback: range -> shuffle ->
               batch -> gather, and with --keras-timeseries keras.utils.timeseries_dataset_from_array
               (goal >= 0.9x the bare one); with --fit also one epoch of a tiny LSTM's `model.fit` on the first --fit-batches
               batches of each

    python benchmarks/big_csv.py [--rows 1000000] [--columns 8] [--time iso|int] [--reps 3]
                                 [--lookback 48] [--batch 32] [--fit] [--skip read,memory,windows]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_csv(path: Path, rows: int, columns: int, time_kind: str) -> None:
    """A deterministic multivariate series: y0 a noisy daily-seasonal random walk, x1.. noisy companions."""
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    data = {}
    if time_kind == "iso":
        data["t"] = pd.date_range("2000-01-01", periods=rows, freq="min").strftime("%Y-%m-%d %H:%M:%S")
    else:
        data["t"] = t
    level = 100 + np.cumsum(rng.normal(0, 0.05, rows)) + 5 * np.sin(2 * np.pi * t / 1440)
    data["y0"] = np.round(level + rng.normal(0, 0.5, rows), 4)
    for c in range(1, columns):
        data[f"x{c}"] = np.round(np.sin(2 * np.pi * t / (60 * c)) + rng.normal(0, 0.1, rows), 5)
    pd.DataFrame(data).to_csv(path, index=False)


def space_file(work: Path, lookback: int, batch: int) -> Path:
    space = work / "space.yaml"
    space.write_text(
        f"hyperparameters: {{lookback: {lookback}, units: 8, batch_size: {batch}}}\n"
        "search: {max_trials: 1, epochs: 1, patience: 1}\n"
    )
    return space


def request(csv: Path, space: Path):
    from lstmtune.plan import SearchRequest

    return SearchRequest(csv, space, None, columns={"target": ("y0",), "time_col": "t"})


# -- the plain preparation a person would write: read, parse times, sort, scale, float32 --


def plain_prepare(csv: Path, split: float = 0.7) -> np.ndarray:
    frame = pd.read_csv(csv)
    time = pd.to_datetime(frame["t"], format="ISO8601") if frame["t"].dtype != np.int64 else frame["t"]
    frame = frame.iloc[np.argsort(time.to_numpy(), kind="stable")]
    values = frame.drop(columns="t").to_numpy(dtype=np.float64)
    train = values[: int(len(values) * split)]
    return ((values - train.mean(axis=0)) / train.std(axis=0)).astype(np.float32)


def pyarrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def compact_columns():
    """The compact read as forecasting asks for it here: y0 the target, t the time column."""
    from lstmtune.data.compact_reader import CompactColumns

    return CompactColumns(frozenset({"y0"}), "t", None)


# -- (a) read and planning time --------------------------------------------------------------


def bench_read(csv: Path, space: Path, reps: int) -> None:
    from lstmtune.data.csv_reader import read_csv
    from lstmtune.plan import plan_search

    COMPACT = compact_columns()
    sides = {
        "pandas.read_csv (C engine)": lambda: pd.read_csv(csv),
        "lstmtune.data.csv_reader.read_csv": lambda: read_csv(csv),
        "lstmtune.data.csv_reader.read_csv (compact, as forecasting)": lambda: read_csv(csv, compact=COMPACT),
    }
    if pyarrow_available():
        sides["pandas.read_csv (pyarrow engine)"] = lambda: pd.read_csv(csv, engine="pyarrow")
    sides["plain preparation (read, times, sort, scale)"] = lambda: plain_prepare(csv)
    sides["lstmtune plan_search (check)"] = lambda: plan_search(request(csv, space))
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(reps):  # interleaved: every side once per repetition
        for name, call in sides.items():
            started = time.perf_counter()
            result = call()
            times[name].append(time.perf_counter() - started)
            del result
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n(a) read and planning time, median of {reps} (interleaved)")
    print(f"{'':48s} {'median':>9s} {'vs pandas C':>12s}   runs")
    base = medians["pandas.read_csv (C engine)"]
    for name, value in medians.items():
        runs = ", ".join(f"{v:.2f}" for v in times[name])
        print(f"{name:48s} {value:8.2f}s {value / base:11.2f}x   {runs}")
    print(
        f"{'lstmtune plan_search vs plain preparation':48s} {'':9s} "
        f"{medians['lstmtune plan_search (check)'] / medians['plain preparation (read, times, sort, scale)']:11.2f}x"
    )


# -- (b) peak memory, each measurement in a fresh process ------------------------------------

CHILD = """
import json, re, resource, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd
import lstmtune.data.csv_reader, lstmtune.plan, lstmtune.tasks.forecast.data
import big_csv

def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()

after_imports = rss()
kind, csv, space = {kind!r}, {csv!r}, {space!r}
if kind == "pandas":
    result = pd.read_csv(csv)
elif kind == "pandas_pyarrow":
    result = pd.read_csv(csv, engine="pyarrow")
elif kind == "plain":
    result = big_csv.plain_prepare(csv)
elif kind == "read":
    result = lstmtune.data.csv_reader.read_csv(csv)
elif kind == "compact":
    result = lstmtune.data.csv_reader.read_csv(csv, compact=big_csv.compact_columns())
elif kind == "plan":
    result = lstmtune.plan.plan_search(big_csv.request(csv, space))
held = rss()
# VmHWM: this process's own peak; getrusage's maxrss would carry over the parent's RSS (Linux keeps the
# forked-then-replaced memory's high-water mark).
with open("/proc/self/status") as handle:
    peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", handle.read()).group(1)) * 1024
print(json.dumps({{"after_imports": after_imports, "peak": peak, "held": held}}))
"""

MEMORY_SIDES = {
    "pandas": "pandas.read_csv (C engine)",
    "pandas_pyarrow": "pandas.read_csv (pyarrow engine)",
    "read": "lstmtune.data.csv_reader.read_csv",
    "compact": "lstmtune.data.csv_reader.read_csv (compact)",
    "plain": "plain preparation (float32 array)",
    "plan": "lstmtune plan_search (check)",
}


def bench_memory(csv: Path, space: Path, reps: int, raw: int) -> None:
    kinds = [k for k in MEMORY_SIDES if k != "pandas_pyarrow" or pyarrow_available()]
    found: dict[str, list[dict[str, int]]] = {k: [] for k in kinds}
    for _ in range(reps):
        for kind in kinds:
            code = CHILD.format(
                root=str(ROOT), bench=str(Path(__file__).parent), kind=kind, csv=str(csv), space=str(space)
            )
            out = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
            found[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    mb = 1e6
    print(
        f"\n(b) peak memory, fresh process per measurement, median of {reps}; raw float32 data "
        f"{raw / mb:.1f} MB (goal: peak above imports <= 3x)"
    )
    print(f"{'':40s} {'peak RSS':>9s} {'imports':>8s} {'above':>8s} {'x raw':>6s} {'held':>8s}")
    for kind in kinds:
        peak = statistics.median(r["peak"] for r in found[kind])
        base = statistics.median(r["after_imports"] for r in found[kind])
        held = statistics.median(r["held"] - r["after_imports"] for r in found[kind])
        print(
            f"{MEMORY_SIDES[kind]:40s} {peak / mb:7.0f}MB {base / mb:6.0f}MB {(peak - base) / mb:6.0f}MB "
            f"{(peak - base) / raw:5.2f}x {held / mb:6.0f}MB"
        )
    print("(held: RSS still above the imports once the result is built, i.e. what the result and the allocator keep)")


# -- (c) windows per second out of the tf.data pipelines -------------------------------------


def bench_windows(
    csv: Path, space: Path, reps: int, lookback: int, batch: int, fit: bool, fit_batches: int, keras_series: bool
) -> None:
    from lstmtune.plan import plan_search

    plan = plan_search(request(csv, space))
    data = plan.data
    side = plan.task.keras_side(data)
    import keras
    import tensorflow as tf

    values = {"lookback": lookback, "batch_size": batch}
    ends = data.window_ends("train", lookback)
    n = len(ends)
    inputs, encoded = data.inputs, data.encoded  # the same float32 arrays for every side

    def lstmtune_dataset():
        return side.dataset("train", values, batch, shuffle=True, seed=0)

    def bare_gather():
        x, y = tf.constant(inputs), tf.constant(encoded)
        offsets = tf.range(-lookback + 1, 1, dtype=tf.int64)
        dataset = tf.data.Dataset.range(int(ends[0]), int(ends[-1]) + 1).shuffle(n, seed=0).batch(batch)
        return dataset.map(
            lambda e: (tf.gather(x, e[:, None] + offsets), tf.gather(y, e)), num_parallel_calls=tf.data.AUTOTUNE
        ).prefetch(tf.data.AUTOTUNE)

    def keras_timeseries():
        start = int(ends[0]) - lookback + 1
        return keras.utils.timeseries_dataset_from_array(
            inputs[start : int(ends[-1]) + 1],
            encoded[int(ends[0]) : int(ends[-1]) + 1],
            sequence_length=lookback,
            batch_size=batch,
            shuffle=True,
            seed=0,
        )

    sides = {
        "bare tf.data range->shuffle->batch->gather": bare_gather,
        "lstmtune ForecastKeras.dataset": lstmtune_dataset,
    }
    if keras_series:  # about 20x slower than the others: one element per window, sliced one by one
        sides["keras timeseries_dataset_from_array"] = keras_timeseries
    # Same shapes from every side.
    shapes = {name: tuple(tuple(t.shape) for t in next(iter(make()))) for name, make in sides.items()}
    assert len(set(shapes.values())) == 1, shapes
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(reps):
        for name, make in sides.items():
            started = time.perf_counter()
            count = 0
            for x, _y in make():
                count += int(x.shape[0])
            times[name].append(time.perf_counter() - started)
            assert count == n, (name, count, n)
    base = statistics.median(times["bare tf.data range->shuffle->batch->gather"])
    print(
        f"\n(c) training windows per second, one shuffled epoch of {n:,} windows, lookback {lookback}, "
        f"batch {batch}, {inputs.shape[1]} inputs; median of {reps} (goal: lstmtune >= 0.9x bare)"
    )
    print(f"{'':46s} {'epoch':>8s} {'windows/s':>11s} {'vs bare':>8s}   runs")
    for name, values_ in times.items():
        value = statistics.median(values_)
        print(
            f"{name:46s} {value:7.2f}s {n / value:11,.0f} {base / value:7.2f}x   "
            + ", ".join(f"{v:.2f}" for v in values_)
        )

    if fit:

        def tiny():
            keras.utils.set_random_seed(0)
            model = keras.Sequential(
                [
                    keras.Input((lookback, inputs.shape[1])),
                    keras.layers.LSTM(8),
                    keras.layers.Dense(int(np.prod(encoded.shape[1:]))),
                    keras.layers.Reshape(encoded.shape[1:]),
                ]
            )
            model.compile("adam", "mse")
            return model

        tiny().fit(bare_gather().take(8), epochs=1, verbose=0, shuffle=False)  # warm-up: TensorFlow's first fit
        fit_times: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(reps):
            for name, make in sides.items():
                model = tiny()
                dataset = make().take(fit_batches)
                started = time.perf_counter()
                model.fit(dataset, epochs=1, verbose=0, shuffle=False)  # the datasets shuffle
                fit_times[name].append(time.perf_counter() - started)
        base = statistics.median(fit_times["bare tf.data range->shuffle->batch->gather"])
        print(
            f"\n(c') one epoch of model.fit (LSTM 8 units) on the first {fit_batches} batches "
            f"({fit_batches * batch:,} windows), median of {reps}"
        )
        for name, values_ in fit_times.items():
            value = statistics.median(values_)
            print(
                f"{name:46s} {value:7.2f}s {fit_batches * batch / value:11,.0f} {base / value:7.2f}x   "
                + ", ".join(f"{v:.2f}" for v in values_)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=8, help="numeric columns (the time column comes on top)")
    parser.add_argument("--time", choices=("iso", "int"), default="iso", help="time column: ISO timestamps or integers")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--memory-reps", type=int, default=2)
    parser.add_argument("--lookback", type=int, default=48)
    parser.add_argument("--batch", type=int, default=32, help="lstmtune's default batch_size is 32")
    parser.add_argument("--fit", action="store_true", help="also time one epoch of model.fit per pipeline")
    parser.add_argument("--fit-batches", type=int, default=300)
    parser.add_argument(
        "--keras-timeseries",
        action="store_true",
        help="also time keras.utils.timeseries_dataset_from_array (minutes per epoch)",
    )
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: read, memory, windows")
    parser.add_argument("--csv", type=Path, help="reuse this generated CSV instead of writing a new one")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    from lstmtune.tuning.quiet import import_tensorflow_quietly  # quiets TensorFlow's logs before anything imports it

    work = Path(tempfile.mkdtemp(prefix="lstmtune-bigcsv-"))
    csv = args.csv or work / "big.csv"
    if not csv.exists():
        started = time.perf_counter()
        make_csv(csv, args.rows, args.columns, args.time)
        print(f"wrote {csv} in {time.perf_counter() - started:.1f} s")
    space = space_file(work, args.lookback, args.batch)
    rows = sum(1 for _ in open(csv, "rb")) - 1
    numeric = len(pd.read_csv(csv, nrows=2).columns) - 1
    raw = rows * numeric * 4
    print(
        f"data: {rows:,} rows x {numeric} numeric columns + time column, {csv.stat().st_size / 1e6:.0f} MB on "
        f"disk, {raw / 1e6:.0f} MB as float32; pandas {pd.__version__}, pyarrow "
        f"{'available' if pyarrow_available() else 'not installed'}"
    )
    try:
        if "read" not in skip:
            bench_read(csv, space, args.reps)
        if "memory" not in skip:
            bench_memory(csv, space, args.memory_reps, raw)
        if "windows" not in skip:
            import_tensorflow_quietly()
            bench_windows(
                csv, space, args.reps, args.lookback, args.batch, args.fit, args.fit_batches, args.keras_timeseries
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the generated CSV is large (a --csv given is kept)


if __name__ == "__main__":
    main()
