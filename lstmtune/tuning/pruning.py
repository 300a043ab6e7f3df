"""Stopping hopeless trials early (pruning) for the Bayesian and random tuners.

After each epoch a trial's best validation objective so far is compared with the finished trials' at the
same epoch, read from their per-epoch histories in the run directory (so a parallel search's workers see
each other's trials):

- `median`: stop when it is worse than the median of the completed trials' best-so-far at this epoch (a
  completed trial that stopped earlier counts with its final best), as Optuna's MedianPruner does;
- `halving`: asynchronous successive halving (ASHA): at the rungs warm-up x 3^k epochs, continue only
  when it is in the best third of the trials that reached that rung (completed trials that stopped
  earlier count with their final best).

Neither acts before `warmup_trials` trials have completed, nor before epoch `warmup_epochs`.
A pruned trial keeps the weights of its best epoch and its score; the tuner learns from it as from
any trial, but it is never the best trial nor in an ensemble.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.core.status import TrialStatus
from lstmtune.run.layout import RunDir
from lstmtune.space.settings import SearchSettings

HALVING_FACTOR = 3  # successive halving keeps the best 1/3 at each rung
PEER_STATUSES = (TrialStatus.COMPLETED.value, TrialStatus.PRUNED.value)


@dataclass(frozen=True)
class PruneRule:
    rule: str  # off | median | halving (lstmtune.space.settings.PRUNE_RULES)
    warmup_trials: int
    warmup_epochs: int

    @property
    def active(self) -> bool:
        return self.rule != "off"

    @classmethod
    def of(cls, search: SearchSettings) -> PruneRule:
        return cls(search.pruning, search.prune_warmup_trials, search.prune_warmup_epochs)


class Pruner:
    """Decides, from the run directory's finished trials, whether a running trial should stop."""

    def __init__(self, run_dir: RunDir, objective: Objective, rule: PruneRule):
        self.run_dir = run_dir
        self.objective = objective
        self.rule = rule
        self._finished: dict[str, tuple[str, np.ndarray]] = {}  # trial id -> (status, best-so-far curve)
        self._failed: set[str] = set()  # finished but no evidence: never read again
        self.running: dict[str, list[float]] = {}  # this process's trials: the objective per epoch so far

    def begin(self, trial_id: str) -> None:
        self.running[trial_id] = []

    def observe(self, trial_id: str, logs: dict[str, Any]) -> str | None:
        """Record a running trial's epoch; why it should stop now, or None."""
        value = logs.get(self.objective.name)
        curve = self.running.setdefault(trial_id, [])
        curve.append(float(value) if value is not None else float("nan"))
        return self.verdict(trial_id, curve)

    def end(self, trial_id: str) -> None:
        self.running.pop(trial_id, None)

    def best_so_far(self, values: np.ndarray) -> np.ndarray:
        """The running best of a curve (non-finite epochs do not count)."""
        worst = -np.inf if self.objective.maximised else np.inf
        clean = np.where(np.isfinite(values), values, worst)
        return np.maximum.accumulate(clean) if self.objective.maximised else np.minimum.accumulate(clean)

    def peers(self) -> dict[str, tuple[str, np.ndarray]]:
        """Finished trials (completed or pruned) and their best-so-far curves; finished ones never change,
        so each is read once."""
        history = self.run_dir.history
        for path in history.glob("trial_*.json") if history.is_dir() else []:
            trial_id = path.stem.removeprefix("trial_")
            if trial_id in self._finished or trial_id in self._failed:
                continue
            try:
                status = json.loads(path.read_text(encoding="utf-8")).get("status")
                if status == TrialStatus.FAILED.value:
                    self._failed.add(trial_id)
                if status not in PEER_STATUSES:
                    continue
                curve = pd.read_csv(self.run_dir.trial_history(trial_id))[self.objective.name].to_numpy(float)
            except (OSError, ValueError, KeyError, AttributeError, pd.errors.EmptyDataError):
                continue  # a damaged record or history is no evidence either way
            if len(curve):
                self._finished[trial_id] = (status, self.best_so_far(curve))
        return self._finished

    def verdict(self, trial_id: str, curve: list[float]) -> str | None:
        """Why the trial whose objective per epoch so far is `curve` should stop now, or None."""
        epoch = len(curve)
        if not self.rule.active or epoch < self.rule.warmup_epochs:
            return None
        peers = {tid: peer for tid, peer in self.peers().items() if tid != trial_id}
        completed = [best for status, best in peers.values() if status == TrialStatus.COMPLETED.value]
        if len(completed) < self.rule.warmup_trials:
            return None
        mine = self.best_so_far(np.asarray(curve, dtype=float))[-1]
        if not np.isfinite(mine):
            return None  # a non-finite objective fails the trial on its own
        if self.rule.rule == "median":
            return self._median(mine, epoch, completed)
        return self._halving(mine, epoch, peers)

    def _median(self, mine: float, epoch: int, completed: list[np.ndarray]) -> str | None:
        at_epoch = [best[min(epoch, len(best)) - 1] for best in completed]
        median = float(np.median(at_epoch))
        if self.objective.better(median, mine):
            return (
                f"pruned at epoch {epoch}: best {self.objective.name} {mine:.4g} was worse than the median "
                f"{median:.4g} of {len(at_epoch)} completed trials at that epoch"
            )
        return None

    def _halving(self, mine: float, epoch: int, peers: dict[str, tuple[str, np.ndarray]]) -> str | None:
        if not _is_rung(epoch, self.rule.warmup_epochs):
            return None
        at_rung = [
            best[min(epoch, len(best)) - 1]
            for status, best in peers.values()
            if len(best) >= epoch or status == TrialStatus.COMPLETED.value
        ]
        ranked = sorted([*at_rung, mine], reverse=self.objective.maximised)
        keep = max(1, len(ranked) // HALVING_FACTOR)
        cutoff = ranked[keep - 1]
        if self.objective.better(cutoff, mine):
            return (
                f"pruned at epoch {epoch}: best {self.objective.name} {mine:.4g} was not in the best "
                f"1/{HALVING_FACTOR} of {len(ranked)} trials at that rung (cut-off {cutoff:.4g})"
            )
        return None


def _is_rung(epoch: int, first: int) -> bool:
    """Successive halving's rungs: first, first x 3, first x 9, ... epochs."""
    if epoch < first:
        return False
    ratio = epoch / max(1, first)
    k = round(math.log(ratio, HALVING_FACTOR)) if ratio > 0 else 0
    return max(1, first) * HALVING_FACTOR**k == epoch
