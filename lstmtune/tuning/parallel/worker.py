"""A worker of a parallel search (`lstmtune worker`, or one of `search --workers N`): it joins the chief's
oracle and runs trials against it, writing the same run directory as a one-process search (trial
records, histories, checkpoints). keras-tuner alone leaves traps that are guarded here:

- a worker whose chief is gone waits an hour on every call, in silence: calls wait at most `--wait`
  seconds, then the worker stops with one line;
- a slow-starting chief (keras-tuner #990): a worker started first waits for its address;
- local workers orphaned by a killed chief would keep training: they die with their parent.

No TensorFlow at import: the CLI parses flags and plans, and sets the worker's threads, before
TensorFlow loads.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from lstmtune.core.names import DEFAULT_TASK
from lstmtune.core.status import RunStatus
from lstmtune.errors import LstmtuneError, OptionError, RunDirError
from lstmtune.plan import SearchPlan, SearchRequest, parse_address, plan_search
from lstmtune.run import manifest as run_manifest
from lstmtune.run.disk import quiet_disk_full_on_close
from lstmtune.run.layout import RunDir
from lstmtune.run.records import mark_interrupted
from lstmtune.tuning.events import Reporter

# keras-tuner's chief/worker mode reads these: the worker's id and its chief's address.
ID_ENV, IP_ENV, PORT_ENV = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
PARENT_ENV = "LSTMTUNE_PARENT_PID"  # a local worker exits when this process is gone
# A worker that ran its --recycle-after trials exits with this code and is replaced by a fresh
# process: TensorFlow's memory grows with every model built in a process and is only returned at exit.
RECYCLE_EXIT = 75
# A worker stopped by Ctrl-C (SIGINT) exits with this code, its trial kept for the search's --resume.
INTERRUPTED_EXIT = 130
LOCAL_ID = re.compile(r"worker\d+")  # the ids of a search's own workers
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,100}", re.ASCII)  # a worker's id names its files
DEFAULT_WAIT = 120.0  # seconds a worker waits for its chief to answer (keras-tuner's own: an hour)
IDLE_PAUSE = 0.5


class WorkerError(LstmtuneError):
    """A worker cannot join or lost its chief."""


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
    if waiting and not run_dir.manifest.is_file():
        return None
    manifest = run_manifest.load(run_dir)
    if manifest.get("status") != RunStatus.RUNNING.value:
        raise RunDirError(
            f"{run_dir.root}: no search is running in it (run.json status: {manifest.get('status')}); "
            "a worker joins a search started with --workers"
        )
    return manifest


def worker_plan(run_dir: RunDir, manifest: dict[str, Any], data: Path | None) -> SearchPlan:
    """Plan the trials' data exactly as the chief did: the run's data file (or --data, the same file at
    another path), its column and option flags, and its effective space (RUN_DIR/space.yaml)."""
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
        task=str(manifest.get("task") or DEFAULT_TASK),
        columns=columns,
        options=options,
        mixed_precision=bool((manifest.get("search") or {}).get("mixed_precision")),
    )
    plan = plan_search(request)
    if plan.data_sha256 != recorded.get("sha256"):
        raise OptionError(
            f"--data {path}: not the data the search runs on (contents differ from {recorded.get('path')})"
        )
    return dataclasses.replace(plan, run_dir=run_dir)


def deadline_of(manifest: dict[str, Any]) -> float | None:
    """The search's --time-budget end, as this process's time.monotonic()."""
    budget = (manifest.get("search") or {}).get("time_budget")
    started = (manifest.get("times") or {}).get("started")
    if not budget or not started:
        return None
    left = datetime.fromisoformat(started).timestamp() + float(budget) - time.time()
    return time.monotonic() + left


def run_worker(
    run_dir: RunDir,
    oracle: str | None,
    tuner_id: str | None,
    data: Path | None,
    wait: float,
    threads: int | None,
    recycle_after: int | None,
    reporter: Reporter,
) -> int:
    """Join a running search and run trials until the chief says stop; returns the exit code."""
    die_with_parent()
    quiet_disk_full_on_close()
    if tuner_id is not None and (not SAFE_ID.fullmatch(tuner_id) or set(tuner_id) == {"."}):
        raise OptionError(
            f"--id {tuner_id!r}: must be letters, digits, '.', '_' or '-' (it names the worker's files in "
            "RUN_DIR/workers), up to 100 characters"
        )
    if tuner_id and LOCAL_ID.fullmatch(tuner_id) and not os.environ.get(PARENT_ENV):
        raise OptionError(
            f"--id {tuner_id}: names of the form workerN are the search's own workers; "
            "choose another name (each worker's must differ), or leave it out (HOST-PID)"
        )
    (host, port), manifest = join_address(run_dir, oracle, wait)
    plan = worker_plan(run_dir, manifest, data)
    tuner_id = tuner_id or f"{socket.gethostname()}-{os.getpid()}"
    os.environ.update({ID_ENV: tuner_id, IP_ENV: host, PORT_ENV: str(port)})
    from lstmtune.tuning.parallel.lease import DEFAULT_LEASE, start_heartbeat

    start_heartbeat(run_dir, tuner_id, float((manifest.get("workers") or {}).get("lease") or DEFAULT_LEASE))
    if threads:  # before TensorFlow loads: it reads them once
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads == 1 else "2"

    from lstmtune.tuning.quiet import import_tensorflow_quietly, quiet_library_logs

    import_tensorflow_quietly()
    quiet_library_logs()
    search = plan.search
    reporter.search_begin(
        None,
        0,
        search.epochs,
        plan.data.objective.name,
        plan.data.figure_columns[0],
        worker=f"{tuner_id} at {host}:{port}",
    )
    try:
        return _run_trials(plan, manifest, tuner_id, f"{host}:{port}", wait, recycle_after, reporter)
    except KeyboardInterrupt:
        mark_interrupted(run_dir, worker=tuner_id)  # the chief's --resume runs its trial again
        raise


def _run_trials(
    plan: SearchPlan,
    manifest: dict[str, Any],
    tuner_id: str,
    address: str,
    wait: float,
    recycle_after: int | None,
    reporter: Reporter,
) -> int:
    """The worker's trials against the chief at `address`, until it has none left; returns the exit code."""
    import grpc
    import keras

    from lstmtune.tuning import kt
    from lstmtune.tuning.tuner import BudgetSpent, Recycle, set_up

    kt.set_call_timeout(wait)  # keras-tuner's own is an hour
    try:
        tuning = set_up(
            plan, reporter, deadline_of(manifest), overwrite=False, worker=tuner_id, recycle_after=recycle_after
        )
        _pause_when_idle(tuning.tuner.oracle)
        callbacks = (
            [keras.callbacks.TensorBoard(log_dir=str(plan.run_dir.tensorboard))]
            if (manifest.get("search") or {}).get("tensorboard")
            else []
        )
        tuning.tuner.search(verbose=0, callbacks=callbacks)
    except Recycle:
        return RECYCLE_EXIT
    except BudgetSpent:  # --time-budget: no new trial; the chief ends the search
        return 0
    except grpc.RpcError as error:
        code = error.code() if hasattr(error, "code") else None
        if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
            raise WorkerError(
                f"--oracle {address}: no answer from the search's chief within {wait:g} s "
                "(is the search still running there, and reachable from this machine?)"
            ) from None
        raise WorkerError(
            f"--oracle {address}: the chief answered with an error: "
            f"{error.details() if hasattr(error, 'details') else error}"
        ) from None
    return 0


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
