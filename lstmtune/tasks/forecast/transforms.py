"""What a forecasting model sees and predicts of each target, and how its outputs become values again.

    none       levels
    diff       one-step changes; the model predicts the change from the last value (0 = persistence)
    auto       sdiff with --season M (when the horizon is at most M and the training rows hold three
               seasons), diff otherwise
    sdiff      one-step changes minus those of a season earlier; the model predicts the change from
               "the last value plus last season's change over the same steps" (0 = the seasonal random
               walk y[t] + y[t+h-M] - y[t-M]), so the season need not be learnt (needs --season M)
    log, ...   the same of the logs (a positive series whose swings grow with its level); logdiff is log,diff

Every metric is computed on values decoded back to original units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("diff", "sdiff", "none")
# Canonical names; "log,diff" reads as logdiff.
NAMES = ("diff", "sdiff", "logdiff", "log,sdiff", "log", "none")
AUTO = "auto"  # sdiff with a season (at least as long as the horizon), diff without
RULE = f"must be one of auto, {', '.join(NAMES)} (log may be combined with diff or sdiff: log,sdiff)"


# auto takes seasonal changes only when the training rows hold this many seasons (the first season has
# no seasonal change, and a model needs a few to learn from).
MIN_SEASONS = 3


def resolved(name: str, season: int | None, horizon: int, train_rows: int) -> str:
    """The transform `auto` stands for with this season, horizon and training split; others as they are."""
    if name != AUTO:
        return name
    seasonal = season is not None and horizon <= season and train_rows >= MIN_SEASONS * season
    return "sdiff" if seasonal else "diff"


def canonical(text: str) -> str:
    """The canonical name of a transform as written ("LOG, sdiff" -> "log,sdiff"); ValueError if none."""
    parts = {part.strip() for part in text.lower().replace("logdiff", "log,diff").split(",") if part.strip()}
    log = "log" in parts
    rest = parts - {"log"}
    if len(rest) > 1 or not rest <= set(KINDS) or not parts:
        raise ValueError(RULE)
    kind = next(iter(rest), "none")
    if not log:
        return kind
    return {"none": "log", "diff": "logdiff", "sdiff": "log,sdiff"}[kind]


@dataclass(frozen=True)
class Transform:
    """A transform of the target columns: on logs or not, and levels, changes or seasonal changes."""

    log: bool
    kind: str  # none | diff | sdiff
    season: int | None = None

    @classmethod
    def named(cls, name: str, season: int | None = None) -> Transform:
        name = canonical(name)
        kind = {"log": "none", "logdiff": "diff", "log,sdiff": "sdiff"}.get(name, name)
        if kind == "sdiff" and not season:
            raise ValueError("sdiff needs the season's length (--season M)")
        return cls(log=name.startswith("log"), kind=kind, season=season if kind == "sdiff" else None)

    @property
    def name(self) -> str:
        if not self.log:
            return self.kind
        return {"none": "log", "diff": "logdiff", "sdiff": "log,sdiff"}[self.kind]

    @property
    def first_row(self) -> int:
        """The first row whose transformed value exists (a change needs the row before it, a seasonal
        change the row a season and one step before)."""
        return {"none": 0, "diff": 1, "sdiff": (self.season or 0) + 1}[self.kind]

    @property
    def centred(self) -> bool:
        """Levels are centred when scaled; changes are not, so that a zero output means the naive forecast."""
        return self.kind == "none"

    def base(self, levels: np.ndarray) -> np.ndarray:
        """What the changes are taken of: the levels, or their logs."""
        return np.log(levels) if self.log else levels

    def changes(self, base: np.ndarray, out: np.ndarray) -> None:
        """Write the series the model sees of `base` (n, T) into `out` (n, T): NaN where undefined."""
        if self.kind == "none":
            out[:] = base
            return
        out[:1] = np.nan
        np.subtract(base[1:], base[:-1], out=out[1:])
        if self.kind == "sdiff":
            assert self.season is not None
            m = self.season
            seasonal = out[1 : len(out) - m].copy() if len(out) > m else out[:0].copy()
            out[: m + 1] = np.nan
            out[m + 1 :] -= seasonal

    def origin(self, base: np.ndarray, ends: np.ndarray, horizon: int) -> np.ndarray:
        """(windows, horizon, T): what a zero output forecasts for rows e+1..e+H of each window end e (in
        the base's units); zeros for levels."""
        return np.stack([self.origin_step(base, ends, h) for h in range(1, horizon + 1)], axis=1)

    def origin_step(self, base: np.ndarray, ends: np.ndarray, h: int) -> np.ndarray:
        """(windows, T): what a zero output forecasts for row e+h of each window end e."""
        if self.kind == "none":
            return np.zeros((len(ends), base.shape[1]))
        if self.kind == "diff":
            return base[ends]
        assert self.season is not None
        return base[ends] + base[ends + h - self.season] - base[ends - self.season]

    def values(self, base_values: np.ndarray) -> np.ndarray:
        """Forecasts in the base's units back to original units."""
        return np.exp(base_values) if self.log else base_values
