"""Sliding windows of one series (--window W --window-stride S) as many sequences in long format, so the
sequence readers, splits and encoder read them as they read any sequences (numpy / pandas only).

The rows are put in time order (--time-col; file order without it) and split in time: the first
--split fraction trains, the next validates, the rest tests. Windows are cut inside each split, never
across a boundary, so no test step is ever seen in training. A window's label is the --normal value when
all its steps carry it, else the first other label among its steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import shown
from lstmtune.data.csv_reader import numeric_column, row_of, unknown_column
from lstmtune.data.splits import SPLITS
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.autoencoder.steps import SeriesSteps
from lstmtune.tasks.sequence.encoder import parse_order, plain

# The long-format columns the windows are written in.
WINDOW, STEP, SPLIT, LABEL = "window", "step", "split", "label"
# Flags that say how many sequences a file holds: a windowed series is one.
NOT_WITH_WINDOWS = {
    "id_col": "--id-col",
    "order_col": "--order-col",
    "split_col": "--split-col",
    "group_col": "--group-col",
}


@dataclass
class Windowed:
    """The windows as a long frame, the column flags that read it, how the series was split, and the
    series itself step by step."""

    frame: pd.DataFrame
    columns: dict[str, Any]
    how: str
    rows: int
    time_format: str | None
    series: SeriesSteps


def check_window_flags(columns: dict[str, Any], wide: bool) -> None:
    for key, name in NOT_WITH_WINDOWS.items():
        if columns.get(key) is not None:
            raise OptionError(f"{name} is for files of many sequences; with --window the file is one series")
    if wide:
        raise OptionError("--wide is for files of many sequences; with --window the file is one series")


def series_features(path: Any, frame: pd.DataFrame, columns: dict[str, Any]) -> list[str]:
    """The channels: --features, else every numeric column but the time and label columns."""
    names = list(frame.columns)
    used = {columns.get("time_col"), columns.get("label_col")}
    features = columns.get("features")
    if features is not None:
        features = [features] if isinstance(features, str) else [str(f) for f in features]
        for name in features:
            if name not in names:
                raise unknown_column(path, "--features", name, names)
            if name in used:
                raise DataError(f"{path}: --features cannot include the time or label column {name!r}")
        return features
    chosen = [c for c in names if c not in used and pd.api.types.is_numeric_dtype(frame[c])]
    if not chosen:
        raise DataError(
            f"{path}: no numeric column to read besides the time and label columns; columns are: {', '.join(names)}"
        )
    return chosen


def time_order(
    path: Any, frame: pd.DataFrame, time_col: str | None, fmt: str | None = None
) -> tuple[np.ndarray, str | None]:
    """(row positions in time order, the time column's format); repeated times are an error."""
    if time_col is None:
        return np.arange(len(frame)), None
    if time_col not in frame.columns:
        raise unknown_column(path, "--time-col", time_col, list(frame.columns))
    keys, used = parse_order(frame[time_col], path, time_col, fmt, "--time-col")
    order = np.argsort(keys, kind="stable")
    repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if len(repeated):
        a, b = sorted(frame.index[order[[repeated[0], repeated[0] + 1]]])
        raise DataError(
            f"{path}: --time-col {time_col!r} must not repeat, but rows {row_of(a)} and {row_of(b)} both hold "
            f"{shown(frame[time_col][a])}"
        )
    return order, used


def window_starts(length: int, window: int, stride: int) -> np.ndarray:
    return np.arange(0, length - window + 1, stride) if length >= window else np.zeros(0, dtype=np.int64)


def cut_windows(
    frame: pd.DataFrame,
    path: Any,
    columns: dict[str, Any],
    window: int,
    stride: int,
    split: tuple[float, float, float] | None,
    normal: str | None,
    fmt: str | None = None,
) -> Windowed:
    """The series of `frame` as windows in long format (see the module's rules); with `split` None, every
    window is one item of a new series (predict)."""
    time_col, label_col = columns.get("time_col"), columns.get("label_col")
    if label_col is not None and label_col not in frame.columns:
        raise unknown_column(path, "--label-col", label_col, list(frame.columns))
    features = series_features(path, frame, columns)
    order, time_format = time_order(path, frame, time_col, fmt)
    ordered = frame.iloc[order]
    values = np.column_stack([numeric_column(ordered, c, path, "feature").to_numpy(dtype=np.float64) for c in features])
    missing = np.isnan(values)
    if missing.any():
        row, col = np.argwhere(missing)[0]
        raise DataError(
            f"{path}: column {features[col]!r} is empty on row {row_of(ordered.index[row])}; every step of the "
            "series needs a value in every feature column"
        )
    labels = None
    if label_col is not None:
        column = ordered[label_col]
        if column.isna().any():
            raise DataError(
                f"{path}: --label-col {label_col!r} must have a value on every row, but row {row_of(column.isna().idxmax())} is empty"
            )
        labels = np.array([as_text(v) for v in column], dtype=object)
    n = len(ordered)
    bounds = _bounds(n, split)
    if time_col is not None:
        names = [str(plain(v)) for v in ordered[time_col]]
    else:
        names = [str(row_of(label)) for label in ordered.index]
    pieces, starts_kept = [], []
    for split_name, (low, high) in bounds.items():
        for start in window_starts(high - low, window, stride) + low:
            starts_kept.append((split_name, int(start)))
    if not starts_kept:
        raise DataError(f"{path}: the series has {n} rows, fewer than one window of {window} steps (--window)")
    if split is not None:
        for split_name in SPLITS:
            if not any(s == split_name for s, _ in starts_kept):
                low, high = bounds[split_name]
                raise DataError(
                    f"{path}: the {split_name} split holds {high - low} rows, fewer than one window of {window} "
                    f"steps; a smaller --window or a larger {split_name} fraction (--split) is needed"
                )
    steps = np.arange(window)
    for split_name, start in starts_kept:
        piece = pd.DataFrame(values[start : start + window], columns=features)
        piece.insert(0, STEP, steps)
        piece.insert(0, WINDOW, names[start])
        if split is not None:
            piece[SPLIT] = split_name
        if labels is not None:
            held = labels[start : start + window]
            others = held[held != normal]
            piece[LABEL] = others[0] if len(others) else normal
        pieces.append(piece)
    long = pd.concat(pieces, ignore_index=True)
    out_columns: dict[str, Any] = {"id_col": WINDOW, "order_col": STEP, "features": features}
    if split is not None:
        out_columns["split_col"] = SPLIT
    if labels is not None:
        out_columns["label_col"] = LABEL
    how = ""
    if split is not None:
        spans = ", ".join(f"{s} rows {low + 1}-{high}" for s, (low, high) in bounds.items())
        how = f"windows of {window} steps every {stride}, in time order: {spans}"
    anomalous = np.asarray(labels != normal, dtype=bool) if labels is not None else None
    series = SeriesSteps(names, values, anomalous, {names[start]: start for _, start in starts_kept})
    return Windowed(long, out_columns, how, n, time_format, series)


def _bounds(n: int, split: tuple[float, float, float] | None) -> dict[str, tuple[int, int]]:
    """Each split's rows [low, high) in time order (the whole series without a split)."""
    if split is None:
        return {"series": (0, n)}
    train_end = int(round(split[0] * n))
    val_end = int(round((split[0] + split[1]) * n))
    return {"train": (0, train_end), "val": (train_end, val_end), "test": (val_end, n)}


def as_text(value: Any) -> str:
    """A label written as --normal is compared: 1.0 as 1, True as true, text stripped."""
    value = plain(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
