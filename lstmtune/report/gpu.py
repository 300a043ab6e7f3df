"""The cuDNN check of a GPU run: which trials could not use cuDNN's fused LSTM kernel, and what it cost."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lstmtune.core.text import listed, number
from lstmtune.run.layout import RunDir, sort_key
from lstmtune.run.manifest import Manifest
from lstmtune.run.records import learning_curve

# On a GPU, Keras runs an LSTM layer with cuDNN's fused kernel only when recurrent_dropout is 0 (lstmtune's
# layers meet the other conditions); from this slowdown of the other trials on, the report suggests --gpu-fast.
SLOW_RATIO = 1.5


@dataclass
class CudnnCheck:
    """Completed trials of a GPU run: those whose recurrent_dropout > 0 kept them off cuDNN, and the
    median seconds per epoch (trial seconds / epochs run) of each group."""

    blocked: list[str]  # trial ids with recurrent_dropout > 0
    eligible: list[str]  # trial ids with recurrent_dropout == 0
    blocked_epoch_seconds: float | None  # medians over the trials of each group with a time and epochs
    eligible_epoch_seconds: float | None
    blocked_timed: int = 0  # how many trials each median is over
    eligible_timed: int = 0

    @property
    def ratio(self) -> float | None:
        """How many times slower per epoch the trials off cuDNN were (None when a group has no time)."""
        if self.blocked_epoch_seconds is None or not self.eligible_epoch_seconds:
            return None
        return self.blocked_epoch_seconds / self.eligible_epoch_seconds

    @property
    def suggest_gpu_fast(self) -> bool:
        ratio = self.ratio
        return bool(self.blocked) and (ratio is None or ratio >= SLOW_RATIO)

    def lines(self) -> list[str]:
        """What the text and Markdown reports say; nothing when every trial could use cuDNN."""
        if not self.blocked:
            return []
        total = len(self.blocked) + len(self.eligible)
        lines = [
            f"{len(self.blocked)} of {total} completed trials could not use cuDNN's fused LSTM kernel "
            f"(recurrent_dropout > 0): {listed(self.blocked)}."
        ]
        ratio = self.ratio
        if ratio is not None:
            lines.append(
                f"Median seconds per epoch: {self.blocked_epoch_seconds:.3g} s for them ({self.blocked_timed} "
                f"trials) vs {self.eligible_epoch_seconds:.3g} s for the {self.eligible_timed} cuDNN-eligible "
                f"trials: {ratio:.1f}x the time per epoch (units, layers and batch size differ between trials too)."
            )
        elif not self.eligible:
            lines.append("No trial used cuDNN, so the slowdown cannot be measured in this run.")
        if self.suggest_gpu_fast:
            lines.append(
                "Search with --gpu-fast to keep recurrent_dropout at 0 (dropout and the L1/L2 penalties "
                "still regularise)."
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "not_eligible": list(self.blocked),
            "eligible": len(self.eligible),
            "median_epoch_seconds": {
                "not_eligible": self.blocked_epoch_seconds,
                "eligible": self.eligible_epoch_seconds,
            },
            "timed_trials": {"not_eligible": self.blocked_timed, "eligible": self.eligible_timed},
            "ratio": round(ratio, 3) if ratio is not None else None,
            "suggest_gpu_fast": self.suggest_gpu_fast,
        }


def cudnn_check(run_dir: RunDir, manifest: Manifest, table: pd.DataFrame) -> CudnnCheck | None:
    """The cuDNN check of a run that trained on a GPU (None on a CPU, where cuDNN does not apply, or when
    no completed trial's recurrent_dropout is known)."""
    device = manifest.get("device")
    if not isinstance(device, dict) or device.get("kind") != "gpu" or table.empty:
        return None
    space = (manifest.get("hyperparameters") or {}).get("space") or {}
    fixed = number(space.get("recurrent_dropout")) if isinstance(space, dict) else None
    groups: dict[bool, list[str]] = {True: [], False: []}
    per_epoch: dict[bool, list[float]] = {True: [], False: []}
    for row in table[table["status"] == "completed"].to_dict("records"):
        value = number(row.get("recurrent_dropout"))
        value = fixed if value is None else value
        if value is None:
            continue
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

    return CudnnCheck(
        sorted(groups[True], key=sort_key),
        sorted(groups[False], key=sort_key),
        median(per_epoch[True]),
        median(per_epoch[False]),
        len(per_epoch[True]),
        len(per_epoch[False]),
    )
