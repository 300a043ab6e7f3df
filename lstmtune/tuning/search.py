"""Run a planned search to its end: its trials (in this process, or served to parallel workers), the best
trial evaluated and saved, and run.json saying how the search ended."""

from __future__ import annotations

import time
from typing import Any

import keras

from lstmtune.core.interrupts import acknowledge, defer_stops, raise_if_requested
from lstmtune.core.status import RunStatus, TrialStatus
from lstmtune.core.text import clip, plural
from lstmtune.errors import DiskFull, LstmtuneError, SearchFailed
from lstmtune.plan import SearchPlan
from lstmtune.run import manifest as run_manifest
from lstmtune.run.disk import disk_full, quiet_disk_full_on_close
from lstmtune.run.layout import RunDir
from lstmtune.run.lock import RunLock
from lstmtune.run.records import mark_interrupted, trial_records
from lstmtune.tuning import kt
from lstmtune.tuning.best import save_best
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.parallel.chief import WorkersLost, serve_workers
from lstmtune.tuning.quiet import quiet_library_logs
from lstmtune.tuning.recorder import TrialRecorder, failure_reason, now
from lstmtune.tuning.run_dir import own_running_manifest, prepare_run_dir, record_reference
from lstmtune.tuning.tuner import BudgetSpent, Tuning, set_up


class SearchInterrupted(Exception):
    """Ctrl-C during a search; the run directory is consistent and can be resumed."""


def run_search(plan: SearchPlan, reporter: Reporter) -> dict[str, Any]:
    """Search, then evaluate the best trial once on the test split; returns the final manifest.

    Whatever happens, the run directory is left consistent: tables written, manifest status set
    (completed, interrupted or failed).
    """
    quiet_library_logs()
    lock = RunLock(plan.run_dir).acquire()  # held for the whole search; the OS frees it however it ends
    try:
        quiet_disk_full_on_close()
        return _search_locked(plan, reporter)
    finally:
        lock.release()


def _search_locked(plan: SearchPlan, reporter: Reporter) -> dict[str, Any]:
    started = time.monotonic()
    run_dir = plan.run_dir
    manifest: dict[str, Any] | None = None
    tuning: Tuning | None = None
    status = RunStatus.FAILED
    try:  # once run.json is written, however the search ends, _finish leaves it saying how
        manifest = prepare_run_dir(plan)
        record_reference(plan, manifest, reporter)
        budget = plan.search.time_budget
        deadline = time.monotonic() + budget if budget else None
        tuning = _set_up(plan, reporter, deadline)
        _run_trials(plan, tuning, reporter, manifest, deadline, started)
        table = tuning.recorder.table()
        if table[table["status"] == TrialStatus.COMPLETED.value].empty:
            reasons = clip("; ".join(sorted(set(table["note"].astype(str)))), 300)
            raise SearchFailed(f"no trial completed ({len(table)} failed: {reasons})")
        save_best(plan, tuning.hypermodel.side, tuning.tuner, manifest, tuning.recorder)
        status = RunStatus.COMPLETED
        return manifest
    except KeyboardInterrupt:
        acknowledge()  # its state is written next: no second interrupt cuts that short
        defer_stops(False)
        status = RunStatus.INTERRUPTED
        raise SearchInterrupted(str(run_dir.root)) from None
    except DiskFull:  # nothing wrong with the search: resume once there is room
        status = RunStatus.INTERRUPTED
        raise
    except Exception as exc:
        if kt.interrupted_in_native_code(exc) and not isinstance(exc, LstmtuneError):
            acknowledge()
            status = RunStatus.INTERRUPTED
            raise SearchInterrupted(str(run_dir.root)) from None
        full = disk_full(exc)
        if full is not None:
            status = RunStatus.INTERRUPTED  # nothing wrong with the search: resume once there is room
            raise DiskFull(
                f"--out {run_dir.root}: the disk is full ({full}); the completed trials are kept: free some "
                "space, then continue with --resume"
            ) from None
        _stopped_early(plan, tuning, manifest, exc)
        raise
    finally:
        manifest = manifest if manifest is not None else own_running_manifest(run_dir)
        if manifest is not None:
            recorder = tuning.recorder if tuning is not None else TrialRecorder(run_dir, plan, reporter)
            try:
                _finish(run_dir, manifest, status, started, recorder)
            except OSError as error:  # a full disk: run.json keeps its last state (resumable), the error is said
                if disk_full(error) is None:
                    raise


def _set_up(plan: SearchPlan, reporter: Reporter, deadline: float | None) -> Tuning:
    """The search's tuner, with the state of a resumed run loaded and repaired."""
    # A run killed before keras-tuner saved its state has no trial to keep: it starts afresh.
    fresh = not plan.request.resume or not plan.run_dir.oracle_state.is_file()
    tuning = set_up(plan, reporter, deadline, overwrite=fresh)
    if not fresh:
        kt.reload_oracle(tuning.tuner)
    if plan.request.resume:
        kt.settle_finished_trials(tuning.tuner.oracle, plan.run_dir)
        tuning.recorder.restore_missing(tuning.tuner.oracle.trials)
    return tuning


def _run_trials(
    plan: SearchPlan,
    tuning: Tuning,
    reporter: Reporter,
    manifest: dict[str, Any],
    deadline: float | None,
    started: float,
) -> None:
    search = plan.search
    total = search.max_trials if search.tuner != "hyperband" else None
    objective = plan.data.objective.name
    reporter.search_begin(total, tuning.recorder.done_before, search.epochs, objective, plan.data.figure_columns[0])
    try:
        # keras-tuner gives each trial its own log directory and writes the HParams view itself.
        if plan.request.workers:
            serve_workers(plan, tuning.tuner, tuning.recorder, reporter, manifest, deadline)
        else:
            run_dir = plan.run_dir
            callbacks = (
                [keras.callbacks.TensorBoard(log_dir=str(run_dir.tensorboard))] if plan.request.tensorboard else []
            )
            tuning.tuner.search(verbose=0, callbacks=callbacks)
        raise_if_requested()  # one lost in the last trial: the run is not complete without the user's consent
    except BudgetSpent:  # no new trial after the deadline: a normal end, with what it has
        manifest["search"]["budget_ended_search"] = True
    finally:
        reporter.search_end()
        manifest["times"]["search_seconds"] = round(time.monotonic() - started, 2)


def _stopped_early(plan: SearchPlan, tuning: Tuning | None, manifest: Any, exc: Exception) -> None:
    """A search that stopped before its trials were done (every worker died, or trials failed in a row)
    fails, keeping the trials that completed: the best of them is evaluated and saved."""
    oracle = tuning.tuner.oracle if tuning is not None else None
    if isinstance(exc, WorkersLost):
        message = str(exc)
    elif oracle is not None and isinstance(exc, RuntimeError) and kt.failed_in_a_row(oracle):
        message = (
            f"search stopped: {plural(oracle.max_consecutive_failed_trials, 'trial')} failed in a row; "
            f"last reason: {failure_reason(str(exc))}"
        )
    else:
        return
    if tuning is not None:
        save_best(plan, tuning.hypermodel.side, tuning.tuner, manifest, tuning.recorder)
    raise SearchFailed(message) from None


def _finish(
    run_dir: RunDir, manifest: dict[str, Any], status: RunStatus, started: float, recorder: TrialRecorder
) -> None:
    if status != RunStatus.COMPLETED:  # a trial cut off mid-way is not running any more
        mark_interrupted(run_dir)
    records = trial_records(run_dir)
    recorder.write_tables(recorder.table(), force=True)
    manifest["status"] = status.value
    manifest["trials"] = {
        status_.value: sum(1 for r in records if r.get("status") == status_.value) for status_ in TrialStatus
    }
    times = manifest["times"]
    times.update(
        {
            "finished": now(),
            "seconds": round(time.monotonic() - started, 2),
            "trial_seconds": round(recorder.trial_seconds, 2),
        }
    )
    if "search_seconds" in times and not manifest.get("workers"):  # trials overlap in a parallel search
        # Time the tuner spent choosing trials (the Gaussian process) and on bookkeeping.
        times["tuner_overhead_seconds"] = round(max(0.0, times["search_seconds"] - recorder.trial_seconds), 2)
    run_manifest.save(run_dir, manifest)
