"""What a search was asked for (SearchRequest) and what planning made of it (SearchPlan); the names of
the command line's flags and the Python API's arguments, and their validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmtune.errors import OptionError
from lstmtune.run.layout import RunDir
from lstmtune.space.params import Space
from lstmtune.space.settings import SearchSettings
from lstmtune.space.shipped import space_file
from lstmtune.tasks.base import Prepared, Task

# The names in SearchRequest's groups of flags: the command line's options with underscores, and the
# Python API's keyword arguments.
COLUMN_ARGUMENTS = (
    "target",
    "time_col",
    "features",
    "text_col",
    "id_col",
    "order_col",
    "split_col",
    "group_col",
    "label_col",
)
OPTION_ARGUMENTS = ("time_format", "wide", "encoding", "embeddings", "strict")
DATA_ARGUMENTS = (
    "horizon",
    "split",
    "scale",
    "transform",
    "fill",
    "season",
    "objective",
    "class_weight",
    "problem",
    "max_length",
    "stride",
    "normal",
    "threshold_pct",
    "window",
    "window_stride",
)
SEARCH_ARGUMENTS = (
    "tuner",
    "max_trials",
    "epochs",
    "patience",
    "initial_points",
    "seed",
    "time_budget",
    "reference",
    "ensemble",
    "prune",
    "prune_warmup_trials",
    "prune_warmup_epochs",
    "executions",
    "folds",
)
FIXED_ARGUMENTS = ("lookback",)


@dataclass(frozen=True)
class SearchRequest:
    """Everything `lstmtune search` (or `check`) was given; None means "not given".

    columns: target (a name, or a tuple of names for forecasting), time_col, features, text_col,
             id_col, order_col, split_col, group_col, label_col (COLUMN_ARGUMENTS)
    options: time_format, wide, encoding, embeddings, strict (OPTION_ARGUMENTS)
    data_flags: the task's data settings (DATA_ARGUMENTS: horizon, split, objective, max_length ...)
    search_flags: tuner, max_trials, epochs, patience, initial_points, seed, time_budget, reference,
                  ensemble, prune, prune_warmup_trials, prune_warmup_epochs, executions, folds
                  (SEARCH_ARGUMENTS)
    fixed: hyperparameters fixed from the command line (FIXED_ARGUMENTS: lookback)
    gpu_fast: keep recurrent_dropout at 0 in every trial (cuDNN's fused LSTM kernel on a GPU)
    mixed_precision: train in float16 with float32 weights (Keras' mixed_float16 policy; for GPUs)
    """

    data_path: Path | None
    space_path: Path | dict[str, Any]  # a space file, or the same document as a dict (Python API)
    out: Path | None = None
    task: str = "forecast"
    columns: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    data_flags: dict[str, Any] = field(default_factory=dict)
    search_flags: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    overwrite: bool = False
    command: tuple[str, ...] = ()
    tensorboard: bool = False  # TensorBoard logs per trial (with the HParams view) under RUN_DIR/tensorboard
    gpu_fast: bool = False  # recurrent_dropout fixed at 0 (see GPU_FAST_FIXED)
    mixed_precision: bool = False  # layers compute in float16, weights stay float32
    workers: int = 0  # parallel worker processes (keras-tuner's chief/worker mode); 0: trials run in this process
    listen: str | None = None  # HOST:PORT the chief serves the oracle on (other machines' workers join there)
    recycle_after: int | None = None  # a worker process is replaced after this many trials (bounds memory)
    lease: float | None = None  # seconds a joined worker's heartbeat may stop before its trial is failed

    def __post_init__(self) -> None:
        if not isinstance(self.space_path, dict):  # a shipped space's name stands for its file
            object.__setattr__(self, "space_path", space_file(self.space_path))


@dataclass
class SearchPlan:
    request: SearchRequest
    task: Task
    space: Space  # the effective space: file + fixed flags + data-derived defaults + effective settings
    search: SearchSettings
    prepared: Prepared | None
    run_dir: RunDir | None
    data_sha256: str
    baselines: dict[str, dict[str, dict[str, Any]]]
    # Data a person should hear about although it is usable (printed even with -q, kept in run.json).
    warnings: tuple[str, ...] = ()
    # What a flag changed that a person should hear about at the start (printed unless -q).
    notices: tuple[str, ...] = ()
    # --folds K: folds 1 .. K-1 of the data (fold K is `prepared`), built and checked before anything is written.
    folds: tuple[Prepared, ...] = ()

    @property
    def data(self) -> Prepared:
        assert self.prepared is not None
        return self.prepared


def flag(name: str) -> str:
    """The command-line flag of an argument name: time_col -> --time-col."""
    return f"--{name.replace('_', '-')}"


def validate_flags(flags: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """Validate command-line values with the same rules as the space file's sections."""
    out = {}
    for key, value in flags.items():
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():  # "none" unsets a value; an empty one is a slip
            raise OptionError(f"{flag(key)}: an empty value was given; give a value, or leave the flag out")
        try:
            out[key] = rules[key](value)
        except ValueError as exc:
            raise OptionError(f"{flag(key)} {exc}") from None
    return out


def given(value: Any) -> bool:
    """Whether a flag was given: None, False and an empty tuple or list mean it was not."""
    return value is not None and value is not False and value != () and value != []


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Flags as run.json records them: tuples as lists, paths as text, unset flags left out."""
    out = {}
    for key, value in values.items():
        if not given(value):
            continue
        out[key] = list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Path) else value
    return out


def plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)
