"""The ensemble of a search (--ensemble K): the mean output of its top K trials' models (the mean of
their class probabilities, or of their scaled forecasts), scored on validation and test beside the best
single model and saved for `predict --ensemble`.

Every trial of a run encodes its targets the same way (the transform and scalers are the run's), so the
members' raw outputs can be averaged before they are decoded.
"""

from __future__ import annotations

import os
from typing import Any

import keras_tuner
import numpy as np
import pandas as pd

from lstmtune.plan import SearchPlan
from lstmtune.run.atomic import write_json
from lstmtune.run.layout import ENSEMBLE_MEMBERS
from lstmtune.tuning.hypermodel import predict_outputs


def evaluate_ensemble(
    plan: SearchPlan, side: Any, tuner: keras_tuner.Tuner, ranked: list[str]
) -> dict[str, Any] | None:
    """The ensemble of the first plan.search.ensemble trials of `ranked` (completed, best first), saved in
    RUN_DIR/ensemble; None without --ensemble or with fewer than two completed trials."""
    size = min(plan.search.ensemble, len(ranked))
    if size < 2:
        return None
    members = ranked[:size]
    folder = plan.run_dir.ensemble
    folder.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, list[np.ndarray]] = {"val": [], "test": []}
    states = []
    for trial_id in members:
        trial = tuner.oracle.get_trial(trial_id)
        model = tuner.load_model(trial)
        values = dict(trial.hyperparameters.values)
        for split in outputs:
            outputs[split].append(predict_outputs(model, side, split, values))
        path = folder / f"trial_{trial_id}.keras"
        model.optimizer.build(model.trainable_variables)
        model.save(folder / ".member.tmp.keras")
        os.replace(folder / ".member.tmp.keras", path)
        states.append({"trial_id": trial_id, "model": path.name, "preprocessing": plan.data.state(values)})
    if any(len({o.shape for o in outputs[split]}) > 1 for split in outputs):
        return {"members": members, "failed": "the members' outputs are not of one shape"}
    values = dict(tuner.oracle.get_trial(members[0]).hyperparameters.values)
    mean = {split: np.mean(np.stack(found), axis=0) for split, found in outputs.items()}
    write_json(folder / ENSEMBLE_MEMBERS, {"task": plan.task.name, "members": states})
    result = {"members": members, **{split: plan.data.evaluate(split, mean[split], values) for split in mean}}
    result["predictions"] = plan.data.predictions("test", mean["test"], values)["prediction"].tolist()
    return result


def with_ensemble(frame: pd.DataFrame, ensemble: dict[str, Any] | None) -> pd.DataFrame:
    """predictions.csv with the ensemble's test prediction beside the best model's."""
    if ensemble and len(ensemble.get("predictions") or []) == len(frame):
        frame["ensemble"] = ensemble["predictions"]
    return frame
