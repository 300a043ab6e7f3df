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
        import keras

        return cls(keras.saving.load_model(run.best_model), read_json(run.preprocessing))

    @property
    def rows_needed(self) -> int:
        """The fewest rows `forecast` needs: a window, plus one more to difference under diff / logdiff."""
        return self.lookback + (0 if self.transform == "none" else 1)

    def forecast(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Forecast the `horizon` steps after the last row of `frame` (time-ordered, with the input columns)."""
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise DataError(f"the data must have the model's input columns; missing: {', '.join(missing)}")
        values = frame[self.inputs].to_numpy(dtype=np.float64)[-self.rows_needed:]
        if len(values) < self.rows_needed or not np.isfinite(values).all():
            raise DataError(f"the last {self.rows_needed} rows of {', '.join(self.inputs)} must be present and finite")
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
