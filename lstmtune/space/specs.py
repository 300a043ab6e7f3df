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
LR_SCHEDULES = ("constant", "plateau", "cosine", "exponential")
MIN_DECAY = 1e-6
MAX_SEGMENTS = 1024

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
    "batch_norm": Spec(
        bool,
        False,
        help="BatchNormalization between stacked LSTM layers, over real steps only (often hurts recurrent "
        "nets; searchable to find where it helps)",
    ),
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
    "augment_scale": Spec(
        float,
        0.0,
        f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
        between(0, MAX_PENALTY),
        "magnitude scaling while training: each training sequence's channels (a forecast window's inputs and "
        "targets alike) multiplied by factors from N(1, value), in scaled units",
    ),
    "augment_slice": Spec(
        float,
        0.0,
        "0 <= value < 1 (0 = off)",
        fraction,
        "window slicing while training: a random crop without this share of the real steps, stretched back",
    ),
    "augment_warp": Spec(
        float,
        0.0,
        f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
        between(0, MAX_PENALTY),
        "time warping while training: each training sequence read at a smoothly varying speed, the std of "
        "4 speeds drawn around 1",
    ),
    "augment_permute": Spec(
        int,
        0,
        f"0 <= value <= {MAX_SEGMENTS} (0 or 1 = off)",
        between(0, MAX_SEGMENTS),
        "segment permutation while training: the real steps cut into this many segments, shuffled",
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
    "lr_schedule": Spec(
        str,
        "constant",
        f"one of {', '.join(LR_SCHEDULES)}",
        member(LR_SCHEDULES),
        "learning rate over the epochs: constant; plateau (halved when the objective has not improved for half "
        "the patience); cosine (decayed to 1% over the epoch budget); exponential (times lr_decay each epoch)",
    ),
    "lr_decay": Spec(
        float,
        0.95,
        f"{MIN_DECAY:g} <= value <= 1",
        between(MIN_DECAY, 1.0),
        "the factor lr_schedule: exponential multiplies the learning rate by each epoch",
    ),
    "gradient_noise": Spec(
        float,
        0.0,
        f"0 <= value <= {MAX_PENALTY:g} (0 = off)",
        between(0, MAX_PENALTY),
        "annealed Gaussian noise on the gradients: variance value / (1 + step) ** 0.55",
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
