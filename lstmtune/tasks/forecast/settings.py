"""Forecasting's data settings: how the CSV becomes windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lstmtune.space.settings import SCALES, _integer, _one_of, _optional, _split
from lstmtune.space.specs import MAX_LOOKBACK

TRANSFORMS = ("diff", "logdiff", "none")
FILLS = ("ffill", "interpolate", "drop")
LOOKBACK_RULE = _integer(1, MAX_LOOKBACK)


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


DATA_RULES: dict[str, Callable[[Any], Any]] = {
    "horizon": _integer(1, MAX_LOOKBACK),
    "split": _split,
    "scale": _one_of(SCALES),
    "transform": _one_of(TRANSFORMS),
    "fill": _optional(_one_of(FILLS)),
    "season": _optional(_integer(2, MAX_LOOKBACK)),
}
