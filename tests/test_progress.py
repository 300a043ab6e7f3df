"""Progress output: one plain line per trial off a terminal, live bars on one."""

from __future__ import annotations

import io

from rich.console import Console

from lstmtune.progress import PlainReporter, RichReporter, reporter_for

COMPLETED = {
    "trial_id": "03",
    "status": "completed",
    "seconds": 2.5,
    "metrics": {"val_mse": 0.25, "val_rmse": 12.0, "skill": 0.3, "best_epoch": 4.0},
}
FAILED = {"trial_id": "04", "status": "failed", "seconds": 0.4, "reason": "training loss became non-finite at epoch 1"}


def console(terminal: bool) -> Console:
    return Console(file=io.StringIO(), width=200, force_terminal=terminal)


def test_reporter_depends_on_the_terminal():
    assert isinstance(reporter_for(console(False)), PlainReporter)
    assert isinstance(reporter_for(console(True)), RichReporter)
    assert type(reporter_for(console(True), quiet=True)).__name__ == "Reporter"


def test_plain_reporter_prints_one_line_per_trial():
    out = console(False)
    reporter = PlainReporter(out)
    reporter.search_begin(total=5, done=2, epochs=10)
    reporter.trial_begin(3, "03")
    reporter.epoch_end(0, {"val_mse": 0.3})
    reporter.trial_end(3, COMPLETED, best=0.25)
    reporter.trial_end(4, FAILED, best=0.25)
    lines = out.file.getvalue().splitlines()
    assert lines[0] == "search: up to 5 trials of up to 10 epochs, 2 already done"
    assert lines[1].startswith("trial 3/5 [03] completed: score 0.25 val_rmse 12 skill 0.3 best_epoch 4")
    assert lines[1].endswith("best so far 0.25")
    assert lines[2] == "trial 4/5 [04] failed: training loss became non-finite at epoch 1 (0.4 s)"
    assert len(lines) == 3


def test_rich_reporter_shows_trials_and_best_score():
    out = console(True)
    reporter = RichReporter(out)
    reporter.search_begin(total=2, done=0, epochs=3)
    reporter.trial_begin(1, "0")
    reporter.epoch_end(0, {"val_mse": 0.5, "loss": 0.7})
    reporter.trial_end(1, COMPLETED, best=0.25)
    reporter.search_end()
    text = out.file.getvalue()
    assert "trial 1/2 [03] completed" in text
    assert "best score 0.25" in text
