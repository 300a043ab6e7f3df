"""A final model: the best trial's configuration trained again on training + validation data.

The search chose the configuration and its number of epochs on validation; with no data left to stop
on, the refit trains for exactly the epochs the best trial's early stopping chose (with --folds or
--executions, the median of its fits' best epochs, each fold's early stopping having chosen on its own
validation block; each epoch now
holds more batches, so more gradient steps), at the learning rate the best trial had in each epoch
(read from its history: a schedule that watched validation cannot watch it here). The run's preprocessing (scalers, vocabulary, transform)
was fitted on the training rows and is kept as it is, so the refit model reads inputs exactly as the
best model does. Test data is used once, to score the refit model beside the best one.

RUN_DIR/refit/model.keras, preprocessing.json and refit.json (what was trained and its test figures)
are written; nothing else in the run directory changes.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lstmtune.errors import RunDirError
from lstmtune.plan import SearchPlan, SearchRequest, plan_search
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import json_digest, read_json, write_json
from lstmtune.run.layout import REFIT_FILE, RunDir
from lstmtune.run.lock import RunLock
from lstmtune.run.table import best_trial
from lstmtune.tuning.ensemble import selection_figure
from lstmtune.tuning.hypermodel import predict_outputs
from lstmtune.tuning.model import (
    LearningRateLogger,
    ReplayedLearningRates,
    StopOnDivergence,
    build_for_training,
    build_model,
    learning_rate_callbacks,
)


def refit_plan(run_dir: RunDir, data_path: Path | None = None) -> tuple[SearchPlan, dict[str, Any], int]:
    """The run's data read again as the search read it, its best values and the epochs they chose.
    Refused (RunDirError) before any training when the run has no completed trial or the data changed."""
    manifest = run_manifest.load(run_dir)
    trial_id, values = best_trial(run_dir, manifest)
    if not run_dir.trial_record(trial_id).is_file():
        raise RunDirError(
            f"{run_dir.trial_record(trial_id)}: the best trial's record is missing; it holds the epochs its "
            "configuration trained for, which refit needs"
        )
    record = read_json_or_empty(run_dir.trial_record(trial_id))
    epochs = chosen_epochs(record)
    if epochs is None:
        raise RunDirError(
            f"{run_dir.trial_record(trial_id)}: the best trial's record holds no best_epoch; "
            "it is needed to know how long to train"
        )
    data = manifest.data
    path = Path(data_path) if data_path is not None else Path(str(data.get("path")))
    if not path.is_file():
        raise RunDirError(
            f"{run_dir.root}: the run's data file {path} is not there; pass --data with the same file where it is now"
        )
    if not run_dir.space.is_file():
        raise RunDirError(f"{run_dir.space}: missing; the run's space is needed to read its data again")
    request = SearchRequest(
        data_path=path,
        space_path=run_dir.space,
        task=manifest.task,
        columns=dict(data.get("columns") or {}),
        options=dict(data.get("options") or {}),
        search_flags={"reference": "off", "folds": 1},  # the refit trains on train + validation, no folds
        mixed_precision=bool((manifest.get("search") or {}).get("mixed_precision")),
    )
    plan = plan_search(request)
    if data.get("sha256") and plan.data_sha256 != data["sha256"]:
        raise RunDirError(
            f"{run_dir.root}: {path} is not the data the run was searched on (contents differ); refit needs the same file"
        )
    return plan, plan.space.typed(values), epochs


def chosen_epochs(record: dict[str, Any]) -> int | None:
    """The epochs a trial's early stopping chose: the median of its fits' best epochs when it has several
    (folds, executions: rounded half up), else its best epoch; None when the record holds none."""

    def valid(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value >= 1

    fits = [
        (fit.get("metrics") or {}).get("best_epoch") for fit in record.get("executions") or [] if isinstance(fit, dict)
    ]
    fits = [float(value) for value in fits if valid(value)]
    if len(fits) > 1:
        return int(np.floor(np.median(fits) + 0.5))
    single = (record.get("metrics") or {}).get("best_epoch")
    return int(single) if valid(single) else None


def read_json_or_empty(path: Path) -> dict[str, Any]:
    try:
        document = read_json(path)
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def refit(run_dir: str | Path, data_path: Path | None = None, seed: int | None = None) -> dict[str, Any]:
    """Train the best configuration on training + validation, score it once on test, save it under
    RUN_DIR/refit; return what refit.json holds."""
    run = RunDir(run_dir)
    plan, values, epochs = refit_plan(run, data_path)
    seed = plan.search.seed if seed is None else seed
    lock = RunLock(run).acquire()  # a search must not rewrite the run while its best is refitted
    try:
        started = time.monotonic()
        keras.utils.set_random_seed(seed)
        side = plan.task.keras_side(plan.data)
        # predict checks the task by the model's name
        model = build_model(side, values, f"lstmtune_{plan.task.name}", plan.request.mixed_precision)
        stop = StopOnDivergence()
        dataset = train_and_validation(side, values, seed)
        build_for_training(model, dataset)
        history = model.fit(
            dataset,
            epochs=epochs,
            callbacks=[LearningRateLogger(), *learning_rates(run, plan, values), stop],
            verbose=0,
            shuffle=False,  # the dataset shuffles
            **side.fit_options(values),
        )
        losses = [float(loss) for loss in history.history.get("loss", [])]
        outputs = predict_outputs(model, side, "test", values)
        if len(losses) < epochs or not np.isfinite(outputs).all():
            raise RunDirError(
                f"{run.root}: the refit diverged (training loss {losses[-1] if losses else float('nan'):.3g} at "
                f"epoch {len(losses)}); the best model stays the one to use"
            )
        figures = plan.data.evaluate("test", outputs, values)
        manifest = run_manifest.load(run)
        trial_id, _ = best_trial(run, manifest)
        result = {
            "trial_id": trial_id,
            "run_status": manifest.status,  # a refit of an unfinished run's best trial so far
            "epochs": epochs,
            "seed": seed,
            "trained_on": ["train", "val"],
            "examples": {split: count_items(side, split, values) for split in ("train", "val")},
            "final_loss": losses[-1],
            "learning_rates": [float(rate) for rate in history.history.get("learning_rate", [])],
            "figure": selection_figure(plan, figures)[0],  # the objective's own figure where test has it
            "test": figures,
            "best_test": (manifest.best or {}).get("test"),
            "seconds": round(time.monotonic() - started, 2),
        }
        save(run, plan, model, values, result)
        return result
    finally:
        lock.release()


def learning_rates(run: RunDir, plan: SearchPlan, values: dict[str, Any]) -> list:
    """The callbacks that give the refit the best trial's learning rate epoch by epoch: replayed from its
    history, or (no history) its schedule again where that needs no validation data."""
    if values.get("lr_schedule", "constant") == "constant":
        return []
    trial_id, _ = best_trial(run, run_manifest.load(run))
    try:
        with open(run.trial_history(trial_id), newline="", encoding="utf-8") as handle:
            rates = [float(row["learning_rate"]) for row in csv.DictReader(handle)]
    except (OSError, KeyError, ValueError, TypeError):
        rates = []
    if rates and all(np.isfinite(rates)):
        return [ReplayedLearningRates(rates)]
    if values["lr_schedule"] == "plateau":  # it watched validation, which the refit trains on
        return []
    return learning_rate_callbacks(values, plan.search.epochs, "loss", "min", plan.search.patience)


def train_and_validation(side: Any, values: dict[str, Any], seed: int) -> tf.data.Dataset:
    """Shuffled batches of the training and the validation items, interleaved at random in proportion
    to their numbers of batches (each split is batched as the search batched it)."""
    batch = int(values["batch_size"])
    train = side.dataset("train", values, batch, shuffle=True, seed=seed)
    val = side.dataset("val", values, batch, shuffle=True, seed=seed + 1)
    counts = [int(train.cardinality()), int(val.cardinality())]
    if min(counts) < 1:  # a length tf.data cannot tell: the splits one after the other
        return train.concatenate(val)
    mixed = tf.data.Dataset.sample_from_datasets(
        [train, val], weights=[float(c) for c in counts], seed=seed, stop_on_empty_dataset=False
    )
    # Its length is unknown to tf.data; Keras needs it to end each epoch without a warning.
    return mixed.apply(tf.data.experimental.assert_cardinality(sum(counts)))


def count_items(side: Any, split: str, values: dict[str, Any]) -> int:
    """Training items (windows, texts or sequences) of a split."""
    batches = side.dataset(split, values, 1024, with_targets=False)
    return sum(int(next(iter(b.values())).shape[0] if isinstance(b, dict) else b.shape[0]) for b in batches)


def save(run: RunDir, plan: SearchPlan, model: keras.Model, values: dict[str, Any], result: dict[str, Any]) -> None:
    """RUN_DIR/refit: the model, the preprocessing it reads with (the run's), and refit.json last (a
    refit.json names a complete refit)."""
    folder = run.refit
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REFIT_FILE).unlink(missing_ok=True)  # a refit interrupted from here on is no refit
    temporary = folder / ".model.tmp.keras"
    try:
        model.save(temporary)
        os.replace(temporary, run.refit_model)
    finally:
        temporary.unlink(missing_ok=True)
    write_json(run.refit_preprocessing, {"task": plan.task.name, **plan.data.state(values)})
    digest = json_digest(read_json(run.refit_preprocessing))
    write_json(
        folder / REFIT_FILE, {"task": plan.task.name, "values": values, **result, "preprocessing_sha256": digest}
    )


def summary_lines(run_dir: str | Path, result: dict[str, Any]) -> list[str]:
    """What a person reads after a refit: what was trained, and its test figure beside the best model's."""
    examples = result.get("examples") or {}
    test, best = result.get("test") or {}, result.get("best_test") or {}
    figure = str(result.get("figure", "skill"))
    line = (
        f"refit trial {result['trial_id']} on train + validation ({examples.get('train')} + {examples.get('val')} "
        f"items, {result['epochs']} epochs, {result['seconds']:.1f} s): test {figure} {test.get(figure, float('nan')):.4g}"
    )
    if isinstance(best.get(figure), (int, float)):
        line += f" (the best model, trained on train only: {best[figure]:.4g})"
    return [line, f"predict with it: lstmtune predict {run_dir} DATA.csv --model refit"]
