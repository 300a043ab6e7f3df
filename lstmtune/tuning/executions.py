"""--folds K and --executions N: each trial fitted on K folds, N times each from seeds S, S+1 ...,
and ranked on the mean.

The first fit is the trial as without the flags: the last fold (the validation split itself) from the
search's seed S; its per-epoch history, curves, diagnoses, pruning and saved model are the trial's (so
best.yaml reproduces it). The other fits only add their figures: the last fold's other executions, then
folds 1 .. K-1 with the same seeds (so folds are compared like with like). The trial's figures are the
means over its folds of each fold's mean over executions, with `score_sd` the objective's sample
standard deviation over folds (over executions without folds); epoch counts (best epoch, epochs run)
stay the first fit's, which `refit` trains for. Once --time-budget stops a fit no other fit starts, and
the trial's figures are those of the fits it has. Each finished fit is written to
history/executions_<id>.json at once, so a trial run again after a kill skips the fits it finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.records import fit_means

# The first execution's, not averaged: epoch numbers, and what stopped its training.
FIRST_ONLY = ("best_epoch", "epochs_run", "diverged_epoch", "pruned_epoch", "budget_stopped_epoch")


def finished(path: Path | None) -> list[dict[str, Any]]:
    """The executions a trial finished before (none when the file is missing or damaged)."""
    if path is None:
        return []
    try:
        document = read_json(path)
    except (OSError, ValueError):
        return []
    runs = document.get("executions") if isinstance(document, dict) else None
    if not isinstance(runs, list) or not all(isinstance(r, dict) and isinstance(r.get("metrics"), dict) for r in runs):
        return []
    return runs


def save(path: Path | None, runs: list[dict[str, Any]]) -> None:
    if path is not None:
        write_json(path, {"executions": runs})


def schedule(folds: int, executions: int) -> list[tuple[int, int]]:
    """The (fold, execution) of each fit of a trial, in the order they run (both 1-based)."""
    order = [folds, *range(1, folds)]
    return [(fold, number) for fold in order for number in range(1, executions + 1)]


def combined(runs: list[dict[str, Any]], objective: str) -> dict[str, float]:
    """The trial's figures from its fits: each the mean over folds of each fold's mean over executions
    (finite values only), epoch counts the first fit's; `score_sd` the objective's spread over folds (over
    executions when there is one fold), `executions` and `folds` how many there were."""
    first = runs[0]["metrics"]
    out = dict(first)
    # A fit the time budget stopped (the last one run) says so in the trial's note.
    out["budget_stopped_epoch"] = float(runs[-1]["metrics"].get("budget_stopped_epoch") or 0.0)
    for key in first:
        means = fit_means(runs, "fold", key)
        if key not in FIRST_ONLY and means:
            out[key] = float(np.mean(list(means.values())))
    folds = {int(run.get("fold", 1)) for run in runs}
    if len(folds) > 1:
        spread = list(fit_means(runs, "fold", objective).values())
    else:  # one fold: the spread of its fits
        spread = [float(v) for v in (run["metrics"].get(objective) for run in runs) if v is not None and np.isfinite(v)]
    out["score_sd"] = float(np.std(spread, ddof=1)) if len(spread) > 1 else float("nan")
    out["executions"] = float(max(sum(1 for run in runs if int(run.get("fold", 1)) == fold) for fold in folds))
    out["folds"] = float(len(folds))
    return out
