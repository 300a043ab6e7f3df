"""Read a CSV and check its cells, for every task: columns, encodings, numbers. No TensorFlow.

Dates are read by lstmtune.data.dates.

Every way the file can be unusable becomes one DataError line that names the file, the column or flag,
and the line of the file.
"""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import clip, shown, suggestion
from lstmtune.data.compact_reader import MAX_MAGNITUDE, CompactColumns, parse_compact
from lstmtune.data.files import regular_file
from lstmtune.errors import DataError, OptionError


def row_of(index_label: Any) -> int:
    """The data row of a frame row, as messages and predictions number rows: 1 is the first row after the
    header (a record, however many lines its quoted fields span)."""
    return int(index_label) + 1


def file_text(path: Path, index_label: Any, column: str) -> str:
    """A cell's text as the file writes it (for a message about a column a compact read holds parsed)."""
    label = int(index_label)
    with pd.read_csv(
        path, index_col=False, usecols=[column], dtype=str, keep_default_na=False, chunksize=1 << 16
    ) as chunks:
        for chunk in chunks:
            if label in chunk.index:
                return chunk.at[label, column]
    return ""


def unknown_column(path: Path | str, flag: str, name: str, columns: list[str]) -> DataError:
    """The error for a flag naming a column the file does not have, with the closest name and the columns."""
    listed = ", ".join(str(c) if str(c).isprintable() else repr(c) for c in columns)
    return DataError(
        f"{path}: {flag} {shown(name)} is not a column{suggestion(name, columns)}; columns are: {clip(listed, 300)}"
    )


ENCODING_EXAMPLES = ("latin-1", "cp1252")


def check_encoding(encoding: str) -> str:
    """The codec name of an --encoding value, or an OptionError naming the flag."""
    try:
        codec = codecs.lookup(encoding)
        if not getattr(codec, "_is_text_encoding", True):  # rot13, hex, base64: codecs, not text encodings
            raise LookupError(encoding)
        return codec.name
    except (LookupError, TypeError, ValueError):
        raise OptionError(
            f"--encoding must name a text encoding (like utf-8, latin-1 or cp1252), but got {shown(encoding)}"
        ) from None


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """(file line, 0-based byte offset, byte value) of the first byte `encoding` cannot decode; the
    file is streamed, so a large one is not held twice."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    position = None
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                held = len(exc.object) - len(chunk)  # bytes kept over from the previous chunk
                position = offset - held + exc.start
                break
            if not chunk:
                return None
            offset += len(chunk)
    lines = 1
    with open(path, "rb") as handle:
        remaining = position
        while remaining > 0:
            block = handle.read(min(remaining, 1 << 20))
            if not block:
                break
            lines += block.count(b"\n")
            remaining -= len(block)
        value = handle.read(1)
    return lines, position, value[0] if value else 0


def _decode_error(path: Path, encoding: str, exc: UnicodeDecodeError) -> DataError:
    """One line: where the file stops being `encoding`, and which --encoding to try."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        hint = "the file starts with a UTF-16 byte order mark: pass --encoding utf-16"
    else:
        codec = codecs.lookup(encoding).name
        others = [e for e in ENCODING_EXAMPLES if codecs.lookup(e).name != codec]
        hint = f"pass --encoding with the file's encoding, e.g. {' or '.join('--encoding ' + e for e in others)}"
    try:
        where = _first_undecodable(path, encoding)
    except (OSError, LookupError):
        where = None
    if where is None:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return DataError(f"{path}: cannot be read as {encoding} ({first}); {hint}")
    line, position, value = where
    return DataError(
        f"{path}: cannot be read as {encoding}: line {line} holds byte 0x{value:02x} (byte {position + 1} of the file), "
        f"which is not valid {encoding}; {hint}"
    )


def read_csv(
    path: Path, encoding: str | None = None, empty_only: bool = False, compact: CompactColumns | None = None
) -> pd.DataFrame:
    """Read the CSV, turning every way it can fail into one DataError line.

    `encoding` is the --encoding flag's value (e.g. utf-8, latin-1): an unknown name is an OptionError
    and a byte it cannot decode a DataError naming the file line and byte and suggesting --encoding.
    Without it the file is read as UTF-8 (pandas' default) with the generic message.
    `empty_only`: only empty fields are missing values, not pandas' "NA", "None", "null", "N/A"...
    `compact`: read in chunks into compact columns where the file allows (lstmtune.data.compact_reader).
    """
    if encoding is not None:
        check_encoding(encoding)
    # The size limit: half of this machine's memory (pandas needs more than the file's size to parse it).
    regular_file(Path(path), "CSV file", DataError)
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]} if empty_only else {}
    if encoding is not None:
        options["encoding"] = encoding
    try:
        frame = _parse(path, options, compact)
    except pd.errors.ParserWarning:
        raise DataError(f"{path}: {_longer_than_header(path, options)}") from None
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, but a CSV file is needed") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; a header line and data rows are needed") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if encoding is not None and isinstance(exc, UnicodeDecodeError):
            raise _decode_error(path, encoding, exc) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path}: not a readable CSV file ({first}){_utf16_hint(path) or _separator_hint(path)}"
        ) from None
    if frame.empty:
        raise DataError(f"{path}: has a header but no data rows")
    _refuse_repeated_names(path, options)
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        for name, separator in (("semicolons", ";"), ("tabs", "\t"), ("'|'", "|")):
            if separator in header:
                raise DataError(
                    f"{path}: has one column {header!r} that looks separated by {name}; lstmtune reads comma-separated files"
                )
    return frame


def _parse(path: Path, options: dict[str, Any], compact: CompactColumns | None = None) -> pd.DataFrame:
    """pandas' C parser, with one type per column for the whole file.

    The file is parsed in row chunks first (low_memory=True: the tokens of the whole file are never
    held at once; 1.1x pandas' time instead of 1.3x on a 1,000,000-row file). When a column's chunks
    got types that end as text, pandas warns (DtypeWarning) and the file is parsed again in one pass,
    which gives the column one type. (Numbers in mixed integer and float chunks are the same floats
    either way, but for the sign of a zero written "-0".)"""
    with warnings.catch_warnings():
        # A row longer than the header: pandas would take the first column as the index (or, with
        # index_col=False, drop the extra fields with a warning). Either loses data: refuse it.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        warnings.simplefilter("error", pd.errors.DtypeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # codecs such as unicode_escape
        try:
            frame = parse_compact(path, options, compact) if compact is not None else None
            if frame is not None:
                return frame
            return pd.read_csv(path, index_col=False, low_memory=True, **options)
        except pd.errors.DtypeWarning:
            pass
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        return pd.read_csv(path, index_col=False, low_memory=False, **options)


def _longer_than_header(path: Path, options: dict[str, Any]) -> str:
    """Which line holds more fields than the header names (for the message)."""
    import csv

    try:
        with open(path, newline="", encoding=options.get("encoding", "utf-8"), errors="replace") as handle:
            rows = csv.reader(handle)
            header = next(rows, [])
            for line, row in enumerate(rows, start=2):
                if len(row) > len(header):
                    return (
                        f"line {line} holds {len(row)} fields but the header names {len(header)} columns; "
                        "every row needs one field per column"
                    )
    except (OSError, csv.Error, LookupError):
        pass
    return "a row holds more fields than the header names columns; every row needs one field per column"


def _refuse_repeated_names(path: Path, options: dict[str, Any]) -> None:
    """pandas renames a repeated column name to 'name.1', which would turn a copy of the target into an
    input (perfect leakage): refuse the file instead."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, **options).iloc[0].tolist()
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = str(name).strip()
        if key in seen:
            raise DataError(
                f"{path}: column names must be unique, but {shown(key)} is the name of columns "
                f"{seen[key]} and {position}"
            )
        seen[key] = position


def _utf16_hint(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            start = handle.read(2)
    except OSError:
        return ""
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "; it is utf-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8"
    return ""


def _separator_hint(path: Path) -> str:
    """A hint when the header looks separated by something other than commas."""
    try:
        with open(path, "rb") as handle:
            header = handle.readline().decode("utf-8", errors="replace")
    except OSError:
        return ""
    for name, separator in (("semicolons", ";"), ("tabs", "\t"), ("'|'", "|")):
        if header.count(separator) > header.count(","):
            return f"; its header looks separated by {name}, but lstmtune reads comma-separated files"
    return ""


def _true_false(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return True
    if pd.api.types.is_numeric_dtype(series):
        return False
    words = series.dropna().astype(str).str.strip().str.lower()
    return bool(len(words)) and bool(words.isin(["true", "false"]).all())


def numeric_column(frame: pd.DataFrame, column: str, path: Path | str, role: str, booleans: bool = True) -> pd.Series:
    """A column as finite floats of a magnitude float32 can hold, or a DataError naming the first bad line.

    True / False become 1 / 0, unless `booleans` is False (a forecast target: a label is not a quantity).
    """
    series = frame[column]
    if not booleans and _true_false(series):
        label = series.dropna().index[0]
        raise DataError(
            f"{path}: {role} column {column!r} must be numeric, but holds true/false values "
            f"(row {row_of(label)}: {shown(series[label])}); encode them as 0 and 1 if they are a quantity"
        )
    if series.dtype == np.float32:  # a compact read's float column: already checked, kept narrow
        converted = series
    elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        converted = series.astype(float)
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            label = bad.idxmax()
            raise DataError(
                f"{path}: {role} column {column!r} must be numeric, but row {row_of(label)} holds {shown(series[label])}"
            )
        converted = converted.astype(float)
    infinite = np.isinf(converted.to_numpy())
    if infinite.any():
        label = converted.index[infinite.argmax()]
        raise DataError(
            f"{path}: {role} column {column!r} must be finite, but row {row_of(label)} holds {shown(series[label])}"
        )
    huge = np.abs(converted.to_numpy()) > MAX_MAGNITUDE
    if huge.any():
        label = converted.index[huge.argmax()]
        raise DataError(
            f"{path}: {role} column {column!r} must hold numbers of magnitude at most {MAX_MAGNITUDE:g}, "
            f"but row {row_of(label)} holds {shown(series[label])}"
        )
    return converted
