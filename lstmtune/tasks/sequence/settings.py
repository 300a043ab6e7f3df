"""The sequence task's data settings: splits, problem kind, objective, lengths and scaling."""

from __future__ import annotations

from dataclasses import dataclass

from lstmtune.core.objective import Direction, Objective
from lstmtune.core.validate import Validator, between, integer, one_of, optional, split_fractions
from lstmtune.errors import OptionError
from lstmtune.space.settings import CLASS_WEIGHTS, SCALES
from lstmtune.space.specs import Spec
from lstmtune.tasks.scoring import CLASSIFICATION_OBJECTIVES

PROBLEMS = ("auto", "classification", "regression")
REGRESSION_OBJECTIVES: dict[str, Objective] = {
    "mse": Objective("val_mse", Direction.MIN, "validation MSE (scaled target)"),
}
DEFAULT_OBJECTIVE = {"classification": "cross_entropy", "regression": "mse"}
OBJECTIVES = (*CLASSIFICATION_OBJECTIVES, *REGRESSION_OBJECTIVES)


@dataclass(frozen=True)
class SequenceSettings:
    """How the CSV becomes padded sequences and labels."""

    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    problem: str = "auto"  # auto | classification | regression
    # None: cross_entropy for classification, mse for regression.
    objective: str | None = None
    class_weight: str = "none"  # none | auto (balanced: n / (K * count) over training sequences)
    max_length: int | None = None  # keep at most the first max_length steps of each sequence
    stride: int = 1  # keep every stride-th step (before max_length)
    scale: str = "standard"  # per channel, fitted on training sequences' real steps


MAX_DOWNSAMPLE = 1024
DOWNSAMPLE_SPEC = Spec(
    int,
    1,
    f"1 <= value <= {MAX_DOWNSAMPLE}",
    between(1, MAX_DOWNSAMPLE),
    "inside the model, each run of this many steps becomes their mean (1 = off): long sequences give the "
    "LSTM fewer steps to carry its state across",
)


DATA_RULES: dict[str, Validator] = {
    "split": split_fractions,
    "problem": one_of(PROBLEMS),
    "objective": optional(one_of(OBJECTIVES)),
    "class_weight": one_of(CLASS_WEIGHTS),
    "max_length": optional(integer(1)),
    "stride": integer(1),
    "scale": one_of(SCALES),
}


def objective_for(settings: SequenceSettings, problem: str, how: str = "") -> Objective:
    """The objective of `problem` named by settings.objective (or its default); a mismatch is an OptionError.

    `how` says how the problem was chosen, e.g. " (auto-detected: 'y' holds non-integer numbers)".
    """
    name = settings.objective or DEFAULT_OBJECTIVE[problem]
    table = CLASSIFICATION_OBJECTIVES if problem == "classification" else REGRESSION_OBJECTIVES
    if name not in table:
        other = "regression" if problem == "classification" else "classification"
        raise OptionError(
            f"--objective {name!r} is for {other}, but the problem is {problem}{how}; "
            f"use --objective {' or '.join(table)}, or --problem {other}"
        )
    return table[name]
