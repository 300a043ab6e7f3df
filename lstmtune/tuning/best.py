"""The best trial at a search's end: evaluated once on validation and test, its model saved, best.yaml
(the space with its values fixed) and predictions.csv written (the ensemble's too, with --ensemble)."""

from __future__ import annotations

import os
import shlex
from typing import Any

import keras
import keras_tuner
import pandas as pd

from lstmtune.core.names import DEFAULT_TASK
from lstmtune.core.status import TrialStatus
from lstmtune.core.text import plain
from lstmtune.plan import SearchPlan, flag
from lstmtune.run.atomic import json_digest, read_json, write_json, write_text
from lstmtune.tuning.ensemble import evaluate_ensemble, with_ensemble
from lstmtune.tuning.hypermodel import predict_outputs
from lstmtune.tuning.recorder import TrialRecorder


def save_best(
    plan: SearchPlan, side: Any, tuner: keras_tuner.Tuner, manifest: dict[str, Any], recorder: TrialRecorder
) -> None:
    """Evaluate the best completed trial once on validation and test, save its model and best.yaml; with
    --ensemble K, the mean of the top K trials' models too."""
    table = recorder.table()
    completed = table[table["status"] == TrialStatus.COMPLETED.value]
    if completed.empty:
        return
    ranked = [str(trial_id) for trial_id in completed["trial_id"]]
    manifest["best"], predictions = evaluate_best(plan, side, tuner, ranked[0])
    ensemble = evaluate_ensemble(plan, side, tuner, ranked)
    if ensemble is not None:
        predictions = with_ensemble(predictions, ensemble)
        manifest["best"]["ensemble"] = {key: value for key, value in ensemble.items() if key != "predictions"}
    write_text(plan.run_dir.predictions, predictions.to_csv(index=False))
    write_text(plan.run_dir.best_space, best_space_yaml(plan, manifest["best"]["values"], manifest["best"]["trial_id"]))


def evaluate_best(
    plan: SearchPlan, side: Any, tuner: keras_tuner.Tuner, trial_id: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Reload the best trial's weights, score it on validation and (once) on test, save it; its figures
    and its test predictions."""
    trial = tuner.oracle.get_trial(trial_id)
    model = tuner.load_model(trial)
    values = plan.space.typed(trial.hyperparameters.values)
    result: dict[str, Any] = {"trial_id": trial_id, "values": values}
    outputs = {}
    for split in ("train", "val", "test"):  # validation before test: test's threshold comes from it
        outputs[split] = predict_outputs(model, side, split, values)
        result[split] = plan.data.evaluate(split, outputs[split], values)
    result["preprocessing_sha256"] = save_model(plan, model, values)
    examples = {split: plan.data.examples(split, outputs[split]) for split in ("val", "test")}
    if all(frame is not None for frame in examples.values()):
        frames = [frame.assign(split=split)[["split", *frame.columns]] for split, frame in examples.items()]
        write_text(plan.run_dir.reconstructions, pd.concat(frames, ignore_index=True).to_csv(index=False))
    steps = plan.data.series_scores("test", outputs["test"])
    if steps is not None:
        write_text(plan.run_dir.step_scores, steps.to_csv(index=False))
    return result, plan.data.predictions("test", outputs["test"], values)


def save_model(plan: SearchPlan, model: keras.Model, values: dict[str, Any]) -> str:
    """best_model.keras and preprocessing.json; returns the digest of preprocessing.json's contents, which
    predict compares with the file it reads."""
    run_dir = plan.run_dir
    temporary = run_dir.root / ".best_model.tmp.keras"
    # A model rebuilt from a checkpoint has no optimizer slots yet; build them so the saved file loads
    # without Keras warning about mismatched optimizer variables.
    model.optimizer.build(model.trainable_variables)
    try:
        model.save(temporary)
        os.replace(temporary, run_dir.best_model)
    finally:
        temporary.unlink(missing_ok=True)
    write_json(run_dir.preprocessing, {"task": plan.task.name, **plan.data.state(values)})
    return json_digest(read_json(run_dir.preprocessing))


def best_space_yaml(plan: SearchPlan, values: dict[str, Any], best_id: str | None = None) -> str:
    """A space file with the best values fixed: searching with it (one trial) reproduces the best."""
    fixed = plan.space.with_fixed({k: plain(v) for k, v in values.items()}, max_trials=1, tuner="random")
    command = shlex.join(
        [
            "lstmtune",
            "search",
            str(plan.request.data_path),
            *_data_flags(plan),
            "--space",
            str(plan.run_dir.best_space),
            "--out",
            "NEW_RUN_DIR",
        ]
    )
    header = "# The best configuration found, every hyperparameter fixed. Reproduce it (same score) with:\n"
    if plan.search.tuner == "hyperband":
        header = (
            "# The best configuration found, every hyperparameter fixed. Hyperband trained it from another\n"
            "# trial's weights for part of its epochs, so a search with this file can score differently:\n"
        )
    header += f"#   {command}\n"
    best_record = read_json(plan.run_dir.trial_record(str(best_id))) if best_id is not None else {}
    if "time budget" in str(best_record.get("note", "")):
        header += "# The time budget cut this trial short; searching with this file trains it longer and can score differently.\n"
    return header + fixed.to_yaml()


def _data_flags(plan: SearchPlan) -> list[str]:
    """The command-line flags that read the run's data as it did: task, columns and data options."""
    request = plan.request
    flags = ["--task", plan.task.name] if plan.task.name != DEFAULT_TASK else []
    for key, value in {**request.columns, **request.options}.items():
        if value is None or value is False:
            continue
        if value is True:
            flags.append(flag(key))
        elif key == "target" and not isinstance(value, str):
            flags += [part for t in value for part in ("--target", t)]
        else:
            flags += [flag(key), ",".join(value) if isinstance(value, (tuple, list)) else str(value)]
    return flags
