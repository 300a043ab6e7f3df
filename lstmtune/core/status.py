"""The states of a trial and of a run, as run.json and the trial records write them."""

from __future__ import annotations

from enum import Enum


class TrialStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    PRUNED = "pruned"  # stopped early by --prune: its curve was worse than finished trials' at that epoch
    INTERRUPTED = "interrupted"  # cut off by Ctrl-C or an error; --resume runs it again
    FAILED = "failed"


class RunStatus(str, Enum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    COMPLETED = "completed"
    FAILED = "failed"


# A finished trial is never run again, not even on --resume.
FINISHED = (TrialStatus.COMPLETED.value, TrialStatus.PRUNED.value, TrialStatus.FAILED.value)
