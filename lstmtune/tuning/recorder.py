"""Each trial's record and per-epoch history in the run directory, the ranked tables, the reporter's feed."""

from __future__ import annotations

import csv
import os
import time
from datetime import datetime, timezone
from typing import Any

from lstmtune.core.status import TrialStatus
from lstmtune.plan import SearchPlan
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir
from lstmtune.run.records import finished_count, trial_records
from lstmtune.run.table import best_score, rank_trials, write_tables
from lstmtune.tuning import executions, kt
from lstmtune.tuning.events import Reporter

# The ranked tables take at most 1/TABLE_SHARE of a search's time (see TrialRecorder.write_tables).
TABLE_SHARE = 20


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def failure_reason(message: str | None) -> str:
    """The last line of keras-tuner's traceback, without the exception's module path."""
    lines = [line.strip() for line in (message or "").strip().splitlines() if line.strip()]
    if not lines:
        return "failed"
    last = lines[-1]
    head, sep, tail = last.partition(": ")
    return tail if sep and "." in head and " " not in head else last


class TrialRecorder:
    """Writes each trial's record and per-epoch history, refreshes the tables, feeds the reporter.

    `worker`: the id of a parallel search's worker running the trials; its records name it, the chief
    writes the tables, and the worker numbers the trials it runs itself.
    """

    def __init__(self, run_dir: RunDir, plan: SearchPlan, reporter: Reporter, worker: str | None = None):
        self.run_dir = run_dir
        self.hp_names = list(plan.space.params)
        self.space = plan.space
        self.objective = plan.data.objective
        self.figures = plan.data.figure_columns
        self.reporter = reporter
        self.worker = worker
        self.started: dict[str, float] = {}
        self.done_before = finished_count(run_dir)  # trials finished in earlier sessions of a resumed run
        self.number = 0 if worker else self.done_before
        self.trial_seconds = 0.0
        self.tables_written = self.table_seconds = 0.0
        self.prune_notes: dict[str, str] = {}  # trial id -> why the pruner stopped it

    def restore_missing(self, trials: dict[str, Any]) -> None:
        """Rewrite the record of a finished trial whose file was deleted or damaged, from keras-tuner's
        own state, so a resumed run never ends with fewer trials than it had."""
        have = {str(r["trial_id"]) for r in trial_records(self.run_dir)}
        for trial_id, trial in trials.items():
            if str(trial_id) in have or trial.status not in kt.FINISHED_STATUSES:
                continue
            completed = trial.status == kt.KtStatus.COMPLETED
            metrics = {name: trial.metrics.get_last_value(name) for name in trial.metrics.metrics}
            write_json(
                self.run_dir.trial_record(str(trial_id)),
                {
                    "trial_id": str(trial_id),
                    "status": record_status(trial.status, metrics).value,
                    "values": self.space.typed(trial.hyperparameters.values),
                    "metrics": metrics if completed else {},
                    **({} if completed else {"reason": failure_reason(trial.message)}),
                    "note": "record rebuilt from keras-tuner's state (the file was missing or damaged)",
                },
            )
        self.done_before = self.number = finished_count(self.run_dir)

    def trial_begin(self, trial) -> None:
        trial_id = trial.trial_id
        self.started[trial_id] = time.monotonic()
        self.number += 1
        if not executions.finished(self.run_dir.trial_executions(trial_id)):
            # A trial run again starts afresh, unless its first execution (whose history this is) finished.
            self.run_dir.trial_history(trial_id).unlink(missing_ok=True)
        write_json(
            self.run_dir.trial_record(trial_id),
            {
                "trial_id": trial_id,
                "status": TrialStatus.RUNNING.value,
                "started": now(),
                "values": self.space.typed(trial.hyperparameters.values),
                "metrics": {},
                **({"worker": self.worker, "pid": os.getpid()} if self.worker else {}),
            },
        )
        self.reporter.trial_begin(self.number, trial_id)

    def epoch_end(self, trial, epoch: int, logs: dict[str, Any]) -> None:
        path = self.run_dir.trial_history(trial.trial_id)
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())}}
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        self.reporter.epoch_end(epoch, logs)

    def table(self):
        return rank_trials(trial_records(self.run_dir), self.hp_names, self.objective, self.figures)

    def trial_end(self, trial) -> dict[str, Any]:
        """The trial's figures are the metrics keras-tuner recorded from the hypermodel's fit."""
        trial_id = trial.trial_id
        seconds = time.monotonic() - self.started.pop(trial_id, time.monotonic())
        self.trial_seconds += seconds
        completed = trial.status == kt.KtStatus.COMPLETED
        scores = {name: trial.metrics.get_last_value(name) for name in trial.metrics.metrics} if completed else None
        record = read_json(self.run_dir.trial_record(trial_id))
        record.update(
            {
                "status": record_status(trial.status, scores).value,
                "metrics": scores or {},
                "seconds": round(seconds, 3),
                "finished": now(),
                "memory_mb": resident_mb(),
            }
        )
        runs = executions.finished(self.run_dir.trial_executions(trial_id))
        if runs:
            record["executions"] = runs
        if not completed:
            record["reason"] = failure_reason(trial.message)
        elif scores and scores.get("pruned_folds"):
            record["note"] = self.prune_notes.pop(trial_id, f"pruned after {int(scores['pruned_folds'])} folds")
        elif scores and scores.get("pruned_epoch"):
            record["note"] = self.prune_notes.pop(
                trial_id, f"pruned at epoch {int(scores['pruned_epoch'])}; best weights kept"
            )
        elif scores and scores.get("diverged_epoch"):
            record["note"] = (
                f"training loss became non-finite or exploded at epoch {int(scores['diverged_epoch'])}; best weights kept"
            )
        elif scores and scores.get("budget_stopped_epoch"):
            record["note"] = (
                f"stopped at epoch {int(scores['budget_stopped_epoch'])} by the time budget; best weights kept"
            )
        write_json(self.run_dir.trial_record(trial_id), record)
        table = self.table()
        if not self.worker:  # in a parallel search the chief writes the tables
            self.write_tables(table)
        self.reporter.trial_end(self.number, record, best_score(table))
        return record

    def write_tables(self, table, force: bool = False) -> None:
        """Rewrite the ranked tables, unless that would take more than 1/TABLE_SHARE of the search's time:
        their cost grows with the trial count (about 15 ms at 100 trials, 0.5 s at 1,000 here), so large
        searches refresh them less often than every trial. Records are always current; the end writes all."""
        if not force and time.monotonic() - self.tables_written < TABLE_SHARE * self.table_seconds:
            return
        started = time.monotonic()
        write_tables(self.run_dir, table)
        self.tables_written = time.monotonic()
        self.table_seconds = self.tables_written - started


def record_status(status: Any, scores: dict[str, Any] | None) -> TrialStatus:
    """A finished trial's status in lstmtune's records: keras-tuner's, or pruned (completed for the tuner,
    which learns from its score)."""
    if status != kt.KtStatus.COMPLETED:
        return TrialStatus.FAILED
    pruned = (scores or {}).get("pruned_epoch") or (scores or {}).get("pruned_folds")
    return TrialStatus.PRUNED if pruned else TrialStatus.COMPLETED


def resident_mb() -> float | None:
    """This process's resident memory in MB (Linux; None elsewhere): TensorFlow's grows with every
    model built in a process, which --workers with --recycle-after bounds."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return round(int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None
