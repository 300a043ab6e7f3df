"""Validated rows -> chronological splits, scalers, encoded targets, window indexing, baselines.

Pure numpy / pandas (no TensorFlow), so every rule here is unit-tested fast.

A window is named by its end row `e` (its last input row). Its inputs are rows e-L+1 .. e and its
targets rows e+1 .. e+H. A window belongs to the split its last target row lies in, so no training
window ever sees a validation target; inputs may reach back into earlier splits, as they would in
production. Validation and test windows are therefore the same for every lookback, and baselines
are computed once on exactly the windows the models are scored on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmtune.errors import DataError
from lstmtune.frame import DataSpec, Frame, line_of, load_frame

SPLITS = ("train", "val", "test")


def split_bounds(n_rows: int, split: tuple[float, float, float]) -> tuple[int, int]:
    """(a, b): train rows are [0, a), validation [a, b), test [b, n)."""
    a = int(math.floor(n_rows * split[0] + 1e-9))
    b = a + int(math.floor(n_rows * split[1] + 1e-9))
    return a, b


def rows_needed(lookback: int, horizon: int, split: tuple[float, float, float], first_row: int) -> int:
    """The fewest rows that give every split a window, with validation and test at least a horizon long
    (shorter, their windows' targets would lie mostly in the split before)."""
    n = 1
    while True:
        a, b = split_bounds(n, split)
        if a >= first_row + lookback + horizon and b - a >= horizon and n - b >= horizon:
            return n
        n += 1


@dataclass(frozen=True)
class Scaler:
    """Per-column affine scaling, x' = (x - offset) / scale, fitted on training rows."""

    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, rows: np.ndarray, kind: str) -> "Scaler":
        width = rows.shape[1]
        if kind == "none":
            return cls(np.zeros(width), np.ones(width))
        if kind == "standard":
            offset, scale = np.nanmean(rows, axis=0), np.nanstd(rows, axis=0)
        else:  # minmax
            offset = np.nanmin(rows, axis=0)
            scale = np.nanmax(rows, axis=0) - offset
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        return cls(np.nan_to_num(offset), scale)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.offset) / self.scale

    def to_json(self) -> dict[str, list[float]]:
        return {"offset": self.offset.tolist(), "scale": self.scale.tolist()}


class ForecastData:
    """Everything the search needs from the CSV, as arrays, with no copy per window.

    inputs   (n, F) float32: scaled input columns; under diff / logdiff the target columns are
             their one-step (log) changes, so the model sees changes and predicts changes.
    levels   (n, T) float64: the targets in original units (for decoding and metrics).
    encoded  (n, H, T) float32: the encoded targets of the window ending at each row (NaN where
             the horizon runs past the data).
    """

    def __init__(self, frame: Frame, spec: DataSpec):
        cfg = spec.settings
        self.spec = spec
        self.settings = cfg
        self.input_columns = frame.inputs
        self.target_columns = frame.targets
        self.horizon = cfg.horizon
        self.transform = cfg.transform
        self.time = frame.time
        self.info = frame.info

        raw = frame.values.to_numpy(dtype=np.float64)
        self.n_rows = len(raw)
        self.levels = raw[:, : len(self.target_columns)].copy()
        if cfg.transform == "logdiff":
            bad = self.levels <= 0
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise DataError(
                    f"{spec.path}: --transform logdiff needs every target value > 0, but column "
                    f"{self.target_columns[col]!r} holds {self.levels[row, col]:g} on line "
                    f"{line_of(frame.values.index[row])}; use --transform diff"
                )
        self.first_row = 0 if cfg.transform == "none" else 1
        self.a, self.b = split_bounds(self.n_rows, cfg.split)
        for i, name in enumerate(self.target_columns):
            train = self.levels[: self.a, i]
            if len(train) > 1 and np.ptp(train) == 0:
                raise DataError(
                    f"{spec.path}: --target {name!r} must vary over the training rows, but all {len(train)} "
                    f"hold {train[0]:g}: there is nothing to learn"
                )
        # The series the transform differences: log levels for logdiff, levels otherwise.
        self.base = np.log(self.levels) if cfg.transform == "logdiff" else self.levels

        series = raw.copy()
        n_targets = len(self.target_columns)
        if cfg.transform != "none":
            series[:, :n_targets] = np.vstack([np.full((1, n_targets), np.nan), np.diff(self.base, axis=0)])
        train_rows = series[self.first_row : self.a]
        self.input_scaler = Scaler.fit(train_rows, cfg.scale)
        self.inputs = np.nan_to_num(self.input_scaler.transform(series)).astype(np.float32)

        # Targets are scaled like their input column: levels under "none", changes otherwise.
        # Changes over h steps are divided by the one-step scale and not centred, so zero is persistence.
        if cfg.transform == "none":
            self.target_offset = self.input_scaler.offset[:n_targets]
        else:
            self.target_offset = np.zeros(n_targets)
        self.target_scale = self.input_scaler.scale[:n_targets]
        self.encoded = self._encode_all().astype(np.float32)

    # -- encoding --

    def _encode_all(self) -> np.ndarray:
        n, H, T = self.n_rows, self.horizon, len(self.target_columns)
        base = self.base
        out = np.full((n, H, T), np.nan)
        for h in range(1, H + 1):
            future = np.full((n, T), np.nan)
            future[: n - h] = base[h:]
            reference = base if self.transform != "none" else 0.0
            out[:, h - 1, :] = (future - reference - self.target_offset) / self.target_scale
        return out

    def decode(self, encoded: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Model outputs (windows, H, T) -> predictions in original units."""
        values = encoded * self.target_scale + self.target_offset
        if self.transform == "none":
            return values
        last = self.base[ends][:, None, :]
        values = values + last
        return np.exp(values) if self.transform == "logdiff" else values

    # -- windows --

    def window_ends(self, split: str, lookback: int) -> np.ndarray:
        """End rows of the windows whose last target lies in `split` and whose inputs exist."""
        H = self.horizon
        low_target, high_target = {"train": (0, self.a), "val": (self.a, self.b), "test": (self.b, self.n_rows)}[split]
        start = max(low_target - H, self.first_row + lookback - 1)
        stop = high_target - H  # exclusive
        return np.arange(start, max(start, stop), dtype=np.int64)

    def truth(self, ends: np.ndarray) -> np.ndarray:
        """Targets of the windows in original units, (windows, H, T)."""
        rows = ends[:, None] + np.arange(1, self.horizon + 1)[None, :]
        return self.levels[rows]

    def baseline(self, kind: str, ends: np.ndarray, season: int | None = None) -> np.ndarray:
        """Naive forecasts in original units: persistence, or seasonal naive with period `season`."""
        H = self.horizon
        if kind == "persistence":
            return np.repeat(self.levels[ends][:, None, :], H, axis=1)
        if kind == "seasonal":
            assert season is not None
            steps = np.arange(1, H + 1)
            back = steps - season * np.ceil(steps / season).astype(int)
            rows = ends[:, None] + back[None, :]
            if rows.min() < 0:
                raise DataError(f"{self.spec.path}: --season {season} reaches before the first row; it must be shorter than the training split")
            return self.levels[rows]
        raise ValueError(kind)

    def check_rows(self, max_lookback: int) -> None:
        """Enough rows for the longest lookback in the space (see rows_needed)."""
        needed = rows_needed(max_lookback, self.horizon, self.settings.split, self.first_row)
        if self.n_rows < needed:
            split = "/".join(f"{f:g}" for f in self.settings.split)
            notes = [" the validation and test splits need at least a horizon of rows each"] if self.horizon > 1 else []
            if self.first_row:
                notes.append(f" the {self.transform} transform uses one more row")
            raise DataError(
                f"{self.spec.path}: {self.n_rows} rows are too few for lookback {max_lookback} + horizon "
                f"{self.horizon} with split {split}: at least {needed} rows are needed"
                + (f" ({';'.join(notes).strip()})" if notes else "")
            )

    def split_summary(self) -> dict[str, Any]:
        ranges = {"train": (0, self.a), "val": (self.a, self.b), "test": (self.b, self.n_rows)}
        out = {}
        for name, (lo, hi) in ranges.items():
            entry: dict[str, Any] = {"rows": [lo, hi]}
            if self.time is not None and hi > lo:
                entry["time"] = [str(self.time.iloc[lo]), str(self.time.iloc[hi - 1])]
            out[name] = entry
        return out

    def preprocessing_state(self) -> dict[str, Any]:
        """What is needed to turn new rows into model inputs and outputs back into values."""
        return {
            "input_columns": self.input_columns,
            "target_columns": self.target_columns,
            "time_col": self.spec.time_col,
            "horizon": self.horizon,
            "transform": self.transform,
            "scale": self.settings.scale,
            "input_scaler": self.input_scaler.to_json(),
            "target_offset": self.target_offset.tolist(),
            "target_scale": self.target_scale.tolist(),
        }


def prepare(spec: DataSpec, max_lookback: int) -> ForecastData:
    """Load, validate and encode the CSV for a search whose longest lookback is `max_lookback`."""
    data = ForecastData(load_frame(spec), spec)
    data.check_rows(max_lookback)
    return data


def data_summary(data: "ForecastData") -> str:
    """One line saying what was read and what was done to it, so nothing happens silently."""
    info = data.info
    parts = [f"{info['rows_used']} rows"]
    if info["rows_dropped"]:
        why = f"--fill {info['fill']}" if info["fill"] == "drop" else "no earlier value to fill from"
        parts[0] += f" ({info['rows_dropped']} dropped: {why})"
    if info["values_filled"]:
        parts.append(f"{info['values_filled']} missing values filled by --fill {info['fill']}")
    parts.append(f"inputs {', '.join(data.input_columns)}")
    if info["ignored_columns"]:
        parts.append(f"ignored {', '.join(info['ignored_columns'])}")
    if info.get("time_format") and info["time_format"] != "ISO8601":
        parts.append(f"dates read as {info['time_format']}")
    for column in info.get("time_like_columns", []):
        parts.append(f"{column!r} looks like dates: pass --time-col {column} if it orders the rows")
    return "; ".join(parts)
