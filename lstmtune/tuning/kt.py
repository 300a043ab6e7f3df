"""Every use of keras-tuner's private API (keras-tuner 1.4), each with why lstmtune needs it.

An upgrade of keras-tuner is checked against this file:

- `keras_tuner.src.utils.save_json` is replaced (`write_state_atomically`): keras-tuner truncates
  oracle.json and trial.json in place to rewrite them (several times per trial), and a search killed in
  those milliseconds left an empty oracle.json that could not be resumed.
- `Tuner._populate_initial_space` is overridden (`DeclaredSpace`): keras-tuner builds a model there to
  discover conditional hyperparameters; lstmtune declares them all up front and none is conditional,
  so declaring is enough, and a model too big to build fails its trial instead of the start-up.
- `Tuner._is_worker` (`is_worker`): a worker's trial object lacks the metrics it sent to the chief.
- `keras_tuner.src.config.DEBUG` (`quiet_failed_trials`): keras-tuner prints the traceback of every
  failed trial; its reason is kept in the trial's record instead.
- `keras_tuner.src.distribute.oracle_client.TIMEOUT` (`set_call_timeout`): a worker's calls to its chief
  wait an hour by default, in silence; `lstmtune worker --wait` bounds them.
- `keras_tuner.src.protos` and `keras_tuner.src.distribute.oracle_chief.OracleServicer` (`oracle_server`):
  keras-tuner serves its oracle only from inside `Tuner.search`, which blocks; the chief serves it
  while it supervises its local workers.
- `keras_tuner.synchronized` applied to a plain function of the oracle (`locked`): the oracle's lock,
  to forget a dead worker and read its running trials while gRPC threads call it.
- `Oracle.reload` on an oracle already built (`reload_oracle`): keras-tuner reloads its oracle only
  beside its own tuner file (tuner0.json).
- `Oracle._retry_queue` and `Oracle._save_trial` (`settle_finished_trials`): ongoing trials queued again
  by `reload`, of which a killed search may have finished some.
- `Oracle._check_consecutive_failures`'s rule (`failed_in_a_row`): keras-tuner ends a search with a
  plain RuntimeError when trials fail in a row; the oracle's state says whether that is why it ended.

The oracle of lstmtune.tuning.oracle subclasses keras-tuner's Bayesian oracle and its overriding
`populate_space` reads the base class's private helpers (`_random_populate_space`, `_nonfixed_space`,
`_vector_to_values`, `_duplicate`, `_random_state`); they stay there, beside the algorithm that uses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras_tuner

from lstmtune.core.status import TrialStatus
from lstmtune.run.atomic import write_text
from lstmtune.run.layout import RunDir
from lstmtune.run.records import trial_records

KtStatus = keras_tuner.engine.trial.TrialStatus
# keras-tuner's statuses of a finished trial, as lstmtune's records name them.
FINISHED_STATUSES = {KtStatus.COMPLETED: TrialStatus.COMPLETED, KtStatus.FAILED: TrialStatus.FAILED}
# lstmtune's records of the trials keras-tuner counts as completed (it learns from a pruned trial's score).
PASSED = (TrialStatus.COMPLETED.value, TrialStatus.PRUNED.value)


def _save_json_atomically(path: str, obj: Any) -> str:
    """keras-tuner's save_json, written via a temporary file and a rename."""
    text = json.dumps(obj)
    write_text(Path(path), text)
    return text


def write_state_atomically() -> None:
    """Every state file keras-tuner writes from now on goes through a temporary file and a rename."""
    keras_tuner.src.utils.save_json = _save_json_atomically


class DeclaredSpace:
    """A tuner mixin (before the tuner class): the space is declared, never discovered by building a model."""

    def _populate_initial_space(self):
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)


def is_worker(tuner: keras_tuner.Tuner) -> bool:
    """The tuner runs trials for a chief's oracle (keras-tuner's chief/worker mode)."""
    return tuner._is_worker()


def quiet_failed_trials() -> None:
    """No traceback printed for each failed trial."""
    try:
        from keras_tuner.src import config as tuner_config

        tuner_config.DEBUG = False
    except ImportError:  # pragma: no cover
        pass


def set_call_timeout(seconds: float) -> None:
    """How long a worker's call to its chief may wait (read at every call)."""
    from keras_tuner.src.distribute import oracle_client

    oracle_client.TIMEOUT = seconds


def oracle_server(oracle: Any) -> Any:
    """A gRPC server (not started, no port yet) with keras-tuner's servicer of `oracle`."""
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))  # one call at a time, as keras-tuner does
    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)
    return server


def locked(oracle: Any, function: Callable[[Any], Any]) -> Any:
    """`function(oracle)` under the oracle's lock, the one its gRPC calls take."""
    return keras_tuner.synchronized(function)(oracle)


def reload_oracle(tuner: keras_tuner.Tuner) -> None:
    """Load the oracle's saved state when keras-tuner did not (a run whose state has no tuner0.json):
    a resumed run must not start again from trial 0 over finished trials."""
    if not tuner.oracle.trials:
        tuner.oracle.reload()


def settle_finished_trials(oracle: Any, run_dir: RunDir) -> None:
    """A search killed while a trial was ending can leave keras-tuner's oracle.json listing that trial as
    ongoing, and keras-tuner would train it again on resume. Keep a trial that finished (in its
    trial.json, or in lstmtune's record) finished instead."""
    records = {str(r["trial_id"]): r for r in trial_records(run_dir)}
    settled = False
    for trial_id in list(oracle._retry_queue):  # ongoing trials queued again by reload()
        trial = oracle.trials.get(trial_id)
        record = records.get(str(trial_id)) or {}
        if trial is None:
            continue
        if trial.status not in FINISHED_STATUSES and record.get("status") in PASSED:
            for name, value in (record.get("metrics") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):  # a NaN figure is kept as null
                    trial.metrics.update(name, float(value))
            trial.status = KtStatus.COMPLETED
            oracle.score_trial(trial)
            oracle._save_trial(trial)
        elif trial.status not in FINISHED_STATUSES and record.get("status") == TrialStatus.FAILED.value:
            trial.status, trial.message = KtStatus.FAILED, record.get("reason")
            oracle._save_trial(trial)
        if trial.status in FINISHED_STATUSES:
            oracle._retry_queue.remove(trial_id)
            if trial_id not in oracle.end_order:
                oracle.end_order.append(trial_id)
            settled = True
    if settled:
        oracle.save()


def failed_in_a_row(oracle: Any) -> bool:
    """The oracle ended `max_consecutive_failed_trials` trials in a row as failed: the state in which its
    end_trial raises (the same count as `Oracle._check_consecutive_failures`)."""
    limit = getattr(oracle, "max_consecutive_failed_trials", None)
    if not limit:
        return False
    in_a_row = 0
    for trial_id in oracle.end_order:
        in_a_row = in_a_row + 1 if oracle.trials[trial_id].status == KtStatus.FAILED else 0
        if in_a_row == limit:
            return True
    return False


def interrupted_in_native_code(error: BaseException) -> bool:
    """A Ctrl-C that landed in TensorFlow's C++ (tf.io.gfile, which keras-tuner writes its files with):
    pybind11 hands it back as a RuntimeError whose text alone names it ("error_already_set: MISMATCH ...
    REPLACED BY KeyboardInterrupt"); no type or attribute tells it apart."""
    return "KeyboardInterrupt" in str(error)
