"""CSV -> validated frame -> chronological splits, scalers, encoded targets, windows, baselines.

Pure numpy / pandas (no TensorFlow), so every rule here is unit-tested fast.

A window is named by its end row `e` (its last input row). Its inputs are rows e-L+1 .. e and its
targets rows e+1 .. e+H. A window belongs to the split its last target row lies in, so no training
window ever sees a validation target; inputs may reach back into earlier splits, as they would in
production. Validation and test windows are therefore the same for every lookback, and baselines
are computed once on exactly the windows the models are scored on.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from lstmtune.errors import DataError
from lstmtune.settings import DataSettings

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class DataSpec:
    """Which CSV and columns to use, and how."""

    path: Path
    targets: tuple[str, ...]
    time_col: str | None = None
    features: tuple[str, ...] | None = None
    settings: DataSettings = field(default_factory=DataSettings)
    time_format: str | None = None  # strftime format of the time column; None: ISO 8601 or guessed


# --- reading and validating -----------------------------------------------------------------


def _line(index_label: Any) -> int:
    """The file line of a data row (row label 0 is line 2, after the header; blank lines are not counted)."""
    return int(index_label) + 2


def _show(value: Any) -> str:
    """A cell value for a message: numpy scalars as plain Python values."""
    return repr(value.item() if hasattr(value, "item") else value)


def _unknown_column(path: Path, flag: str, name: str, columns: list[str]) -> DataError:
    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return DataError(f"{path}: {flag} {name!r} is not a column{hint}; columns are: {', '.join(columns)}")


def read_csv(path: Path) -> pd.DataFrame:
    """Read the CSV, turning every way it can fail into one DataError line."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, but a CSV file is needed") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; a header line and data rows are needed") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: not a readable CSV file ({first})") from None
    if frame.empty:
        raise DataError(f"{path}: has a header but no data rows")
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        for name, separator in (("semicolons", ";"), ("tabs", "\t"), ("'|'", "|")):
            if separator in header:
                raise DataError(f"{path}: has one column {header!r} that looks separated by {name}; lstmtune reads comma-separated files")
    return frame


def numeric_column(frame: pd.DataFrame, column: str, path: Path | str, role: str) -> pd.Series:
    """A column as finite floats, or a DataError naming the first bad line."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        converted = series.astype(float)
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            label = bad.idxmax()
            raise DataError(
                f"{path}: {role} column {column!r} must be numeric, but line {_line(label)} holds {_show(series[label])}"
            )
        converted = converted.astype(float)
    infinite = np.isinf(converted.to_numpy())
    if infinite.any():
        label = converted.index[infinite.argmax()]
        raise DataError(f"{path}: {role} column {column!r} must be finite, but line {_line(label)} holds {_show(series[label])}")
    return converted


def parse_time(frame: pd.DataFrame, column: str, path: Path, time_format: str | None) -> tuple[pd.Series, str | None]:
    """Parse the time column with ONE format for every row: ISO 8601, the format given, or the one
    guessed from the first row (never a per-row guess, which reads 03/04 and 13/04 differently)."""
    raw = frame[column]
    if raw.isna().any():
        label = raw.isna().idxmax()
        raise DataError(f"{path}: --time-col {column!r} must have a value in every row, but line {_line(label)} is empty")
    if time_format is None and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        infinite = np.isinf(raw.to_numpy(dtype=float))
        if infinite.any():
            label = raw.index[infinite.argmax()]
            raise DataError(f"{path}: --time-col {column!r} must be finite, but line {_line(label)} holds {_show(raw[label])}")
        return raw, None
    text = raw.astype(str)
    fmt = time_format
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns about day-first formats, which are used on purpose
            if fmt is None:
                try:
                    return pd.to_datetime(text, format="ISO8601"), "ISO8601"
                except (ValueError, TypeError):
                    fmt = guess_datetime_format(text.iloc[0])
            parsed = pd.to_datetime(text, errors="coerce", format=fmt) if fmt else pd.to_datetime(text, errors="coerce")
    except (ValueError, TypeError) as exc:  # e.g. mixed time zones
        first = str(exc).splitlines()[0]
        raise DataError(f"{path}: --time-col {column!r} must hold dates in one format and time zone, or numbers ({first})") from None
    bad = parsed.isna()
    if bad.any():
        label = bad.idxmax()
        if time_format:
            rule = f"must match --time-format {time_format!r}"
        elif fmt:
            rule = f"must all have the date format {fmt} of line {_line(raw.index[0])} (else pass --time-format, e.g. %d/%m/%Y)"
        else:
            rule = "must hold dates or numbers"
        raise DataError(f"{path}: --time-col {column!r} {rule}, but line {_line(label)} holds {_show(raw[label])}")
    return parsed, fmt


@dataclass
class Frame:
    """The rows and columns that will be used, in time order, with what was done to get them."""

    values: pd.DataFrame  # input columns (targets included), float, no missing values
    targets: list[str]
    inputs: list[str]
    time: pd.Series | None
    info: dict[str, Any]


def load_frame(spec: DataSpec) -> Frame:
    """Read the CSV and check columns, types, time order and missing values."""
    path = spec.path
    frame = read_csv(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns

    if not spec.targets:
        raise DataError(f"{path}: --target is required; columns are: {', '.join(columns)}")
    for name in spec.targets:
        if name not in columns:
            raise _unknown_column(path, "--target", name, columns)
    if len(set(spec.targets)) != len(spec.targets):
        raise DataError(f"{path}: each --target must be named once, but got {', '.join(spec.targets)}")
    if spec.time_col is not None:
        if spec.time_col not in columns:
            raise _unknown_column(path, "--time-col", spec.time_col, columns)
        if spec.time_col in spec.targets:
            raise DataError(f"{path}: --time-col {spec.time_col!r} cannot also be a --target")

    if spec.features is not None:
        for name in spec.features:
            if name not in columns:
                raise _unknown_column(path, "--features", name, columns)
            if name == spec.time_col:
                raise DataError(f"{path}: --features cannot include the --time-col {name!r}")
        # The targets' own past is always an input.
        inputs = list(spec.targets) + [f for f in spec.features if f not in spec.targets]
        ignored = [c for c in columns if c not in inputs and c != spec.time_col]
    else:
        # Numeric columns with at least one value (pandas reads an all-empty column as numeric),
        # but not a saved pandas index ("Unnamed: 0"), which is a counter, not a signal.
        numeric = [
            c for c in columns
            if c != spec.time_col and pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any()
            and not re.fullmatch(r"Unnamed: \d+", c)
        ]
        inputs = list(spec.targets) + [c for c in numeric if c not in spec.targets]
        ignored = [c for c in columns if c not in inputs and c != spec.time_col]

    values = pd.DataFrame(
        {c: numeric_column(frame, c, path, "--target" if c in spec.targets else "feature") for c in inputs},
        index=frame.index,
    )
    rows_read = len(values)

    time = None
    reordered = False
    time_format = None
    if spec.time_format is not None and spec.time_col is None:
        raise DataError(f"{path}: --time-format needs --time-col")
    if spec.time_col is not None:
        time, time_format = parse_time(frame, spec.time_col, path, spec.time_format)
        order = np.argsort(time.to_numpy(), kind="stable")
        reordered = bool((order != np.arange(len(order))).any())
        time = time.iloc[order]
        values = values.iloc[order]
        duplicated = time.duplicated(keep=False)
        if duplicated.any():
            labels = time.index[duplicated.to_numpy()][:2]
            raise DataError(
                f"{path}: --time-col {spec.time_col!r} must not repeat a timestamp, but "
                f"{_show(frame[spec.time_col][labels[0]])} is on lines {_line(labels[0])} and {_line(labels[1])}"
            )

    values, filled, dropped = _handle_missing(values, spec, path)
    if time is not None:
        time = time.loc[values.index]

    time_like = [] if spec.time_col is not None else [c for c in ignored if _looks_like_time(frame[c])]
    info = {
        "rows_read": rows_read,
        "rows_used": len(values),
        "rows_dropped": dropped,
        "values_filled": filled,
        "reordered_by_time": reordered,
        "time_format": time_format,
        "inputs": inputs,
        "targets": list(spec.targets),
        "ignored_columns": ignored,
        "time_like_columns": time_like,
        "fill": spec.settings.fill,
    }
    return Frame(values=values, targets=list(spec.targets), inputs=inputs, time=time, info=info)


def _looks_like_time(column: pd.Series) -> bool:
    """Text values with digits that parse as dates of one guessed format (for a --time-col hint)."""
    head = column.dropna().astype(str).head(5)
    if head.empty or pd.api.types.is_numeric_dtype(column) or not head.str.contains(r"\d").all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmt = guess_datetime_format(head.iloc[0])
        return fmt is not None and bool(pd.to_datetime(head, errors="coerce", format=fmt).notna().all())


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


def _handle_missing(values: pd.DataFrame, spec: DataSpec, path: Path) -> tuple[pd.DataFrame, int, int]:
    missing = values.isna()
    count = int(missing.to_numpy().sum())
    if count == 0:
        return values, 0, 0
    fill = spec.settings.fill
    if fill is None:
        row_has = missing.any(axis=1)
        label = row_has.idxmax()
        column = missing.loc[label].idxmax()
        raise DataError(
            f"{path}: {count} missing value{'s' if count > 1 else ''} in the columns used "
            f"(first: column {column!r}, line {_line(label)}); pass --fill ffill, interpolate or drop"
        )
    if fill == "drop":
        kept = values.dropna()
        return kept, 0, len(values) - len(kept)
    if fill == "ffill":
        filled = values.ffill()
    else:
        filled = values.interpolate(method="linear", limit_direction="forward")
    # Leading rows cannot be filled from the past: drop them rather than borrow from the future.
    kept = filled.dropna()
    return kept, int(values.loc[kept.index].isna().to_numpy().sum()), len(values) - len(kept)


# --- splits, scaling, encoding ----------------------------------------------------------------


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

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.offset

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
                    f"{_line(frame.values.index[row])}; use --transform diff"
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
