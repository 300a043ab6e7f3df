"""One keras_tuner HyperModel for every task: the task's input -> the shared LSTM body -> its head;
fit with early stopping on the task's unregularised objective; scored by the task on validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import keras_tuner
import numpy as np

from lstmtune.space.params import Space
from lstmtune.tasks.base import KerasSide, Prepared
from lstmtune.tasks.model_size import too_big
from lstmtune.tuning import executions
from lstmtune.tuning.fold_pruning import FoldPruner
from lstmtune.tuning.model import (
    LearningRateLogger,
    RaiseStopRequests,
    StopAtDeadline,
    StopOnDivergence,
    build_for_training,
    build_model,
    diverged_at,
    learning_rate_callbacks,
    trace_predict_once,
)

EVAL_BATCH = 256


def declare(hp: keras_tuner.HyperParameters, space: Space) -> dict[str, Any]:
    """Register every hyperparameter of the space with keras-tuner and return the values for this trial."""
    for p in space.params.values():
        if p.kind == "fixed":
            hp.Fixed(p.name, p.value)
        elif p.kind == "choice":
            hp.Choice(p.name, list(p.values))
        elif p.kind == "int":
            extra = {"step": int(p.step)} if p.step else {}
            hp.Int(p.name, int(p.low), int(p.high), sampling="log" if p.log else "linear", **extra)
        else:
            hp.Float(p.name, p.low, p.high, step=p.step, sampling="log" if p.log else "linear")
    return trial_values(hp, space)


def trial_values(hp: keras_tuner.HyperParameters, space: Space) -> dict[str, Any]:
    """A trial's value of every hyperparameter of the space (booleans as booleans)."""
    return space.typed({name: hp.get(name) for name in space.params})


def predict_outputs(model: keras.Model, side: KerasSide, split: str, values: dict[str, Any]) -> np.ndarray:
    """Raw model outputs for every item of `split`, in order."""
    dataset = side.dataset(split, values, EVAL_BATCH, with_targets=False)
    trace_predict_once(model, dataset)
    return np.asarray(model.predict(dataset, verbose=0), dtype=np.float64)


def evaluate(
    model: keras.Model, prepared: Prepared, side: KerasSide, split: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The task's figures of a model on one split (original units): the one place trials are scored."""
    outputs = predict_outputs(model, side, split, values)
    if not np.isfinite(outputs).all():
        raise keras_tuner.errors.FailedTrialError(f"{split} predictions are not finite")
    return prepared.evaluate(split, outputs, values)


class FiguresAtEnd(keras.callbacks.Callback):
    """Training and validation figures of the last epoch's weights, taken before early stopping puts
    the best epoch's weights back (it must come before EarlyStopping in the callback list)."""

    def __init__(self, prepared: Prepared, side: KerasSide, values: dict[str, Any]):
        super().__init__()
        self.prepared, self.side, self.values = prepared, side, values
        self.figures: dict[str, dict[str, Any]] = {}

    @property
    def skill(self) -> dict[str, float]:
        return {split: float(figures["skill"]) for split, figures in self.figures.items()}

    def on_train_end(self, logs=None):
        try:
            self.figures = {
                split: evaluate(self.model, self.prepared, self.side, split, self.values) for split in ("train", "val")
            }
        except keras_tuner.errors.FailedTrialError:  # the last weights predict non-finite values
            self.figures = {}


class LstmHyperModel(keras_tuner.HyperModel):
    """Builds the model from the space, fits it with early stopping, scores it on validation."""

    def __init__(
        self,
        space: Space,
        prepared: Prepared,
        side: KerasSide,
        task: str,
        epochs: int,
        patience: int,
        seed: int,
        deadline: float | None = None,
        executions: int = 1,
        folds: list[tuple[Prepared, KerasSide]] | None = None,
        mixed_precision: bool = False,
    ):
        super().__init__(name="lstmtune")
        self.space = space
        self.prepared = prepared
        self.side = side
        self.task = task
        self.objective = prepared.objective
        self.epochs = epochs
        self.patience = patience
        self.seed = seed
        self.deadline = deadline  # time.monotonic() after which a trial stops at its next epoch end
        self.pruned_epoch = 0  # set by the tuner when it prunes the trial being fitted (1-based; 0: not pruned)
        self.executions = executions
        self.folds = folds or []  # folds 1 .. K-1 of --folds K (fold K is `prepared` itself)
        self.mixed_precision = mixed_precision
        self.executions_file: Path | None = None  # set by the tuner for the trial being fitted
        self.trial_id = ""  # set by the tuner for the trial being fitted
        self.fold_pruner: FoldPruner | None = None  # with --folds and pruning on (set by the tuner)

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        declare(hp, self.space)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        values = declare(hp, self.space)
        reason = too_big(values, self.prepared.model_shape(values))
        if reason:  # before Keras allocates it: a failed trial, not an out-of-memory kill
            raise keras_tuner.errors.FailedTrialError(reason)
        return build_model(self.side, values, f"lstmtune_{self.task}", self.mixed_precision)

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs) -> dict[str, float]:
        """The trial's figures: of one fit, or averaged over the fits of --folds K and --executions N (see
        tuning/executions.py). keras-tuner's callbacks (its checkpoint of the best epoch, the trial's
        records, pruning) see the first fit only: the validation split's, from the search's seed."""
        if self.executions == 1 and not self.folds:
            return self.fit_once(hp, model, callbacks, epochs, initial_epoch, self.seed)
        runs = executions.finished(self.executions_file)
        plan = executions.schedule(len(self.folds) + 1, self.executions)
        for fold, number in plan[len(runs) :]:
            if runs and runs[0]["metrics"].get("pruned_epoch"):  # a hopeless configuration is not trained again
                break
            if runs and runs[-1]["metrics"].get("budget_stopped_epoch"):  # --time-budget ran out: no more fits
                break
            seed = self.seed + number - 1
            first = not runs
            if not first:
                keras.utils.set_random_seed(seed)
            prepared, side = (self.prepared, self.side) if fold == len(self.folds) + 1 else self.folds[fold - 1]
            try:
                scores = self.fit_once(
                    hp,
                    model
                    if first
                    else build_model(side, trial_values(hp, self.space), f"lstmtune_{self.task}", self.mixed_precision),
                    callbacks if first else None,
                    epochs,
                    initial_epoch,
                    seed,
                    prepared,
                    side,
                )
            except keras_tuner.errors.FailedTrialError as error:
                if first:
                    raise
                raise keras_tuner.errors.FailedTrialError(
                    f"fold {fold}, execution {number} (seed {seed}): {error}"
                ) from None
            runs.append({"fold": fold, "execution": number, "seed": seed, "metrics": scores})
            executions.save(self.executions_file, runs)
            if number == self.executions and self.fold_pruner is not None and len(runs) < len(plan):
                if self.fold_pruner.check(self.trial_id, runs):  # a fold ended clearly worse than the best's
                    return {**executions.combined(runs, self.objective.name), "pruned_folds": float(fold_count(runs))}
        if runs[0]["metrics"].get("pruned_epoch"):
            return runs[0]["metrics"]
        return executions.combined(runs, self.objective.name)

    def fit_once(
        self,
        hp,
        model,
        callbacks: list | None,
        epochs: int | None,
        initial_epoch: int,
        seed: int,
        prepared: Prepared | None = None,
        side: KerasSide | None = None,
    ) -> dict[str, float]:
        """Fit one model with early stopping and score it on validation (of a fold's data, or the search's)."""
        prepared, side = prepared or self.prepared, side or self.side
        values = trial_values(hp, self.space)
        self.pruned_epoch = 0
        train = side.dataset("train", values, values["batch_size"], shuffle=True, seed=seed)
        val = side.dataset("val", values, EVAL_BATCH)
        early = keras.callbacks.EarlyStopping(
            monitor=self.objective.name,
            mode=self.objective.direction,
            patience=self.patience,
            restore_best_weights=True,
        )
        budget = StopAtDeadline(self.deadline)
        at_end = FiguresAtEnd(prepared, side, values)
        all_callbacks = [
            LearningRateLogger(),
            *side.callbacks(values),  # figures the objective may need, before anything reads the logs
            *(callbacks or []),
            *learning_rate_callbacks(
                values, self.epochs, self.objective.name, self.objective.direction, self.patience
            ),  # after the figures they may monitor
            at_end,  # before early stopping, which restores the best weights when training ends
            early,
            StopOnDivergence(),
            budget,
            RaiseStopRequests(),
        ]
        build_for_training(model, train)
        history = model.fit(
            train,
            validation_data=val,
            epochs=epochs or self.epochs,
            initial_epoch=initial_epoch,
            callbacks=all_callbacks,
            verbose=0,
            shuffle=False,
            **side.fit_options(values),
        )
        if (budget.stopped_epoch or self.pruned_epoch) and early.best_weights is not None:
            model.set_weights(early.best_weights)  # Keras restores them only when early stopping stops training
        scores = self.score(model, history.history, values, initial_epoch, at_end.figures, prepared, side)
        scores["budget_stopped_epoch"] = float(budget.stopped_epoch)  # Keras numbers epochs from 0 across rounds
        scores["pruned_epoch"] = float(self.pruned_epoch)
        scores["gap_end"] = (
            generalisation_gap(at_end.skill["val"], at_end.skill["train"]) if at_end.skill else float("nan")
        )
        return scores

    def score(
        self,
        model: keras.Model,
        history: dict[str, list[float]],
        values: dict[str, Any],
        initial_epoch: int,
        last_figures: dict[str, dict[str, Any]] | None = None,
        prepared: Prepared | None = None,
        side: KerasSide | None = None,
    ) -> dict[str, float]:
        """Summarise a fitted trial; a non-finite objective makes it a failed trial, not a perfect one.

        `last_figures` (by split) are those of the last epoch's weights: when the best epoch is the last
        one the model holds those same weights, and they are not computed again.
        Every value is a float: keras-tuner stores them as the trial's metrics, which the trial record reads.
        """
        name = self.objective.name
        objective = np.asarray(history.get(name, []), dtype=float)
        losses = np.asarray(history.get("loss", []), dtype=float)
        if not np.isfinite(objective).any():
            broken = ~np.isfinite(losses[: len(objective)]) if len(losses) >= len(objective) else np.zeros(0, bool)
            what = "training loss" if broken.any() else name
            epoch = initial_epoch + (int(np.argmax(broken)) + 1 if broken.any() else 1)
            raise keras_tuner.errors.FailedTrialError(f"{what} became non-finite at epoch {epoch}")
        diverged = diverged_at(losses)
        if diverged == 0:  # nothing learnt before it: no weights worth keeping
            raise keras_tuner.errors.FailedTrialError(
                f"training loss exploded at epoch {initial_epoch + 1} ({losses[0]:.3g}); lower the learning rate or set clipnorm"
            )
        finite = np.where(np.isfinite(objective), objective, np.nan)
        best = int(np.nanargmin(finite) if self.objective.direction == "min" else np.nanargmax(finite))
        if last_figures and best == len(objective) - 1:
            figures, train_figures = last_figures["val"], last_figures["train"]
        else:
            prepared, side = prepared or self.prepared, side or self.side
            figures = evaluate(model, prepared, side, "val", values)
            train_figures = evaluate(model, prepared, side, "train", values)
        train_loss, val_loss = float(history["loss"][best]), float(history["val_loss"][best])
        scores = {
            name: float(objective[best]),
            **{
                _figure_key(key): float(value)
                for key, value in figures.items()
                if isinstance(value, (int, float)) and key not in ("windows", "items") and _figure_key(key) != name
            },
            "train_loss": train_loss,
            "val_loss": val_loss,
            "train_skill": float(train_figures["skill"]),
            "gap": generalisation_gap(figures["skill"], train_figures["skill"]),
            "val_rise": _rise(finite, best, self.objective.direction),
            "best_epoch": float(initial_epoch + best + 1),
            "epochs_run": float(initial_epoch + len(objective)),
            "diverged_epoch": float(initial_epoch + diverged + 1) if diverged is not None else 0.0,
        }
        train_name = name.removeprefix("val_")
        if train_name in history:
            scores[f"train_{train_name}"] = float(history[train_name][best])
        return scores


def fold_count(runs: list[dict[str, Any]]) -> int:
    return len({run.get("fold") for run in runs})


def _rise(objective: np.ndarray, best: int, direction: str) -> float:
    """How much worse the validation objective ended than at its best epoch: relative for minimised
    objectives (0.25 = 25% higher), absolute for maximised ones (accuracy, F1: 0.05 lower)."""
    last = objective[np.isfinite(objective)][-1]
    if direction == "max":
        return float(objective[best] - last)
    return float((last - objective[best]) / abs(objective[best])) if objective[best] else 0.0


def generalisation_gap(val_skill: float, train_skill: float) -> float:
    """How many times further from perfect the model is on validation than on training, each split's
    error measured against its own naive baseline: (1 - val skill) / (1 - train skill).

    Both figures come from the best weights in inference mode (no dropout, no L1/L2 penalty), and each
    split is compared with the naive forecast of that same split, so a validation period that is simply
    harder (larger swings) does not read as overfitting. 1 means it does as well, relative to naive, on
    data it never saw; a model that memorised its training data has a large gap. A model that does not
    beat the naive baseline on its own training data has nothing to generalise: no gap (NaN).
    """
    val_error, train_error = 1.0 - float(val_skill), 1.0 - float(train_skill)
    if not (np.isfinite(val_error) and np.isfinite(train_error)) or train_skill <= 0:
        return float("nan")
    return val_error / train_error if train_error > 0 else float("inf")


def _figure_key(key: str) -> str:
    """Validation figures are recorded as val_<name>; skill keeps its name."""
    return key if key == "skill" else f"val_{key}"
