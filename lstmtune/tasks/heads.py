"""Keras heads shared by the one-label-per-item tasks (text, sequence): classification or regression,
with unregularised metrics named as the objectives expect (cross_entropy, accuracy, mse), and
tf.data pipelines over in-memory arrays."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lstmtune.tasks.base import KerasSide
from lstmtune.tasks.layers import output_dense


def classification_head(x, n_classes: int):
    """A sigmoid unit for two classes (probability of class 1), a softmax over K classes otherwise."""
    if n_classes == 2:
        return output_dense(1, "output", activation="sigmoid")(x)
    return output_dense(n_classes, "output", activation="softmax")(x)


def classification_loss(n_classes: int):
    return keras.losses.BinaryCrossentropy() if n_classes == 2 else keras.losses.SparseCategoricalCrossentropy()


def classification_metrics(n_classes: int) -> list[Any]:
    """Cross-entropy, accuracy and macro-F1: each objective and its training twin in every epoch's logs."""
    if n_classes == 2:
        return [
            keras.metrics.BinaryCrossentropy(name="cross_entropy"),
            keras.metrics.BinaryAccuracy(name="accuracy"),
            MacroF1(n_classes),
        ]
    return [
        keras.metrics.SparseCategoricalCrossentropy(name="cross_entropy"),
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        MacroF1(n_classes),
    ]


def classification_targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Class ids as the loss wants them: (n, 1) floats for a sigmoid head, ids for softmax."""
    return y.astype(np.float32).reshape(-1, 1) if n_classes == 2 else y.astype(np.int64)


def regression_head(x):
    return output_dense(1, "output")(x)


def regression_metrics() -> list[Any]:
    return [keras.metrics.MeanSquaredError(name="mse"), keras.metrics.MeanAbsoluteError(name="mae")]


@keras.saving.register_keras_serializable(package="lstmtune")
class MacroF1(keras.metrics.Metric):
    """Macro-F1 over an epoch's batches, from a confusion matrix summed over them (Keras has no
    multi-class macro-F1 for integer labels): the unweighted mean of per-class F1 over the classes in
    truth or prediction, as lstmtune.tasks.scoring.macro_f1 computes it. On validation that is the exact
    figure; on training it is, like Keras' training accuracy, taken as the weights change, with dropout
    on. Class weights do not weight it (macro-F1 weighs the classes alike already)."""

    def __init__(self, n_classes: int, name: str = "macro_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_classes = int(n_classes)
        self.matrix = self.add_variable(
            shape=(self.n_classes, self.n_classes), initializer="zeros", name="confusion", dtype="float32"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        k = self.n_classes
        truth = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        if k == 2:
            predicted = keras.ops.cast(keras.ops.reshape(y_pred, (-1,)) > 0.5, "int32")
        else:
            predicted = keras.ops.cast(keras.ops.argmax(keras.ops.reshape(y_pred, (-1, k)), axis=-1), "int32")
        counts = keras.ops.bincount(truth * k + predicted, minlength=k * k)
        self.matrix.assign_add(keras.ops.cast(keras.ops.reshape(counts[: k * k], (k, k)), "float32"))

    def result(self):
        matrix = keras.ops.convert_to_tensor(self.matrix)
        true_positive = keras.ops.diagonal(matrix)
        both = keras.ops.sum(matrix, axis=0) + keras.ops.sum(matrix, axis=1)
        present = keras.ops.cast(both > 0, "float32")
        f1 = keras.ops.where(both > 0, 2.0 * true_positive / keras.ops.maximum(both, 1.0), 0.0)
        return keras.ops.sum(f1 * present) / keras.ops.maximum(keras.ops.sum(present), 1.0)

    def reset_state(self):
        self.matrix.assign(keras.ops.zeros((self.n_classes, self.n_classes), dtype="float32"))

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes}


def array_dataset(
    inputs: Any,
    targets: np.ndarray | None,
    batch_size: int,
    shuffle: bool = False,
    seed: int | None = None,
    weights: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Batches of (inputs, targets), with sample weights (inputs, targets, weights) when given, or of inputs
    alone when targets is None; inputs may be a dict."""
    items = inputs if targets is None else (inputs, targets) if weights is None else (inputs, targets, weights)
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

    def fit_options(self, values: dict[str, Any]):
        weights = self.data.class_weights()
        return {"class_weight": weights} if weights else {}
