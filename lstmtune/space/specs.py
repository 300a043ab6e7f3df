"""What each hyperparameter of the shared LSTM body is: its type, default and the rule its values obey.

Each task adds its own hyperparameters (lstmtune.tasks.<name>) and may leave some of these out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstmtune.core.validate import ANY, Validator, between, fraction, member


@dataclass(frozen=True)
class Spec:
    """What one hyperparameter is: its type, default and the rule its values obey."""

    type: type
    default: Any
    rule: str = ""  # the rule in words, for messages: "1 <= value <= 4096"
    valid: Validator = ANY
    help: str = ""


# Upper bounds on sizes: far beyond what helps an LSTM on CSV data, and well inside what builds in memory
# (units: 200000 asks for a 640 GB kernel). Floats stay inside what float32 weights and losses can hold.
MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_BATCH = 65536
MAX_PENALTY = 1e3
MAX_SCALE = 1e6
MIN_LEARNING_RATE, MAX_LEARNING_RATE = 1e-10, 10.0


OPTIMIZERS = ("adam", "adamw", "rmsprop")
POOLINGS = ("last", "mean", "max", "attention")
PLACEMENTS = ("beside", "before")
MAX_KERNEL = 64
MAX_CONV_LAYERS = 4
REGULARISED = ("kernel", "recurrent", "bias", "activity")

# The shared LSTM body's hyperparameters; each task adds its own (tasks/<name>) and may leave some out.
COMMON_SPECS: dict[str, Spec] = {
    "layers": Spec(int, 1, f"1 <= value <= {MAX_LAYERS}", between(1, MAX_LAYERS), "stacked LSTM layers"),
    "units": Spec(int, 32, f"1 <= value <= {MAX_UNITS}", between(1, MAX_UNITS), "units per LSTM layer"),
    "bidirectional": Spec(bool, False, help="wrap each LSTM layer in Bidirectional"),
    "dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout on LSTM inputs"),
    "recurrent_dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout on LSTM recurrent state"),
    **{
        f"{part}_{kind}": Spec(
            float,
            0.0,
            f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
            between(0, MAX_PENALTY),
            f"{kind.upper()} penalty on the LSTM {part}",
        )
        for part in REGULARISED
        for kind in ("l1", "l2")
    },
    "layer_norm": Spec(bool, False, help="LayerNormalization after each LSTM layer"),
    "pooling": Spec(
        str,
        "last",
        f"one of {', '.join(POOLINGS)}",
        member(POOLINGS),
        "what the last LSTM layer hands on: its last state, or its states pooled over time (attention: "
        "weighted by their agreement with the mean state)",
    ),
    "conv_filters": Spec(
        int,
        0,
        f"0 <= value <= {MAX_UNITS} (0 = no convolution)",
        between(0, MAX_UNITS),
        "filters of a 1-D convolutional branch (with batch norm and ReLU) beside or before the LSTM",
    ),
    "conv_kernel": Spec(int, 8, f"1 <= value <= {MAX_KERNEL}", between(1, MAX_KERNEL), "the convolutions' kernel size"),
    "conv_layers": Spec(
        int,
        3,
        f"1 <= value <= {MAX_CONV_LAYERS}",
        between(1, MAX_CONV_LAYERS),
        "stacked convolutions (their kernels shrink: k, then about 2k/3, then k/3)",
    ),
    "conv_placement": Spec(
        str,
        "beside",
        f"one of {', '.join(PLACEMENTS)}",
        member(PLACEMENTS),
        "beside: a fully convolutional branch pooled over time and joined to the LSTM's output (LSTM-FCN); "
        "before: the convolutions' outputs are the LSTM's input",
    ),
    "input_noise": Spec(
        float,
        0.0,
        f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
        between(0, MAX_PENALTY),
        "std of Gaussian jitter on (scaled) inputs while training",
    ),
    "dense_units": Spec(
        int,
        0,
        f"0 <= value <= {MAX_UNITS} (0 = no hidden dense layer)",
        between(0, MAX_UNITS),
        "units of a ReLU dense layer in the head",
    ),
    "dense_dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout before the output layer"),
    "learning_rate": Spec(
        float,
        1e-3,
        f"{MIN_LEARNING_RATE:g} <= value <= {MAX_LEARNING_RATE:g}",
        between(MIN_LEARNING_RATE, MAX_LEARNING_RATE),
        "optimizer learning rate",
    ),
    "optimizer": Spec(str, "adam", f"one of {', '.join(OPTIMIZERS)}", member(OPTIMIZERS), "optimizer"),
    "weight_decay": Spec(
        float,
        0.0,
        f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
        between(0, MAX_PENALTY),
        "decoupled weight decay of the optimizer",
    ),
    "clipnorm": Spec(
        float, 0.0, f"0 <= value <= {MAX_SCALE:g} (0 = off)", between(0, MAX_SCALE), "gradient norm clipping"
    ),
    "batch_size": Spec(int, 32, f"1 <= value <= {MAX_BATCH}", between(1, MAX_BATCH), "training batch size"),
}
