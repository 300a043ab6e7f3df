"""`lstmtune report` on a 100-trial run, each command a fresh process as a person runs it: the plain
report (goal: under a second), `--format json`, and `--html` with `--plots` (pictures and importance),
against starting Python and importing pandas, measured side by side.

    python benchmarks/report_speed.py [--trials 100] [--epochs 50] [--repeats 5]

The run is synthetic (trial records and per-epoch histories written as a search writes them), so the
figure is the report's own cost, not a search's. Prints medians of interleaved repetitions.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lstmtune.run.atomic import write_json  # noqa: E402


def make_run(root: Path, trials: int, epochs: int) -> Path:
    rng = np.random.default_rng(0)
    space = {
        "units": {"int": [4, 64]},
        "dropout": {"float": [0.0, 0.5]},
        "learning_rate": {"float": [1e-4, 1e-2], "log": True},
    }
    write_json(
        root / "run.json",
        {
            "schema_version": 2,
            "task": "forecast",
            "status": "completed",
            "search": {
                "epochs": epochs,
                "objective": {"name": "val_mse", "direction": "min", "label": "validation MSE"},
            },
            "hyperparameters": {"names": list(space), "tunable": list(space), "space": space},
            "data": {"summary": "synthetic", "targets": ["y"]},
            "trials": {"completed": trials},
        },
    )
    for t in range(trials):
        run_epochs = int(rng.integers(5, epochs + 1))
        train = np.sort(rng.random(run_epochs))[::-1] + 0.2
        val = train * rng.uniform(1.0, 1.6) + rng.normal(0, 0.02, run_epochs)
        best = int(np.argmin(val))
        values = {
            "units": int(rng.integers(4, 65)),
            "dropout": float(rng.random() / 2),
            "learning_rate": float(10 ** rng.uniform(-4, -2)),
        }
        metrics = {
            "val_mse": float(val[best]),
            "val_rmse": float(np.sqrt(val[best])),
            "val_mae": float(val[best] / 2),
            "skill": float(rng.uniform(-0.1, 0.4)),
            "train_loss": float(train[best]),
            "val_loss": float(val[best]),
            "train_skill": float(rng.uniform(0.2, 0.6)),
            "gap": float(rng.uniform(0.9, 1.8)),
            "best_epoch": best + 1,
            "epochs_run": run_epochs,
            "diverged_epoch": 0.0,
        }
        write_json(
            root / "history" / f"trial_{t}.json",
            {"trial_id": str(t), "status": "completed", "values": values, "metrics": metrics, "seconds": 1.0},
        )
        with open(root / "history" / f"trial_{t}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["epoch", "loss", "mse", "val_loss", "val_mse", "learning_rate"])
            for e in range(run_epochs):
                writer.writerow([e + 1, train[e], train[e], val[e], val[e], 0.001])
    return root


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = make_run(Path(tmp) / "run", args.trials, args.epochs)
        lstmtune = [sys.executable, "-m", "lstmtune", "report", str(run)]
        commands = {
            "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
            "report": lstmtune,
            "report --format json": [*lstmtune, "--format", "json"],
            "report --html --plots": [
                *lstmtune,
                "--html",
                str(Path(tmp) / "r.html"),
                "--plots",
                str(Path(tmp) / "plots"),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(timed(command))
    base = statistics.median(times["python -c 'import pandas'"])
    print(f"{args.trials} trials of up to {args.epochs} epochs, median of {args.repeats} fresh processes:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median:6.2f} s   {median / base:5.1f}x python+pandas")


if __name__ == "__main__":
    main()
