"""Forecasting's encoder: rows -> scaled model inputs, model outputs -> values in original units.

The same object serves the search (fitted on training rows by ForecastData) and prediction later
(rebuilt from preprocessing.json alone, no TensorFlow), so new rows are encoded exactly as the
training rows were.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.data.csv_reader import numeric_column, row_of
from lstmtune.data.dates import ISO8601, first_repeat, guess_format, parse_time
from lstmtune.data.scaler import Scaler
from lstmtune.errors import DataError
from lstmtune.tasks.base import Shape
from lstmtune.tasks.forecast.transforms import Transform

SCALE_BLOCK = 1 << 16  # values scaled at a time (512 KB of float64)
STATE_KEYS = (
    "input_columns",
    "target_columns",
    "lookback",
    "horizon",
    "transform",
    "input_scaler",
    "target_scale",
    "target_offset",
)


def row_blocks(start: int, stop: int, width: int) -> Iterator[tuple[int, int]]:
    """(low, high) of consecutive blocks of rows start..stop, each about SCALE_BLOCK values of `width` columns."""
    step = max(1, SCALE_BLOCK // max(1, width))
    for low in range(start, stop, step):
        yield low, min(stop, low + step)


def transform_series(values: np.ndarray, n_targets: int, transform: Transform) -> tuple[np.ndarray, np.ndarray]:
    """(series the model sees, base): the target columns become what the transform makes of them (their
    changes, NaN where undefined); base is what the changes are taken of (the logs under log)."""
    levels = values[:, :n_targets]
    base = transform.base(levels)
    if transform.kind == "none" and not transform.log:
        return values, base  # nothing changes: no copy (callers only read the series)
    series = values.copy()
    transform.changes(base, series[:, :n_targets])
    return series, base


class ForecastEncoder:
    def __init__(self, state: dict[str, Any]):
        self.state = state
        self.inputs: list[str] = state["input_columns"]
        self.targets: list[str] = state["target_columns"]
        self.lookback: int | None = state.get("lookback")
        self.horizon: int = state["horizon"]
        try:
            self.transform = Transform.named(state["transform"], state.get("season"))
        except ValueError as exc:
            raise ValueError(f"transform {state['transform']!r}: {exc}") from None
        if not _names(self.inputs) or not _names(self.targets) or self.targets != self.inputs[: len(self.targets)]:
            raise ValueError(
                "input_columns and target_columns must be lists of names, the targets first among the inputs"
            )
        self.scaler = Scaler.from_json(state["input_scaler"], "input_scaler", len(self.inputs))
        target = Scaler.from_json(
            {"offset": state["target_offset"], "scale": state["target_scale"]}, "target_scale", len(self.targets)
        )
        self.target_offset, self.target_scale = target.offset, target.scale
        if not _positive_int(self.horizon) or not (self.lookback is None or _positive_int(self.lookback)):
            raise ValueError(
                f"horizon and lookback must be whole numbers above 0, but got {self.horizon!r}, {self.lookback!r}"
            )

    def model_shapes(self) -> dict[str, Shape]:
        """The shapes a model trained with this state reads and writes (batch dimension left out)."""
        return {
            "window": Shape((self.lookback, len(self.inputs)), "lookback, input_columns"),
            "output": Shape((self.horizon, len(self.targets)), "horizon, target_columns"),
        }

    @classmethod
    def from_scaler(
        cls,
        scaler: Scaler,
        scale: str,
        inputs: list[str],
        targets: list[str],
        horizon: int,
        transform: Transform,
        time_col: str | None,
    ) -> ForecastEncoder:
        """The encoder of an input scaler fitted on the training rows."""
        n_targets = len(targets)
        # Targets are scaled like their input column: levels under "none", changes otherwise. Changes over
        # h steps are divided by the one-step scale and not centred, so zero is the naive forecast.
        offset = scaler.offset[:n_targets] if transform.centred else np.zeros(n_targets)
        return cls(
            {
                "input_columns": list(inputs),
                "target_columns": list(targets),
                "time_col": time_col,
                "horizon": horizon,
                "transform": transform.name,
                "season": transform.season,
                "scale": scale,
                "input_scaler": scaler.to_json(),
                "target_offset": np.asarray(offset).tolist(),
                "target_scale": scaler.scale[:n_targets].tolist(),
            }
        )

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ForecastEncoder:
        if not isinstance(state, dict) or any(key not in state for key in STATE_KEYS):
            raise ValueError(f"it must be an object with {', '.join(STATE_KEYS)}")
        return cls(state)

    def to_state(self) -> dict[str, Any]:
        return {k: v for k, v in self.state.items() if k != "lookback"}

    def scale(self, series: np.ndarray) -> np.ndarray:
        """Scaled float32 inputs; the undefined first change under diff / logdiff becomes 0.

        Scaled in float64 and converted block by block: the same numbers as scaling the whole array at
        once, without its float64 copies (a large file's rows would otherwise be held three times)."""
        series = np.asarray(series)
        if series.ndim != 2:
            return np.nan_to_num(self.scaler.transform(series)).astype(np.float32)
        blocks = (series[low:high] for low, high in row_blocks(0, len(series), series.shape[1]))
        return self.scale_blocks(blocks, len(series))

    def scale_blocks(self, blocks: Iterable[np.ndarray], n_rows: int) -> np.ndarray:
        """As `scale`, for a series given a block of rows at a time."""
        out = np.empty((n_rows, len(self.inputs)), dtype=np.float32)
        start = 0
        for block in blocks:
            out[start : start + len(block)] = np.nan_to_num(self.scaler.transform(block), copy=False)
            start += len(block)
        return out

    def to_values(self, encoded: np.ndarray, origin: np.ndarray) -> np.ndarray:
        """Model outputs (windows, H, T) -> values in original units, given what a zero output forecasts
        for each window (Transform.origin)."""
        values = np.asarray(encoded, dtype=np.float64) * self.target_scale + self.target_offset
        return self.transform.values(values + origin)

    # -- prediction on new rows --

    @property
    def rows_needed(self) -> int:
        """The fewest rows a forecast needs: a window, plus those its first change looks back on."""
        assert self.lookback is not None
        return self.lookback + self.transform.first_row

    def _ordered(self, frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.Series | None]:
        """(the rows in time order, their parsed times; None without a time column)."""
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: must have the model's input columns; missing: {', '.join(missing)}")
        time_col = self.state.get("time_col")
        if not time_col:
            return frame, None
        if time_col not in frame.columns:
            raise DataError(
                f"{source}: must have the time column {time_col!r} the run was searched with (it puts the rows "
                f"in order and dates the forecast); its columns are {', '.join(map(str, frame.columns))}"
            )
        fmt = self.state.get("time_format")
        time, _ = parse_time(frame, time_col, source, None if fmt == ISO8601 else fmt)
        time = time.sort_values(kind="stable")
        # The search refuses a repeated timestamp; here it would make a window of the wrong rows.
        repeat = first_repeat(time)
        if repeat:
            raise DataError(
                f"{source}: --time-col {time_col!r} must not repeat a timestamp, but "
                f"{frame.loc[repeat[0], time_col]!r} is on rows {row_of(repeat[0])} and {row_of(repeat[1])}"
            )
        return frame.loc[time.index], time

    def encode_frame(
        self, frame: pd.DataFrame, source: str = "the data", all_windows: bool = False
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """(windows (n, lookback, F) float32, context for decode): the last window, or every window."""
        frame, times = self._ordered(frame, source)
        if not all_windows:
            frame = frame.iloc[-self.rows_needed :]
            times = times.iloc[-self.rows_needed :] if times is not None else None
        values = np.column_stack([numeric_column(frame, c, source, "input").to_numpy() for c in self.inputs])
        if len(values) < self.rows_needed:
            raise DataError(
                f"{source}: holds {len(values)} rows, but the model needs at least {self.rows_needed}: its "
                f"lookback of {self.lookback} steps"
                + (
                    f" and the {self.transform.first_row} its {self.transform.name} transform reads before them"
                    if self.transform.first_row
                    else ""
                )
            )
        if np.isnan(values).any():
            what = (
                f"the last {self.rows_needed} rows"
                if not all_windows
                else f"at least {self.rows_needed} rows, every one"
            )
            raise DataError(f"{source}: {what} of {', '.join(self.inputs)} must have values")
        levels = values[:, : len(self.targets)]
        if self.transform.log and (levels <= 0).any():
            row = int(np.argwhere(levels <= 0)[0][0])
            raise DataError(
                f"{source}: the {self.transform.name} transform needs every target value > 0, but row "
                f"{row_of(frame.index[row])} holds {levels[row].min():g}"
            )
        series, base = transform_series(values, len(self.targets), self.transform)
        scaled = self.scale(series)
        ends = np.arange(self.transform.first_row + self.lookback - 1, len(values))
        windows = np.stack([scaled[e - self.lookback + 1 : e + 1] for e in ends])
        origin = self.transform.origin(base, ends, self.horizon)
        context = {"origin": origin, "labels": frame.index[ends], "frame": frame, "all": all_windows}
        return windows, {**context, "values": values, "times": times}

    def decode(self, outputs: np.ndarray, context: dict[str, Any]) -> pd.DataFrame:
        """Forecasts in original units: one row per step (the next horizon), or per window and step.

        With a time column each row names the time it forecasts (the last row's time plus the series'
        regular step, which the data must show); with every window (`all`), the truth and the error
        beside each forecast whose time is in the data."""
        forecast = self.to_values(outputs, context["origin"])
        time_col = self.state.get("time_col")
        times = context.get("times")
        step = regular_step(times) if times is not None else None
        shown = _time_format(context["frame"][time_col], times, self.state) if step is not None else None
        if not context["all"]:
            out = pd.DataFrame(
                forecast[-1], columns=self.targets, index=pd.RangeIndex(1, self.horizon + 1, name="step")
            )
            if step is not None:
                out.insert(0, time_col, [_shown_time(times.iloc[-1] + step * h, shown) for h in out.index])
            return out
        frame = context["frame"]
        origin = (
            frame.loc[context["labels"], time_col].to_numpy()
            if times is not None
            else [row_of(label) for label in context["labels"]]
        )  # the data row of each window's last row (1 is the first after the header)
        positions = frame.index.get_indexer(context["labels"])
        values = context["values"]
        rows = []
        for i in range(len(forecast)):
            for h in range(self.horizon):
                row: dict[str, Any] = {"origin": origin[i], "step": h + 1}
                if step is not None:
                    row[time_col] = _shown_time(times.iloc[positions[i]] + step * (h + 1), shown)
                at = positions[i] + h + 1  # the row this step forecasts, when the data holds it
                for j, target in enumerate(self.targets):
                    row[target] = forecast[i, h, j]
                    truth = values[at, j] if at < len(values) else np.nan
                    row[f"{target}_truth"] = truth
                    row[f"{target}_error"] = forecast[i, h, j] - truth
                rows.append(row)
        return pd.DataFrame(rows).set_index(["origin", "step"])


def _names(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def regular_step(times: pd.Series) -> Any:
    """The series' step (a number, a pd.DateOffset such as a month start, or a Timedelta), read from the
    time column's last rows, or None when they are not evenly spaced."""
    tail = times.iloc[-min(len(times), 25) :]
    if len(tail) < 3:
        return None
    if pd.api.types.is_datetime64_any_dtype(tail):
        frequency = pd.infer_freq(pd.DatetimeIndex(tail))
        return pd.tseries.frequencies.to_offset(frequency) if frequency else None
    gaps = np.diff(tail.to_numpy(dtype=float))
    return float(gaps[0]) if gaps[0] > 0 and np.allclose(gaps, gaps[0]) else None


def _time_format(raw: pd.Series, times: pd.Series, state: dict[str, Any]) -> str | None:
    """The strftime format the data writes its times in (1960-12 for months), or None (ISO 8601)."""
    fmt = state.get("time_format")
    if fmt and fmt != ISO8601:
        return str(fmt)
    last = times.iloc[-1]
    if not isinstance(last, pd.Timestamp):
        return None
    written = str(raw.iloc[-1])
    guessed = guess_format(written)
    return guessed if guessed and last.strftime(guessed) == written else None


def _shown_time(value: Any, fmt: str | None) -> Any:
    """A forecast's time as the data writes its times."""
    if not isinstance(value, pd.Timestamp):
        return int(value) if float(value).is_integer() else value
    if fmt:
        return value.strftime(fmt)
    return value.isoformat() if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date().isoformat()
