"""Requests to stop (Ctrl-C, SIGTERM, SIGHUP) that a search honours even where the KeyboardInterrupt they
raise is lost: a signal is handled at whatever Python line runs next, and that line may be inside a
finaliser (Python prints the error and drops it) or inside a Python function that TensorFlow's C++ calls
back while it traces a model, and whose errors it does not pass on. So the handler also remembers the
request, and the search looks for it at safe points (every training batch, every trial) and raises
KeyboardInterrupt there once more. While a trial trains (`defer_stops`) the handler only remembers: an
exception raised inside TensorFlow's C++ as it builds and traces a model can be dropped, or worse, and the
next batch is at most a trace away. Once the search has acknowledged the stop (it is writing its last
state), further signals are only remembered: its clean-up is not cut short."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

# The signal number of the first request received while `stop_requests` is active, and whether the search
# has acknowledged it; empty when there is none.
_received: dict[str, int] = {}
_acknowledged: dict[str, bool] = {}
_inside = {"block": False, "trial": False}


@contextlib.contextmanager
def stop_requests() -> Iterator[dict[str, int]]:
    """Inside: SIGINT, SIGTERM (a CI runner cancelling a job, `kill`) and SIGHUP (a closed terminal) raise
    KeyboardInterrupt in the main thread and are remembered. Yields {"signal": number} once one arrived
    (the first one's); a new block starts afresh. Signals set to be ignored (`nohup`, a background job)
    stay ignored; the previous handlers come back on leaving. Outside the main thread (where handlers
    cannot be set) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield {}
        return

    def interrupt(signum: int, frame: Any) -> None:
        _received.setdefault("signal", signum)  # the first says why: a later one may be a lost one raised again
        if not _acknowledged and not _inside["trial"]:
            raise KeyboardInterrupt

    _received.clear()
    _acknowledged.clear()
    _inside.update(block=True, trial=False)
    numbers = [getattr(signal, name) for name in NAMES if hasattr(signal, name)]
    previous = {
        number: signal.signal(number, interrupt) for number in numbers if signal.getsignal(number) != signal.SIG_IGN
    }
    try:
        yield _received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _inside.update(block=False, trial=False)
        if not _received:
            _acknowledged.clear()


def raise_if_requested() -> None:
    """Inside `stop_requests`: raise KeyboardInterrupt when a stop was requested and not yet acknowledged,
    so one that was lost on its way is not ignored."""
    if _inside["block"] and _received and not _acknowledged:
        raise KeyboardInterrupt


def defer_stops(training: bool) -> None:
    """While a trial trains (True), a stop request is only remembered, to be raised at the next safe point;
    False: the handler raises at once again."""
    _inside["trial"] = training


def acknowledge() -> None:
    """The search is stopping: later signals (and lost ones raised again) no longer interrupt it."""
    _acknowledged["yes"] = True


def stopping() -> bool:
    """A stop is under way: the search acknowledged it, or it arrived in a block that has ended since (the
    process is on its way out; a lost interrupt raised again now would only cut that short)."""
    return bool(_acknowledged) or (bool(_received) and not _inside["block"])
