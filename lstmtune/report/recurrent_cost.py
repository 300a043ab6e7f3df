"""What recurrent dropout cost a run: its completed trials with recurrent_dropout > 0 against those without,
in median seconds per epoch. On a GPU those trials could not use cuDNN's fused LSTM kernel; on a CPU, too,
Keras' LSTM cell then multiplies each gate's inputs and state separately at every step (its
`implementation=1`) rather than in one product, which costs time."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lstmtune.core.text import listed, number
from lstmtune.run.layout import RunDir, sort_key
from lstmtune.run.manifest import Manifest
from lstmtune.run.records import learning_curve

# From this slowdown of the trials with recurrent dropout on, the report suggests --gpu-fast.
SLOW_RATIO = 1.5


@dataclass
class RecurrentDropoutCost:
    """Completed trials with recurrent_dropout > 0 (`blocked`: off cuDNN on a GPU) and without, and the
    median seconds per epoch (trial seconds / epochs run) of each group."""

    device: str  # "gpu" or "cpu": where the run trained
    blocked: list[str]  # trial ids with recurrent_dropout > 0
    eligible: list[str]  # trial ids with recurrent_dropout == 0
    blocked_epoch_seconds: float | None  # medians over the trials of each group with a time and epochs
    eligible_epoch_seconds: float | None
    blocked_timed: int = 0  # how many trials each median is over
    eligible_timed: int = 0
    best_dropout: float | None = None  # the best completed trial's recurrent_dropout

    @property
    def on_gpu(self) -> bool:
        return self.device == "gpu"

    @property
    def ratio(self) -> float | None:
        """How many times slower per epoch the trials with recurrent dropout were (None when a group has no time)."""
        if self.blocked_epoch_seconds is None or not self.eligible_epoch_seconds:
            return None
        return self.blocked_epoch_seconds / self.eligible_epoch_seconds

    @property
    def suggest_gpu_fast(self) -> bool:
        """On a GPU, whenever trials were kept off cuDNN and not measured cheap; on a CPU only when measured slow."""
        ratio = self.ratio
        if not self.on_gpu:
            return ratio is not None and ratio >= SLOW_RATIO
        return bool(self.blocked) and (ratio is None or ratio >= SLOW_RATIO)

    @property
    def title(self) -> str:
        return "GPU: cuDNN" if self.on_gpu else "CPU: recurrent dropout"

    def lines(self) -> list[str]:
        """What the reports say: nothing when no trial used recurrent dropout, nor on a CPU without a time
        to compare with."""
        ratio = self.ratio
        if not self.blocked or (not self.on_gpu and ratio is None):
            return []
        total = len(self.blocked) + len(self.eligible)
        if self.on_gpu:
            first = f"{len(self.blocked)} of {total} completed trials could not use cuDNN's fused LSTM kernel "
            why = ""
            others = f"the {self.eligible_timed} cuDNN-eligible trials"
        else:
            first = f"{len(self.blocked)} of {total} completed trials used recurrent dropout "
            why = " With it, Keras computes each LSTM gate separately at every step."
            others = f"the {self.eligible_timed} trials without it"
        lines = [first + f"(recurrent_dropout > 0): {listed(self.blocked)}.{why}"]
        if ratio is not None:
            lines.append(
                f"Median seconds per epoch: {self.blocked_epoch_seconds:.3g} s for them ({self.blocked_timed} "
                f"trials) vs {self.eligible_epoch_seconds:.3g} s for {others}: {ratio:.1f}x the time per epoch "
                "(units, layers and batch size differ between trials too)."
            )
        elif not self.eligible:
            lines.append("No trial used cuDNN, so the slowdown cannot be measured in this run.")
        if self.best_dropout is not None:
            lines.append(
                f"The best trial used recurrent_dropout {self.best_dropout:.3g}."
                if self.best_dropout > 0
                else "The best trial did without recurrent dropout."
            )
        if self.suggest_gpu_fast:
            where = "" if self.on_gpu else ", which trains faster on a CPU too"
            weigh = " and weigh the time saved against the best trial's use of it" if self.best_dropout else ""
            lines.append(
                f"Search with --gpu-fast to keep recurrent_dropout at 0{where} (dropout and the L1/L2 penalties "
                f"still regularise){weigh}."
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "device": self.device,
            "not_eligible": list(self.blocked),
            "eligible": len(self.eligible),
            "median_epoch_seconds": {
                "not_eligible": self.blocked_epoch_seconds,
                "eligible": self.eligible_epoch_seconds,
            },
            "timed_trials": {"not_eligible": self.blocked_timed, "eligible": self.eligible_timed},
            "ratio": round(ratio, 3) if ratio is not None else None,
            "best_trial_recurrent_dropout": self.best_dropout,
            "suggest_gpu_fast": self.suggest_gpu_fast,
        }


def recurrent_dropout_cost(run_dir: RunDir, manifest: Manifest, table: pd.DataFrame) -> RecurrentDropoutCost | None:
    """The check of a run (None when no completed trial's recurrent_dropout is known)."""
    device = manifest.get("device")
    if not isinstance(device, dict) or table.empty:
        return None
    space = (manifest.get("hyperparameters") or {}).get("space") or {}
    fixed = number(space.get("recurrent_dropout")) if isinstance(space, dict) else None
    groups: dict[bool, list[str]] = {True: [], False: []}
    per_epoch: dict[bool, list[float]] = {True: [], False: []}
    completed = table[table["status"] == "completed"]
    if "rank" in completed.columns:
        completed = completed.sort_values("rank", kind="stable")
    best_dropout: float | None = None
    for position, row in enumerate(completed.to_dict("records")):
        value = number(row.get("recurrent_dropout"))
        value = fixed if value is None else value
        if value is None:
            continue
        if position == 0:  # the best completed trial
            best_dropout = value
        blocked = value > 0
        trial_id = str(row["trial_id"])
        groups[blocked].append(trial_id)
        seconds, epochs = number(row.get("seconds")), number(row.get("epochs_run"))
        if epochs is None:  # older records: the per-epoch history says how many epochs ran
            epochs = float(len(learning_curve(run_dir, trial_id))) or None
        if seconds is not None and epochs:
            per_epoch[blocked].append(seconds / epochs)
    if not groups[True] and not groups[False]:
        return None

    def median(values: list[float]) -> float | None:
        return float(statistics.median(values)) if values else None

    return RecurrentDropoutCost(
        "gpu" if device.get("kind") == "gpu" else "cpu",
        sorted(groups[True], key=sort_key),
        sorted(groups[False], key=sort_key),
        median(per_epoch[True]),
        median(per_epoch[False]),
        len(per_epoch[True]),
        len(per_epoch[False]),
        best_dropout,
    )
