"""A forecast CSV read compactly: in row chunks, its float columns as float32 and its time column parsed
chunk by chunk, so a large file is never held whole as text or as float64.

pandas' own read of a 1,000,000-row file with ISO timestamps peaks at about 9.5 times the data's float32
size (a Python string per timestamp, float64 columns, the chunks and the assembled columns at once).

What is kept exactly as pandas parses it: the columns named `exact` (the targets: their values are scored
in original units), integer and true/false columns, and text columns. A float column is held as float32
only when that moves no value by more than ROUNDING of the column's standard deviation (far below what a
network's float32 inputs resolve once scaled) and every value is finite and of a magnitude float32 holds;
otherwise it is read again alone, as float64.

A float column kept as float32 is checked again once the training rows are known: lstmtune.tasks.forecast
.data.prepare reads the file with every float column as float64 when float32's rounding is not small
against a feature's scale on the training rows (values far from zero that hardly vary there).

Whenever the chunks do not fit these rules (a column typed differently from one chunk to the next, times
not all in the one format) `parse_compact` returns None, and the caller parses the whole file in one
pass: the same frame and the same error messages as before. One difference is left: a "-0" in a chunk
that pandas first reads as integers can lose its sign (as in pandas' own chunked parse); it only shows
as "0" for "-0" in a message.
"""

from __future__ import annotations

import ctypes
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CHUNK_ROWS = 1 << 15
ROUNDING = 1e-5
FLOAT32_EPS = 2.0**-24  # float32 rounds a value x by at most |x| times this


def float32_rounding(column: np.ndarray) -> float:
    """The most float32 can have moved any value of a float32 column (half an ulp of its largest value)."""
    if not len(column) or np.isnan(column).all():
        return 0.0
    return max(abs(float(np.nanmax(column))), abs(float(np.nanmin(column)))) * FLOAT32_EPS  # no copy of the column


# Larger magnitudes overflow float32 once differenced and scaled (float32 holds about 3.4e38);
# lstmtune.data.csv_reader refuses them, naming their line.
MAX_MAGNITUDE = 1e30


@dataclass(frozen=True)
class CompactColumns:
    """How to read a forecast file compactly."""

    exact: frozenset[str] = frozenset()  # kept as parsed (float64): the targets
    time_col: str | None = None  # parsed to datetimes per chunk when it holds text
    time_format: str | None = None  # the --time-format; None: ISO 8601
    narrow: bool = True  # float columns may be held as float32 (False: every float column as float64)


class _GiveUp(Exception):
    """The chunks do not fit the compact rules: parse in one pass instead."""


def _kind(column: pd.Series) -> str:
    """bool, uint, int, float or string: how pandas typed one chunk of a column."""
    if column.dtype == object:
        raise _GiveUp  # Python objects of several types (True beside a blank): typed by the one pass
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_unsigned_integer_dtype(column):
        return "uint"  # integers from 2**63: with negative ones elsewhere the one pass reads text
    if pd.api.types.is_integer_dtype(column):
        return "int"
    if pd.api.types.is_float_dtype(column):
        return "float"
    return "string"


def _times(column: pd.Series, time_format: str | None) -> pd.Series:
    """One chunk's times in the one format, or _GiveUp (the one-pass parse then names the bad line)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(column, format=time_format or "ISO8601")
    except (ValueError, TypeError, OverflowError):
        raise _GiveUp from None
    if not isinstance(parsed.dtype, (np.dtype, pd.DatetimeTZDtype)) or (parsed.isna() & column.notna()).any():
        raise _GiveUp  # text such as "NaT" that parses as a missing time: the one-pass parse names it
    return parsed


class _Column:
    """One column, filled chunk by chunk into one buffer of `capacity` rows (allocated once, so the
    chunks leave no holes in the heap; rows never written are never resident)."""

    def __init__(self, name: str, spec: CompactColumns, capacity: int):
        self.name = name
        self.capacity = capacity
        self.kinds: set[str] = set()
        self.buffer: np.ndarray | None = None
        self.filled = 0
        self.parts: list[pd.Series] = []  # text, and times with a time zone, are kept as the chunks' Series
        self.rounding = 0.0  # the largest change float32 made to a value
        self.float32 = spec.narrow and not (
            name in spec.exact or name == spec.time_col
        )  # still a candidate for float32
        self.reread = False
        self.time_format = spec.time_format
        self.is_time = name == spec.time_col  # its text is parsed to times chunk by chunk

    def add(self, column: pd.Series) -> None:
        kind = _kind(column)
        self.kinds.add(kind)
        if self.kinds == {"int", "float"}:
            # Integers in some chunks, floats in others: read again alone, as the one pass types it
            # (float64, with the float chunks unrounded and a "-0" among integers kept negative).
            self.reread, self.buffer = True, None
        elif len(self.kinds) > 1:
            raise _GiveUp  # e.g. text in one chunk and numbers in another: pandas' one pass types it
        if self.reread:
            return
        if kind == "string":
            if self.is_time:
                column = _times(column, self.time_format)
                zoned = not isinstance(column.dtype, np.dtype)
                if (self.buffer is not None) if zoned else bool(self.parts):
                    raise _GiveUp  # times with and without a time zone: the one-pass parse says so
                if not zoned:  # into the buffer
                    self._store(column.to_numpy())
                    return
            self.parts.append(column)
            return
        values = column.to_numpy()
        if kind == "float" and self.float32:
            present = values[~np.isnan(values)]
            if not np.isfinite(present).all() or (np.abs(present) > MAX_MAGNITUDE).any():
                self.float32, self.reread, self.buffer = False, True, None  # read again alone, as float64
                return
            narrow = values.astype(np.float32)
            if len(present):
                self.rounding = max(self.rounding, float(np.nanmax(np.abs(narrow.astype(np.float64) - values))))
            values = narrow
        self._store(values)

    def _store(self, values: np.ndarray) -> None:
        if self.buffer is None:
            self.buffer = np.empty(self.capacity, dtype=values.dtype)
        elif values.dtype != self.buffer.dtype:
            raise _GiveUp  # times of two resolutions (integers and floats are read again instead)
        if self.filled + len(values) > self.capacity:
            raise _GiveUp  # cannot happen (the capacity counts the file's lines); kept safe
        self.buffer[self.filled : self.filled + len(values)] = values
        self.filled += len(values)

    def assemble(self, path: Path, options: dict[str, Any]) -> Any:
        if self.reread:
            return self._read_alone(path, options)
        if self.parts:  # text, or times with a time zone
            whole = pd.concat(self.parts, ignore_index=True)
            self.parts = []
            if self.is_time and whole.dtype == object:
                raise _GiveUp  # times in more than one time zone: the one-pass parse says so
            return whole
        assert self.buffer is not None
        whole = self.buffer[: self.filled]
        if whole.dtype == np.float32:
            spread = float(np.nanstd(whole, dtype=np.float64)) if (~np.isnan(whole)).any() else 0.0
            if self.rounding > ROUNDING * spread:
                self.buffer = whole = None
                return self._read_alone(path, options)
        return whole

    def _read_alone(self, path: Path, options: dict[str, Any]) -> np.ndarray:
        self.parts = []
        try:
            column = pd.read_csv(path, index_col=False, usecols=[self.name], low_memory=False, **options)[self.name]
        except (ValueError, KeyError):  # e.g. a repeated column name, which the caller refuses
            raise _GiveUp from None
        if not pd.api.types.is_float_dtype(column) and not pd.api.types.is_integer_dtype(column):
            raise _GiveUp
        return column.to_numpy(dtype=np.float64)


def release_freed_heap() -> None:
    """Give the heap that parsing and checks freed back to the operating system (glibc keeps it, and the
    arrays built next would come on top of it: about 20 MB on a 1,000,000-row file). A no-op elsewhere."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _lines(path: Path) -> int:
    """How many lines the file has (newlines + 1): at least its rows, quoted newlines and blank lines aside."""
    count = 1
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def parse_compact(path: Path, options: dict[str, Any], spec: CompactColumns) -> pd.DataFrame | None:
    """The file as a frame of compact columns, or None when it must be parsed in one pass.

    pandas' warnings (a row longer than the header, types changing within a chunk) and parse errors
    are left to the caller, as for the one-pass parse."""
    columns: dict[str, _Column] = {}
    capacity = _lines(path)  # at least the data rows: a buffer per column is allocated once
    rows = 0
    try:
        with pd.read_csv(path, index_col=False, chunksize=CHUNK_ROWS, **options) as reader:
            for chunk in reader:
                if not columns:
                    columns = {str(name): _Column(str(name), spec, capacity) for name in chunk.columns}
                for name, column in zip(columns, chunk.columns):
                    columns[name].add(chunk[column])
                rows += len(chunk)
        if not rows:
            return None  # no data rows: the one-pass parse gives the message
        assembled = {}
        for name, column in columns.items():
            assembled[name] = column.assemble(path, options)  # one column at a time: never two copies of all
        return pd.DataFrame(assembled, index=pd.RangeIndex(rows), copy=False)
    except _GiveUp:
        return None
