"""Run a planned search with a stock keras-tuner tuner and write the run directory."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import platform
import shlex
import shutil
import socket
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras
import keras_tuner
import numpy as np

from lstmtune.core.status import RunStatus, TrialStatus
from lstmtune.errors import LstmtuneError, RunDirError, SearchFailed
from lstmtune.plan import SearchPlan, flag, gpu_fast_manifest, manifest_data
from lstmtune.progress import Reporter
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import read_json, write_json, write_text
from lstmtune.run.layout import LOCK_NAME, RunDir
from lstmtune.run.lock import RunLock
from lstmtune.run.records import trial_records
from lstmtune.run.table import best_score, rank_trials, write_tables
from lstmtune.space.settings import default_initial_points
from lstmtune.tuning.hypermodel import LstmHyperModel, evaluate, predict_outputs
from lstmtune.tuning.oracle import FastBayesianOptimization
from lstmtune.tuning.parallel.workers import ID_ENV as WORKER_ID_ENV
from lstmtune.version import __version__

TUNERS = {
    # keras-tuner's Bayesian optimisation with a batched acquisition search: the same GP and acquisition,
    # 0.4 s a proposal instead of several seconds, no repeated values, aware of other workers' trials.
    "bayesian": FastBayesianOptimization,
    "random": keras_tuner.RandomSearch,
    "hyperband": keras_tuner.Hyperband,
}
# Non-finite trials are failed on purpose; stop only when something is wrong with every trial.
MAX_CONSECUTIVE_FAILURES = 5


class SearchInterrupted(Exception):
    """Ctrl-C during a search; the run directory is consistent and can be resumed."""


class BudgetSpent(Exception):
    """--time-budget ran out before a new trial: the search ends with the trials it has."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _reason(message: str | None) -> str:
    """The last line of keras-tuner's traceback, without the exception's module path."""
    lines = [line.strip() for line in (message or "").strip().splitlines() if line.strip()]
    if not lines:
        return "failed"
    last = lines[-1]
    head, sep, tail = last.partition(": ")
    return tail if sep and "." in head and " " not in head else last


TABLE_SHARE = 20


class TrialRecorder:
    """Writes each trial's record and per-epoch history, refreshes the tables, feeds the reporter."""

    def __init__(self, run_dir: RunDir, plan: SearchPlan, reporter: Reporter):
        self.run_dir = run_dir
        self.hp_names = list(plan.space.params)
        self.objective = plan.data.objective
        self.figures = plan.data.figure_columns
        self.reporter = reporter
        self.started: dict[str, float] = {}
        # Trials finished in earlier sessions of a resumed run.
        finished = (TrialStatus.COMPLETED.value, TrialStatus.FAILED.value)
        self.done_before = sum(1 for r in trial_records(run_dir) if r.get("status") in finished)
        self.number = self.done_before
        self.trial_seconds = 0.0
        self.tables_written = self.table_seconds = 0.0

    def restore_missing(self, trials: dict[str, Any]) -> None:
        """Rewrite the record of a finished trial whose file was deleted or damaged, from keras-tuner's
        own state, so a resumed run never ends with fewer trials than it had."""
        have = {str(r["trial_id"]) for r in trial_records(self.run_dir)}
        statuses = {
            keras_tuner.engine.trial.TrialStatus.COMPLETED: TrialStatus.COMPLETED,
            keras_tuner.engine.trial.TrialStatus.FAILED: TrialStatus.FAILED,
        }
        for trial_id, trial in trials.items():
            if str(trial_id) in have or trial.status not in statuses:
                continue
            completed = trial.status == keras_tuner.engine.trial.TrialStatus.COMPLETED
            write_json(
                self.run_dir.trial_record(str(trial_id)),
                {
                    "trial_id": str(trial_id),
                    "status": statuses[trial.status].value,
                    "values": dict(trial.hyperparameters.values),
                    "metrics": {name: trial.metrics.get_last_value(name) for name in trial.metrics.metrics}
                    if completed
                    else {},
                    **({} if completed else {"reason": _reason(trial.message)}),
                    "note": "record rebuilt from keras-tuner's state (the file was missing or damaged)",
                },
            )
        finished = (TrialStatus.COMPLETED.value, TrialStatus.FAILED.value)
        self.done_before = sum(1 for r in trial_records(self.run_dir) if r.get("status") in finished)
        self.number = self.done_before

    def trial_begin(self, trial) -> None:
        trial_id = trial.trial_id
        self.started[trial_id] = time.monotonic()
        self.number += 1
        self.run_dir.trial_history(trial_id).unlink(missing_ok=True)  # a resumed trial starts afresh
        write_json(
            self.run_dir.trial_record(trial_id),
            {
                "trial_id": trial_id,
                "status": TrialStatus.RUNNING.value,
                "started": _now(),
                "values": dict(trial.hyperparameters.values),
                "metrics": {},
                **({"worker": os.environ[WORKER_ID_ENV], "pid": os.getpid()} if os.environ.get(WORKER_ID_ENV) else {}),
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
        completed = trial.status == keras_tuner.engine.trial.TrialStatus.COMPLETED
        scores = {name: trial.metrics.get_last_value(name) for name in trial.metrics.metrics} if completed else None
        record = read_json(self.run_dir.trial_record(trial_id))
        record.update(
            {
                "status": (TrialStatus.COMPLETED if completed else TrialStatus.FAILED).value,
                "metrics": scores or {},
                "seconds": round(seconds, 3),
                "finished": _now(),
                "memory_mb": resident_mb(),
            }
        )
        if not completed:
            record["reason"] = _reason(trial.message)
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
        if not os.environ.get(WORKER_ID_ENV):  # in a parallel search the chief writes the tables
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


def resident_mb() -> float | None:
    """This process's resident memory in MB (Linux; None elsewhere): TensorFlow's grows with every
    model built in a process, which --workers with --recycle-after bounds."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return round(int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None


def _save_json_atomically(path: str, obj: Any) -> str:
    """keras-tuner's save_json, written via a temporary file and a rename.

    keras-tuner truncates oracle.json and trial.json in place to rewrite them (several times per trial):
    a search killed in those milliseconds left an empty oracle.json, and the run could not be resumed.
    """
    text = json.dumps(obj)
    write_text(Path(path), text)
    return text


def make_tuner(
    plan: SearchPlan,
    hypermodel: LstmHyperModel,
    recorder: TrialRecorder,
    overwrite: bool,
    deadline: float | None = None,
    recycle_after: int | None = None,
) -> keras_tuner.Tuner:
    """A stock tuner whose trial hooks also write our records (the Oracle is left untouched).

    In a worker process (keras-tuner's chief/worker mode) the oracle is a client of the chief's;
    `recycle_after` makes the worker stop after that many trials, to be replaced by a fresh process.
    """
    keras_tuner.src.utils.save_json = _save_json_atomically  # every state file it writes goes through this
    base = TUNERS[plan.search.tuner] if plan.space.tunable else TUNERS["random"]

    class RecordingTuner(base):  # type: ignore[misc, valid-type]
        def _populate_initial_space(self):
            # keras-tuner builds a model here to discover conditional hyperparameters; ours are all
            # declared up front and none is conditional, so declaring is enough (and a model too big to
            # build fails its trial instead of the start-up).
            hp = self.oracle.get_space()
            self.hypermodel.declare_hyperparameters(hp)
            self.oracle.update_space(hp)

        def pre_create_trial(self):
            super().pre_create_trial()
            # Past the deadline no trial starts, unless the budget of trials is spent anyway.
            remaining = getattr(self.oracle, "remaining_trials", None)
            if deadline is not None and time.monotonic() >= deadline and remaining != 0:
                raise BudgetSpent()
            if recycle_after and self.trials_run >= recycle_after:
                from lstmtune.tuning.parallel.workers import Recycle

                raise Recycle()

        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            # Every trial starts from the same random state, so a configuration's score does not depend
            # on the trials before it, and best.yaml reproduces the best score, not only its values.
            keras.utils.set_random_seed(plan.search.seed)
            recorder.trial_begin(trial)

        def on_epoch_end(self, trial, model, epoch, logs=None):
            super().on_epoch_end(trial, model, epoch, logs)
            recorder.epoch_end(trial, epoch, logs or {})

        def on_trial_end(self, trial):
            if self._is_worker() and trial.status == keras_tuner.engine.trial.TrialStatus.COMPLETED:
                # A worker's trial object does not get the metrics it sent: the chief's copy has them.
                trial.metrics = self.oracle.get_trial(trial.trial_id).metrics
            recorder.trial_end(trial)
            super().on_trial_end(trial)
            self.trials_run += 1

        trials_run = 0

    search = plan.search
    common: dict[str, Any] = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(plan.data.objective.name, direction=plan.data.objective.direction),
        seed=search.seed + 1,  # keras-tuner replaces a seed of 0 by a random one
        directory=str(plan.run_dir.tuner),
        project_name="search",
        overwrite=overwrite,
        max_consecutive_failed_trials=MAX_CONSECUTIVE_FAILURES,
    )
    if search.tuner == "hyperband":
        return RecordingTuner(max_epochs=search.epochs, factor=3, **common)
    if search.tuner == "bayesian" and plan.space.tunable:  # with nothing to tune the GP would have no features
        return RecordingTuner(max_trials=search.max_trials, num_initial_points=initial_points(plan), **common)
    return RecordingTuner(max_trials=search.max_trials, **common)


def initial_points(plan: SearchPlan) -> int:
    return plan.search.initial_points or default_initial_points(plan.search.max_trials)


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "lstmtune": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_tuner": keras_tuner.__version__,
        "python": platform.python_version(),
    }


def device() -> dict[str, Any]:
    """Where the trials train: the GPUs TensorFlow sees (none: the CPU) and the CPU cores."""
    import tensorflow as tf

    gpus = [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
    return {"kind": "gpu" if gpus else "cpu", "gpus": gpus, "cpu_cores": os.cpu_count()}


def initial_manifest(plan: SearchPlan) -> dict[str, Any]:
    search = plan.search
    return {
        "task": plan.task.name,
        "command": list(plan.request.command),
        "versions": versions(),
        "status": RunStatus.RUNNING.value,
        "process": {"pid": os.getpid(), "host": socket.gethostname()},
        "device": device(),
        "data": manifest_data(plan),
        "search": {
            "tuner": search.tuner,
            "max_trials": search.max_trials if search.tuner != "hyperband" else None,
            "epochs": search.epochs,
            "patience": search.patience,
            "initial_points": initial_points(plan) if search.tuner == "bayesian" else None,
            "seed": search.seed,
            "time_budget": search.time_budget,
            "tensorboard": plan.request.tensorboard,
            "objective": plan.data.objective.to_json(),
            "figures": list(plan.data.figure_columns),
            **gpu_fast_manifest(plan),
        },
        "hyperparameters": {
            "names": list(plan.space.params),
            "tunable": [p.name for p in plan.space.tunable],
            "space": plan.space.to_dict()["hyperparameters"],
        },
        "baselines": plan.baselines,
        "times": {"started": _now()},
        # A parallel search: `lstmtune worker` waits for the address, added once the chief serves.
        **({"workers": {"count": plan.request.workers}} if plan.request.workers else {}),
    }


def _prepare_run_dir(plan: SearchPlan) -> dict[str, Any]:
    """Under the run's lock: check again what planning saw (another search may have started on the
    same directory since), clear it for --overwrite, write the manifest and the space."""
    run_dir = plan.run_dir
    request = plan.request
    if not request.resume and not request.overwrite and not run_dir.is_empty():
        raise RunDirError(
            f"--out {run_dir.root}: already exists and is not empty (another search started on it "
            "meanwhile?); pass --resume to continue it or --overwrite to replace it"
        )
    if request.overwrite:  # everything but the lock this process holds
        for child in run_dir.root.iterdir():
            if child.name != LOCK_NAME:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    run_dir.root.mkdir(parents=True, exist_ok=True)
    run_dir.history.mkdir(exist_ok=True)
    manifest = initial_manifest(plan)
    if plan.request.resume:
        previous = run_manifest.load(run_dir)
        manifest["times"]["first_started"] = previous.get("times", {}).get("first_started") or previous.get(
            "times", {}
        ).get("started")
        manifest["resumed"] = previous.get("resumed", 0) + 1
        if previous.get("best"):  # a resumed run never ends with less than it started with
            manifest["best"] = previous["best"]
    run_manifest.save(run_dir, manifest)
    write_text(run_dir.space, plan.space.to_yaml())
    return manifest


def quiet_library_logs() -> None:
    """Keep routine library chatter out of the progress output."""
    # Every trial's model.predict traces a new function; that is expected, not a problem.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # The Gaussian process often hits its length-scale bounds on few trials; harmless.
    warnings.filterwarnings("ignore", message="The optimal value found for dimension")
    # Weights reloaded from a checkpoint (hyperband's next round, the best model) come without optimizer
    # state, which is rebuilt on the first step; harmless.
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    try:  # keras-tuner prints the traceback of every failed trial; its reason is kept in the record
        from keras_tuner.src import config as tuner_config

        tuner_config.DEBUG = False
    except ImportError:  # pragma: no cover
        pass


def run_search(plan: SearchPlan, reporter: Reporter) -> dict[str, Any]:
    """Search, then evaluate the best trial once on the test split; returns the final manifest.

    Whatever happens, the run directory is left consistent: tables written, manifest status set
    (completed, interrupted or failed).
    """
    quiet_library_logs()
    lock = RunLock(plan.run_dir).acquire()  # held for the whole search; the OS frees it however it ends
    try:
        return _search_locked(plan, reporter)
    finally:
        lock.release()


def _search_locked(plan: SearchPlan, reporter: Reporter) -> dict[str, Any]:
    started = time.monotonic()
    run_dir = plan.run_dir
    manifest: dict[str, Any] | None = None
    tuner = recorder = None
    total = plan.search.max_trials if plan.search.tuner != "hyperband" else None
    status = RunStatus.FAILED
    try:  # once run.json is written, however the search ends, _finish leaves it saying how
        manifest = _prepare_run_dir(plan)
        recorder = TrialRecorder(run_dir, plan, reporter)
        side = plan.task.keras_side(plan.data)
        budget = plan.search.time_budget
        deadline = time.monotonic() + budget if budget else None
        hypermodel = LstmHyperModel(
            plan.space,
            plan.data,
            side,
            plan.task.name,
            plan.search.epochs,
            plan.search.patience,
            plan.search.seed,
            deadline,
        )
        # A run killed before keras-tuner saved its state has no trial to keep: it starts afresh.
        fresh = not plan.request.resume or not _tuner_state(run_dir).is_file()
        # keras-tuner prints "Reloading Tuner from ..." on resume: noise, and stdout is the caller's.
        with contextlib.redirect_stdout(io.StringIO()):
            tuner = make_tuner(plan, hypermodel, recorder, overwrite=fresh, deadline=deadline)
            if not fresh and not tuner.oracle.trials:
                # keras-tuner reloads its oracle only beside its own tuner file (tuner0.json); a run
                # whose state has no such file must not start again from trial 0 over finished trials.
                tuner.oracle.reload()
        if plan.request.resume:
            _settle_finished_trials(tuner.oracle, run_dir)
            recorder.restore_missing(tuner.oracle.trials)
        reporter.search_begin(
            total, recorder.done_before, plan.search.epochs, plan.data.objective.name, plan.data.figure_columns[0]
        )
        try:
            # keras-tuner gives each trial its own log directory and writes the HParams view itself.
            if plan.request.workers:
                _serve_workers(plan, tuner, recorder, reporter, manifest, deadline)
            else:
                callbacks = (
                    [keras.callbacks.TensorBoard(log_dir=str(run_dir.tensorboard))] if plan.request.tensorboard else []
                )
                tuner.search(verbose=0, callbacks=callbacks)
        except BudgetSpent:  # no new trial after the deadline: a normal end, with what it has
            manifest["search"]["budget_ended_search"] = True
        finally:
            reporter.search_end()
            manifest["times"]["search_seconds"] = round(time.monotonic() - started, 2)
        table = recorder.table()
        completed = table[table["status"] == TrialStatus.COMPLETED.value]
        if completed.empty:
            reasons = "; ".join(sorted(set(table["note"].astype(str))))[:300]
            raise SearchFailed(f"no trial completed ({len(table)} failed: {reasons})")
        _save_best(plan, side, tuner, manifest, recorder)
        status = RunStatus.COMPLETED
        return manifest
    except KeyboardInterrupt:
        status = RunStatus.INTERRUPTED
        raise SearchInterrupted(str(run_dir.root)) from None
    except Exception as exc:
        if "KeyboardInterrupt" in str(exc) and not isinstance(exc, LstmtuneError):
            # Ctrl-C inside TensorFlow's C++ (tf.io.gfile) comes back wrapped by pybind11:
            # "error_already_set: MISMATCH ... REPLACED BY KeyboardInterrupt"
            status = RunStatus.INTERRUPTED
            raise SearchInterrupted(str(run_dir.root)) from None
        if isinstance(exc, WorkersLost):
            if tuner is not None:
                _save_best(plan, side, tuner, manifest, recorder)
            raise SearchFailed(str(exc)) from None
        if isinstance(exc, RuntimeError) and "consecutive failures" in str(exc):
            if tuner is not None:  # the trials that completed are not thrown away with the search
                _save_best(plan, side, tuner, manifest, recorder)
            raise SearchFailed(
                f"search stopped: {MAX_CONSECUTIVE_FAILURES} trials failed in a row; last reason: {_reason(str(exc))}"
            ) from None
        raise
    finally:
        manifest = manifest if manifest is not None else _own_running_manifest(run_dir)
        if manifest is not None:
            _finish(run_dir, manifest, status, started, recorder or TrialRecorder(run_dir, plan, reporter))


class WorkersLost(Exception):
    """Every local worker died before the search's trials were done."""


POLL_SECONDS = 0.5


def _serve_workers(
    plan: SearchPlan,
    tuner: keras_tuner.Tuner,
    recorder: TrialRecorder,
    reporter: Reporter,
    manifest: dict[str, Any],
    deadline: float | None,
) -> None:
    """The chief of a parallel search: serve the oracle, keep --workers local worker processes going,
    report the trials they finish; return when every worker has been told to stop."""
    from lstmtune.tuning.parallel import workers as parallel

    request = plan.request
    tuner.oracle.verbose = 0  # keras-tuner's own trial display; progress is ours
    host, port = parallel.parse_address(request.listen or "127.0.0.1:0", "--listen")
    server, port = parallel.serve_oracle(tuner.oracle, host, port)
    manifest["workers"] = {"count": request.workers, "oracle": f"{host}:{port}", "recycle_after": request.recycle_after}
    run_manifest.save(plan.run_dir, manifest)
    local = parallel.LocalWorkers(plan.run_dir, request.workers, (host, port), recycle_after=request.recycle_after)
    watcher = FinishedTrials(plan.run_dir, recorder, reporter)
    try:
        local.start()
        while True:
            time.sleep(POLL_SECONDS)
            remaining = tuner.oracle.remaining_trials()
            may_start = (remaining is None or remaining > 0) and (deadline is None or time.monotonic() < deadline)
            for line in local.poll(tuner.oracle, may_start):
                reporter.warn(line)
            watcher.poll()
            if not local.alive() and parallel.search_idle(tuner.oracle):
                break
        watcher.poll()
        remaining = tuner.oracle.remaining_trials()
        budget_spent = deadline is not None and time.monotonic() >= deadline
        if budget_spent and remaining != 0:  # the workers stopped taking trials at the deadline
            manifest["search"]["budget_ended_search"] = True
        if local.deaths and remaining and not budget_spent:
            raise WorkersLost(
                f"search stopped with {remaining} trials to go: every worker died "
                f"({len(local.deaths)} deaths); last: {local.deaths[-1]}"
            )
    finally:
        server.stop(grace=None)  # first: after Ctrl-C no worker may take another trial
        local.stop()
        ran: dict[str, int] = {}
        for record in trial_records(plan.run_dir):
            if record.get("worker") and record.get("status") in (TrialStatus.COMPLETED.value, TrialStatus.FAILED.value):
                ran[record["worker"]] = ran.get(record["worker"], 0) + 1
        manifest["workers"].update({"restarts": local.restarts, "deaths": local.deaths, "trials_by_worker": ran})


class FinishedTrials:
    """The chief's progress lines: trials its workers finished, read from their records."""

    def __init__(self, run_dir: RunDir, recorder: TrialRecorder, reporter: Reporter):
        self.run_dir, self.recorder, self.reporter = run_dir, recorder, reporter
        self.finished = (TrialStatus.COMPLETED.value, TrialStatus.FAILED.value)
        # File names of finished trials' records: a poll reads only the others (running or new ones).
        self.seen = {self._name(r) for r in trial_records(run_dir) if r.get("status") in self.finished}

    def _name(self, record: dict[str, Any]) -> str:
        return self.run_dir.trial_record(str(record["trial_id"])).name

    def poll(self) -> None:
        new = [r for r in trial_records(self.run_dir, skip=self.seen) if r.get("status") in self.finished]
        if not new:
            return
        table = self.recorder.table()
        self.recorder.write_tables(table)
        best = best_score(table)
        for record in new:
            self.seen.add(self._name(record))
            self.recorder.number += 1
            self.recorder.trial_seconds += float(record.get("seconds") or 0.0)
            self.reporter.trial_end(self.recorder.number, record, best)


def _settle_finished_trials(oracle: Any, run_dir: RunDir) -> None:
    """A search killed while a trial was ending can leave keras-tuner's oracle.json listing that trial as
    ongoing, and keras-tuner would train it again on resume. Keep a trial that finished (in its
    trial.json, or in our record) finished instead."""
    kt = keras_tuner.engine.trial.TrialStatus
    finished = {kt.COMPLETED, kt.FAILED}
    records = {str(r["trial_id"]): r for r in trial_records(run_dir)}
    settled = False
    for trial_id in list(oracle._retry_queue):  # keras-tuner 1.4: ongoing trials queued again by reload()
        trial = oracle.trials.get(trial_id)
        record = records.get(str(trial_id)) or {}
        if trial is None:
            continue
        if trial.status not in finished and record.get("status") == TrialStatus.COMPLETED.value:
            for name, value in (record.get("metrics") or {}).items():
                trial.metrics.update(name, value)
            trial.status = kt.COMPLETED
            oracle.score_trial(trial)
            oracle._save_trial(trial)
        elif trial.status not in finished and record.get("status") == TrialStatus.FAILED.value:
            trial.status, trial.message = kt.FAILED, record.get("reason")
            oracle._save_trial(trial)
        if trial.status in finished:
            oracle._retry_queue.remove(trial_id)
            if trial_id not in oracle.end_order:
                oracle.end_order.append(trial_id)
            settled = True
    if settled:
        oracle.save()


def _own_running_manifest(run_dir: RunDir) -> dict[str, Any] | None:
    """run.json as this process wrote it, when an interrupt came before _prepare_run_dir returned it."""
    try:
        manifest = run_manifest.load(run_dir)
    except RunDirError:
        return None
    process = manifest.get("process") or {}
    return manifest if manifest.get("status") == "running" and process.get("pid") == os.getpid() else None


def _tuner_state(run_dir: RunDir) -> Path:
    return run_dir.tuner / "search" / "oracle.json"


def _finish(
    run_dir: RunDir, manifest: dict[str, Any], status: RunStatus, started: float, recorder: TrialRecorder
) -> None:
    if status != RunStatus.COMPLETED:  # a trial cut off mid-way is not running any more
        for record in trial_records(run_dir):
            if record.get("status") == TrialStatus.RUNNING.value:
                record["status"] = TrialStatus.INTERRUPTED.value
                write_json(run_dir.trial_record(str(record["trial_id"])), record)
    records = trial_records(run_dir)
    recorder.write_tables(recorder.table(), force=True)
    manifest["status"] = status.value
    manifest["trials"] = {
        status_.value: sum(1 for r in records if r.get("status") == status_.value) for status_ in TrialStatus
    }
    times = manifest["times"]
    times.update(
        {
            "finished": _now(),
            "seconds": round(time.monotonic() - started, 2),
            "trial_seconds": round(recorder.trial_seconds, 2),
        }
    )
    if "search_seconds" in times and not manifest.get("workers"):  # trials overlap in a parallel search
        # Time the tuner spent choosing trials (the Gaussian process) and on bookkeeping.
        times["tuner_overhead_seconds"] = round(max(0.0, times["search_seconds"] - recorder.trial_seconds), 2)
    run_manifest.save(run_dir, manifest)


def _save_best(
    plan: SearchPlan, side: Any, tuner: keras_tuner.Tuner, manifest: dict[str, Any], recorder: TrialRecorder
) -> None:
    """Evaluate the best completed trial once on validation and test, save its model and best.yaml."""
    table = recorder.table()
    completed = table[table["status"] == TrialStatus.COMPLETED.value]
    if completed.empty:
        return
    manifest["best"] = evaluate_best(plan, side, tuner, str(completed.iloc[0]["trial_id"]))
    write_text(plan.run_dir.best_space, best_space_yaml(plan, manifest["best"]["values"], manifest["best"]["trial_id"]))


def evaluate_best(plan: SearchPlan, side: Any, tuner: keras_tuner.Tuner, trial_id: str) -> dict[str, Any]:
    """Reload the best trial's weights, score it on validation and (once) on test, save it."""
    trial = tuner.oracle.get_trial(trial_id)
    model = tuner.load_model(trial)
    values = dict(trial.hyperparameters.values)
    result: dict[str, Any] = {"trial_id": trial_id, "values": values}
    for split in ("train", "val"):
        result[split] = evaluate(model, plan.data, side, split, values)
    outputs = predict_outputs(model, side, "test", values)
    result["test"] = plan.data.evaluate("test", outputs, values)
    write_text(plan.run_dir.predictions, plan.data.predictions("test", outputs, values).to_csv(index=False))
    save_model(plan, model, values)
    return result


def save_model(plan: SearchPlan, model: keras.Model, values: dict[str, Any]) -> None:
    run_dir = plan.run_dir
    temporary = run_dir.root / ".best_model.tmp.keras"
    # A model rebuilt from a checkpoint has no optimizer slots yet; build them so the saved file loads
    # without Keras warning about mismatched optimizer variables.
    model.optimizer.build(model.trainable_variables)
    try:
        model.save(temporary)
        os.replace(temporary, run_dir.best_model)
    finally:
        temporary.unlink(missing_ok=True)
    write_json(run_dir.preprocessing, {"task": plan.task.name, **plan.data.state(values)})


def best_space_yaml(plan: SearchPlan, values: dict[str, Any], best_id: str | None = None) -> str:
    """A space file with the best values fixed: searching with it (one trial) reproduces the best."""
    fixed = plan.space.with_fixed({k: _plain(v) for k, v in values.items()}, max_trials=1, tuner="random")
    request = plan.request
    flags = ["--task", plan.task.name] if plan.task.name != "forecast" else []
    for key, value in {**request.columns, **request.options}.items():
        if value is None or value is False:
            continue
        if value is True:
            flags.append(flag(key))
        elif key == "target" and not isinstance(value, str):
            flags += [part for t in value for part in ("--target", t)]
        else:
            flags += [flag(key), ",".join(value) if isinstance(value, (tuple, list)) else str(value)]
    command = shlex.join(
        [
            "lstmtune",
            "search",
            str(request.data_path),
            *flags,
            "--space",
            str(plan.run_dir.best_space),
            "--out",
            "NEW_RUN_DIR",
        ]
    )
    header = "# The best configuration found, every hyperparameter fixed. Reproduce it (same score) with:\n"
    if plan.search.tuner == "hyperband":
        header = (
            "# The best configuration found, every hyperparameter fixed. Hyperband trained it from another\n"
            "# trial's weights for part of its epochs, so a search with this file can score differently:\n"
        )
    header += f"#   {command}\n"
    best_record = read_json(plan.run_dir.trial_record(str(best_id))) if best_id is not None else {}
    if "time budget" in str(best_record.get("note", "")):
        header += "# The time budget cut this trial short; searching with this file trains it longer and can score differently.\n"
    return header + fixed.to_yaml()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
