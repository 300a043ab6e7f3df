"""The tuner's own cost: time per trial outside model.fit, stock keras-tuner Bayesian against
lstmtune.tuning.oracle.FastBayesianOptimization, side by side in one run.

    python benchmarks/tuner_overhead.py [--trials 20,50] [--oracle-trials 20,50,100] [--tables 20,50,100,500]

Three parts, each printing a table; asserts nothing (shared machines are noisy):

1. search: a real `run_search` per (tuner, trial count), each in a fresh process, the two tuners
   interleaved, on a generated 300-row series with a space of the default forecast space's shape
   (9 tuned hyperparameters) and tiny fits (1 epoch, 4-8 units, lookback 4-8). The script wraps
   methods with timers (monkeypatching in the child; nothing in lstmtune is edited):
     oracle step        keras-tuner Oracle.create_trial (the Bayesian proposal + its state files)
     oracle end         BaseTuner.on_trial_end (Oracle.end_trial + tuner state files)
     records/tables     TrialRecorder.trial_begin + trial_end (of which write_tables)
     history            TrialRecorder.epoch_end (one CSV row per epoch)
     checkpoint         keras-tuner's SaveBestEpoch.on_epoch_end (weights of the best epoch)
     build              Tuner._try_build (clear_session, gc, HyperModel.build)
     fit                LstmHyperModel.fit without the history and checkpoint callbacks above
                        (model.fit + validation/train scoring)
   and the whole search (tuner.search) against the sum of the fits.
2. oracle: the proposal alone (no TensorFlow training) after N completed trials of a synthetic
   objective, for stock, fast, and fast without the L-BFGS-B polish; also the acquisition value (the
   LCB mu - beta * sigma, lower is better) each proposal reaches under the SAME fitted GP, which says
   how well each searches the acquisition.
3. tables: TrialRecorder.table() + write_tables on a synthetic run directory of N records: the
   per-trial cost that grows with the number of trials (every trial rereads every record and rewrites
   trials.csv, .md and .json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

SPACE = """\
hyperparameters:
  lookback: {{choice: [4, 6, 8]}}
  layers: {{int: [1, 2]}}
  units: {{int: [4, 8], step: 4}}
  dropout: {{float: [0.0, 0.4]}}
  recurrent_dropout: {{float: [0.0, 0.3]}}
  kernel_l2: {{float: [1e-6, 1e-2], log: true}}
  recurrent_l2: {{float: [1e-6, 1e-2], log: true}}
  dense_dropout: {{float: [0.0, 0.3]}}
  learning_rate: {{float: [3e-4, 1e-2], log: true}}
  batch_size: 32
search: {{max_trials: {trials}, epochs: 1, patience: 1, tuner: bayesian, seed: 7}}
"""

CHILD = r"""
import collections, json, sys, time
sys.path.insert(0, {root!r})
from lstmtune.tuning.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
import keras_tuner
from keras_tuner.src.engine import base_tuner, oracle as oracle_module, tuner as tuner_module, tuner_utils

from lstmtune.tuning import recorder as tuning_recorder
from lstmtune.tuning import search as tuning_search
from lstmtune.tuning import tuner as tuning_tuner
from lstmtune.tuning.hypermodel import LstmHyperModel
from lstmtune.tuning.oracle import FastBayesianOptimization
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tuning.events import Reporter

spent = collections.defaultdict(list)

def timed(owner, name, key):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key].append(time.perf_counter() - started)
    setattr(owner, name, wrapper)

timed(oracle_module.Oracle, "create_trial", "oracle step")
timed(base_tuner.BaseTuner, "on_trial_end", "oracle end")
timed(tuning_recorder.TrialRecorder, "trial_begin", "record begin")
timed(tuning_recorder.TrialRecorder, "trial_end", "records/tables")
timed(tuning_recorder, "write_tables", "write_tables")
timed(tuning_recorder.TrialRecorder, "epoch_end", "history")
timed(tuner_utils.SaveBestEpoch, "on_epoch_end", "checkpoint")
timed(tuner_module.Tuner, "_try_build", "build")
timed(LstmHyperModel, "fit", "fit gross")
timed(base_tuner.BaseTuner, "search", "search")
tuning_tuner.TUNERS["bayesian"] = {{"stock": keras_tuner.BayesianOptimization, "fast": FastBayesianOptimization}}[{tuner!r}]
request = SearchRequest({csv!r}, {space!r}, {out!r}, columns={{"target": ("y",), "time_col": "t"}})
manifest = tuning_search.run_search(plan_search(request), Reporter())
print(json.dumps({{"spent": spent, "initial_points": manifest["search"]["initial_points"]}}))
"""


def search_part(args: argparse.Namespace, work: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(300)
    csv = work / "series.csv"
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 2, len(t))
    csv.write_text("t,y\n" + "".join(f"{i},{v:.4f}\n" for i, v in zip(t, y)))
    results: dict[tuple[int, str], dict] = {}
    for n in args.trials:
        order = [t for t in (["stock", "fast"] if n % 2 == 0 else ["fast", "stock"]) if t in args.tuners]
        for tuner in order if len(results) % 4 == 0 else order[::-1]:
            space = work / f"space_{n}.yaml"
            space.write_text(SPACE.format(trials=n))
            code = CHILD.format(
                root=str(ROOT), tuner=tuner, csv=str(csv), space=str(space), out=str(work / f"run_{tuner}_{n}")
            )
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{tuner} {n} failed")
            results[(n, tuner)] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"  search {tuner} {n} trials: {time.perf_counter() - started:.0f} s", flush=True)

    print("\n1. Time per trial outside model.fit (mean seconds per trial; 9 tuned hyperparameters, 1-epoch fits)")
    columns = [
        "oracle step (Bayesian trials)",
        "oracle step (all)",
        "oracle end",
        "records/tables",
        "of which write_tables",
        "history",
        "checkpoint",
        "build",
        "fit",
        "overhead (all but fit)",
        "search",
        "sum of fits",
        "search / fits",
    ]
    print("| trials | tuner | " + " | ".join(columns) + " |")
    print("|" + "---|" * (len(columns) + 2))
    for n in args.trials:
        for tuner in args.tuners:
            spent, initial = results[(n, tuner)]["spent"], results[(n, tuner)]["initial_points"]
            total = {key: sum(values) for key, values in spent.items()}
            steps = spent["oracle step"]
            bayes = steps[initial:n]
            fit = total["fit gross"] - total.get("history", 0) - total.get("checkpoint", 0)
            records = total.get("records/tables", 0) + total.get("record begin", 0)
            overhead = total["search"] - fit
            cells = [
                np.mean(bayes) if bayes else float("nan"),
                total["oracle step"] / n,
                total.get("oracle end", 0) / n,
                records / n,
                total.get("write_tables", 0) / n,
                total.get("history", 0) / n,
                total.get("checkpoint", 0) / n,
                total.get("build", 0) / n,
                fit / n,
                overhead / n,
            ]
            print(
                f"| {n} | {tuner} | "
                + " | ".join(f"{c:.3f}" for c in cells)
                + f" | {total['search']:.1f} | {fit:.1f} | {total['search'] / fit:.2f}x |"
            )
        # The growth: write_tables per trial over the first and last 5 trials.
        for tuner in args.tuners:
            writes = results[(n, tuner)]["spent"].get("write_tables", [])
            trial_end = results[(n, tuner)]["spent"].get("records/tables", [])
            if len(writes) >= 10:
                print(
                    f"  {n} trials, {tuner}: records/tables per trial, first 5 {np.median(trial_end[:5]) * 1000:.0f} ms "
                    f"-> last 5 {np.median(trial_end[-5:]) * 1000:.0f} ms (write_tables {np.median(writes[:5]) * 1000:.0f} -> "
                    f"{np.median(writes[-5:]) * 1000:.0f} ms)"
                )


def synthetic_space():
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.Choice("lookback", [12, 24, 48])
    hp.Int("layers", 1, 2)
    hp.Int("units", 16, 96, step=16)
    for name, low, high in (("dropout", 0.0, 0.4), ("recurrent_dropout", 0.0, 0.3), ("dense_dropout", 0.0, 0.3)):
        hp.Float(name, low, high)
    for name, low, high in (("kernel_l2", 1e-6, 1e-2), ("recurrent_l2", 1e-6, 1e-2), ("learning_rate", 3e-4, 1e-2)):
        hp.Float(name, low, high, sampling="log")
    hp.Fixed("batch_size", 32)
    return hp


def oracle_part(args: argparse.Namespace, work: Path) -> None:
    import keras_tuner

    from lstmtune.tuning.oracle import FastBayesianOracle
    from lstmtune.tuning.unit_cube import Snapper, position

    kinds = {
        "stock": (keras_tuner.oracles.BayesianOptimizationOracle, {}),
        "fast": (FastBayesianOracle, {}),
        "fast, no polish": (FastBayesianOracle, {"polish": 0}),
    }
    tuned = [hp for hp in synthetic_space().space if not isinstance(hp, keras_tuner.engine.hyperparameters.Fixed)]
    centre = np.linspace(0.2, 0.8, len(tuned))

    def objective(values):  # a smooth bowl with a ripple, in keras-tuner's embedding
        x = np.array([hp.value_to_prob(values[hp.name]) for hp in tuned])
        return float(np.sum((x - centre) ** 2) + 0.05 * np.sin(12 * x).sum())

    rows = []
    for n in args.oracle_trials:
        for seed in range(1, args.oracle_seeds + 1):
            reached, seconds, proposals = {}, {}, {}
            gp = None
            names = list(kinds) if seed % 2 else list(kinds)[::-1]  # interleave the order
            for name in names:
                cls, options = kinds[name]
                oracle = cls(
                    objective=keras_tuner.Objective("score", "min"),
                    max_trials=n + 1,
                    seed=seed,
                    hyperparameters=synthetic_space(),
                    num_initial_points=n + 1,
                    **options,
                )
                oracle._set_project_dir(str(work / f"oracle_{name}_{n}_{seed}"), "p")
                oracle.verbose = 0
                for _ in range(n):  # n random completed trials: the same for every kind (same seed)
                    trial = oracle.create_trial("t")
                    oracle.update_trial(trial.trial_id, {"score": objective(trial.hyperparameters.values)})
                    trial.status = "COMPLETED"
                    oracle.end_trial(trial)
                oracle.num_initial_points = 1
                started = time.perf_counter()
                values = oracle.populate_space(str(n))["values"]
                seconds[name] = time.perf_counter() - started
                proposals[name] = values
                if name == "stock":
                    gp = oracle.gpr
            snap = Snapper(tuned)
            for name, values in proposals.items():
                x = snap(np.array([[position(hp, values[hp.name]) for hp in tuned]]))
                mu, sigma = gp.predict(x, return_std=True)
                reached[name] = float(mu[0] - 2.6 * sigma[0])
            rows.append((n, seed, seconds, reached))
            print(
                f"  oracle {n} trials seed {seed}: " + ", ".join(f"{k} {seconds[k]:.2f} s" for k in kinds), flush=True
            )

    print(
        "\n2. One Bayesian proposal after N completed trials (9 tuned hyperparameters, no training), "
        f"median over {args.oracle_seeds} seeds [min-max]"
    )
    print(
        "| N | "
        + " | ".join(f"{k}: seconds" for k in kinds)
        + " | stock / fast | "
        + " | ".join(f"{k}: LCB reached" for k in kinds)
        + " |"
    )
    print("|" + "---|" * (2 * len(kinds) + 2))
    for n in args.oracle_trials:
        mine = [r for r in rows if r[0] == n]
        sec = {k: [r[2][k] for r in mine] for k in kinds}
        lcb = {k: [r[3][k] for r in mine] for k in kinds}
        print(
            f"| {n} | "
            + " | ".join(f"{np.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]" for v in sec.values())
            + f" | {np.median(sec['stock']) / np.median(sec['fast']):.1f}x | "
            + " | ".join(f"{np.median(v):.3f}" for v in lcb.values())
            + " |"
        )
    wins = {k: sum(r[3][k] <= min(r[3].values()) + 1e-9 for r in rows) for k in kinds}
    print(
        f"  lowest LCB reached (of {len(rows)} proposals; ties count for each): "
        + ", ".join(f"{k} {v}" for k, v in wins.items())
    )


def tables_part(args: argparse.Namespace, work: Path) -> None:
    from lstmtune.core.objective import Objective
    from lstmtune.run.atomic import write_json
    from lstmtune.run.layout import RunDir
    from lstmtune.run.records import trial_records
    from lstmtune.run.table import rank_trials, write_tables

    names = [
        "lookback",
        "layers",
        "units",
        "dropout",
        "recurrent_dropout",
        "kernel_l2",
        "recurrent_l2",
        "dense_dropout",
        "learning_rate",
        "batch_size",
    ]
    rng = np.random.default_rng(0)
    print("\n3. Records and tables per trial against the number of trials so far (median of 5 repetitions)")
    print(
        "| trials so far | read records + rank (TrialRecorder.table) | write_tables | per trial | whole search, about N/2 x per trial |"
    )
    print("|---|---|---|---|---|")
    for n in args.tables:
        run_dir = RunDir(work / f"tables_{n}")
        run_dir.history.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            write_json(
                run_dir.trial_record(f"{i:04d}"),
                {
                    "trial_id": f"{i:04d}",
                    "status": "completed",
                    "seconds": 1.0,
                    "values": {name: float(rng.uniform()) for name in names},
                    "metrics": {
                        **{
                            name: float(rng.uniform())
                            for name in [
                                "val_mse",
                                "val_rmse",
                                "val_mae",
                                "skill",
                                "train_loss",
                                "val_loss",
                                "train_skill",
                                "gap",
                                "gap_end",
                                "val_rise",
                            ]
                        },
                        "best_epoch": 5.0,
                        "epochs_run": 8.0,
                        "diverged_epoch": 0.0,
                    },
                },
            )
        objective = Objective("val_mse", "min", "validation MSE")
        read, write = [], []
        for _ in range(5):
            started = time.perf_counter()
            table = rank_trials(trial_records(run_dir), names, objective)
            middle = time.perf_counter()
            write_tables(run_dir, table)
            read.append(middle - started)
            write.append(time.perf_counter() - middle)
        r, w = statistics.median(read), statistics.median(write)
        print(f"| {n} | {r * 1000:.0f} ms | {w * 1000:.0f} ms | {(r + w) * 1000:.0f} ms | ~{(r + w) * n / 2:.1f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    numbers = lambda text: [int(v) for v in text.split(",") if v]  # noqa: E731
    parser.add_argument("--trials", type=numbers, default=[20, 50], help="real searches (part 1); '' skips it")
    parser.add_argument(
        "--tuners",
        type=lambda text: [t for t in ("stock", "fast") if t in text.split(",")],
        default=["stock", "fast"],
        help="part 1's tuners: stock,fast (both by default)",
    )
    parser.add_argument("--oracle-trials", type=numbers, default=[20, 50, 100], help="part 2; '' skips it")
    parser.add_argument("--oracle-seeds", type=int, default=3)
    parser.add_argument("--tables", type=numbers, default=[20, 50, 100, 500], help="part 3; '' skips it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lstmtune-overhead-"))
    if args.tables:
        tables_part(args, work)
    if args.oracle_trials:
        oracle_part(args, work)
    if args.trials:
        search_part(args, work)


if __name__ == "__main__":
    main()
