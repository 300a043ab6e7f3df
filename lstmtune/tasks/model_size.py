"""What a trial's model needs in memory, from its hyperparameters alone (no TensorFlow).

A configuration too big to train is refused before Keras allocates it: `units: 4096, layers: 16`
would otherwise take the whole machine down with it (the kernel's out-of-memory killer, not an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstmtune.core.machine import memory_limit

BYTES_PER_FLOAT = 4
# Weights, their gradients and two Adam moments.
COPIES_OF_WEIGHTS = 4
# Per step and unit, training keeps the four gates, the cell and the output for backpropagation.
ACTIVATIONS_PER_UNIT = 6


@dataclass(frozen=True)
class ModelShape:
    """The data's side of a model's size for one configuration."""

    steps: int  # time steps per input
    width: int  # features per step fed to the first LSTM layer
    outputs: int  # units of the output layer
    input_weights: int = 0  # weights before the LSTM body (an embedding table)


def conv_kernels(values: dict[str, Any]) -> list[int]:
    """The kernel sizes of the stacked convolutions: k, shrinking to about k/layers (8, 5, 3 for k = 8)."""
    k, layers = int(values.get("conv_kernel") or 1), int(values.get("conv_layers") or 1)
    return [max(1, round(k * (layers - i) / layers)) for i in range(layers)]


def conv_weights(values: dict[str, Any], width: int) -> tuple[int, int]:
    """(weights of the convolutional layers, their output width) for the values (0, width without them)."""
    filters = int(values.get("conv_filters") or 0)
    if not filters:
        return 0, width
    count = 0
    for kernel in conv_kernels(values):
        count += (kernel * width + 1) * filters + 4 * filters  # and batch norm's four per filter
        width = filters
    return count, width


def weight_count(values: dict[str, Any], shape: ModelShape) -> int:
    directions = 2 if values["bidirectional"] else 1
    units = int(values["units"])
    count, width = shape.input_weights, shape.width
    convolution, conv_width = conv_weights(values, width)
    count += convolution
    if values.get("conv_placement") == "before":
        width = conv_width
    for _ in range(int(values["layers"])):
        count += directions * 4 * (units * (width + units) + units)
        width = units * directions
    if convolution and values.get("conv_placement") == "beside":
        width += conv_width
    if values.get("dense_units"):
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
    filters = int(values.get("conv_filters") or 0)
    activations += int(values["batch_size"]) * shape.steps * filters * int(values.get("conv_layers") or 1) * 3
    return BYTES_PER_FLOAT * (COPIES_OF_WEIGHTS * weight_count(values, shape) + activations)


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
