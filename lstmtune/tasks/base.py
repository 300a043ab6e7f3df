"""The Task seam: what differs between kinds of data. No TensorFlow at import.

A task has two halves:

- `Task` + its `Prepared` data (numpy / pandas): settings and extra hyperparameters, reading the
  CSV into leakage-free splits, baselines, figures and the objective, the encoder state saved to
  preprocessing.json. `check`, `report` and planning use only this half.
- its Keras side (`KerasSide`, imported only when training or predicting): the input layer, the
  head, loss and metrics, and the tf.data pipeline for each split.

One HyperModel builds input -> the shared LSTM body -> head for every task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lstmtune.core.objective import Objective
from lstmtune.core.validate import Validator
from lstmtune.space.specs import Spec
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.reference import Reference
from lstmtune.tasks.scoring import SKILL_CAPTIONS


@dataclass(frozen=True)
class Shape:
    """A model input's or output's shape without the batch dimension, and the preprocessing.json fields
    that set it (named when a model and its preprocessing state disagree)."""

    dims: tuple[int | None, ...]
    fields: str


def check_labels(labels: Any) -> None:
    """A classifier's labels as preprocessing.json keeps them: two or more, all different."""
    if not isinstance(labels, list) or len(labels) < 2 or len({str(label) for label in labels}) != len(labels):
        raise ValueError(f"labels must list two or more different classes, but got {labels!r}")


@dataclass(frozen=True)
class Presentation:
    """How reports speak of a task's runs: what differs in their words and pictures."""

    kind: str  # for people: "forecast", "classification" or "regression"
    model_column: str  # the figures table's model column: "forecast" or "model"
    skill: str  # what skill means (the figures table's caption)
    original_units: bool  # figures are in the target's own units (not probabilities)
    # The baselines' figures are in the objective's own units, so the curves can draw a baseline line.
    baseline_in_objective_units: bool
    # The predictions picture: "time" (truth, prediction and the naive forecast over time), "scatter"
    # (predicted against true), "scores" (anomaly scores by class and the ROC curve) or "" (none:
    # classification shows a confusion matrix).
    predictions: str
    predictions_note: str  # the end of the predictions picture's caption: what is drawn beside the model
    summary_prose: bool  # the data summary reads as prose (the forecast's data line is a list of settings)


CLASSIFICATION = Presentation(
    kind="classification",
    model_column="model",
    skill="skill = 1 - cross-entropy / cross-entropy of the training class shares (prior)",
    original_units=False,
    baseline_in_objective_units=True,
    predictions="",
    predictions_note="",
    summary_prose=True,
)
REGRESSION = Presentation(
    kind="regression",
    model_column="model",
    skill="skill = 1 - RMSE / RMSE of the training mean",
    original_units=True,
    baseline_in_objective_units=True,
    predictions="scatter",
    predictions_note="; points on the dashed line are perfect.",
    summary_prose=True,
)


@dataclass(frozen=True)
class DataRequest:
    """What the user named: the CSV, its columns and the task's flags, before any reading.

    `columns` holds column flags (target, time_col, text_col, id_col, ...), `options` other data
    flags (wide, encoding, embeddings, strict, ...); `settings` is the task's validated settings
    dataclass (flags over the space file's data: section).
    """

    path: Path
    columns: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    settings: Any = None
    seed: int = 42


# Fewer training windows, texts or sequences than this and a model mostly learns noise (and the default
# batch of 32 is never full): worth a warning, not a refusal.
MIN_TRAINING_EXAMPLES = 30


class Prepared(ABC):
    """A task's data: read, checked, split and encoded, ready for a search. Numpy only."""

    objective: Objective
    info: dict[str, Any]
    # The reference model fitted by `reference()`, whose test predictions `predictions()` adds.
    fitted_reference: Reference | None = None
    # Per-trial figure columns of the ranked table after the score (keys of a trial's metrics).
    figure_columns: tuple[str, ...] = ()

    @abstractmethod
    def summary(self) -> str:
        """One line saying what was read and what was done to it."""

    @abstractmethod
    def manifest_data(self) -> dict[str, Any]:
        """The task's part of run.json's `data` section (columns, rows, splits, labels...)."""

    @abstractmethod
    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{split: {baseline name: figures}} for val and test, on exactly the items models are scored on."""

    @abstractmethod
    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> dict[str, Any]:
        """Figures (original units) of raw model outputs for every item of `split`, in order."""

    @abstractmethod
    def state(self, values: dict[str, Any]) -> dict[str, Any]:
        """The encoder state for preprocessing.json: enough to turn new rows into model inputs."""

    @abstractmethod
    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> Any:
        """A pandas frame of `split`'s items: split, item, target, truth, prediction (and the naive
        forecast where there is one), written to predictions.csv for the report's pictures."""

    @abstractmethod
    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        """Steps, input width and outputs of the model for these values (to size it before building)."""

    def examples(self, split: str, outputs: np.ndarray) -> Any:
        """A pandas frame of a few of `split`'s items with the model's outputs step by step, for the
        report's pictures (RUN_DIR/reconstructions.csv), or None where the task draws none."""
        return None

    def series_scores(self, split: str, outputs: np.ndarray) -> Any:
        """A pandas frame of per-step scores along one series (RUN_DIR/step_scores.csv), or None."""
        return None

    def warnings(self, space: Any) -> list[str]:
        """Legitimate data a person should still hear about (shown even with -q, kept in run.json,
        repeated by report): gaps left by --fill drop, too few training examples..."""
        return []

    def check_lines(self, space: Any) -> list[str]:
        """Lines for `lstmtune check` beyond the summary (split sizes, vocabulary...)."""
        return []

    def fix_defaults(self, space: Any) -> Any:
        """The space with data-derived defaults filled in (e.g. text sequence_length)."""
        return space

    def reference_choices(self) -> tuple[str, ...]:
        """The reference models this data allows (`--reference NAME`), the task's usual one first."""
        return ()

    def fold(self, number: int, folds: int, space: Any) -> Prepared:
        """Fold `number` (1-based) of `folds` cross-validation folds inside training + validation, its
        preprocessing fitted on the fold's own training items; fold `folds` is this data itself. Only
        tasks whose `fold_kind` is set have folds; a fold too small for `space` is a DataError."""
        raise NotImplementedError

    def reference(self, choice: str) -> Reference | None:
        """Fit the reference model named `choice` ("auto": the usual choice for this data) on the
        training items and score it on validation and test; None when the task has none."""
        return None

    def output_encoding(self, values: dict[str, Any]) -> Any:
        """What decides how a trial's raw outputs become values: models whose raw outputs are averaged
        (an ensemble) must share it. The same for every trial unless the task searches it."""
        return None


def too_few_items(path: Any, count: int, kind: str) -> list[str]:
    """The warning of text and sequence data with fewer than MIN_TRAINING_EXAMPLES training items."""
    if count >= MIN_TRAINING_EXAMPLES:
        return []
    return [
        f"{path}: only {count} training {kind}{'s' if count != 1 else ''}: too few to learn from; "
        "more data or a larger training share (--split) would help"
    ]


class Task(ABC):
    """One kind of data: forecast, text or sequence."""

    name: str
    # Hyperparameters only this task has (added to the shared LSTM ones).
    specs: dict[str, Spec] = {}
    # Shared hyperparameters that do not apply to this task.
    excluded: tuple[str, ...] = ()
    # data: section / flag rules and the settings dataclass they build.
    data_rules: dict[str, Validator] = {}
    settings_class: type = object
    # Flags of DataRequest.columns / .options this task takes (others are an error naming the task).
    column_flags: tuple[str, ...] = ()
    option_flags: tuple[str, ...] = ()
    # Hyperparameters a command-line flag may fix (--lookback), with the rule the flag's value obeys.
    fixing_rules: dict[str, Validator] = {}
    # Whether --target may name several columns (forecasting several series at once).
    multiple_targets: bool = False
    # `lstmtune init`: one line saying what the task is for, and the suggested ranges of its own knobs.
    purpose: str = ""
    starter_ranges: dict[str, Any] = {}
    # predict: keyword options of the encoder (forecast: all_windows), whether "NA" or "None" in the
    # new CSV are words rather than missing values, and whether the output keeps its index column.
    predict_options: tuple[str, ...] = ()
    na_is_text: bool = False
    indexed_predictions: bool = False
    # predict can write the reconstructed inputs (--reconstruction): its result's attrs["reconstruction"].
    reconstructs: bool = False
    # Every reference model `--reference NAME` may name for this task (the data may allow fewer), and
    # what to try when the reference beats the best LSTM.
    references: tuple[str, ...] = ()
    reference_needs: dict[str, str] = {}  # what a model needs of the data ("--season M"), for messages
    reference_advice: str = ""
    # How `--folds K` cuts training + validation into folds (Prepared.fold), or None: no folds.
    fold_kind: str | None = None

    def advice_against_reference(self, manifest: Any, table: Any) -> str:
        """What to try when the reference beats the best LSTM, given the run (its manifest and ranked table)."""
        return self.reference_advice

    @abstractmethod
    def prepare(self, request: DataRequest, space: Any) -> Prepared:
        """Read and check the CSV against the space (longest window, largest vocabulary...)."""

    @abstractmethod
    def keras_side(self, prepared: Prepared) -> KerasSide:
        """The Keras half (imports TensorFlow)."""

    @abstractmethod
    def predictor_encoder(self, state: dict[str, Any]) -> Any:
        """An encoder rebuilt from preprocessing.json for `Predictor` (no TensorFlow): it has
        `encode_frame(frame, source, ...) -> (model inputs, context)` and `decode(outputs, context)`."""

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        """Findings about the best trial (a ranked-table row) against this task's baselines."""
        return []

    def presentation(self, figures: tuple[str, ...], data: dict[str, Any] | None = None) -> Presentation:
        """How reports speak of a run of this task with these figure columns and run.json data section
        (whose skill_basis says what classification skill was computed on; cross-entropy before it was
        recorded)."""
        if "val_accuracy" not in figures:
            return REGRESSION
        basis = (data or {}).get("skill_basis")
        return replace(CLASSIFICATION, skill=SKILL_CAPTIONS.get(str(basis), CLASSIFICATION.skill))

    def chance_skill(self, row: Any, data: dict[str, Any]) -> float:
        """The validation skill a trial (a ranked-table row) reaches on data without any structure to learn:
        below it (plus a noise margin) the trial is `not_learning`. 0 where the naive baseline is what a
        model that learns nothing predicts."""
        return 0.0

    def data_line(self, data: dict[str, Any]) -> str:
        """run.json's data section in one line: the file and what was done to it."""
        return "  ".join([f"data: {data.get('path')}", f"task: {self.name}", str(data.get("summary") or "")]).rstrip()


class KerasSide(ABC):
    """A task's Keras half: input, head, loss and metrics, tf.data pipelines."""

    @abstractmethod
    def inputs(self, values: dict[str, Any]) -> tuple[Any, Any, Any]:
        """(keras inputs, tensor fed to the LSTM body, mask or None)."""

    @abstractmethod
    def head(self, x: Any, values: dict[str, Any]) -> Any:
        """The output layer(s) on the body's last output."""

    @abstractmethod
    def loss(self) -> Any: ...

    @abstractmethod
    def metrics(self) -> list[Any]:
        """Unregularised Keras metrics; the objective is one of them (or added by a callback)."""

    @abstractmethod
    def dataset(
        self,
        split: str,
        values: dict[str, Any],
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        with_targets: bool = True,
    ) -> Any: ...

    def weighted_metrics(self) -> list[Any]:
        """Unregularised Keras metrics weighted by the datasets' sample weights (masked steps)."""
        return []

    def callbacks(self, values: dict[str, Any]) -> list[Any]:
        """Callbacks that add figures to the epoch logs (before early stopping reads them)."""
        return []

    def fit_options(self, values: dict[str, Any]) -> dict[str, Any]:
        """Extra model.fit arguments (class_weight)."""
        return {}
