"""Search quality at equal budget: stock Bayesian (keras-tuner), lstmtune's batched Bayesian oracle
(`lstmtune.tuning.oracle.FastBayesianOptimization`), random search and hyperband, through the real
`run_search`, on two forecast datasets, over several seeds.

    python benchmarks/search_quality.py [--seeds 5] [--trials 30] [--epochs 4] [--jobs 1] [--out DIR]

Every run is one `lstmtune.tuning.search.run_search` in its own output directory (TUNERS patched for the
variants) with a tiny space of the default forecast space's shape (9 tuned hyperparameters) and tiny models,
so a trial fits in about a second. Patience = epochs, so every trial of the trial-based tuners trains
exactly `epochs` epochs: the budget of n trials is n * epochs epochs. Hyperband gets the same budget in
epochs: keras-tuner's Hyperband with max_epochs = epochs, factor 3 (as lstmtune makes it), repeated
iterations, stopped (as a time budget stops a search) once it has trained trials * epochs epochs in
all; its best after "n trials" is its best after n * epochs trained epochs (epochs counted from each
trial's history, so a trial resumed from a checkpoint counts only what it trained).

Each (dataset, seed) is one fresh process running the four methods one after the other (order rotated
by seed). Prints, per dataset and method, the median and min-max over seeds of the best validation
score (the run's objective, lower is better) after 10, 15, 20 and 30 trials, and the trials needed to
reach random search's 30-trial best of the same seed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
METHODS = ["stock", "fast", "random", "hyperband"]
DATASETS = {
    "airline": (ROOT / "examples/data/airline.csv", {"target": ("Passengers",), "time_col": "Date"}),
    "seattle": (ROOT / "tests/data/seattle_weather_300.csv", {"target": ("temp_max",), "time_col": "date"}),
}
CHECKPOINTS = [10, 15, 20, 30]

SPACE = """\
hyperparameters:
  lookback: {{choice: [6, 12, 18]}}
  layers: {{int: [1, 2]}}
  units: {{int: [4, 32], step: 4}}
  dropout: {{float: [0.0, 0.4]}}
  recurrent_dropout: {{float: [0.0, 0.3]}}
  kernel_l2: {{float: [1e-6, 1e-2], log: true}}
  recurrent_l2: {{float: [1e-6, 1e-2], log: true}}
  dense_dropout: {{float: [0.0, 0.3]}}
  learning_rate: {{float: [3e-4, 3e-2], log: true}}
  batch_size: 16
search: {{max_trials: {trials}, epochs: {epochs}, patience: {epochs}, tuner: {tuner}, seed: {seed}}}
"""

# One (dataset, seed): the four methods in one process; prints one JSON line per method.
CHILD = r"""
import csv, json, sys, time
sys.path.insert(0, {root!r})
from lstmtune.tuning.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads({threads})
tf.config.threading.set_inter_op_parallelism_threads({threads})
import keras_tuner
from lstmtune.tuning import search as tuning_search
from lstmtune.tuning import tuner as tuning_tuner
from lstmtune.tuning.oracle import FastBayesianOptimization
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tuning.events import Reporter
from lstmtune.run.layout import RunDir

BUDGET = {trials} * {epochs}

class BudgetedHyperband(keras_tuner.Hyperband):
    # keras-tuner's Hyperband (max_epochs, factor from lstmtune), iterated until BUDGET epochs are trained.
    def __init__(self, *args, **kwargs):
        kwargs["hyperband_iterations"] = 1000
        super().__init__(*args, **kwargs)
        self.trained_epochs = 0
    def on_epoch_end(self, trial, model, epoch, logs=None):
        super().on_epoch_end(trial, model, epoch, logs)
        self.trained_epochs += 1
    def pre_create_trial(self):
        if self.trained_epochs >= BUDGET:
            raise tuning_tuner.BudgetSpent()
        super().pre_create_trial()

tuning_tuner.TUNERS.update({{"stock": keras_tuner.BayesianOptimization, "fast": FastBayesianOptimization,
                      "hyperband": BudgetedHyperband}})
for method in {methods!r}:
    tuner = "bayesian" if method in ("stock", "fast") else method
    if tuner == "bayesian":
        tuning_tuner.TUNERS["bayesian"] = tuning_tuner.TUNERS[method]
    space = {work!r} + f"/{{method}}.yaml"
    open(space, "w").write({space!r}.format(trials={trials}, epochs={epochs}, tuner=tuner, seed={seed}))
    out = {work!r} + f"/{{method}}"
    request = SearchRequest({csv!r}, space, out, columns={columns!r})
    started = time.perf_counter()
    manifest = tuning_search.run_search(plan_search(request), Reporter())
    seconds = time.perf_counter() - started
    run = RunDir(out)
    objective = manifest["search"]["objective"]["name"]
    rows, seen, duplicates = [], set(), 0
    for trial_id in sorted(p.stem.removeprefix("trial_") for p in run.history.glob("trial_*.json")):
        record = json.load(open(run.trial_record(trial_id)))
        history = run.trial_history(trial_id)
        epochs = sum(1 for _ in open(history)) - 1 if history.exists() else 0
        score = (record.get("metrics") or {{}}).get(objective)
        key = json.dumps(record.get("values"), sort_keys=True)
        duplicates += key in seen and method != "hyperband"  # hyperband continues trials on purpose
        seen.add(key)
        rows.append([trial_id, record["status"], score, epochs])
    print(json.dumps({{"method": method, "seconds": seconds, "tuner_overhead": manifest["times"].get("tuner_overhead_seconds"), "duplicates": duplicates,
                      "objective": manifest["search"]["objective"], "trials": rows}}), flush=True)
"""


def child(dataset: str, seed: int, args: argparse.Namespace, work: Path) -> list[dict]:
    csv, columns = DATASETS[dataset]
    shift = seed
    chosen = [m for m in METHODS if m in args.methods.split(",")]
    methods = chosen[shift % len(chosen) :] + chosen[: shift % len(chosen)]  # rotated: no method always runs first
    directory = work / f"{dataset}_{seed}"
    directory.mkdir(parents=True, exist_ok=True)
    code = CHILD.format(
        root=str(ROOT),
        trials=args.trials,
        epochs=args.epochs,
        methods=methods,
        work=str(directory),
        space=SPACE,
        seed=seed,
        threads=args.threads,
        csv=str(csv),
        columns=columns,
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{dataset} seed {seed} failed")
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"method"')]
    for result in results:
        result.update(dataset=dataset, seed=seed)
    print(
        f"  done {dataset} seed {seed} in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{r['method']} {r['seconds']:.0f} s" for r in results),
        flush=True,
    )
    return results


def best_after(result: dict, trials: int, epochs: int, direction: str) -> float:
    """Best completed score within the budget of `trials` trials (hyperband: trials * epochs epochs)."""
    sign = 1.0 if direction == "min" else -1.0
    best, spent = np.inf, 0
    for index, (_, status, score, trained) in enumerate(result["trials"]):
        if result["method"] == "hyperband":
            spent += trained
            if spent > trials * epochs:
                break
        elif index >= trials:
            break
        if status == "completed" and score is not None and np.isfinite(score):
            best = min(best, sign * score)
    return sign * best


def trials_to_reach(result: dict, target: float, args: argparse.Namespace, direction: str) -> float:
    for n in range(1, args.trials + 1):
        value = best_after(result, n, args.epochs, direction)
        if (value <= target) if direction == "min" else (value >= target):
            return n
    return np.inf


def report(results: list[dict], args: argparse.Namespace) -> None:
    for dataset in DATASETS:
        rows = [r for r in results if r["dataset"] == dataset]
        if not rows:
            continue
        objective = rows[0]["objective"]
        direction = objective.get("direction", "min") if isinstance(objective, dict) else "min"
        name = objective.get("name", "score") if isinstance(objective, dict) else str(objective)
        seeds = sorted({r["seed"] for r in rows})
        print(
            f"\n{dataset}: best validation {name} ({direction}) after n trials, median [min-max] over {len(seeds)} seeds"
        )
        checkpoints = [n for n in CHECKPOINTS if n < args.trials] + [args.trials]
        header = (
            "| method | "
            + " | ".join(f"n={n}" for n in checkpoints)
            + f" | trials to random's {args.trials}-trial best (median; each seed) | search s (median) | tuner overhead s (median) | repeated values (total) |"
        )
        print(header)
        print("|" + "---|" * (len(checkpoints) + 5))
        random_best = {
            r["seed"]: best_after(r, args.trials, args.epochs, direction) for r in rows if r["method"] == "random"
        }
        for method in METHODS:
            mine = sorted((r for r in rows if r["method"] == method), key=lambda r: r["seed"])
            if not mine:
                continue
            cells = []
            for n in checkpoints:
                values = np.array([best_after(r, n, args.epochs, direction) for r in mine])
                cells.append(f"{np.median(values):.4g} [{values.min():.4g}-{values.max():.4g}]")
            reach = [
                trials_to_reach(r, random_best[r["seed"]], args, direction) for r in mine if r["seed"] in random_best
            ]
            shown = ",".join("-" if not np.isfinite(v) else str(int(v)) for v in reach)
            median = np.median(reach) if reach else np.nan
            overhead = [r["tuner_overhead"] for r in mine if r["tuner_overhead"] is not None]
            print(
                f"| {method} | "
                + " | ".join(cells)
                + f" | {'>' + str(args.trials) if not np.isfinite(median) else f'{median:g}'} ({shown}) "
                + f"| {np.median([r['seconds'] for r in mine]):.0f} | {np.median(overhead) if overhead else float('nan'):.1f} "
                + f"| {sum(r['duplicates'] for r in mine) if all('duplicates' in r for r in mine) else '?'} |"
            )
    print("\n'-': never reached within the budget. hyperband: n trials = n * epochs trained epochs.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=1, help="(dataset, seed) processes at once")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--threads", type=int, default=1, help="TensorFlow threads per process (0: TensorFlow's default)"
    )
    parser.add_argument("--out", help="keep the run directories and results.json here (default: a temporary dir)")
    parser.add_argument(
        "--from-json", help="only print the tables from results.json files written before (comma-separated)"
    )
    args = parser.parse_args()
    if args.from_json:
        report([r for path in args.from_json.split(",") for r in json.loads(Path(path).read_text())], args)
        return
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="lstmtune-quality-"))
    jobs = [
        (d, seed) for seed in range(args.first_seed, args.first_seed + args.seeds) for d in args.datasets.split(",")
    ]
    print(
        f"{len(jobs)} (dataset, seed) processes, {args.trials} trials of {args.epochs} epochs per method; work dir {work}",
        flush=True,
    )
    results: list[dict] = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for part in pool.map(lambda job: child(job[0], job[1], args, work), jobs):
            results.extend(part)
            (work / "results.json").write_text(json.dumps(results))
    report(results, args)


if __name__ == "__main__":
    main()
