"""--executions N: each trial trained N times, each time from another seed, and ranked on the mean.

The first execution is the trial as without the flag: its seed is the search's, its per-epoch history,
curves, diagnoses, pruning and saved model are the trial's (so best.yaml reproduces it). The others
start from seed + 1, seed + 2 ... and only add their figures. The trial's figures are the means over its
executions, with the objective's sample standard deviation as `score_sd`; epoch counts (best epoch,
epochs run) stay the first execution's, which `refit` trains for. Each finished execution is written to
history/executions_<id>.json at once, so a trial run again after a kill skips the executions it finished.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from lstmtune.run.atomic import read_json, write_json

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


def combined(runs: list[dict[str, float]], objective: str) -> dict[str, float]:
    """The trial's figures: each the mean over executions of its finite values, epoch counts the first
    execution's; `score_sd` the spread of the objective and `executions` how many were run."""
    out = dict(runs[0])
    for key in runs[0]:
        if key in FIRST_ONLY:
            continue
        values = [float(r[key]) for r in runs if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
        if values:
            out[key] = float(np.mean(values))
    scores = [float(r[objective]) for r in runs]
    out["score_sd"] = float(np.std(scores, ddof=1)) if len(scores) > 1 else float("nan")
    out["executions"] = float(len(runs))
    return out
