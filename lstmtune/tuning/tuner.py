"""The stock keras-tuner tuner of a search, with trial hooks that write lstmtune's records, and the one
way a search or a worker sets up its hypermodel, recorder and tuner."""

from __future__ import annotations

import contextlib
import errno
import io
import time
from dataclasses import dataclass
from typing import Any

import keras
import keras_tuner

from lstmtune.core.interrupts import defer_stops, raise_if_requested
from lstmtune.plan import SearchPlan
from lstmtune.run.disk import Room
from lstmtune.space.settings import default_initial_points
from lstmtune.tuning import kt
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.fold_pruning import FoldPruner
from lstmtune.tuning.hypermodel import LstmHyperModel
from lstmtune.tuning.oracle import FastBayesianOptimization
from lstmtune.tuning.pruning import Pruner, PruneRule
from lstmtune.tuning.recorder import TrialRecorder
from lstmtune.tuning.release import GradientRegistrations, freeze_long_lived_objects

TUNERS = {
    # keras-tuner's Bayesian optimisation with a batched acquisition search: the same GP and acquisition,
    # 0.4 s a proposal instead of several seconds, no repeated values, aware of other workers' trials.
    "bayesian": FastBayesianOptimization,
    "random": keras_tuner.RandomSearch,
    "hyperband": keras_tuner.Hyperband,
}
# Non-finite trials are failed on purpose; stop only when something is wrong with every trial.
MAX_CONSECUTIVE_FAILURES = 5


class BudgetSpent(Exception):
    """--time-budget ran out before a new trial: the search ends with the trials it has."""


class Recycle(Exception):
    """The worker ran its --recycle-after trials: it exits and the chief starts a fresh one."""


@dataclass
class Tuning:
    """What runs a search's trials in one process: the hypermodel, the recorder of its trials, the tuner."""

    hypermodel: LstmHyperModel
    recorder: TrialRecorder
    tuner: keras_tuner.Tuner


def set_up(
    plan: SearchPlan,
    reporter: Reporter,
    deadline: float | None,
    overwrite: bool,
    worker: str | None = None,
    recycle_after: int | None = None,
) -> Tuning:
    """The hypermodel, recorder and tuner of a one-process search, or of a parallel search's worker."""
    search = plan.search
    side = plan.task.keras_side(plan.data)
    hypermodel = LstmHyperModel(
        plan.space,
        plan.data,
        side,
        plan.task.name,
        search.epochs,
        search.patience,
        search.seed,
        deadline,
        executions=search.executions,
        folds=[(fold, plan.task.keras_side(fold)) for fold in plan.folds],
        mixed_precision=plan.request.mixed_precision,
    )
    recorder = TrialRecorder(plan.run_dir, plan, reporter, worker=worker)
    # keras-tuner prints "Reloading Tuner from ..." on resume: noise, and stdout is the caller's.
    with contextlib.redirect_stdout(io.StringIO()):
        tuner = make_tuner(plan, hypermodel, recorder, overwrite, deadline=deadline, recycle_after=recycle_after)
    return Tuning(hypermodel, recorder, tuner)


def make_tuner(
    plan: SearchPlan,
    hypermodel: LstmHyperModel,
    recorder: TrialRecorder,
    overwrite: bool,
    deadline: float | None = None,
    recycle_after: int | None = None,
) -> keras_tuner.Tuner:
    """A stock tuner whose trial hooks also write lstmtune's records (the Oracle is left untouched).

    In a worker process (keras-tuner's chief/worker mode) the oracle is a client of the chief's;
    `recycle_after` makes the worker stop after that many trials, to be replaced by a fresh process.
    """
    kt.write_state_atomically()
    freeze_long_lived_objects()
    base = TUNERS[plan.search.tuner] if plan.space.tunable else TUNERS["random"]
    seed = plan.search.seed
    rule = PruneRule.of(plan.search)
    registrations = GradientRegistrations()  # what TensorFlow keeps of each finished trial (see release.py)
    pruner = Pruner(plan.run_dir, plan.data.objective, rule) if rule.active else None
    if rule.active and plan.search.folds > 1:
        hypermodel.fold_pruner = FoldPruner(plan.run_dir, plan.data.objective, rule.warmup_trials, recorder.prune_notes)
    room = Room(plan.run_dir)  # no trial starts without room for its files on the disk

    class RecordingTuner(kt.DeclaredSpace, base):  # type: ignore[misc, valid-type]
        trials_run = 0

        def pre_create_trial(self):
            raise_if_requested()
            super().pre_create_trial()
            # Past the deadline no trial starts, unless the budget of trials is spent anyway.
            remaining = getattr(self.oracle, "remaining_trials", None)
            if deadline is not None and time.monotonic() >= deadline and remaining != 0:
                raise BudgetSpent()
            if recycle_after and self.trials_run >= recycle_after:
                raise Recycle()
            room.check()

        def on_trial_begin(self, trial):
            defer_stops(True)  # until the trial ends, a stop is raised at the next batch (core/interrupts.py)
            super().on_trial_begin(trial)
            # Every trial starts from the same random state, so a configuration's score does not depend
            # on the trials before it, and best.yaml reproduces the best score, not only its values.
            keras.utils.set_random_seed(seed)
            hypermodel.executions_file = plan.run_dir.trial_executions(trial.trial_id)
            hypermodel.trial_id = trial.trial_id
            recorder.trial_begin(trial)
            if pruner is not None:
                pruner.begin(trial.trial_id)

        def on_epoch_end(self, trial, model, epoch, logs=None):
            super().on_epoch_end(trial, model, epoch, logs)
            recorder.epoch_end(trial, epoch, logs or {})
            reason = pruner.observe(trial.trial_id, logs or {}) if pruner is not None else None
            if reason is not None:
                model.stop_training = True
                hypermodel.pruned_epoch = epoch + 1
                recorder.prune_notes[trial.trial_id] = reason

        def on_trial_end(self, trial):
            defer_stops(False)
            if trial.status != kt.KtStatus.COMPLETED:
                raise_if_requested()  # a stop TensorFlow turned into the trial's error: interrupted, not failed
            if kt.is_worker(self) and trial.status == kt.KtStatus.COMPLETED:
                # A worker's trial object does not get the metrics it sent: the chief's copy has them.
                trial.metrics = self.oracle.get_trial(trial.trial_id).metrics
            if trial.status == kt.KtStatus.COMPLETED:
                room.check_checkpoint(trial.trial_id)  # before the trial is recorded completed
            if trial.status != kt.KtStatus.COMPLETED and "No space left on device" in str(trial.message or ""):
                # Not the configuration's fault: left running, the trial is trained again on --resume.
                raise OSError(errno.ENOSPC, "No space left on device")
            recorder.trial_end(trial)
            if pruner is not None:
                pruner.end(trial.trial_id)
            super().on_trial_end(trial)
            room.trial_ended(trial.trial_id)
            registrations.release()
            self.trials_run += 1

    return RecordingTuner(**_tuner_arguments(plan, hypermodel, overwrite))


def _tuner_arguments(plan: SearchPlan, hypermodel: LstmHyperModel, overwrite: bool) -> dict[str, Any]:
    search = plan.search
    arguments: dict[str, Any] = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(plan.data.objective.name, direction=plan.data.objective.direction),
        seed=search.seed + 1,  # keras-tuner replaces a seed of 0 by a random one
        directory=str(plan.run_dir.tuner),
        project_name=plan.run_dir.tuner_project.name,
        overwrite=overwrite,
        max_consecutive_failed_trials=MAX_CONSECUTIVE_FAILURES,
    )
    if search.tuner == "hyperband":
        return {**arguments, "max_epochs": search.epochs, "factor": 3}
    if search.tuner == "bayesian" and plan.space.tunable:  # with nothing to tune the GP would have no features
        return {**arguments, "max_trials": search.max_trials, "num_initial_points": initial_points(plan)}
    return {**arguments, "max_trials": search.max_trials}


def initial_points(plan: SearchPlan) -> int:
    return plan.search.initial_points or default_initial_points(plan.search.max_trials)
