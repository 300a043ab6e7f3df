"""Stopping a cross-validated trial whose folds so far are clearly worse than the best trial's (--folds K
with pruning on), like Optuna's WilcoxonPruner.

After each fold a trial finishes, its fold scores (each the mean over executions) are paired with the
best completed trial's on the same folds, and a one-sided Wilcoxon signed-rank test asks whether this
trial is worse; it stops when p < P_VALUE. With n pairs the smallest p the test can give is 1 / 2^n, so
at P_VALUE 0.1 a trial can stop after 4 folds at the earliest (p = 1/16, when it lost on all 4). The
best trial is read from the run directory's records, so workers see each other's.
Nothing is pruned before `warmup_trials` trials completed (the search's --prune-warmup-trials).
"""

from __future__ import annotations

import math
from typing import Any

from lstmtune.core.objective import Objective
from lstmtune.core.status import TrialStatus
from lstmtune.run.layout import RunDir
from lstmtune.run.records import fit_means, trial_records

P_VALUE = 0.1


class FoldPruner:
    def __init__(self, run_dir: RunDir, objective: Objective, warmup_trials: int, notes: dict[str, str]):
        self.run_dir = run_dir
        self.objective = objective
        self.warmup_trials = warmup_trials
        self.notes = notes  # trial id -> why it stopped (the recorder writes it into the record)

    def check(self, trial_id: str, runs: list[dict[str, Any]]) -> str | None:
        """Why the trial whose fits so far are `runs` should stop, or None."""
        completed = [
            r
            for r in trial_records(self.run_dir)
            if r.get("status") == TrialStatus.COMPLETED.value and str(r.get("trial_id")) != trial_id
        ]
        if len(completed) < self.warmup_trials:
            return None
        best = self._best(completed)
        if best is None:
            return None
        mine, theirs = (fit_means(fits, "fold", self.objective.name) for fits in (runs, best.get("executions")))
        shared = sorted(set(mine) & set(theirs))
        if len(shared) < 2:  # a paired test needs pairs
            return None
        sign = 1.0 if self.objective.direction == "min" else -1.0
        differences = [sign * (mine[f] - theirs[f]) for f in shared]
        p = worse_p_value(differences)
        if p >= P_VALUE:
            return None
        reason = (
            f"pruned after {len(shared)} folds: worse than trial {best['trial_id']} on the same folds "
            f"(one-sided Wilcoxon signed-rank p = {p:.3g} < {P_VALUE:g}); its score is the mean of those folds"
        )
        self.notes[trial_id] = reason
        return reason

    def _best(self, completed: list[dict[str, Any]]) -> dict[str, Any] | None:
        name = self.objective.name
        scored = [
            (float(r["metrics"][name]), r)
            for r in completed
            if isinstance((r.get("metrics") or {}).get(name), (int, float)) and math.isfinite(r["metrics"][name])
        ]
        if not scored:
            return None
        pick = min if self.objective.direction == "min" else max
        return pick(scored, key=lambda pair: pair[0])[1]


def worse_p_value(differences: list[float]) -> float:
    """The one-sided Wilcoxon signed-rank p-value that the differences (positive: worse) lie above 0; 1
    when there are fewer than 2 or all are 0."""
    nonzero = [d for d in differences if d != 0]
    if len(nonzero) < 2:
        return 1.0
    from scipy.stats import wilcoxon

    return float(wilcoxon(nonzero, alternative="greater").pvalue)
