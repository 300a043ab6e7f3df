"""Room on the run directory's disk: a trial does not start unless its files would fit with a margin.

A write that fails for want of space mid-trial leaves Keras' HDF5 checkpoint writer printing errors as the
half-written file is closed; stopping before the trial starts keeps that from happening in most cases
(the errors of a disk that fills anyway are handled too: see tuning.search)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lstmtune.errors import DiskFull
from lstmtune.run.layout import RunDir

MARGIN = 256 * 1024  # bytes for the tables, records and manifest a trial rewrites
TRIALS_OF_ROOM = 4  # room for this many of the largest trial's files


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:  # removed while counted
            continue
    return total


class Room:
    """Tracks the largest trial's files; `check()` before a trial starts."""

    def __init__(self, run_dir: RunDir):
        self.run_dir = run_dir
        self.largest = 0

    def trial_ended(self, trial_id: str) -> None:
        self.largest = max(self.largest, folder_bytes(self.run_dir.tuner_project / f"trial_{trial_id}"))

    def needed(self) -> int:
        return MARGIN + TRIALS_OF_ROOM * self.largest

    def check(self) -> None:
        try:
            free = shutil.disk_usage(self.run_dir.root).free
        except OSError:  # cannot tell: let the writes say
            return
        needed = self.needed()
        if free < needed:
            raise DiskFull(
                f"--out {self.run_dir.root}: the disk is nearly full ({free // 1024} KiB free, a trial needs about "
                f"{needed // 1024} KiB); the completed trials are kept: free some space, then continue with --resume"
            )
