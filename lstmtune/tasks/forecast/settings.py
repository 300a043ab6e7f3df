"""Forecasting's data settings: how the CSV becomes windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstmtune.core.text import shown
from lstmtune.core.validate import Validator, between, integer, member, one_of, optional, split_fractions
from lstmtune.space.settings import SCALES
from lstmtune.space.specs import Spec
from lstmtune.tasks.forecast import transforms

FILLS = ("ffill", "interpolate", "drop")
OBJECTIVES = ("mse", "rmse")
MAX_LOOKBACK = 100_000
LOOKBACK_RULE = integer(1, MAX_LOOKBACK)  # --lookback fixes it from the command line
LOOKBACK_SPEC = Spec(
    int, 24, f"1 <= value <= {MAX_LOOKBACK}", between(1, MAX_LOOKBACK), "input window length, in time steps"
)
# The transform as a hyperparameter: fixed, it is the data setting's (auto: that setting decides); searched,
# each trial's windows are made with its own transform and trials are ranked on validation RMSE in
# original units, the one figure that compares them (the scaled MSE of changes and of log changes do not).
TRANSFORM_NAMES = (transforms.AUTO, *transforms.NAMES)
TRANSFORM_SPEC = Spec(
    str,
    transforms.AUTO,
    f"one of {', '.join(TRANSFORM_NAMES)}",
    member(TRANSFORM_NAMES),
    "what the model sees of each target (levels, changes or seasonal changes, of the values or their logs); "
    "searched, trials are ranked on validation RMSE in original units",
)


@dataclass(frozen=True)
class ForecastSettings:
    """How the CSV becomes windows."""

    horizon: int = 1
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    scale: str = "standard"
    # auto: sdiff with a season (an output of zero is the seasonal random walk), diff without (zero is
    # persistence): changes, so trends beyond the training range do not matter (see transforms).
    transform: str = "auto"
    fill: str | None = None
    season: int | None = None
    # What trials are ranked and early-stopped on: the scaled MSE of what the model predicts (mse), or the
    # RMSE of its forecasts in original units (rmse); None: rmse when the space searches the transform.
    objective: str | None = None


def _transform(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{transforms.RULE}, but got {shown(value)}")
    if value.strip().lower() == transforms.AUTO:
        return transforms.AUTO
    try:
        return transforms.canonical(value)
    except ValueError:
        raise ValueError(f"{transforms.RULE}, but got {shown(value)}") from None


DATA_RULES: dict[str, Validator] = {
    "horizon": integer(1, MAX_LOOKBACK),
    "split": split_fractions,
    "scale": one_of(SCALES),
    "transform": Validator(_transform, {"type": "string", "enum": [transforms.AUTO, *transforms.NAMES]}),
    "fill": optional(one_of(FILLS)),
    "season": optional(integer(2, MAX_LOOKBACK)),
    "objective": optional(one_of(OBJECTIVES)),
}
