"""Forecasting's encoder at prediction time: new rows -> the model's windows, outputs -> values.

Rebuilt from preprocessing.json alone (no TensorFlow), with the run's own columns, scaler, transform
and time parsing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstmtune.errors import DataError
from lstmtune.frame import numeric_column, parse_time

STATE_KEYS = ("input_columns", "target_columns", "lookback", "horizon", "transform", "input_scaler",
              "target_scale", "target_offset")


class ForecastEncoder:
    def __init__(self, state: dict[str, Any]):
        if not isinstance(state, dict) or any(key not in state for key in STATE_KEYS):
            raise ValueError(f"it must be an object with {', '.join(STATE_KEYS)}")
        self.state = state
        self.inputs: list[str] = state["input_columns"]
        self.targets: list[str] = state["target_columns"]
        self.lookback: int = state["lookback"]
        self.horizon: int = state["horizon"]
        self.transform: str = state["transform"]

    @property
    def rows_needed(self) -> int:
        """The fewest rows a forecast needs: a window, plus one more to difference under diff / logdiff."""
        return self.lookback + (0 if self.transform == "none" else 1)

    def _ordered(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: must have the model's input columns; missing: {', '.join(missing)}")
        time_col = self.state.get("time_col")
        if time_col and time_col in frame.columns:
            fmt = self.state.get("time_format")
            time, _ = parse_time(frame, time_col, source, None if fmt == "ISO8601" else fmt)
            frame = frame.loc[time.sort_values(kind="stable").index]
        return frame

    def encode_frame(self, frame: pd.DataFrame, source: str = "the data", all_windows: bool = False):
        """(windows (n, lookback, F) float32, context for decode): the last window, or every window."""
        frame = self._ordered(frame, source)
        if not all_windows:
            frame = frame.iloc[-self.rows_needed:]
        values = np.column_stack([numeric_column(frame, c, source, "input").to_numpy() for c in self.inputs])
        if len(values) < self.rows_needed or np.isnan(values).any():
            what = f"the last {self.rows_needed} rows" if not all_windows else f"at least {self.rows_needed} rows, every one"
            raise DataError(f"{source}: {what} of {', '.join(self.inputs)} must have values")
        n_targets = len(self.targets)
        levels = values[:, :n_targets]
        if self.transform == "logdiff" and (levels <= 0).any():
            raise DataError(f"{source}: the logdiff transform needs every target value > 0")
        base = np.log(levels) if self.transform == "logdiff" else levels
        series = values.copy()
        first = 0
        if self.transform != "none":
            series[1:, :n_targets] = np.diff(base, axis=0)
            first = 1
        scaler = self.state["input_scaler"]
        scaled = ((series - np.asarray(scaler["offset"])) / np.asarray(scaler["scale"])).astype(np.float32)
        ends = np.arange(first + self.lookback - 1, len(values))
        windows = np.stack([scaled[e - self.lookback + 1: e + 1] for e in ends])
        return windows, {"base": base[ends], "labels": frame.index[ends], "frame": frame, "all": all_windows}

    def decode(self, outputs: np.ndarray, context: dict[str, Any]) -> pd.DataFrame:
        """Forecasts in original units: one row per step (the next horizon), or per window and step."""
        encoded = np.asarray(outputs, dtype=np.float64)
        forecast = encoded * np.asarray(self.state["target_scale"]) + np.asarray(self.state["target_offset"])
        if self.transform != "none":
            forecast = forecast + context["base"][:, None, :]
            forecast = np.exp(forecast) if self.transform == "logdiff" else forecast
        if not context["all"]:
            return pd.DataFrame(forecast[-1], columns=self.targets, index=pd.RangeIndex(1, self.horizon + 1, name="step"))
        frame = context["frame"]
        time_col = self.state.get("time_col")
        origin = (frame.loc[context["labels"], time_col].to_numpy() if time_col and time_col in frame.columns
                  else np.asarray(context["labels"]) + 2)  # the file line of each window's last row
        rows = [{"origin": origin[i], "step": h + 1, **{t: forecast[i, h, j] for j, t in enumerate(self.targets)}}
                for i in range(len(forecast)) for h in range(self.horizon)]
        return pd.DataFrame(rows).set_index(["origin", "step"])
