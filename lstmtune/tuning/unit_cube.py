"""Hyperparameter values and their places in the unit cube that the Bayesian oracle's GP works in.

keras-tuner embeds a discrete hyperparameter as n equal buckets of [0, 1], each value at its bucket's
centre. For stepped linear floats its arithmetic is off: a value's bucket comes from float floor division
(`0.45 // 0.05 == 8.0`, so 0.45 sits at 0.40's place and decodes as 0.40) and so does the count
(`0.5 // 0.05 == 9.0` drops the top value). Here such a float's bucket is its nearest step and its count
includes the top value; every other kind keeps keras-tuner's embedding, read through its public
`value_to_prob` / `prob_to_value` at bucket centres. Decoded values are computed with keras-tuner's own
expressions, so a proposal equals the random sample of the same value and duplicates are recognised.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from keras_tuner.engine import hyperparameters as hp_module

_SLACK = 1e-9  # relative: 0.5 / 0.05 is 9.999999999999998 in floating point


def continuous(hp) -> bool:
    """An unstepped float: every point of its interval is a value."""
    return isinstance(hp, hp_module.Float) and not hp.step


def buckets(hp) -> int | None:
    """How many values a discrete hyperparameter has (its equal buckets of [0, 1]); None for a continuous
    one, and for an unstepped log-sampled Int, whose values keras-tuner spaces unevenly."""
    if isinstance(hp, hp_module.Boolean):
        return 2
    if isinstance(hp, hp_module.Choice):
        return len(hp.values)
    if isinstance(hp, (hp_module.Int, hp_module.Float)) and hp.step:
        if hp.sampling == "linear":
            return int(math.floor((hp.max_value - hp.min_value) / hp.step + _SLACK)) + 1
        return hp._get_n_values()  # log steps: keras-tuner's count is exact up to its own tolerance
    if isinstance(hp, hp_module.Int) and hp.sampling == "linear":
        return int(hp.max_value - hp.min_value) + 1
    return None


def position(hp, value: Any) -> float:
    """The place of `value` in [0, 1]: its bucket's centre for a discrete hyperparameter."""
    n = buckets(hp)
    if n is None:
        return float(hp.value_to_prob(value))
    if _stepped_linear_float(hp):
        index = round((value - hp.min_value) / hp.step)
    else:
        index = math.floor(hp.value_to_prob(value) * n)
    return (min(max(index, 0), n - 1) + 0.5) / n


def value_at(hp, prob: float) -> Any:
    """The value a trial runs for the point `prob` of [0, 1]."""
    n = buckets(hp)
    if n is None:
        value = hp.prob_to_value(min(max(prob, 0.0), 1.0))
        if isinstance(hp, hp_module.Int):  # keras-tuner's unstepped log Int gives max + 1 at prob 1
            value = min(max(value, hp.min_value), hp.max_value)
        return value
    index = min(max(math.floor(prob * n), 0), n - 1)
    if _stepped_linear_float(hp):
        return hp.min_value + index * hp.step  # keras-tuner's expression for the index-th value
    return hp.prob_to_value((index + 0.5) / n)


class Snapper:
    """Maps points of the unit cube to the places of the values a trial would really run (ints, steps,
    choices, booleans), column by column; continuous columns are left as they are. Exact for every
    range size: each discrete column is floored to its bucket, so any of its values can come out."""

    def __init__(self, space: list):
        self.space = space
        self.continuous = np.array([continuous(hp) for hp in space], dtype=bool)
        self.buckets = [None if free else buckets(hp) for hp, free in zip(space, self.continuous)]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.clip(np.array(x, dtype=float), 0.0, 1.0)
        for column, (hp, n) in enumerate(zip(self.space, self.buckets)):
            if self.continuous[column]:
                continue
            if n is not None:
                x[:, column] = (np.minimum(np.floor(x[:, column] * n), n - 1) + 0.5) / n
            else:  # unevenly spaced values: through the value itself
                x[:, column] = [position(hp, value_at(hp, p)) for p in x[:, column]]
        return x


def _stepped_linear_float(hp) -> bool:
    return isinstance(hp, hp_module.Float) and bool(hp.step) and hp.sampling == "linear"
