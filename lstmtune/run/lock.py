"""One search per run directory: an exclusive lock held for the whole search, and who holds it."""

from __future__ import annotations

import os
import socket
from typing import Any

from lstmtune.errors import RunDirError
from lstmtune.run.atomic import FILE_MODE
from lstmtune.run.layout import RunDir


class RunLock:
    """An exclusive lock on a run directory for a whole search (fcntl.flock on RUN_DIR/.lock).

    The operating system releases it when the process ends, however it ends, so a lock file left by a
    killed search is simply taken again. Where flock does not exist (Windows) there is no lock.
    """

    def __init__(self, run_dir: RunDir):
        self.run_dir = run_dir
        self.fd: int | None = None

    def acquire(self) -> RunLock:
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
            raise RunDirError(
                f"--out {self.run_dir.root}: a search is already running in it ({holder}); "
                "wait for it to end or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


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
