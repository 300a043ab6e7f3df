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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lstmtune.tasks.model_size import ModelShape
from lstmtune.space.specs import Spec


@dataclass(frozen=True)
class Objective:
    """What trials are ranked on and early-stopped by: a key of Keras' epoch logs (e.g. val_mse)."""

    name: str
    direction: str  # "min" | "max"
    label: str  # for people: "validation MSE (scaled)"

    def better(self, a: float, b: float) -> bool:
        return a < b if self.direction == "min" else a > b

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "direction": self.direction, "label": self.label}


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
    def model_shape(self, values: dict[str, Any]) -> "ModelShape":
        """Steps, input width and outputs of the model for these values (to size it before building)."""

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


def too_few_items(path: Any, count: int, kind: str) -> list[str]:
    """The warning of text and sequence data with fewer than MIN_TRAINING_EXAMPLES training items."""
    if count >= MIN_TRAINING_EXAMPLES:
        return []
    return [f"{path}: only {count} training {kind}{'s' if count != 1 else ''}: too few to learn from; "
            "more data or a larger training share (--split) would help"]


class Task(ABC):
    """One kind of data: forecast, text or sequence."""

    name: str
    # Hyperparameters only this task has (added to the shared LSTM ones).
    specs: dict[str, Spec] = {}
    # Shared hyperparameters that do not apply to this task.
    excluded: tuple[str, ...] = ()
    # data: section / flag rules and the settings dataclass they build.
    data_rules: dict[str, Callable[[Any], Any]] = {}
    settings_class: type = object
    # Flags of DataRequest.columns / .options this task takes (others are an error naming the task).
    column_flags: tuple[str, ...] = ()
    option_flags: tuple[str, ...] = ()
    @abstractmethod
    def prepare(self, request: DataRequest, space: Any) -> Prepared:
        """Read and check the CSV against the space (longest window, largest vocabulary...)."""

    @abstractmethod
    def keras_side(self, prepared: Prepared) -> "KerasSide":
        """The Keras half (imports TensorFlow)."""

    @abstractmethod
    def predictor_encoder(self, state: dict[str, Any]) -> Any:
        """An encoder rebuilt from preprocessing.json for `Predictor` (no TensorFlow): it has
        `encode_frame(frame, source, ...) -> (model inputs, context)` and `decode(outputs, context)`."""

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        """Findings about the best trial (a ranked-table row) against this task's baselines."""
        return []


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
    def dataset(self, split: str, values: dict[str, Any], batch_size: int, shuffle: bool = False,
                seed: int | None = None, with_targets: bool = True) -> Any: ...

    def callbacks(self, values: dict[str, Any]) -> list[Any]:
        """Callbacks that add figures to the epoch logs (before early stopping reads them)."""
        return []

    def fit_options(self, values: dict[str, Any]) -> dict[str, Any]:
        """Extra model.fit arguments (class_weight)."""
        return {}
