"""Requests to stop (Ctrl-C, SIGTERM, SIGHUP) that a search honours even where the KeyboardInterrupt they
raise is lost: a signal is handled at whatever Python line runs next, and that line may be inside a
finaliser (Python prints the error and drops it) or inside a Python function that TensorFlow's C++ calls
back while it traces a model, and whose errors it does not pass on. So the handler also remembers the
request, and the search looks for it at safe points (every training batch, every trial) and raises
KeyboardInterrupt there once more."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

# The signal number of the request received while `stop_requests` is active; empty when there is none.
_received: dict[str, int] = {}


@contextlib.contextmanager
def stop_requests() -> Iterator[dict[str, int]]:
    """Inside: SIGINT, SIGTERM (a CI runner cancelling a job, `kill`) and SIGHUP (a closed terminal) raise
    KeyboardInterrupt in the main thread and are remembered until the block ends. Yields {"signal": number}
    once one arrived (the first one's). The previous handlers come back on leaving. Outside the main thread (where signal
    handlers cannot be set) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield {}
        return

    def interrupt(signum: int, frame: Any) -> None:
        _received.setdefault("signal", signum)  # the first says why: a later one may be a lost one raised again
        raise KeyboardInterrupt

    _received.clear()
    names = [name for name in NAMES if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), interrupt) for name in names}
    try:
        yield _received
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
        _received.clear()


def raise_if_requested() -> None:
    """Raise KeyboardInterrupt when a stop was requested: one that was lost on its way is not ignored."""
    if _received:
        raise KeyboardInterrupt
