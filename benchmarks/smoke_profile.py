"""The CI smoke profile's wall time: `lstmtune search` with the shipped smoke space on the shipped
airline series, then `lstmtune gate`, each as a fresh process (as a CI job runs them), against a plain
Keras fit of the same small LSTM on the same windows in one process, measured side by side.

    python benchmarks/smoke_profile.py [--repeats 3]

Prints the median of interleaved repetitions. The goal is under 60 s for search + gate on 2 cores,
install excluded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEARCH = [
    "search",
    str(ROOT / "examples/data/airline.csv"),
    "--target",
    "Passengers",
    "--time-col",
    "Date",
    "--space",
    str(ROOT / "lstmtune" / "spaces" / "smoke.yaml"),
    "--quiet",
    "--overwrite",
]

PLAIN_KERAS = """
import time
started = time.perf_counter()
import numpy as np, pandas as pd, keras
y = pd.read_csv({csv!r})["Passengers"].to_numpy(dtype="float32")
d = np.diff(y); d = (d - d[:100].mean()) / d[:100].std()
x = np.stack([d[i:i + 6] for i in range(len(d) - 6)])[..., None]; t = d[6:]
for units in (4, 8):  # the smoke space's two trials: 4 or 8 units, 2 epochs
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 1)), keras.layers.LSTM(units), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x[:90], t[:90], validation_data=(x[90:110], t[90:110]), epochs=2, batch_size=16, verbose=0)
print(time.perf_counter() - started)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}): {done.stderr[-500:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lstmtune = [sys.executable, "-m", "lstmtune"]
    work = Path(tempfile.mkdtemp(prefix="lstmtune-smoke-"))
    results: dict[str, list[float]] = {"plain Keras process": [], "lstmtune search": [], "lstmtune gate": []}
    for _ in range(args.repeats):  # interleaved, so load on the machine hits every figure alike
        code = PLAIN_KERAS.format(csv=str(ROOT / "examples/data/airline.csv"))
        results["plain Keras process"].append(timed([sys.executable, "-c", code]))
        results["lstmtune search"].append(timed([*lstmtune, *SEARCH, "--out", str(work / "run")]))
        results["lstmtune gate"].append(
            timed([*lstmtune, "gate", str(work / "run"), "--require", "trials.completed >= 1"])
        )
    plain = statistics.median(results["plain Keras process"])
    print(f"smoke profile, {args.repeats} interleaved repetitions, medians (each a fresh process):")
    for name, values in results.items():
        median = statistics.median(values)
        print(
            f"  {name:22s} {median:7.2f} s   {median / plain:5.2f}x   (runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    total = statistics.median(results["lstmtune search"]) + statistics.median(results["lstmtune gate"])
    print(f"  search + gate          {total:7.2f} s   goal: under 60 s")


if __name__ == "__main__":
    main()
