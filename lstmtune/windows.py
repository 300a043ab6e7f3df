"""Windows as a tf.data pipeline that gathers rows per batch: no lookback-times-larger copy of the data."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from lstmtune.dataset import ForecastData

EVAL_BATCH = 256


def window_dataset(
    data: ForecastData,
    ends: np.ndarray,
    lookback: int,
    batch_size: int,
    shuffle: bool = False,
    seed: int | None = None,
    with_targets: bool = True,
) -> tf.data.Dataset:
    """Batches of (inputs (B, lookback, F), targets (B, H, T)) for the windows ending at `ends`."""
    inputs = tf.constant(data.inputs)
    encoded = tf.constant(data.encoded)
    offsets = tf.range(-lookback + 1, 1, dtype=tf.int64)

    def gather(batch_ends):
        windows = tf.gather(inputs, batch_ends[:, None] + offsets[None, :])
        if not with_targets:
            return windows
        return windows, tf.gather(encoded, batch_ends)

    dataset = tf.data.Dataset.from_tensor_slices(ends.astype(np.int64))
    if shuffle:
        dataset = dataset.shuffle(len(ends), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def predict_original(model, data: ForecastData, ends: np.ndarray, lookback: int) -> np.ndarray:
    """Model predictions for the windows ending at `ends`, decoded to original units."""
    dataset = window_dataset(data, ends, lookback, EVAL_BATCH, with_targets=False)
    encoded = model.predict(dataset, verbose=0)
    return data.decode(np.asarray(encoded, dtype=np.float64), ends)
