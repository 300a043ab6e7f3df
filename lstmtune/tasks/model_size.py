"""What a trial's model needs in memory, from its hyperparameters alone (no TensorFlow).

A configuration too big to train is refused before Keras allocates it: `units: 4096, layers: 16`
would otherwise take the whole machine down with it (the kernel's out-of-memory killer, not an error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

BYTES_PER_FLOAT = 4
# Weights, their gradients and two Adam moments.
COPIES_OF_WEIGHTS = 4
# Per step and unit, training keeps the four gates, the cell and the output for backpropagation.
ACTIVATIONS_PER_UNIT = 6
# A trial may plan on at most this share of the machine's memory (the data and TensorFlow need the rest).
SHARE_OF_MEMORY = 0.5


@dataclass(frozen=True)
class ModelShape:
    """The data's side of a model's size for one configuration."""

    steps: int  # time steps per input
    width: int  # features per step fed to the first LSTM layer
    outputs: int  # units of the output layer
    input_weights: int = 0  # weights before the LSTM body (an embedding table)


def weight_count(values: dict[str, Any], shape: ModelShape) -> int:
    directions = 2 if values["bidirectional"] else 1
    units = int(values["units"])
    count, width = shape.input_weights, shape.width
    for _ in range(int(values["layers"])):
        count += directions * 4 * (units * (width + units) + units)
        width = units * directions
    if values["dense_units"]:
        count += (width + 1) * int(values["dense_units"])
        width = int(values["dense_units"])
    return count + (width + 1) * shape.outputs


def training_bytes(values: dict[str, Any], shape: ModelShape) -> int:
    """A lower bound of the memory one training step of this configuration needs."""
    directions = 2 if values["bidirectional"] else 1
    activations = (
        int(values["batch_size"])
        * shape.steps
        * int(values["units"])
        * directions
        * int(values["layers"])
        * ACTIVATIONS_PER_UNIT
    )
    return BYTES_PER_FLOAT * (COPIES_OF_WEIGHTS * weight_count(values, shape) + activations)


def memory_limit() -> int:
    """Bytes a trial may plan on: a share of this machine's physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        total = 8 * 2**30
    return int(total * SHARE_OF_MEMORY)


def too_big(values: dict[str, Any], shape: ModelShape, limit: int | None = None) -> str | None:
    """Why this configuration cannot be trained here, or None when it fits."""
    limit = memory_limit() if limit is None else limit
    needed = training_bytes(values, shape)
    if needed <= limit:
        return None
    sizes = ", ".join(
        f"{name}={values[name]}" for name in ("units", "layers", "bidirectional", "batch_size") if name in values
    )
    return (
        f"the model needs at least {_gigabytes(needed)} to train ({weight_count(values, shape):,} weights, "
        f"{shape.steps} steps; {sizes}), more than the {_gigabytes(limit)} a trial may use on this machine"
    )


def _gigabytes(count: int) -> str:
    return f"{count / 2**30:.1f} GiB"
