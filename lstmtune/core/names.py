"""The names the layers share: tasks and per-trial diagnosis codes."""

from __future__ import annotations

# Each task is a plug-in in lstmtune.tasks.<name>; the first is the default.
TASK_NAMES = ("forecast", "text", "sequence", "autoencoder")
DEFAULT_TASK = TASK_NAMES[0]

# Per-trial diagnoses (lstmtune.report.diagnoses); a gate rule may count them (findings.overfits == 0).
DIAGNOSIS_CODES = (
    "overfits",
    "not_learning",
    "unstable",
    "still_improving",
    "stopped_early",
    "range_edge",
    "noisy_ranking",
)

# What every trial's row of the ranked table holds besides its score and its task's figures.
TRIAL_COLUMNS = (
    "train_loss",
    "val_loss",
    "train_skill",
    "gap",
    "gap_end",
    "val_rise",
    "best_epoch",
    "epochs_run",
    "seconds",
    "diverged_epoch",
)
