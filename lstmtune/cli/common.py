"""What the commands share: the consoles, one-line errors, and the hooks of a long run."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from lstmtune.core.interrupts import stopping
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

    def redeliver() -> None:
        if not stopping():  # the search may be stopping already, on the request it remembered
            os.kill(os.getpid(), signal.SIGINT)

    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            threading.Timer(0.01, redeliver).start()
            return
        if "No space left on device" in str(unraisable.exc_value):
            return  # a checkpoint file closed after a full disk; the search says so in one line
        default(unraisable)

    sys.unraisablehook = hook


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
