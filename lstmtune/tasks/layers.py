"""Layers of lstmtune's own, registered with Keras so a saved model loads in safe mode (imported before
loading: lstmtune.predict does)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

POOLINGS = ("mean", "max", "attention")


def regularizer(l1: float, l2: float) -> Any:
    """An L1/L2 penalty, or None when both are 0."""
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def activity_regularizer(l1: float, l2: float) -> Any:
    """An L1/L2 penalty on a layer's outputs, computed in float32 (None when both are 0): under mixed
    precision the outputs are float16, where the penalty's sum overflows and cannot be added to the
    float32 loss."""
    return Float32L1L2(l1=l1, l2=l2) if (l1 or l2) else None


@keras.saving.register_keras_serializable(package="lstmtune")
class Float32L1L2(keras.regularizers.L1L2):
    """keras.regularizers.L1L2 on its input cast to float32."""

    def __call__(self, x: Any) -> Any:
        return super().__call__(ops.cast(x, "float32"))


def output_dense(units: int, name: str, activation: str | None = None) -> keras.layers.Dense:
    """A model's last Dense layer: float32 even under mixed precision, so that predictions, losses and
    metrics are computed in float32 (float16 would round them and overflow on large errors)."""
    return keras.layers.Dense(units, activation=activation, name=name, dtype="float32")


@keras.saving.register_keras_serializable(package="lstmtune")
class MaskedPooling(keras.layers.Layer):
    """A sequence (batch, steps, features) pooled over its real steps: their mean, their maximum, or an
    attention-weighted sum (a learnt scoring vector, softmax over the steps). Padded steps never count.
    It computes in float32 under mixed precision too: sums over many steps and the -1e9 of masked
    attention scores do not fit float16."""

    def __init__(self, kind: str = "mean", **kwargs: Any):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if kind not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, but got {kind!r}")
        self.kind = kind
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if self.kind == "attention":
            self.score = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform", name="score")

    def call(self, inputs: Any, mask: Any = None) -> Any:
        real = ops.ones_like(inputs[..., :1]) if mask is None else ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        if self.kind == "mean":
            return ops.sum(inputs * real, axis=1) / ops.maximum(ops.sum(real, axis=1), 1.0)
        if self.kind == "max":
            lowest = ops.min(inputs, axis=1, keepdims=True)  # padded steps take the lowest value: never the max
            return ops.max(ops.where(real > 0, inputs, lowest), axis=1)
        scores = ops.matmul(inputs, self.score)
        scores = ops.where(real > 0, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=1)
        return ops.sum(weights * inputs, axis=1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kind": self.kind}


@keras.saving.register_keras_serializable(package="lstmtune")
class Downsample(keras.layers.Layer):
    """Padded sequences (batch, steps, features) and their mask of real steps, shortened by `factor`: each
    run of `factor` steps becomes the mean of its real steps, real when any of them is. Long sequences
    give the LSTM fewer steps to carry its state across; padding never enters a mean."""

    def __init__(self, factor: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(factor, int) or factor < 1:
            raise ValueError(f"factor must be a whole number above 0, but got {factor!r}")
        self.factor = factor

    def call(self, values: Any, real_steps: Any) -> list[Any]:
        k = self.factor
        steps, width = values.shape[1], values.shape[2]
        padded = -(-steps // k) * k
        real = ops.cast(real_steps, values.dtype)
        if padded != steps:
            values = ops.pad(values, [[0, 0], [0, padded - steps], [0, 0]])
            real = ops.pad(real, [[0, 0], [0, padded - steps]])
        groups = ops.reshape(values, (-1, padded // k, k, width))
        weights = ops.reshape(real, (-1, padded // k, k, 1))
        total = ops.sum(weights, axis=2)
        pooled = ops.sum(groups * weights, axis=2) / ops.maximum(total, 1.0)
        return [pooled, ops.squeeze(total, -1) > 0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
