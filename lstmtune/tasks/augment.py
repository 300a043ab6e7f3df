"""Augmentation as layers that act only while training: every training batch is drawn afresh (nothing
is cached after them) and validation, test and predict never see them (Keras calls layers with
training=False there). Registered with Keras so a saved model loads in safe mode.

Numeric sequences (values (batch, steps, channels), real steps first, padding after):
- scale: each sequence's channels multiplied by factors drawn from N(1, strength);
- slice: a random crop keeping 1 - strength of the real steps, stretched back to their length
  (window slicing, Le Guennec et al. 2016);
- warp: time warping, each sequence read at a smoothly varying speed (4 speeds drawn from
  N(1, strength), linear between them; Um et al. 2017);
- permute: the real steps cut into `strength` segments put back in a random order (Um et al. 2017).
Token ids (0 = padding, 1 = out of vocabulary):
- drop: each token becomes padding with probability `strength` (masked, so the LSTM skips it);
- replace: each token becomes a random word of the vocabulary with probability `strength`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

TIME_KINDS = ("scale", "slice", "warp", "permute")
TOKEN_KINDS = ("drop", "replace")
WARP_KNOTS = 4
MIN_SPEED = 0.1  # a warp never stops or reverses time


def time_augmented(x: Any, values: dict[str, Any], real: Any = None, kinds: tuple[str, ...] = TIME_KINDS) -> Any:
    """x through the augmentations of `kinds` that `values` turns on (augment_<kind> > 0), in TIME_KINDS'
    order; `real` marks real steps of padded sequences."""
    for kind in kinds:
        strength = values.get(f"augment_{kind}") or 0
        if strength:
            layer = TimeAugment(kind, float(strength), name=f"augment_{kind}")
            x = layer(x, real) if real is not None else layer(x)
    return x


@keras.saving.register_keras_serializable(package="lstmtune")
class TimeAugment(keras.layers.Layer):
    """One augmentation of numeric sequences while training (see the module's docstring); identity otherwise.
    It computes in float32 under mixed precision too (its time arithmetic is float32)."""

    def __init__(self, kind: str = "scale", strength: float = 0.1, seed: int | None = None, **kwargs: Any):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if kind not in TIME_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TIME_KINDS)}, but got {kind!r}")
        self.kind, self.strength, self.seed = kind, float(strength), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, values: Any, real: Any = None, training: bool | None = None) -> Any:
        if not training or not self.strength:
            return values
        if self.kind == "scale":
            shape = (ops.shape(values)[0], 1, ops.shape(values)[2])
            return values * (1.0 + self.strength * keras.random.normal(shape, seed=self.seed_generator))
        steps = values.shape[1]
        batch = ops.shape(values)[0]
        if real is None:
            length = ops.full((batch,), float(steps))
        else:
            length = ops.sum(ops.cast(real, "float32"), axis=1)
        length = ops.maximum(length, 1.0)[:, None]  # (batch, 1)
        t = ops.cast(ops.arange(steps), "float32")[None, :]  # (1, steps)
        source = getattr(self, f"_{self.kind}")(t, length, batch)
        source = ops.clip(source, 0.0, length - 1.0)
        source = ops.where(t < length, source, t)  # padded steps stay where they are
        return _read_at(values, source, interpolate=self.kind != "permute")

    def _slice(self, t: Any, length: Any, batch: Any) -> Any:
        last = length - 1.0
        width = (1.0 - min(self.strength, 1.0)) * last
        start = keras.random.uniform((batch, 1), seed=self.seed_generator) * (last - width)
        return start + t / ops.maximum(last, 1.0) * width

    def _warp(self, t: Any, length: Any, batch: Any) -> Any:
        last = length - 1.0
        speeds = ops.maximum(
            1.0 + self.strength * keras.random.normal((batch, WARP_KNOTS), seed=self.seed_generator), MIN_SPEED
        )
        # Each step's speed, linear between the knots spread over the real steps.
        at = ops.minimum(t, last) / ops.maximum(last, 1.0) * (WARP_KNOTS - 1)
        below = ops.cast(ops.clip(ops.floor(at), 0, WARP_KNOTS - 2), "int32")
        weight = at - ops.cast(below, "float32")
        speed = (1.0 - weight) * ops.take_along_axis(speeds, below, axis=1) + weight * ops.take_along_axis(
            speeds, below + 1, axis=1
        )
        travelled = ops.cumsum(speed, axis=1) - speed[:, :1]  # 0 at the first step
        end = ops.take_along_axis(travelled, ops.cast(last, "int32"), axis=1)
        return travelled / ops.maximum(end, 1e-6) * last

    def _permute(self, t: Any, length: Any, batch: Any) -> Any:
        segments = max(int(self.strength), 1)
        width = length / segments
        segment = ops.cast(ops.clip(ops.floor(t / width), 0, segments - 1), "int32")
        order = ops.argsort(keras.random.uniform((batch, segments), seed=self.seed_generator), axis=1)
        moved = ops.cast(ops.take_along_axis(order, segment, axis=1), "float32")
        return ops.floor(moved * width + (t - ops.cast(segment, "float32") * width))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kind": self.kind, "strength": self.strength, "seed": self.seed}


def _read_at(values: Any, source: Any, interpolate: bool) -> Any:
    """values (batch, steps, channels) read at fractional step positions source (batch, steps)."""
    channels = values.shape[2]
    below = ops.floor(source)
    lower = ops.cast(below, "int32")
    gathered = ops.take_along_axis(values, ops.repeat(lower[..., None], channels, axis=2), axis=1)
    if not interpolate:
        return gathered
    upper = ops.minimum(lower + 1, values.shape[1] - 1)
    following = ops.take_along_axis(values, ops.repeat(upper[..., None], channels, axis=2), axis=1)
    weight = (source - below)[..., None]
    return (1.0 - weight) * gathered + weight * following


@keras.saving.register_keras_serializable(package="lstmtune")
class TokenAugment(keras.layers.Layer):
    """Token dropout or random token replacement while training (see the module's docstring)."""

    def __init__(self, kind: str = "drop", rate: float = 0.1, vocabulary: int = 2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if kind not in TOKEN_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TOKEN_KINDS)}, but got {kind!r}")
        self.kind, self.rate, self.vocabulary, self.seed = kind, float(rate), int(vocabulary), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, tokens: Any, training: bool | None = None) -> Any:
        if not training or not self.rate:
            return tokens
        hit = (keras.random.uniform(ops.shape(tokens), seed=self.seed_generator) < self.rate) & (tokens > 0)
        if self.kind == "drop":
            return ops.where(hit, ops.zeros_like(tokens), tokens)
        if self.vocabulary <= 2:  # no words to draw from
            return tokens
        words = keras.random.randint(
            ops.shape(tokens), 2, self.vocabulary, dtype=tokens.dtype, seed=self.seed_generator
        )
        return ops.where(hit, words, tokens)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kind": self.kind,
            "rate": self.rate,
            "vocabulary": self.vocabulary,
            "seed": self.seed,
        }


def token_augmented(tokens: Any, values: dict[str, Any], vocabulary: int) -> Any:
    """Token ids through token dropout and random replacement where `values` turns them on."""
    for kind, key in (("drop", "token_dropout"), ("replace", "token_replace")):
        rate = values.get(key) or 0
        if rate:
            tokens = TokenAugment(kind, float(rate), vocabulary, name=f"token_{kind}")(tokens)
    return tokens
