"""Parallel search on keras-tuner's own chief/worker mode.

The search process (the chief) keeps the oracle and serves it over gRPC with keras-tuner's
`OracleServicer`; worker processes (started here for `search --workers N`, or on other machines with
`lstmtune worker`) run trials against it and write the same run directory as a one-process search:
trial records, histories and checkpoints. keras-tuner alone leaves traps that are guarded here:

- a worker that dies keeps its trial "running" and its id registered, so the chief waits forever
  (keras-tuner #645, #915): the supervisor ends that trial as failed, forgets the worker and starts
  a replacement;
- a worker whose chief is gone waits an hour on every call, in silence: calls wait at most `--wait`
  seconds, then the worker stops with one line;
- workers orphaned by a killed chief would keep training: local workers die with their parent.

No TensorFlow at import: the CLI parses flags and plans before TensorFlow loads.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmtune.core.status import TrialStatus
from lstmtune.errors import LstmtuneError, OptionError, RunDirError
from lstmtune.plan import parse_address
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir

ID_ENV, IP_ENV, PORT_ENV = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
PARENT_ENV = "LSTMTUNE_PARENT_PID"  # a local worker exits when this process is gone
# A worker that ran its --recycle-after trials exits with this code and is replaced by a fresh
# process: TensorFlow's memory grows with every model built in a process and is only returned at exit.
RECYCLE_EXIT = 75
LOCAL_ID = re.compile(r"worker\d+")  # the ids of a search's own workers
DEFAULT_WAIT = 120.0  # seconds a worker waits for its chief to answer (keras-tuner's own: an hour)
STOP_GRACE = 15.0  # seconds workers get to end cleanly after a Ctrl-C before they are killed


class WorkerError(LstmtuneError):
    """A worker cannot join or lost its chief."""


def worker_threads(workers: int) -> int:
    """CPU threads for each local worker: the cores this process may use, shared out."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, workers))


# --------------------------------------------------------------------------------------------- chief


def serve_oracle(oracle: Any, host: str, port: int) -> tuple[Any, int]:
    """Start keras-tuner's gRPC servicer for `oracle` without blocking; returns (server, bound port)."""
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))  # one call at a time, as keras-tuner does
    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)
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


def _synchronized(function):
    from keras_tuner.src.engine.oracle import synchronized

    return synchronized(function)


def forget_worker(oracle: Any, tuner_id: str, reason: str) -> Any:
    """A worker is gone: end its running trial as failed (keras-tuner would keep it running forever)
    and drop its id, so the chief does not wait for it. Returns the trial it had, or None."""
    from keras_tuner.src.engine.trial import TrialStatus as KtStatus

    @_synchronized
    def forget(oracle: Any) -> Any:
        trial = oracle.ongoing_trials.get(tuner_id)
        oracle.tuner_ids.discard(tuner_id)
        return trial

    trial = forget(oracle)
    if trial is not None:
        trial.status, trial.message = KtStatus.FAILED, reason
        oracle.end_trial(trial)  # synchronized; raises keras-tuner's "consecutive failures" error like a trial would
    return trial


def search_idle(oracle: Any) -> bool:
    """No trial running and no worker registered: every worker was told to stop, or is gone."""

    @_synchronized
    def idle(oracle: Any) -> bool:
        return not oracle.ongoing_trials and not oracle.tuner_ids

    return idle(oracle)


def fail_record(run_dir: RunDir, trial_id: str, reason: str) -> dict[str, Any]:
    """Our record of a trial whose worker died: failed, with the reason and how long it had run."""
    from datetime import datetime, timezone

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
        return self.run_dir.root / "workers"

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
            reason = f"worker {tuner_id} died ({how}); its output: {worker.log}"
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


# -------------------------------------------------------------------------------------------- worker


def die_with_parent() -> None:
    """A local worker ends when the search that started it is gone, however it ended (Linux)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if str(os.getppid()) != parent:  # the parent died before prctl took effect
        sys.exit(1)


def join_address(run_dir: RunDir, oracle: str | None, wait: float) -> tuple[tuple[str, int], dict[str, Any]]:
    """(--oracle or the address the search wrote to run.json, the run's manifest). A worker started
    before its search waits up to `wait` seconds for it (keras-tuner #990: a slow-starting chief)."""
    deadline = time.monotonic() + wait
    while True:
        manifest = _running_manifest(run_dir, waiting=time.monotonic() < deadline)
        parallel = manifest.get("workers") if manifest else None
        if manifest and oracle:
            return parse_address(oracle, "--oracle"), manifest
        if manifest and not parallel:
            raise OptionError(
                f"{run_dir.root}: the search running there was not started with --workers; "
                "start it with --workers N (and --listen HOST:PORT for other machines)"
            )
        if manifest and parallel.get("oracle"):
            return parse_address(parallel["oracle"], "run.json workers.oracle"), manifest
        if time.monotonic() >= deadline:
            raise WorkerError(f"{run_dir.root}: the search did not start serving its workers within {wait:g} s")
        time.sleep(0.5)


def _running_manifest(run_dir: RunDir, waiting: bool) -> dict[str, Any] | None:
    """run.json of a running search; None while `waiting` and it is not written yet."""
    from lstmtune.run import manifest as run_manifest

    if waiting and not run_dir.manifest.is_file():
        return None
    manifest = run_manifest.load(run_dir)
    if manifest.get("status") != "running":
        raise RunDirError(
            f"{run_dir.root}: no search is running in it (run.json status: {manifest.get('status')}); "
            "a worker joins a search started with --workers"
        )
    return manifest


def worker_plan(run_dir: RunDir, manifest: dict[str, Any], data: Path | None) -> Any:
    """Plan the trials' data exactly as the chief did: the run's data file (or --data, the same file at
    another path), its column and option flags, and its effective space (RUN_DIR/space.yaml)."""
    import dataclasses

    from lstmtune.plan import SearchRequest, plan_search

    recorded = manifest.get("data") or {}
    path = Path(data) if data is not None else Path(str(recorded.get("path")))
    if not path.is_file():
        raise OptionError(
            f"--data {path}: not found on this machine; pass --data with the path of the run's data file here"
        )
    columns = {k: tuple(v) if isinstance(v, list) else v for k, v in (recorded.get("columns") or {}).items()}
    options = {k: Path(v) if k == "embeddings" else v for k, v in (recorded.get("options") or {}).items()}
    request = SearchRequest(
        data_path=path,
        space_path=run_dir.space,
        task=str(manifest.get("task") or "forecast"),
        columns=columns,
        options=options,
    )
    plan = plan_search(request)
    if plan.data_sha256 != recorded.get("sha256"):
        raise OptionError(
            f"--data {path}: not the data the search runs on (contents differ from {recorded.get('path')})"
        )
    return dataclasses.replace(plan, run_dir=run_dir)


def deadline_of(manifest: dict[str, Any]) -> float | None:
    """The search's --time-budget end, as this process's time.monotonic()."""
    from datetime import datetime

    budget = (manifest.get("search") or {}).get("time_budget")
    started = (manifest.get("times") or {}).get("started")
    if not budget or not started:
        return None
    left = datetime.fromisoformat(started).timestamp() + float(budget) - time.time()
    return time.monotonic() + left


class Recycle(Exception):
    """The worker ran its --recycle-after trials: it exits and the chief starts a fresh one."""


def run_worker(
    run_dir: RunDir,
    oracle: str | None,
    tuner_id: str | None,
    data: Path | None,
    wait: float,
    threads: int | None,
    recycle_after: int | None,
    reporter: Any,
) -> int:
    """Join a running search and run trials until the chief says stop; returns the exit code."""
    die_with_parent()
    if tuner_id and LOCAL_ID.fullmatch(tuner_id) and not os.environ.get(PARENT_ENV):
        raise OptionError(
            f"--id {tuner_id}: names of the form workerN are the search's own workers; "
            "choose another name (each worker's must differ), or leave it out (HOST-PID)"
        )
    (host, port), manifest = join_address(run_dir, oracle, wait)
    plan = worker_plan(run_dir, manifest, data)
    tuner_id = tuner_id or f"{socket.gethostname()}-{os.getpid()}"
    os.environ.update({ID_ENV: tuner_id, IP_ENV: host, PORT_ENV: str(port)})
    if threads:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads == 1 else "2"

    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import grpc
    import keras
    from keras_tuner.src.distribute import oracle_client

    from lstmtune.tuning.hypermodel import LstmHyperModel
    from lstmtune.tuning.search import BudgetSpent, TrialRecorder, make_tuner, quiet_library_logs

    quiet_library_logs()
    oracle_client.TIMEOUT = wait  # read at every call; keras-tuner's own is an hour
    side = plan.task.keras_side(plan.data)
    search = plan.search
    hypermodel = LstmHyperModel(
        plan.space, plan.data, side, plan.task.name, search.epochs, search.patience, search.seed, deadline_of(manifest)
    )
    recorder = TrialRecorder(run_dir, plan, reporter)
    recorder.number = 0  # a worker numbers the trials it runs itself
    reporter.search_begin(
        None,
        0,
        search.epochs,
        plan.data.objective.name,
        plan.data.figure_columns[0],
        worker=f"{tuner_id} at {host}:{port}",
    )
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # keras-tuner's "Reloading Tuner from ..."
            tuner = make_tuner(
                plan, hypermodel, recorder, overwrite=False, deadline=hypermodel.deadline, recycle_after=recycle_after
            )
        _pause_when_idle(tuner.oracle)
        callbacks = (
            [keras.callbacks.TensorBoard(log_dir=str(run_dir.tensorboard))]
            if (manifest.get("search") or {}).get("tensorboard")
            else []
        )
        tuner.search(verbose=0, callbacks=callbacks)
    except Recycle:
        return RECYCLE_EXIT
    except BudgetSpent:  # --time-budget: no new trial; the chief ends the search
        return 0
    except grpc.RpcError as error:
        code = error.code() if hasattr(error, "code") else None
        if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
            raise WorkerError(
                f"--oracle {host}:{port}: no answer from the search's chief within {wait:g} s "
                "(is the search still running there, and reachable from this machine?)"
            ) from None
        raise WorkerError(
            f"--oracle {host}:{port}: the chief answered with an error: "
            f"{error.details() if hasattr(error, 'details') else error}"
        ) from None
    except KeyboardInterrupt:
        _interrupt_running(run_dir, tuner_id)
        raise
    return 0


IDLE_PAUSE = 0.5


def _pause_when_idle(client: Any) -> None:
    """Hyperband's oracle answers IDLE while a round waits for other workers' trials, and keras-tuner's
    loop asks again at once: a busy loop of calls on a core another worker trains on. Pause instead."""
    create = client.create_trial

    def create_trial(tuner_id: str) -> Any:
        trial = create(tuner_id)
        if trial.status == "IDLE":
            time.sleep(IDLE_PAUSE)
        return trial

    client.create_trial = create_trial


def _interrupt_running(run_dir: RunDir, tuner_id: str) -> None:
    """Ctrl-C in a worker: its running trial is interrupted (the chief's --resume runs it again)."""
    from lstmtune.run.records import trial_records

    for record in trial_records(run_dir):
        if record.get("status") == TrialStatus.RUNNING.value and record.get("worker") == tuner_id:
            record["status"] = TrialStatus.INTERRUPTED.value
            write_json(run_dir.trial_record(str(record["trial_id"])), record)
