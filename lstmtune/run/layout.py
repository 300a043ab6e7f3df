"""The run directory's layout and safe writes (json / text only; no TensorFlow).

    RUN_DIR/run.json            manifest
    RUN_DIR/space.yaml          the space used (with the effective search and data settings)
    RUN_DIR/trials.csv|md|json  the ranked table
    RUN_DIR/best.yaml           the space with the best values fixed
    RUN_DIR/best_model.keras    the best model, with preprocessing.json beside it
    RUN_DIR/history/            trial_<id>.json (record) and trial_<id>.csv (per-epoch history)
    RUN_DIR/tuner/              keras-tuner's own files
    RUN_DIR/workers/            a parallel search's worker logs (search --workers)
"""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
from enum import Enum
from pathlib import Path
from typing import Any


class TrialStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"  # cut off by Ctrl-C or an error; --resume runs it again
    FAILED = "failed"


class RunStatus(str, Enum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    COMPLETED = "completed"
    FAILED = "failed"


class RunDir:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    manifest = property(lambda self: self.root / "run.json")
    space = property(lambda self: self.root / "space.yaml")
    best_space = property(lambda self: self.root / "best.yaml")
    best_model = property(lambda self: self.root / "best_model.keras")
    preprocessing = property(lambda self: self.root / "preprocessing.json")
    predictions = property(lambda self: self.root / "predictions.csv")  # the best model on the test split
    history = property(lambda self: self.root / "history")
    tuner = property(lambda self: self.root / "tuner")
    tensorboard = property(lambda self: self.root / "tensorboard")

    def table(self, extension: str) -> Path:
        return self.root / f"trials.{extension}"

    def trial_record(self, trial_id: str) -> Path:
        return self.history / f"trial_{trial_id}.json"

    def trial_history(self, trial_id: str) -> Path:
        return self.history / f"trial_{trial_id}.csv"

    @property
    def lock(self) -> Path:
        return self.root / LOCK_NAME

    def is_empty(self) -> bool:
        """No run here: nothing, or only a lock file left by a search that ended."""
        return not self.root.exists() or (self.root.is_dir() and all(p.name == LOCK_NAME for p in self.root.iterdir()))


LOCK_NAME = ".lock"
# What a search writes at the top of its run directory (the rest of it is the user's).
RUN_FILES = ("run.json", "space.yaml", "best.yaml", "best_model.keras", "preprocessing.json", "predictions.csv", "history", "tuner",
             "trials.csv", "trials.md", "trials.json", "tensorboard", "workers", LOCK_NAME)


def owning_run(path: Path) -> Path | None:
    """The run directory whose own file (or folder) `path` is, or None: reports and JUnit files may be
    written into a run directory, but never over what the search wrote."""
    resolved = Path(path).resolve()
    for depth, folder in enumerate(resolved.parents):
        if depth > 3:
            return None
        top = resolved.relative_to(folder).parts[0]
        if top in RUN_FILES and (folder / "run.json").is_file():
            return folder
    return None


class RunLock:
    """An exclusive lock on a run directory for a whole search (fcntl.flock on RUN_DIR/.lock).

    The operating system releases it when the process ends, however it ends, so a lock file left by a
    killed search is simply taken again. Where flock does not exist (Windows) there is no lock.
    """

    def __init__(self, run_dir: "RunDir"):
        self.run_dir = run_dir
        self.fd: int | None = None

    def acquire(self) -> "RunLock":
        from lstmtune.errors import RunDirError

        try:
            import fcntl
        except ImportError:  # pragma: no cover
            return self
        self.run_dir.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.run_dir.lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise RunDirError(f"--out {self.run_dir.root}: a search is already running in it ({holder}); "
                              "wait for it to end or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


def _clean(value: Any) -> Any:
    """JSON has no NaN or inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    if path.exists() and not path.is_file():  # /dev/null or a pipe: write into it, never replace it
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    write_text(path, json.dumps(_clean(value), indent=2, allow_nan=False) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sort_key(trial_id: str) -> tuple[int, str]:
    """Trial ids are zero-padded to the width of max_trials, which can change on resume: sort as integers."""
    return (int(trial_id), trial_id) if str(trial_id).isdigit() else (10**9, str(trial_id))


def process_alive(process: dict[str, Any] | None) -> bool | None:
    """Whether the search process that wrote a manifest is alive (None: cannot tell from this host)."""
    if not isinstance(process, dict) or process.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(process["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, KeyError, TypeError, OverflowError):
        return None
    return True
