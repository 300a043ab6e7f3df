"""What the commands share: the consoles, one-line errors, and the hooks of a long run."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from lstmtune.errors import LstmtuneError

# Set by the app's callback: with --debug an error is raised with its traceback instead of one line.
state = {"debug": False}


def stderr() -> Console:
    return Console(stderr=True)


def stdout() -> Console:
    """Tables on stdout; wide when piped or captured, so columns are not cut at 80."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def fail(error: LstmtuneError) -> typer.Exit:
    """Print the error as one line on stderr; the exit to raise (the error itself with --debug)."""
    if state["debug"]:
        raise error
    stderr().print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(error.exit_code)


def redeliver_interrupts_from_finalisers() -> None:
    """A Ctrl-C that lands while Python runs a finaliser (a weakref callback during garbage collection)
    is printed as "Exception ignored ... KeyboardInterrupt" and dropped; raise it again in the main flow.

    Not from inside the hook (the interrupt would fire in the hook itself): a moment later, from a thread.
    """
    default = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
            return
        if "No space left on device" in str(unraisable.exc_value):
            return  # a checkpoint file closed after a full disk; the search says so in one line
        default(unraisable)

    sys.unraisablehook = hook


@contextlib.contextmanager
def terminations_interrupt() -> Iterator[dict[str, int]]:
    """Inside: SIGTERM (a CI runner cancelling a job, `kill`) and SIGHUP (a closed terminal) stop a search
    as Ctrl-C does, by raising KeyboardInterrupt in the main thread: the running trial is marked
    interrupted, run.json says so, and --resume goes on. Yields {"signal": number} once one arrived; the
    previous handlers come back on leaving."""
    received: dict[str, int] = {}
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum: int, frame: Any) -> None:
        received["signal"] = signum
        raise KeyboardInterrupt

    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), interrupt) for name in names}
    try:
        yield received
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def append_step_summary(markdown: str) -> None:
    """On GitHub Actions (GITHUB_STEP_SUMMARY set), add a short Markdown summary to the job's page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        stderr().print(
            f"warning: cannot append to GITHUB_STEP_SUMMARY {path} ({exc.strerror or exc})",
            highlight=False,
            markup=False,
        )
