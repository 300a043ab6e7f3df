"""Search progress on stderr: a live rich display on a terminal, one plain line per trial otherwise.

Reporters live on the tuner, never inside a Keras callback (keras-tuner deep-copies those per trial).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from lstmtune.core.text import cell
from lstmtune.tuning.events import Reporter


def trial_line(
    number: int,
    total: int | None,
    record: dict[str, Any],
    best: float | None,
    objective: str = "val_mse",
    figure: str = "val_rmse",
) -> str:
    scores = record.get("metrics") or {}
    of = f"/{total}" if total else ""
    head = f"trial {number}{of} [{record['trial_id']}] {record['status']}"
    if record["status"] not in ("completed", "pruned"):
        return f"{head}: {record.get('reason') or ''} ({cell(record.get('seconds'))} s)"
    pruned = f" at epoch {cell(int(scores.get('pruned_epoch') or 0))}" if record["status"] == "pruned" else ""
    shown = f" {figure} {cell(scores.get(figure))}" if figure != objective else ""  # the score says it already
    return (
        f"{head}{pruned}: score {cell(scores.get(objective))}{shown} "
        f"skill {cell(scores.get('skill'))} best_epoch {cell(int(scores.get('best_epoch') or 0))} "
        f"({cell(record.get('seconds'))} s); best so far {cell(best)}"
    )


class PlainReporter(Reporter):
    """One line per finished trial: for CI logs and pipes."""

    def __init__(self, console: Console):
        self.console = console
        self.total: int | None = None
        self.names = ("val_mse", "val_rmse")

    def search_begin(self, total, done, epochs, objective="val_mse", figure="val_rmse", worker=None):
        self.total = total
        self.names = (objective, figure)
        self.started = time.monotonic()
        if worker:  # a worker of a parallel search: its own trials, numbered as it runs them
            self.console.print(f"worker {worker}: trials of up to {epochs} epochs", highlight=False, markup=False)
            return
        resumed = f", {done} already done" if done else ""
        budget = f"up to {total} trials" if total else "hyperband rounds of trials"
        self.console.print(f"search: {budget} of up to {epochs} epochs{resumed}", highlight=False, markup=False)

    def trial_end(self, number, record, best):
        self.console.print(
            trial_line(number, self.total, record, best, *self.names), highlight=False, markup=False, soft_wrap=True
        )

    def warn(self, text):
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def reference(self, line):
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)


class RichReporter(Reporter):
    """Live bars: trials (with elapsed / ETA and best score so far) and the current trial's epochs."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
        )
        self.total: int | None = None
        self.names = ("val_mse", "val_rmse")

    def search_begin(self, total, done, epochs, objective="val_mse", figure="val_rmse", worker=None):
        self.total = total
        self.epochs = epochs
        self.names = (objective, figure)
        self.progress.start()
        self.trials = self.progress.add_task("trials", total=total, completed=done, status="")
        self.epoch_task = self.progress.add_task("epochs", total=epochs, status="")

    def trial_begin(self, number, trial_id):
        self.progress.update(self.trials, description=f"trial {number}")
        self.progress.reset(self.epoch_task, total=self.epochs, status=f"trial {trial_id}")

    def epoch_end(self, epoch, logs):
        status = f"{self.names[0]} {cell(logs.get(self.names[0]))}  loss {cell(logs.get('loss'))}"
        self.progress.update(self.epoch_task, completed=epoch + 1, status=status)

    def trial_end(self, number, record, best):
        self.progress.update(self.trials, advance=1, status=f"best score {cell(best)}")
        self.progress.console.print(
            trial_line(number, self.total, record, best, *self.names), highlight=False, markup=False, soft_wrap=True
        )

    def search_end(self):
        self.progress.stop()

    def warn(self, text):
        self.progress.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def reference(self, line):
        self.progress.console.print(line, highlight=False, markup=False, soft_wrap=True)


def reporter_for(console: Console, quiet: bool = False, live: bool = True) -> Reporter:
    """live=False: lines only (a parallel search has no single current trial to draw)."""
    if quiet:
        return Reporter()
    return RichReporter(console) if (console.is_terminal or console.is_jupyter) and live else PlainReporter(console)
