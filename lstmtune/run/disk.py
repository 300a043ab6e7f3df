"""Room on the run directory's disk: a trial does not start unless its files would fit with a margin, and
its checkpoint is read back when it ends.

A checkpoint that the disk cuts short fails only when h5py closes it, in a destructor whose error Python
can only print (tuning.search keeps that quiet): the write itself seems to succeed. Stopping before a
trial starts keeps that from happening in most cases; reading the checkpoint back catches the others
before a trial with a broken checkpoint is recorded completed."""

from __future__ import annotations

import errno
import shutil
import sys
from pathlib import Path
from typing import Any

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

    def check_checkpoint(self, trial_id: str) -> None:
        """Read the trial's checkpoint back; an OSError (ENOSPC when the disk is nearly full) if it is broken."""
        path = self.run_dir.tuner_project / f"trial_{trial_id}" / "checkpoint.weights.h5"
        if not path.is_file():
            return
        import h5py

        def read(_name: str, item: object) -> None:
            if isinstance(item, h5py.Dataset):
                item[()]

        try:
            with h5py.File(path, "r") as checkpoint:
                checkpoint.visititems(read)
        except (OSError, RuntimeError, ValueError, KeyError) as error:
            try:
                full = shutil.disk_usage(path.parent).free < MARGIN
            except OSError:
                full = False
            if full:
                raise OSError(errno.ENOSPC, "No space left on device", str(path)) from error
            raise OSError(errno.EIO, f"the trial's checkpoint cannot be read back ({error})", str(path)) from error

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


def disk_full(exc: BaseException) -> str | None:
    """The system's words when `exc` (or an error it was raised from) says the disk or quota is full."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain of causes, bounded
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return seen.strerror or "no space left on device"
        if "No space left on device" in str(seen):  # TensorFlow's own errors when it writes a checkpoint
            return "No space left on device"
        seen = seen.__cause__ or seen.__context__
    return None


def quiet_disk_full_on_close() -> None:
    """Drop, for the rest of the process, the disk-full errors raised where Python can only print them:
    h5py closing a checkpoint that a full disk cut short raises from its destructor (at once, or when the
    file object is collected, even at exit), after the write's own error, which the search reports in one
    line. Cython prints such an error through sys.excepthook, then hands it to sys.unraisablehook; both
    let every other error through."""
    if getattr(sys.unraisablehook, "lstmtune", False):
        return
    unraisable_hook, except_hook = sys.unraisablehook, sys.excepthook

    def unraisable(info: Any) -> None:
        if info.exc_value is None or disk_full(info.exc_value) is None:
            unraisable_hook(info)

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None or "__dealloc__" not in tb.tb_frame.f_code.co_name or disk_full(value) is None:
            except_hook(kind, value, tb)

    unraisable.lstmtune = True  # type: ignore[attr-defined]
    sys.unraisablehook, sys.excepthook = unraisable, excepthook
