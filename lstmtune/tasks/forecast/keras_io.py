"""Forecasting's Keras side: a window input, a (horizon, targets) head, and windows as a tf.data
pipeline that gathers rows per batch (no lookback-times-larger copy of the data)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lstmtune.tasks.augment import time_augmented
from lstmtune.tasks.base import KerasSide
from lstmtune.tasks.forecast.data import RMSE_OBJECTIVE, ForecastData
from lstmtune.tasks.layers import output_dense

EVAL_BATCH = 256


def window_dataset(
    data: ForecastData,
    ends: np.ndarray,
    lookback: int,
    batch_size: int,
    shuffle: bool = False,
    seed: int | None = None,
    with_targets: bool = True,
    scale: float = 0.0,
) -> tf.data.Dataset:
    """Batches of (inputs (B, lookback, F), targets (B, H, T)) for the windows ending at `ends`.

    `scale` > 0 (training batches only) multiplies each window's inputs and targets by one factor from
    N(1, scale), drawn afresh every epoch (magnitude scaling: the same series at another amplitude)."""
    inputs = tf.constant(data.inputs)
    encoded = tf.constant(data.encoded)
    offsets = tf.range(-lookback + 1, 1, dtype=tf.int64)

    def gather(batch_ends, draw=None):
        windows = tf.gather(inputs, batch_ends[:, None] + offsets[None, :])
        if not with_targets:
            return windows
        targets = tf.gather(encoded, batch_ends)
        if draw is None:
            return windows, targets
        noise = tf.random.stateless_normal((tf.shape(batch_ends)[0], 1, 1), seed=tf.stack([draw, 0]))
        factors = 1.0 + scale * noise
        return windows * factors, targets * tf.cast(factors, targets.dtype)

    ends = np.asarray(ends, dtype=np.int64)
    if len(ends) and np.array_equal(ends, np.arange(ends[0], ends[0] + len(ends))):
        # Consecutive ends (window_ends' always are): a range, not a copy of every end as a tensor;
        # the same elements in the same order, so the same shuffles and batches.
        dataset = tf.data.Dataset.range(int(ends[0]), int(ends[0]) + len(ends))
    else:
        dataset = tf.data.Dataset.from_tensor_slices(ends)
    if shuffle:
        dataset = dataset.shuffle(len(ends), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if scale and with_targets:
        # A random op inside `map` repeats its draws every epoch; seeds drawn per batch by a dataset that
        # draws again each epoch do not.
        draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip((dataset, draws))
    return dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def predict_original(model, data: ForecastData, ends: np.ndarray, lookback: int) -> np.ndarray:
    """Model predictions for the windows ending at `ends`, decoded to original units."""
    dataset = window_dataset(data, ends, lookback, EVAL_BATCH, with_targets=False)
    encoded = model.predict(dataset, verbose=0)
    return data.decode(np.asarray(encoded, dtype=np.float64), ends)


class ValidationRmse(keras.callbacks.Callback):
    """Adds `val_rmse` to each epoch's logs: the validation windows' RMSE in original units (scale-free over
    several targets), the objective of a search over transforms, before early stopping reads it."""

    def __init__(self, data: ForecastData, values: dict[str, Any], windows: tf.data.Dataset):
        super().__init__()
        self.data, self.values, self.windows = data, values, windows

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            outputs = np.asarray(self.model.predict(self.windows, verbose=0), np.float64)
            logs["val_rmse"] = self.data.evaluate("val", outputs, self.values)["rmse"]


class ForecastKeras(KerasSide):
    def __init__(self, data: ForecastData):
        self.data = data

    def inputs(self, values: dict[str, Any]):
        window = keras.Input(shape=(values["lookback"], self.data.inputs.shape[1]), name="window")
        x = window
        if values["input_noise"]:
            x = keras.layers.GaussianNoise(values["input_noise"], name="input_noise")(x)
        # Magnitude scaling must scale the targets too: the dataset does it (see window_dataset).
        x = time_augmented(x, values, kinds=("slice", "warp", "permute"))
        return window, x, None

    def callbacks(self, values: dict[str, Any]) -> list[Any]:
        if self.data.objective.name != RMSE_OBJECTIVE.name:
            return []
        windows = self.dataset("val", values, EVAL_BATCH, with_targets=False)
        return [ValidationRmse(self.data, values, windows)]

    def head(self, x, values: dict[str, Any]):
        horizon, n_targets = self.data.horizon, len(self.data.target_columns)
        x = output_dense(horizon * n_targets, "output")(x)
        return keras.layers.Reshape((horizon, n_targets), name="forecast", dtype="float32")(x)

    def loss(self):
        return "mse"

    def metrics(self):
        return [keras.metrics.MeanSquaredError(name="mse"), keras.metrics.MeanAbsoluteError(name="mae")]

    def dataset(
        self,
        split: str,
        values: dict[str, Any],
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        with_targets: bool = True,
    ):
        lookback = int(values["lookback"])
        data = self.data.for_values(values)
        ends = data.window_ends(split, lookback)
        # Shuffled batches are the ones trained on (a search's training split, a refit's both splits).
        scale = float(values.get("augment_scale") or 0) if shuffle else 0.0
        return window_dataset(data, ends, lookback, batch_size, shuffle, seed, with_targets, scale)
