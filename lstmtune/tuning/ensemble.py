"""The ensemble of a search (--ensemble K): members chosen from the top K trials by greedy forward
selection on validation (Caruana et al. 2004, without replacement): start from the best trial, add the
candidate whose models' mean output scores best, stop when no candidate improves the validation figure.
The mean output (class probabilities, or scaled forecasts) is scored on validation and test beside the
best single model and saved for `predict --ensemble`. Test data plays no part in the choice; trials that
learned little do not dilute the mean, and when no addition helps the ensemble is the best model alone.

The members' raw outputs are averaged before they are decoded, so candidates are the top trials that
encode their targets as the best trial does (the same transform and scalers: all of a run's trials, unless
it searches the transform).
"""

from __future__ import annotations

import os
from collections.abc import Callable
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
    """The ensemble chosen from the first plan.search.ensemble trials of `ranked` (completed, best first),
    saved in RUN_DIR/ensemble; None without --ensemble or with fewer than two completed trials."""
    if min(plan.search.ensemble, len(ranked)) < 2:
        return None
    # Raw outputs are averaged before they are decoded: candidates decode as the best trial does.
    encodings = {trial_id: plan.data.output_encoding(_values(plan, tuner, trial_id)) for trial_id in ranked}
    candidates = [trial_id for trial_id in ranked if encodings[trial_id] == encodings[ranked[0]]][
        : plan.search.ensemble
    ]
    if len(candidates) < 2:
        return {
            "members": candidates,
            "failed": f"no other completed trial encodes its targets as the best does ({encodings[ranked[0]]})",
        }
    models, outputs = [], {"val": [], "test": []}
    for trial_id in candidates:
        model = tuner.load_model(tuner.oracle.get_trial(trial_id))
        values = _values(plan, tuner, trial_id)
        for split in outputs:
            outputs[split].append(predict_outputs(model, side, split, values))
        models.append(model)
    if any(len({o.shape for o in outputs[split]}) > 1 for split in outputs):
        return {"members": candidates, "failed": "the members' outputs are not of one shape"}
    values = _values(plan, tuner, candidates[0])
    figure, maximised = selection_figure(plan, plan.data.evaluate("val", outputs["val"][0], values))

    def score(chosen: list[int]) -> float:
        mean = np.mean([outputs["val"][i] for i in chosen], axis=0)
        return float(plan.data.evaluate("val", mean, values)[figure])

    chosen = greedy_selection(len(candidates), score, maximised)
    members = [candidates[i] for i in chosen]
    mean = {split: np.mean([found[i] for i in chosen], axis=0) for split, found in outputs.items()}
    # Validation first: the chosen mean's own validation scores (not the last combination tried) set the
    # test threshold, and the saved state predict places new scores among.
    result = {
        "members": members,
        "candidates": candidates,
        "selected_on": f"val {figure}",
        **{split: plan.data.evaluate(split, mean[split], values) for split in ("val", "test")},
    }
    result["predictions"] = plan.data.predictions("test", mean["test"], values)["prediction"].tolist()
    _save(plan, tuner, members, [models[i] for i in chosen], values)
    return result


def _values(plan: SearchPlan, tuner: keras_tuner.Tuner, trial_id: str) -> dict[str, Any]:
    return plan.space.typed(tuner.oracle.get_trial(trial_id).hyperparameters.values)


def selection_figure(plan: SearchPlan, figures: dict[str, Any]) -> tuple[str, bool]:
    """(figure, maximised): the search's own objective where the evaluation has it in its own units
    (accuracy, macro_f1, cross_entropy), else RMSE in original units (forecasts rank on scaled MSE)."""
    name = plan.data.objective.name.removeprefix("val_")
    if name in figures:
        return name, plan.data.objective.maximised
    return "rmse", False


def greedy_selection(count: int, score: Callable[[list[int]], float], maximised: bool) -> list[int]:
    """Indices into the candidates (0 is the best trial, always kept), added one at a time while the
    score of their mean improves."""
    chosen, best = [0], score([0])
    while len(chosen) < count:
        tried = [(score([*chosen, i]), i) for i in range(count) if i not in chosen]
        value, index = max(tried) if maximised else min(tried)
        if not (value > best if maximised else value < best):
            break
        chosen.append(index)
        best = value
    return chosen


def _save(
    plan: SearchPlan, tuner: keras_tuner.Tuner, members: list[str], models: list[Any], first: dict[str, Any]
) -> None:
    """The members' models and RUN_DIR/ensemble/members.json (what `predict --ensemble` reads). `first` is
    the first member's values as the ensemble was evaluated with them: its state carries what the data
    keeps of the ensemble's validation outputs (an autoencoder's scores and step weights), which predict
    decodes the mean with."""
    folder = plan.run_dir.ensemble
    folder.mkdir(parents=True, exist_ok=True)
    states = []
    for trial_id, model in zip(members, models):
        path = folder / f"trial_{trial_id}.keras"
        model.optimizer.build(model.trainable_variables)
        model.save(folder / ".member.tmp.keras")
        os.replace(folder / ".member.tmp.keras", path)
        values = first if trial_id == members[0] else _values(plan, tuner, trial_id)
        states.append({"trial_id": trial_id, "model": path.name, "preprocessing": plan.data.state(values)})
    for stale in folder.glob("trial_*.keras"):  # a resumed run may have chosen other members before
        if stale.name not in {state["model"] for state in states}:
            stale.unlink()
    write_json(folder / ENSEMBLE_MEMBERS, {"task": plan.task.name, "members": states})


def with_ensemble(frame: pd.DataFrame, ensemble: dict[str, Any] | None) -> pd.DataFrame:
    """predictions.csv with the ensemble's test prediction beside the best model's."""
    if ensemble and len(ensemble.get("predictions") or []) == len(frame):
        frame["ensemble"] = ensemble["predictions"]
    return frame
