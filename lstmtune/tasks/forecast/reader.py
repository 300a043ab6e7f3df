"""Forecasting's rows: the columns used, in time order, with missing values handled. No TensorFlow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import plural, shown
from lstmtune.data.compact_reader import CompactColumns, release_freed_heap
from lstmtune.data.csv_reader import file_text, numeric_column, read_csv, row_of, unknown_column
from lstmtune.data.dates import first_repeat, guess_format, parse_time, read_dates
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.forecast.settings import ForecastSettings


@dataclass(frozen=True)
class DataSpec:
    """Which CSV and columns to use, and how."""

    path: Path
    targets: tuple[str, ...]
    time_col: str | None = None
    features: tuple[str, ...] | None = None
    settings: ForecastSettings = field(default_factory=ForecastSettings)
    time_format: str | None = None  # strftime format of the time column; None: ISO 8601 or guessed


@dataclass
class Frame:
    """The rows and columns that will be used, in time order, with what was done to get them."""

    values: pd.DataFrame  # input columns (targets included), float (features may be float32), no missing values
    targets: list[str]
    inputs: list[str]
    time: pd.Series | None
    info: dict[str, Any]


def load_frame(spec: DataSpec, narrow: bool = True) -> Frame:
    """Read the CSV and check columns, types, time order and missing values.

    `narrow`: float features may be held as float32 (see lstmtune.data.compact_reader)."""
    path = spec.path
    # Compact: on a large file the text and float64 copies of its columns would dominate memory.
    frame = read_csv(path, compact=CompactColumns(frozenset(spec.targets), spec.time_col, spec.time_format, narrow))
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    _check_columns(spec, columns)
    inputs, ignored = _choose_inputs(frame, spec, columns)
    values = pd.DataFrame(
        {
            c: numeric_column(
                frame, c, path, "--target" if c in spec.targets else "feature", booleans=c not in spec.targets
            )
            for c in inputs
        },
        index=frame.index,
        copy=False,  # the read's columns are not copied again
    )
    rows_read = len(values)
    time, time_format, reordered, values = _in_time_order(frame, spec, values)

    _refuse_empty_columns(values, path)
    before_fill = values.index
    values, filled, dropped = _handle_missing(values, spec, path)
    gaps, longest_gap = _gaps(before_fill, values.index)
    if time is not None:
        time = time.loc[values.index]

    time_like = [] if spec.time_col is not None else [c for c in ignored if _looks_like_time(frame[c])]
    info = {
        "rows_read": rows_read,
        "rows_used": len(values),
        "rows_dropped": dropped,
        "gaps": gaps,  # places inside the series where dropped rows joined rows that were not neighbours
        "longest_gap": longest_gap,  # rows missing at the widest of them
        "values_filled": filled,
        "reordered_by_time": reordered,
        "time_format": time_format,
        "inputs": inputs,
        "targets": list(spec.targets),
        "ignored_columns": ignored,
        "time_like_columns": time_like,
        "fill": spec.settings.fill,
    }
    del frame
    release_freed_heap()
    return Frame(values=values, targets=list(spec.targets), inputs=inputs, time=time, info=info)


def _check_columns(spec: DataSpec, columns: list[str]) -> None:
    """The targets, time column and features named are columns of the file, each named once and in one role."""
    path = spec.path
    if not spec.targets:
        raise DataError(f"{path}: --target is required; columns are: {', '.join(columns)}")
    for name in spec.targets:
        if name not in columns:
            raise unknown_column(path, "--target", name, columns)
    if len(set(spec.targets)) != len(spec.targets):
        raise DataError(f"{path}: each --target must be named once, but got {', '.join(spec.targets)}")
    if spec.time_col is not None:
        if spec.time_col not in columns:
            raise unknown_column(path, "--time-col", spec.time_col, columns)
        if spec.time_col in spec.targets:
            raise DataError(f"{path}: --time-col {spec.time_col!r} cannot also be a --target")

    for flag, names in (("--target", spec.targets), ("--features", spec.features or ())):
        repeated = sorted({name for name in names if list(names).count(name) > 1})
        if repeated:
            raise OptionError(
                f"{path}: {flag} must name each column once, but names {shown(repeated[0])} more than once"
            )
    for name in spec.features or ():
        if name not in columns:
            raise unknown_column(path, "--features", name, columns)
        if name == spec.time_col:
            raise DataError(f"{path}: --features cannot include the --time-col {name!r}")


def _choose_inputs(frame: pd.DataFrame, spec: DataSpec, columns: list[str]) -> tuple[list[str], list[str]]:
    """(input columns, the targets first; ignored columns): the --features named, else the numeric columns."""
    if spec.features is not None:
        # The targets' own past is always an input.
        inputs = list(spec.targets) + [f for f in spec.features if f not in spec.targets]
    else:
        # Numeric columns with at least one value (pandas reads an all-empty column as numeric),
        # but not a saved pandas index ("Unnamed: 0"), which is a counter, not a signal.
        numeric = [
            c
            for c in columns
            if c != spec.time_col
            and pd.api.types.is_numeric_dtype(frame[c])
            and frame[c].notna().any()
            and not re.fullmatch(r"Unnamed: \d+", c)
        ]
        inputs = list(spec.targets) + [c for c in numeric if c not in spec.targets]
    ignored = [c for c in columns if c not in inputs and c != spec.time_col]
    return inputs, ignored


def _in_time_order(
    frame: pd.DataFrame, spec: DataSpec, values: pd.DataFrame
) -> tuple[pd.Series | None, str | None, bool, pd.DataFrame]:
    """(time, its format, whether the rows were reordered, values in time order); a repeated timestamp is
    an error. Without --time-col: the rows in file order."""
    path = spec.path
    if spec.time_format is not None and spec.time_col is None:
        raise DataError(f"{path}: --time-format needs --time-col")
    if spec.time_col is None:
        return None, None, False, values
    time, time_format = parse_time(frame, spec.time_col, path, spec.time_format)
    stamps = time.values  # numbers, or datetime64 (in UTC for zoned times)
    reordered = bool((stamps[1:] < stamps[:-1]).any())
    if reordered:  # rows already in time order are not copied
        order = np.argsort(stamps, kind="stable")
        time = time.iloc[order]
        values = values.iloc[order]
    repeat = first_repeat(time)
    if repeat:
        raise DataError(
            f"{path}: --time-col {spec.time_col!r} must not repeat a timestamp, but "
            f"{shown(_as_written(frame, path, repeat[0], spec.time_col))} is on rows {row_of(repeat[0])} and {row_of(repeat[1])}"
            + _several_series_hint(frame, spec.time_col, time)
        )
    return time, time_format, reordered, values


def _as_written(frame: pd.DataFrame, path: Path, label: Any, column: str) -> Any:
    """A cell for a message: as the file writes it where the read holds it parsed (times)."""
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        return file_text(path, label, column)
    return frame[column][label]


def _several_series_hint(frame: pd.DataFrame, time_col: str, time: pd.Series) -> str:
    """A hint when another column tells the repeated timestamps apart: the file holds several series."""
    for column in frame.columns:
        if column == time_col or pd.api.types.is_float_dtype(frame[column]):
            continue
        keys = frame[column].loc[time.index]
        count = keys.nunique()
        if 1 < count <= len(frame) // 2 and not pd.DataFrame({"k": keys, "t": time}).duplicated().any():
            return (
                f"; the file seems to hold {count} series, one per value of {column!r}: forecast one series per "
                f"file (filter the rows), or give each series its own column"
            )
    return ""


def _looks_like_time(column: pd.Series) -> bool:
    """Text values with digits that parse as dates of one guessed format (for a --time-col hint)."""
    head = column.dropna().astype(str).head(5)
    if head.empty or pd.api.types.is_numeric_dtype(column) or not head.str.contains(r"\d").all():
        return False
    fmt = guess_format(head.iloc[0])
    return fmt is not None and bool(read_dates(head, fmt)[0].notna().all())


def _refuse_empty_columns(values: pd.DataFrame, path: Path) -> None:
    """A column with no value at all cannot be filled (--fill would only drop every row)."""
    for column in values.columns:
        if values[column].isna().all():
            raise DataError(f"{path}: column {column!r} is empty on every row; a target or input needs values")


def _gaps(before: pd.Index, after: pd.Index) -> tuple[int, int]:
    """(how many places inside the series lost rows, the most rows lost at one place), in time order."""
    if len(after) == len(before) or len(after) < 2:
        return 0, 0
    kept = np.flatnonzero(before.isin(after))
    jumps = np.diff(kept) - 1
    return int((jumps > 0).sum()), int(jumps.max(initial=0))


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
            f"{path}: {plural(count, 'missing value')} in the columns used "
            f"(first: column {column!r}, row {row_of(label)}); pass --fill ffill, interpolate or drop"
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
