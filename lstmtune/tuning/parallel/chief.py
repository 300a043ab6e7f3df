"""The chief of a parallel search: it keeps the oracle and serves it over gRPC with keras-tuner's
`OracleServicer`, starts and supervises `search --workers N` local worker processes, and reports the
trials its workers finish. keras-tuner alone leaves traps that are guarded here:

- a worker that dies keeps its trial "running" and its id registered, so the chief waits forever
  (keras-tuner #645, #915): the supervisor ends that trial as failed, forgets the worker and starts
  a replacement;
- workers orphaned by a killed chief would keep training: local workers die with their parent
  (see lstmtune.tuning.parallel.worker);
- a joined worker (another machine) that dies is not the chief's child: its trial is failed once its
  heartbeat stops for the lease's length (lstmtune.tuning.parallel.lease);
- a local worker that hangs (stopped, or frozen in a way that stops its heartbeat thread) is alive, so
  its death is never seen: once its lease lapses it is killed, and handled as a worker that died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lstmtune.core.status import FINISHED, TrialStatus
from lstmtune.core.text import plural
from lstmtune.errors import OptionError
from lstmtune.plan import SearchPlan, parse_address
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir
from lstmtune.run.records import trial_records
from lstmtune.run.table import best_score
from lstmtune.tuning import kt
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.parallel.lease import DEFAULT_LEASE, Leases, beat_file
from lstmtune.tuning.parallel.worker import DEFAULT_WAIT, INTERRUPTED_EXIT, LOCAL_ID, PARENT_ENV, RECYCLE_EXIT
from lstmtune.tuning.recorder import TrialRecorder

POLL_SECONDS = 0.5
STOP_GRACE = 15.0  # seconds workers get to end cleanly after a Ctrl-C before they are killed


class WorkersLost(Exception):
    """Every local worker died before the search's trials were done."""


def worker_threads(workers: int) -> int:
    """CPU threads for each local worker: the cores this process may use, shared out."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def serve_oracle(oracle: Any, host: str, port: int) -> tuple[Any, int]:
    """Start keras-tuner's gRPC servicer for `oracle` without blocking; returns (server, bound port)."""
    server = kt.oracle_server(oracle)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise OptionError(
            f"--listen {host}:{port}: cannot listen there (port in use, or not an address of this machine)"
        )
    server.start()
    return server, bound


def forget_worker(oracle: Any, tuner_id: str, reason: str) -> Any:
    """A worker is gone: end its running trial as failed (keras-tuner would keep it running forever)
    and drop its id, so the chief does not wait for it. Returns the trial it had, or None."""

    def forget(oracle: Any) -> Any:
        trial = oracle.ongoing_trials.get(tuner_id)
        oracle.tuner_ids.discard(tuner_id)
        return trial

    trial = kt.locked(oracle, forget)
    if trial is not None:
        trial.status, trial.message = kt.KtStatus.FAILED, reason
        oracle.end_trial(trial)  # synchronized; raises keras-tuner's "consecutive failures" error like a trial would
    return trial


def search_idle(oracle: Any) -> bool:
    """No trial running and no worker registered: every worker was told to stop, or is gone."""
    return kt.locked(oracle, lambda oracle: not oracle.ongoing_trials and not oracle.tuner_ids)


def fail_record(run_dir: RunDir, trial_id: str, reason: str) -> dict[str, Any]:
    """The record of a trial whose worker died: failed, with the reason and how long it had run."""
    path = run_dir.trial_record(trial_id)
    try:
        record = read_json(path)
    except (OSError, ValueError):
        record = {"trial_id": trial_id, "values": {}, "metrics": {}}
    now = datetime.now(timezone.utc)
    try:
        record["seconds"] = round((now - datetime.fromisoformat(record["started"])).total_seconds(), 3)
    except (KeyError, TypeError, ValueError):
        pass
    record.update(
        {
            "status": TrialStatus.FAILED.value,
            "reason": reason,
            "metrics": {},
            "finished": now.isoformat(timespec="seconds"),
        }
    )
    write_json(path, record)
    return record


@dataclass
class Worker:
    tuner_id: str
    process: subprocess.Popen
    log: Path
    restarts: int = 0
    hung: str | None = None  # why the chief killed it, when its lease lapsed


@dataclass
class LocalWorkers:
    """Starts N `lstmtune worker` processes on this machine and keeps them going.

    A worker that exits after its --recycle-after trials is replaced by a fresh process; one that dies is
    reported, its trial ends as failed, and it is replaced (at most `max_restarts` times in all, so a
    worker that cannot start does not loop).
    """

    run_dir: RunDir
    count: int
    address: tuple[str, int]
    wait: float = DEFAULT_WAIT
    recycle_after: int | None = None
    max_restarts: int | None = None
    workers: dict[str, Worker] = field(default_factory=dict)
    restarts: int = 0
    deaths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.max_restarts is None:
            self.max_restarts = 2 * self.count

    @property
    def logs(self) -> Path:
        return self.run_dir.workers

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for number in range(1, self.count + 1):
            self._spawn(f"worker{number}")

    def _spawn(self, tuner_id: str) -> None:
        host, port = self.address
        connect = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
        threads = worker_threads(self.count)
        command = [
            sys.executable,
            "-m",
            "lstmtune",
            "worker",
            str(self.run_dir.root),
            "--oracle",
            f"{connect}:{port}",
            "--id",
            tuner_id,
            "--threads",
            str(threads),
            "--wait",
            str(self.wait),
            "--quiet",
        ]
        if self.recycle_after:
            command += ["--recycle-after", str(self.recycle_after)]
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        env.update(_device_env(tuner_id, self.count))
        log = self.logs / f"{tuner_id}.log"
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"--- started {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(command)}\n")
            handle.flush()
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        self.workers[tuner_id] = Worker(tuner_id, process, log)

    def alive(self) -> bool:
        return any(worker.process.poll() is None for worker in self.workers.values())

    def poll(self, oracle: Any, may_start: bool) -> list[str]:
        """Handle workers that exited; returns lines to show. `may_start`: trials remain and time too."""
        lines = []
        for tuner_id, worker in list(self.workers.items()):
            code = worker.process.poll()
            if code is None:
                continue
            del self.workers[tuner_id]
            if code in (INTERRUPTED_EXIT, -signal.SIGINT):
                # Ctrl-C reaches the search and its workers together (one process group); a worker
                # interrupted is never replaced: the search stops as on Ctrl-C, its trial kept for --resume.
                raise KeyboardInterrupt
            if code in (0, RECYCLE_EXIT):  # told to stop, out of time, or recycled
                forget_worker(oracle, tuner_id, f"{tuner_id} exited while running it")
                if code == RECYCLE_EXIT and may_start:
                    self._spawn(tuner_id)
                continue
            how = (
                f"killed by {signal.Signals(-code).name}"
                if code < 0 and -code in signal.valid_signals()
                else f"exit code {code}"
            )
            reason = worker.hung or f"worker {tuner_id} died ({how}); its output: {worker.log}"
            self.deaths.append(reason)
            trial = forget_worker(oracle, tuner_id, reason)
            if trial is not None:
                fail_record(self.run_dir, str(trial.trial_id), reason)
            lines.append(f"warning: {reason}" + (f"; trial {trial.trial_id} failed" if trial is not None else ""))
            if may_start and self.restarts < (self.max_restarts or 0):
                self.restarts += 1
                self._spawn(tuner_id)
                lines.append(f"started a new {tuner_id}")
        return lines

    def kill_hung(self, tuner_id: str, reason: str) -> bool:
        """Kill a local worker whose lease lapsed; the next poll handles it as a death. False: not ours."""
        worker = self.workers.get(tuner_id)
        if worker is None:
            return False
        worker.hung = f"{reason}; killed; its output: {worker.log}"
        _signal(worker.process, signal.SIGKILL)
        return True

    def stop(self) -> None:
        """Ctrl-C or an error in the chief: ask each worker to stop (its trial is kept for --resume), then kill."""
        running = [w for w in self.workers.values() if w.process.poll() is None]
        for worker in running:
            _signal(worker.process, signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE
        for worker in running:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(worker.process, signal.SIGKILL)
                worker.process.wait()


def _signal(process: subprocess.Popen, number: int) -> None:
    try:
        process.send_signal(number)
    except ProcessLookupError:  # pragma: no cover - it just ended
        pass


def _device_env(tuner_id: str, count: int) -> dict[str, str]:
    """One GPU per worker where there are several (round robin); CPU threads are set by --threads."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpus = [g for g in (visible.split(",") if visible else []) if g.strip()]
    if len(gpus) > 1:
        number = int(tuner_id.removeprefix("worker") or 1) - 1
        return {"CUDA_VISIBLE_DEVICES": gpus[number % len(gpus)]}
    return {}


def serve_workers(
    plan: SearchPlan,
    tuner: Any,
    recorder: TrialRecorder,
    reporter: Reporter,
    manifest: dict[str, Any],
    deadline: float | None,
) -> None:
    """The chief of a parallel search: serve the oracle, keep --workers local worker processes going,
    report the trials they finish; return when every worker has been told to stop."""
    request = plan.request
    oracle = tuner.oracle
    oracle.verbose = 0  # keras-tuner's own trial display; progress is lstmtune's
    host, port = parse_address(request.listen or "127.0.0.1:0", "--listen")
    server, port = serve_oracle(oracle, host, port)
    lease = request.lease or DEFAULT_LEASE
    manifest["workers"] = {
        "count": request.workers,
        "oracle": f"{host}:{port}",
        "recycle_after": request.recycle_after,
        "lease": lease,
    }
    run_manifest.save(plan.run_dir, manifest)
    local = LocalWorkers(plan.run_dir, request.workers, (host, port), recycle_after=request.recycle_after)
    leases, lost = Leases(plan.run_dir, lease), []
    watcher = FinishedTrials(plan.run_dir, recorder, reporter)
    try:
        local.start()
        while True:
            time.sleep(POLL_SECONDS)
            remaining = oracle.remaining_trials()
            may_start = (remaining is None or remaining > 0) and (deadline is None or time.monotonic() < deadline)
            expired = expire_leases(plan.run_dir, oracle, leases, lost, local)
            for line in [*local.poll(oracle, may_start), *expired]:
                reporter.warn(line)
            watcher.poll()
            if not local.alive() and search_idle(oracle):
                break
        watcher.poll()
        remaining = oracle.remaining_trials()
        budget_spent = deadline is not None and time.monotonic() >= deadline
        if budget_spent and remaining != 0:  # the workers stopped taking trials at the deadline
            manifest["search"]["budget_ended_search"] = True
        if local.deaths and remaining and not budget_spent:
            raise WorkersLost(
                f"search stopped with {plural(remaining, 'trial')} to go: every worker died "
                f"({plural(len(local.deaths), 'death')}); last: {local.deaths[-1]}"
            )
    finally:
        server.stop(grace=None)  # first: after Ctrl-C no worker may take another trial
        local.stop()
        manifest["workers"].update(
            {
                "restarts": local.restarts,
                "deaths": [*local.deaths, *lost],
                "trials_by_worker": _trials_by_worker(plan.run_dir),
            }
        )


def expire_leases(
    run_dir: RunDir, oracle: Any, leases: Leases, lost: list[str], local: LocalWorkers | None = None
) -> list[str]:
    """Fail the trials of workers whose heartbeat stopped; returns lines to show. A local worker's lapsed
    lease kills it, and `local.poll` then fails its trial and replaces it as for any death."""
    running = {str(tuner_id) for tuner_id in kt.locked(oracle, lambda oracle: list(oracle.ongoing_trials))}
    lines = []
    for tuner_id in leases.expired(running):
        silent = f"worker {tuner_id} lost its lease: {beat_file(run_dir, tuner_id)} unchanged for {leases.lease:g} s"
        if local is not None and LOCAL_ID.fullmatch(tuner_id):
            local.kill_hung(tuner_id, f"{silent} (the worker hung)")
            continue
        reason = f"{silent} (the worker died, or lost its network or the run directory)"
        lost.append(reason)
        trial = forget_worker(oracle, tuner_id, reason)
        if trial is not None:
            fail_record(run_dir, str(trial.trial_id), reason)
        lines.append(f"warning: {reason}" + (f"; trial {trial.trial_id} failed" if trial is not None else ""))
    return lines


def _trials_by_worker(run_dir: RunDir) -> dict[str, int]:
    ran: dict[str, int] = {}
    for record in trial_records(run_dir):
        if record.get("worker") and record.get("status") in FINISHED:
            ran[record["worker"]] = ran.get(record["worker"], 0) + 1
    return ran


class FinishedTrials:
    """The chief's progress lines: trials its workers finished, read from their records."""

    def __init__(self, run_dir: RunDir, recorder: TrialRecorder, reporter: Reporter):
        self.run_dir, self.recorder, self.reporter = run_dir, recorder, reporter
        # File names of finished trials' records: a poll reads only the others (running or new ones).
        self.seen = {self._name(r) for r in trial_records(run_dir) if r.get("status") in FINISHED}

    def _name(self, record: dict[str, Any]) -> str:
        return self.run_dir.trial_record(str(record["trial_id"])).name

    def poll(self) -> None:
        new = [r for r in trial_records(self.run_dir, skip=self.seen) if r.get("status") in FINISHED]
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
