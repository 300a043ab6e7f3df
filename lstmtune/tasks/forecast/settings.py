"""Forecasting's data settings: how the CSV becomes windows."""

from __future__ import annotations

from dataclasses import dataclass

from lstmtune.core.validate import Validator, between, integer, one_of, optional, split_fractions
from lstmtune.space.settings import SCALES
from lstmtune.space.specs import Spec

TRANSFORMS = ("diff", "logdiff", "none")
FILLS = ("ffill", "interpolate", "drop")
MAX_LOOKBACK = 100_000
LOOKBACK_RULE = integer(1, MAX_LOOKBACK)  # --lookback fixes it from the command line
LOOKBACK_SPEC = Spec(
    int, 24, f"1 <= value <= {MAX_LOOKBACK}", between(1, MAX_LOOKBACK), "input window length, in time steps"
)


@dataclass(frozen=True)
class ForecastSettings:
    """How the CSV becomes windows."""

    horizon: int = 1
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    scale: str = "standard"
    # diff: the model sees and predicts changes of the target from its last observed value,
    # so an output of zero is persistence and trends beyond the training range do not matter.
    transform: str = "diff"
    fill: str | None = None
    season: int | None = None


DATA_RULES: dict[str, Validator] = {
    "horizon": integer(1, MAX_LOOKBACK),
    "split": split_fractions,
    "scale": one_of(SCALES),
    "transform": one_of(TRANSFORMS),
    "fill": optional(one_of(FILLS)),
    "season": optional(integer(2, MAX_LOOKBACK)),
}
