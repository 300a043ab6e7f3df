"""Does cross-validation pick trials that do better on test? Validation-only ranking against --folds K.

    python benchmarks/selection_quality.py [--seeds 3] [--first-seed 1] [--trials 12] [--epochs 30] [--folds 3]
                                           [--datasets airline,seattle,gunpoint] [--out DIR]

For each dataset and seed, one real search (`lstmtune.search`, random tuner, the task's shipped space)
with --folds K. Its first fit per trial is exactly the trial a search without --folds trains (fold K is
the validation split, from the same seed), so one run gives both rankings over the same trials and the
same saved models: by the validation split alone (fold K's score) and by the mean over folds (the
trial's score). Every trial's saved model is then scored on the test split (for this measurement only;
a search scores only its best model on test). Prints, per dataset: the Spearman correlation between
each ranking score and the test figure over the completed trials (RMSE for forecasts, the objective,
cross-entropy, for classification), and the test figure of the trial each ranking picks against the best
among the trials (regret), median and range over seeds.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# name: (CSV, lstmtune.search's data arguments, the shipped space, the test figure (lower is better)).
DATASETS = {
    "airline": (ROOT / "examples/data/airline.csv", {"target": "Passengers", "time_col": "Date"}, "forecast", "rmse"),
    "seattle": (
        ROOT / "tests/data/seattle_weather_300.csv",
        {"target": "temp_max", "time_col": "date"},
        "forecast",
        "rmse",
    ),
    "gunpoint": (
        ROOT / "examples/data/gunpoint.csv",
        {"task": "sequence", "wide": True, "target": "label", "split_col": "split"},
        "sequence",
        "cross_entropy",
    ),
}


def spearman(a: list[float], b: list[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def test_figure_of_every_trial(run_dir: Path, figure: str) -> dict[str, float]:
    """Each completed trial's saved model (keras-tuner's checkpoint of its first fit) scored on test."""
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.run.layout import RunDir
    from lstmtune.run.manifest import load
    from lstmtune.run.records import trial_records
    from lstmtune.tuning.hypermodel import predict_outputs
    from lstmtune.tuning.model import build_model

    run = RunDir(run_dir)
    manifest = load(run)
    data = manifest.data
    plan = plan_search(
        SearchRequest(
            data_path=Path(data["path"]),
            space_path=run.space,
            task=manifest.task,
            columns=dict(data.get("columns") or {}),
            options=dict(data.get("options") or {}),
            search_flags={"reference": "off", "folds": 1},
        )
    )
    side = plan.task.keras_side(plan.data)
    out = {}
    for record in trial_records(run):
        if record["status"] != "completed":
            continue
        values = plan.space.typed(record["values"])
        model = build_model(side, values, "trial")
        model.load_weights(run.tuner_project / f"trial_{record['trial_id']}" / "checkpoint.weights.h5")
        outputs = predict_outputs(model, side, "test", values)
        out[str(record["trial_id"])] = float(plan.data.evaluate("test", outputs, values)[figure])
    return out


def one_run(name: str, seed: int, args: argparse.Namespace, out: Path) -> dict[str, float]:
    import lstmtune

    path, arguments, space, figure = DATASETS[name]
    run_dir = out / f"{name}_{seed}"
    lstmtune.search(
        path,
        **arguments,
        space=space,
        out=run_dir,
        tuner="random",
        max_trials=args.trials,
        epochs=args.epochs,
        seed=seed,
        folds=args.folds,
        reference="off",
        prune="off",
        overwrite=True,
        progress=False,
    )
    test = test_figure_of_every_trial(run_dir, figure)
    objective = json.loads((run_dir / "run.json").read_text())["search"]["objective"]["name"]
    validation, cross_validated = {}, {}
    for trial_id in test:
        record = json.loads((run_dir / "history" / f"trial_{trial_id}.json").read_text())
        cross_validated[trial_id] = record["metrics"][objective]
        validation[trial_id] = next(r["metrics"][objective] for r in record["executions"] if r["fold"] == args.folds)
    ids = sorted(test)
    truth = [test[i] for i in ids]
    best = min(truth)
    return {
        "trials": len(ids),
        "spearman_val": spearman([validation[i] for i in ids], truth),
        "spearman_cv": spearman([cross_validated[i] for i in ids], truth),
        "regret_val": test[min(ids, key=validation.get)] - best,
        "regret_cv": test[min(ids, key=cross_validated.get)] - best,
        "best_test": best,
    }


def replay_fold_pruning(run_dir: Path, warmup_trials: int = 5) -> dict[str, float]:
    """The run's trials (searched with --prune off) fed through the fold pruner in the order they ran:
    the epochs its fits trained, those a pruned search would have, and the best score with and without."""
    from lstmtune.run.records import fit_means
    from lstmtune.tuning.fold_pruning import P_VALUE, worse_p_value

    objective = json.loads((run_dir / "run.json").read_text())["search"]["objective"]
    name, sign = objective["name"], 1.0 if objective["direction"] == "min" else -1.0
    records = sorted(
        (json.loads(p.read_text()) for p in (run_dir / "history").glob("trial_*.json")),
        key=lambda r: int(r["trial_id"]),
    )
    kept: list[dict] = []  # completed in the replay: (score, folds' means)
    full = pruned_epochs = 0.0
    pruned = 0
    for record in (r for r in records if r["status"] == "completed"):
        fits = record["executions"]
        full += sum(f["metrics"].get("epochs_run") or 0 for f in fits)
        best = min(kept, key=lambda k: sign * k["score"]) if len(kept) >= warmup_trials else None
        trained = fits
        for n in range(2, len(fits)):  # after each fit but the last (one execution per fold)
            if best is None:
                break
            mine, theirs = fit_means(fits[:n], "fold", name), best["folds"]
            shared = sorted(set(mine) & set(theirs))
            if worse_p_value([sign * (mine[f] - theirs[f]) for f in shared]) < P_VALUE:
                trained, pruned = fits[:n], pruned + 1
                break
        pruned_epochs += sum(f["metrics"].get("epochs_run") or 0 for f in trained)
        if trained is fits:
            kept.append({"score": record["metrics"][name], "folds": fit_means(fits, "fold", name)})
    scores = [r["metrics"][name] for r in records if r["status"] == "completed"]
    return {
        "epochs": pruned_epochs,
        "full": full,
        "pruned": float(pruned),
        "best": min(k["score"] for k in kept) if sign > 0 else max(k["score"] for k in kept),
        "best_unpruned": min(scores) if sign > 0 else max(scores),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=1, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--datasets", default="airline,seattle")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--replay-folds", type=Path, help="replay the fold pruner on the runs in this folder")
    args = parser.parse_args()
    if args.replay_folds:
        for run_dir in sorted(p for p in args.replay_folds.iterdir() if (p / "run.json").is_file()):
            if json.loads((run_dir / "run.json").read_text()).get("status") != "completed":
                continue
            print(run_dir.name, json.dumps(replay_fold_pruning(run_dir)))
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="selection_quality_"))
    for name in args.datasets.split(","):
        results = [one_run(name, seed, args, out) for seed in range(args.first_seed, args.first_seed + args.seeds)]
        for result in results:
            print(json.dumps({"dataset": name, **result}), file=sys.stderr)
        print(f"{name}: {args.seeds} seeds, {args.trials} trials of up to {args.epochs} epochs, --folds {args.folds}")
        for key in ("spearman_val", "spearman_cv", "regret_val", "regret_cv", "best_test"):
            values = [r[key] for r in results]
            print(f"  {key:13s} median {np.median(values):8.3f}  range {min(values):8.3f} .. {max(values):8.3f}")


if __name__ == "__main__":
    main()
