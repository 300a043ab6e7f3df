"""Keras heads shared by the one-label-per-item tasks (text, sequence): classification or regression,
with unregularised metrics named as the objectives expect (cross_entropy, accuracy, mse), and
tf.data pipelines over in-memory arrays."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lstmtune.tasks.base import KerasSide
from lstmtune.tasks.scoring import as_probabilities, confusion_matrix, macro_f1


def classification_head(x, n_classes: int):
    """A sigmoid unit for two classes (probability of class 1), a softmax over K classes otherwise."""
    if n_classes == 2:
        return keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.layers.Dense(n_classes, activation="softmax", name="output")(x)


def classification_loss(n_classes: int):
    return keras.losses.BinaryCrossentropy() if n_classes == 2 else keras.losses.SparseCategoricalCrossentropy()


def classification_metrics(n_classes: int) -> list[Any]:
    if n_classes == 2:
        return [keras.metrics.BinaryCrossentropy(name="cross_entropy"), keras.metrics.BinaryAccuracy(name="accuracy")]
    return [
        keras.metrics.SparseCategoricalCrossentropy(name="cross_entropy"),
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
    ]


def classification_targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Class ids as the loss wants them: (n, 1) floats for a sigmoid head, ids for softmax."""
    return y.astype(np.float32).reshape(-1, 1) if n_classes == 2 else y.astype(np.int64)


def regression_head(x):
    return keras.layers.Dense(1, name="output")(x)


def regression_metrics() -> list[Any]:
    return [keras.metrics.MeanSquaredError(name="mse"), keras.metrics.MeanAbsoluteError(name="mae")]


class MacroF1(keras.callbacks.Callback):
    """Adds val_macro_f1 to each epoch's logs (Keras has no unthresholded multi-class macro-F1 metric
    for integer labels); placed before early stopping and keras-tuner's own callbacks."""

    def __init__(self, dataset, labels: np.ndarray, n_classes: int):
        super().__init__()
        self.dataset = dataset
        self.labels = np.asarray(labels, dtype=int)
        self.n_classes = n_classes

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        outputs = np.asarray(self.model.predict(self.dataset, verbose=0), dtype=np.float64)
        if not np.isfinite(outputs).all():
            logs["val_macro_f1"] = float("nan")
            return
        predicted = as_probabilities(outputs, self.n_classes).argmax(axis=1)
        logs["val_macro_f1"] = macro_f1(confusion_matrix(self.labels, predicted, self.n_classes))


def array_dataset(
    inputs: Any, targets: np.ndarray | None, batch_size: int, shuffle: bool = False, seed: int | None = None
) -> tf.data.Dataset:
    """Batches of (inputs, targets), or of inputs alone when targets is None; inputs may be a dict."""
    items = inputs if targets is None else (inputs, targets)
    dataset = tf.data.Dataset.from_tensor_slices(items)
    if shuffle:
        count = (
            len(targets)
            if targets is not None
            else len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)
        )
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class ItemsKeras(KerasSide):
    """What the Keras sides of text and sequence share: one label (or value) per item held in
    `self.data` (y per split, n_classes, objective, class_weights())."""

    data: Any

    def callbacks(self, values: dict[str, Any]):
        if self.data.objective.name != "val_macro_f1":
            return []
        return [MacroF1(self.dataset("val", values, 256, with_targets=False), self.data.y["val"], self.data.n_classes)]

    def fit_options(self, values: dict[str, Any]):
        weights = self.data.class_weights()
        return {"class_weight": weights} if weights else {}
