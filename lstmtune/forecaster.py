"""Use a run's best model later: load it with its preprocessing and forecast from new rows.

    from lstmtune.forecaster import Forecaster
    forecaster = Forecaster.load("runs/airline")
    forecaster.forecast(frame)   # the next `horizon` steps after the last row of `frame`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.frame import numeric_column, parse_time
from lstmtune.errors import DataError, RunDirError
from lstmtune.rundir import RunDir, read_json


class Forecaster:
    """The best model of a run plus the preprocessing it was trained with (scaler, columns, transform)."""

    def __init__(self, model: Any, state: dict[str, Any]):
        self.model = model
        self.state = state
        self.inputs: list[str] = state["input_columns"]
        self.targets: list[str] = state["target_columns"]
        self.lookback: int = state["lookback"]
        self.horizon: int = state["horizon"]
        self.transform: str = state["transform"]

    @classmethod
    def load(cls, run_dir: str | Path) -> "Forecaster":
        run = RunDir(run_dir)
        if not run.best_model.is_file() or not run.preprocessing.is_file():
            raise RunDirError(f"{run.root}: no best model yet (best_model.keras and preprocessing.json are written when a search completes)")
        try:
            state = read_json(run.preprocessing)
            cls._check_state(state)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RunDirError(f"{run.preprocessing}: unreadable preprocessing state ({exc})") from None
        import keras

        try:
            model = keras.saving.load_model(run.best_model)
        except Exception as exc:  # Keras raises many kinds for a damaged file
            raise RunDirError(f"{run.best_model}: cannot load the model ({type(exc).__name__}: {exc})") from None
        return cls(model, state)

    @staticmethod
    def _check_state(state: Any) -> None:
        keys = ("input_columns", "target_columns", "lookback", "horizon", "transform", "input_scaler", "target_scale", "target_offset")
        if not isinstance(state, dict) or any(key not in state for key in keys):
            raise ValueError(f"it must be an object with {', '.join(keys)}")

    @property
    def rows_needed(self) -> int:
        """The fewest rows `forecast` needs: a window, plus one more to difference under diff / logdiff."""
        return self.lookback + (0 if self.transform == "none" else 1)

    def forecast(self, frame: pd.DataFrame, source: str = "the data") -> pd.DataFrame:
        """Forecast the `horizon` steps after the last row of `frame`, which must have the input columns.
        Rows are put in order by the run's time column when `frame` has it; otherwise they must be in order."""
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: must have the model's input columns; missing: {', '.join(missing)}")
        time_col = self.state.get("time_col")
        if time_col and time_col in frame.columns:
            fmt = self.state.get("time_format")
            time, _ = parse_time(frame, time_col, source, None if fmt == "ISO8601" else fmt)
            frame = frame.loc[time.sort_values(kind="stable").index]
        frame = frame.iloc[-self.rows_needed:]
        values = np.column_stack([numeric_column(frame, c, source, "input").to_numpy() for c in self.inputs])
        if len(values) < self.rows_needed or np.isnan(values).any():
            raise DataError(f"{source}: the last {self.rows_needed} rows of {', '.join(self.inputs)} must all have values")
        n_targets = len(self.targets)
        levels = values[:, :n_targets]
        if self.transform == "logdiff" and (levels <= 0).any():
            raise DataError("the logdiff transform needs every target value > 0")
        base = np.log(levels) if self.transform == "logdiff" else levels
        series = values.copy()
        if self.transform != "none":
            series[1:, :n_targets] = np.diff(base, axis=0)
            series = series[1:]
        scaler = self.state["input_scaler"]
        window = (series - np.asarray(scaler["offset"])) / np.asarray(scaler["scale"])
        encoded = np.asarray(self.model.predict(window[None].astype(np.float32), verbose=0), dtype=np.float64)[0]
        forecast = encoded * np.asarray(self.state["target_scale"]) + np.asarray(self.state["target_offset"])
        if self.transform != "none":
            forecast = forecast + base[-1]
            forecast = np.exp(forecast) if self.transform == "logdiff" else forecast
        return pd.DataFrame(forecast, columns=self.targets, index=pd.RangeIndex(1, self.horizon + 1, name="step"))
