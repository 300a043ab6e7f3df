"""Dates in CSV columns, read in ONE format for every row: ISO 8601, the format given, or the one guessed
from the first row (never a per-row guess, which reads 03/04 and 13/04 differently). No TensorFlow.

`read_dates` is the one parser; `parse_time` reads forecasting's --time-col with it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from lstmtune.core.text import shown
from lstmtune.data.csv_reader import row_of
from lstmtune.errors import DataError

ISO8601 = "ISO8601"  # pandas' name for any ISO 8601 form, as a format


def pandas_reason(exc: Exception) -> str:
    """pandas' first sentence only: the rest is advice for pandas users ("Pass utc=True in to_datetime")."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(". ")[0].rstrip(".")


def guess_format(value: str) -> str | None:
    """The strftime format pandas guesses from one value, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return guess_datetime_format(value)


def read_dates(text: pd.Series, fmt: str | None = None, each_value: bool = False) -> tuple[pd.Series, str | None]:
    """(dates, the format used): every value read in one format, NaT where a value does not fit it.

    The format is `fmt` when given, else ISO 8601 when every value is, else the one guessed from the
    first value. Without a format (none guessed, or an empty `fmt`) each value is read on its own
    (`each_value`) or none is (all NaT). pandas' ValueError / TypeError (e.g. mixed time zones) is
    left to the caller, whose message names the flag.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns about day-first formats, which are used on purpose
        if fmt is None:
            try:
                return pd.to_datetime(text, format=ISO8601), ISO8601
            except (ValueError, TypeError):
                fmt = guess_datetime_format(text.iloc[0])
        if not fmt:  # no format could be guessed
            parsed = pd.to_datetime(text, errors="coerce") if each_value else pd.Series(pd.NaT, index=text.index)
            return parsed, fmt
        return pd.to_datetime(text, errors="coerce", format=fmt), fmt


def parse_time(
    frame: pd.DataFrame, column: str, path: Path | str, time_format: str | None
) -> tuple[pd.Series, str | None]:
    """The --time-col as numbers, or as dates of one format (see `read_dates`), and the format used.

    Month-first and day-first readings of a guessed format are told apart by `day_or_month_first`."""
    raw = frame[column]
    if raw.isna().any():
        label = raw.isna().idxmax()
        raise DataError(
            f"{path}: --time-col {column!r} must have a value in every row, but row {row_of(label)} is empty"
        )
    if time_format is None and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        infinite = np.isinf(raw.to_numpy(dtype=float))
        if infinite.any():
            label = raw.index[infinite.argmax()]
            raise DataError(
                f"{path}: --time-col {column!r} must be finite, but row {row_of(label)} holds {shown(raw[label])}"
            )
        return raw, None
    if pd.api.types.is_datetime64_any_dtype(raw):  # parsed chunk by chunk by a compact read
        return raw, time_format or ISO8601
    text = raw.astype(str)
    try:
        parsed, fmt = read_dates(text, time_format, each_value=True)
    except (ValueError, TypeError) as exc:  # e.g. mixed time zones
        raise DataError(
            f"{path}: --time-col {column!r} must hold dates in one format and time zone, or numbers ({pandas_reason(exc)})"
        ) from None
    bad = parsed.isna()
    if bad.any():
        label = bad.idxmax()
        if time_format:
            rule = f"must match --time-format {time_format!r}"
        elif fmt:
            rule = f"must all have the date format {fmt} of row {row_of(raw.index[0])} (else pass --time-format, e.g. %d/%m/%Y)"
        else:
            rule = "must hold dates or numbers"
        raise DataError(f"{path}: --time-col {column!r} {rule}, but row {row_of(label)} holds {shown(raw[label])}")
    if time_format is None and fmt and "%d" in fmt and "%m" in fmt:
        parsed, fmt = day_or_month_first(text, parsed, fmt, path, column)
    return parsed, fmt


def day_or_month_first(
    text: pd.Series, parsed: pd.Series, fmt: str, path: Path | str, column: str
) -> tuple[pd.Series, str]:
    """When every date reads both day-first and month-first (all days up to 12, like monthly data on the
    1st), take the reading whose steps are regular; if neither is clearly so, ask for --time-format."""
    swapped_fmt = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    swapped, _ = read_dates(text, swapped_fmt)
    if swapped.isna().any() or (swapped == parsed).all() or len(text) < 3:
        return parsed, fmt  # only one reading is valid, both agree, or too few rows to tell
    spread = {f: irregularity(p) for f, p in ((fmt, parsed), (swapped_fmt, swapped))}
    if spread[fmt] < 0.5 * spread[swapped_fmt]:
        return parsed, fmt
    if spread[swapped_fmt] < 0.5 * spread[fmt]:
        return swapped, swapped_fmt
    raise DataError(
        f"{path}: --time-col {column!r} reads as day-first and as month-first alike ({shown(text.iloc[0])}); "
        f"pass --time-format {fmt} or {swapped_fmt}"
    )


def irregularity(times: pd.Series) -> float:
    """How uneven the steps between sorted times are: their standard deviation over their mean."""
    steps = np.diff(np.sort(times.to_numpy().astype("int64"))).astype(float)
    steps = steps[steps > 0]
    return float(steps.std() / steps.mean()) if len(steps) else float("inf")


def first_repeat(time: pd.Series) -> tuple[Any, Any] | None:
    """The row labels of the first timestamp that appears twice in `time` (sorted; a stable sort keeps a
    repeat next to its first occurrence, in file order), or None."""
    stamps = time.to_numpy()
    repeats = np.flatnonzero(stamps[1:] == stamps[:-1])
    return (time.index[repeats[0]], time.index[repeats[0] + 1]) if len(repeats) else None
