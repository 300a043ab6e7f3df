"""The autoencoder task's data settings and its own hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmtune.core.objective import Direction, Objective
from lstmtune.core.validate import (
    Validator,
    between,
    column_value,
    integer,
    number_in,
    one_of,
    optional,
    split_fractions,
)
from lstmtune.space.settings import SCALES
from lstmtune.space.specs import MAX_LAYERS, MAX_UNITS, Spec

OBJECTIVE = Objective("val_recon_mse", Direction.MIN, "validation reconstruction MSE (scaled inputs, normal sequences)")


@dataclass(frozen=True)
class AutoencoderSettings:
    """How the CSV becomes padded sequences, which of them are normal, and where the flag is set."""

    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    max_length: int | None = None  # keep at most the first max_length steps of each sequence
    stride: int = 1  # keep every stride-th step (before max_length)
    scale: str = "standard"  # per channel, fitted on normal training sequences' real steps
    # The --label-col value of normal sequences: only they are trained and validated on.
    normal: str | None = None
    # A sequence is flagged when its score is above this percentile of the normal validation sequences'.
    threshold_pct: float = 99.0
    # One series cut into windows of this many steps (None: the file holds many sequences), every
    # window_stride steps.
    window: int | None = None
    window_stride: int = 1


DATA_RULES: dict[str, Validator] = {
    "split": split_fractions,
    "max_length": optional(integer(1)),
    "stride": integer(1),
    "scale": one_of(SCALES),
    "normal": optional(column_value),
    "threshold_pct": number_in(50.0, 100.0),
    "window": optional(integer(2)),
    "window_stride": integer(1),
}

SPECS = {
    "latent_units": Spec(
        int,
        8,
        f"1 <= value <= {MAX_UNITS}",
        between(1, MAX_UNITS),
        "the bottleneck: the encoder's last state becomes this many numbers, from which the decoder rebuilds "
        "every step (smaller: a tighter summary, which an anomaly no longer fits)",
    ),
    "decoder_layers": Spec(
        int,
        1,
        f"1 <= value <= {MAX_LAYERS}",
        between(1, MAX_LAYERS),
        "LSTM layers of the decoder (each of `units` units, regularised like the encoder's)",
    ),
}
# Shared knobs that do not fit an encoder -> bottleneck -> decoder: the encoder keeps its last state (no
# pooling), and the bottleneck replaces the dense layer before the output.
EXCLUDED = (
    # Augmented inputs with clean targets would ask the decoder to undo a random crop or warp.
    "augment_scale",
    "augment_slice",
    "augment_warp",
    "augment_permute",
    "pooling",
    "conv_filters",
    "conv_kernel",
    "conv_layers",
    "conv_placement",
    "dense_units",
    "dense_dropout",
)


def latent_range(space: Any) -> tuple[int, int, int] | None:
    """(lowest, middle, highest) of the space's latent_units, or None when the space has none."""
    param = space.params.get("latent_units")
    if param is None:
        return None
    if param.kind == "fixed":
        value = int(param.value)
        return value, value, value
    if param.kind == "choice":
        values = sorted(int(v) for v in param.values)
        return values[0], int(np.median(values)), values[-1]
    low, high = int(param.low), int(param.high)
    return low, int(round((low + high) / 2)), high
