"""Read a CSV and check its cells, for every task: columns, encodings, numbers, dates. No TensorFlow.

Every way the file can be unusable becomes one DataError line that names the file, the column or flag,
and the line of the file.
"""

from __future__ import annotations

import codecs
import difflib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from lstmtune.core.text import clip
from lstmtune.data.compact_reader import MAX_MAGNITUDE, CompactColumns, parse_compact
from lstmtune.data.files import regular_file
from lstmtune.errors import DataError, OptionError


def line_of(index_label: Any) -> int:
    """The file line of a data row (row label 0 is line 2, after the header; blank lines are not counted)."""
    return int(index_label) + 2


def _show(value: Any) -> str:
    """A cell value for a message: numpy scalars as plain Python values, cut to a readable length."""
    return clip(repr(value.item() if hasattr(value, "item") else value))


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


def _unknown_column(path: Path, flag: str, name: str, columns: list[str]) -> DataError:
    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(str(c) if str(c).isprintable() else repr(c) for c in columns)
    return DataError(f"{path}: {flag} {clip(repr(name))} is not a column{hint}; columns are: {clip(shown, 300)}")


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
            f"--encoding must name a text encoding (like utf-8, latin-1 or cp1252), but got {_show(encoding)}"
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
                f"{path}: column names must be unique, but {_show(key)} is the name of columns "
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
            f"(line {line_of(label)}: {_show(series[label])}); encode them as 0 and 1 if they are a quantity"
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
                f"{path}: {role} column {column!r} must be numeric, but line {line_of(label)} holds {_show(series[label])}"
            )
        converted = converted.astype(float)
    infinite = np.isinf(converted.to_numpy())
    if infinite.any():
        label = converted.index[infinite.argmax()]
        raise DataError(
            f"{path}: {role} column {column!r} must be finite, but line {line_of(label)} holds {_show(series[label])}"
        )
    huge = np.abs(converted.to_numpy()) > MAX_MAGNITUDE
    if huge.any():
        label = converted.index[huge.argmax()]
        raise DataError(
            f"{path}: {role} column {column!r} must hold numbers of magnitude at most {MAX_MAGNITUDE:g}, "
            f"but line {line_of(label)} holds {_show(series[label])}"
        )
    return converted


def pandas_reason(exc: Exception) -> str:
    """pandas' first sentence only: the rest is advice for pandas users ("Pass utc=True in to_datetime")."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(". ")[0].rstrip(".")


def parse_time(frame: pd.DataFrame, column: str, path: Path, time_format: str | None) -> tuple[pd.Series, str | None]:
    """Parse the time column with ONE format for every row: ISO 8601, the format given, or the one
    guessed from the first row (never a per-row guess, which reads 03/04 and 13/04 differently)."""
    raw = frame[column]
    if raw.isna().any():
        label = raw.isna().idxmax()
        raise DataError(
            f"{path}: --time-col {column!r} must have a value in every row, but line {line_of(label)} is empty"
        )
    if time_format is None and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        infinite = np.isinf(raw.to_numpy(dtype=float))
        if infinite.any():
            label = raw.index[infinite.argmax()]
            raise DataError(
                f"{path}: --time-col {column!r} must be finite, but line {line_of(label)} holds {_show(raw[label])}"
            )
        return raw, None
    if pd.api.types.is_datetime64_any_dtype(raw):  # parsed chunk by chunk by a compact read
        return raw, time_format or "ISO8601"
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
        first = pandas_reason(exc)
        raise DataError(
            f"{path}: --time-col {column!r} must hold dates in one format and time zone, or numbers ({first})"
        ) from None
    bad = parsed.isna()
    if bad.any():
        label = bad.idxmax()
        if time_format:
            rule = f"must match --time-format {time_format!r}"
        elif fmt:
            rule = f"must all have the date format {fmt} of line {line_of(raw.index[0])} (else pass --time-format, e.g. %d/%m/%Y)"
        else:
            rule = "must hold dates or numbers"
        raise DataError(f"{path}: --time-col {column!r} {rule}, but line {line_of(label)} holds {_show(raw[label])}")
    if time_format is None and fmt and "%d" in fmt and "%m" in fmt:
        parsed, fmt = _day_or_month_first(text, parsed, fmt, path, column)
    return parsed, fmt


def _day_or_month_first(text: pd.Series, parsed: pd.Series, fmt: str, path: Path, column: str) -> tuple[pd.Series, str]:
    """When every date reads both day-first and month-first (all days up to 12, like monthly data on the
    1st), take the reading whose steps are regular; if neither is clearly so, ask for --time-format."""
    swapped_fmt = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        swapped = pd.to_datetime(text, errors="coerce", format=swapped_fmt)
    if swapped.isna().any() or (swapped == parsed).all() or len(text) < 3:
        return parsed, fmt  # only one reading is valid, both agree, or too few rows to tell
    spread = {f: _irregularity(p) for f, p in ((fmt, parsed), (swapped_fmt, swapped))}
    if spread[fmt] < 0.5 * spread[swapped_fmt]:
        return parsed, fmt
    if spread[swapped_fmt] < 0.5 * spread[fmt]:
        return swapped, swapped_fmt
    raise DataError(
        f"{path}: --time-col {column!r} reads as day-first and as month-first alike ({_show(text.iloc[0])}); "
        f"pass --time-format {fmt} or {swapped_fmt}"
    )


def _irregularity(times: pd.Series) -> float:
    """How uneven the steps between sorted times are: their standard deviation over their mean."""
    steps = np.diff(np.sort(times.to_numpy().astype("int64"))).astype(float)
    steps = steps[steps > 0]
    return float(steps.std() / steps.mean()) if len(steps) else float("inf")
