"""A table of bad inputs, one row each, through the real command line.

Every row must end the same way: exit code 2, one line on stderr starting with "error: " that names
the culprit (file, column, key or flag) and says what must hold, no traceback, and nothing written:
the files under tmp_path (inputs, --out, the current directory) are byte for byte what they were
before, and so are the shipped data files.

A row is `Case(id, files, args, fragments)`: `files` maps names under tmp_path to text, bytes, DIR
(an empty directory), FIFO (a named pipe) or Link(target); `args` may use the placeholders {dir}
(tmp_path), {out} (tmp_path/out, the run directory) and {airline}, {reviews}, {vowels}, {gunpoint}
(the shipped samples). Rows whose input may block or never end (a FIFO, /dev/zero) run in a
subprocess with a timeout (`isolated=True`).

No row may reach training: `search` is stopped, and the row failed, if its inputs pass validation.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import AIRLINE, GUNPOINT, REVIEWS, SEQUENCE_SPACE, TEXT_SPACE, TINY_SPACE, VOWELS, assert_one_line_error

# --- how a row is written ---------------------------------------------------------------------

DIR = "<directory>"
FIFO = "<fifo>"


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target` (placeholders allowed; it need not exist)."""

    target: str


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, Any]
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    isolated: bool = False  # run in a subprocess with a timeout: the input may block or never end


SHIPPED = {"{airline}": AIRLINE, "{reviews}": REVIEWS, "{vowels}": VOWELS, "{gunpoint}": GUNPOINT}
ISOLATED_TIMEOUT = 10  # seconds; the tool answers bad input in well under one
ISOLATED_MEMORY = 3 * 2**30  # bytes of address space for an isolated row (/dev/zero must not eat the machine)


# --- CSV makers ---------------------------------------------------------------------------------


def csv(header: str, rows) -> str:
    return header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def level(i: int) -> float:
    """A varying, trending series value (row i is file line i + 2)."""
    return round(10 + (i * 7) % 13 + 0.5 * i, 2)


def series(n: int = 60, cells: dict[int, Any] | None = None, header: str = "t,y") -> str:
    """Columns t (0..n-1) and y; `cells` replaces y on some rows."""
    cells = cells or {}
    return csv(header, [(i, cells.get(i, level(i))) for i in range(n)])


def dated(n: int = 60, cells: dict[int, Any] | None = None) -> str:
    """Columns day (ISO dates) and y; `cells` replaces the day on some rows."""
    cells = cells or {}
    days = [f"2021-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(n)]
    return csv("day,y", [(cells.get(i, days[i]), level(i)) for i in range(n)])


def with_column(n: int, name: str, value) -> str:
    """series() plus a column `name` holding value(i)."""
    return csv(f"t,y,{name}", [(i, level(i), value(i)) for i in range(n)])


def reviews(n: int = 12, header: str = "text,label", label=None, text=None, extra=None) -> str:
    """n distinct short reviews, labelled good / bad alternately (or by label(i))."""
    rows = []
    for i in range(n):
        good = i % 2 == 0
        words = text(i) if text else f"film number {i} was {'a joy to watch' if good else 'dull and far too long'}"
        row = [words, label(i) if label else ("good" if good else "bad")]
        if extra:
            row.append(extra(i))
        rows.append(row)
    return csv(header, rows)


def long_seqs(n: int = 12, length: int = 4, label=None, header: str = "id,t,x,label", extra=None) -> str:
    """n sequences s0..s(n-1) of `length` steps in long format; labels up / down alternately."""
    rows = []
    for i in range(n):
        for t in range(length):
            row = [
                f"s{i}",
                t,
                f"{0.5 + 0.1 * t + 0.013 * i:.3f}",
                label(i, t) if label else ("up" if i % 2 else "down"),
            ]
            if extra:
                row.append(extra(i, t))
            rows.append(row)
    return csv(header, rows)


def wide_seqs(n: int = 12, steps: int = 4, label=None) -> list[list[Any]]:
    """Rows of a wide file (s0..s3, label), to edit before csv(WIDE_HEADER, rows)."""
    return [[f"{0.1 * j + 0.011 * i:.3f}" for j in range(steps)] + [label(i) if label else i % 2] for i in range(n)]


WIDE_HEADER = "s0,s1,s2,s3,label"


def manifest(**fields) -> str:
    return json.dumps({"schema_version": 2, "task": "forecast", "status": "completed", **fields})


# --- row builders: the common command lines ----------------------------------------------------

SEARCH_TAIL = ("--space", "{dir}/space.yaml", "--out", "{out}")
TEXT = ("--task", "text", "--text-col", "text", "--target", "label")
LONG = ("--task", "sequence", "--id-col", "id", "--order-col", "t", "--target", "label")
WIDE = ("--task", "sequence", "--wide", "--target", "label")


def forecast(
    id: str, data: str | bytes, *flags: str, expect: tuple[str, ...], target: str = "y", space: str = TINY_SPACE
) -> Case:
    """`search data.csv --target y ...` with the tiny forecasting space."""
    return Case(
        id,
        {"data.csv": data, "space.yaml": space},
        ("search", "{dir}/data.csv", "--target", target, *SEARCH_TAIL, *flags),
        ("data.csv", *expect),
    )


def text(
    id: str, data: str | bytes, *flags: str, expect: tuple[str, ...], columns=TEXT, name: str = "data.csv"
) -> Case:
    return Case(
        id,
        {name: data, "space.yaml": TEXT_SPACE},
        ("search", f"{{dir}}/{name}", *columns, *SEARCH_TAIL, *flags),
        expect,
    )


def sequence(id: str, data: str | bytes, *flags: str, expect: tuple[str, ...], columns=LONG) -> Case:
    return Case(
        id,
        {"data.csv": data, "space.yaml": SEQUENCE_SPACE},
        ("search", "{dir}/data.csv", *columns, *SEARCH_TAIL, *flags),
        expect,
    )


def space(id: str, document: str | bytes, *flags: str, expect: tuple[str, ...], task: str = "forecast") -> Case:
    """`search` on a shipped sample with a bad space file; the line must name space.yaml."""
    data = {
        "forecast": ("{airline}", "--target", "Passengers"),
        "text": ("{reviews}", "--task", "text", "--text-col", "text", "--target", "category"),
        "sequence": (
            "{vowels}",
            "--task",
            "sequence",
            "--id-col",
            "case_id",
            "--order-col",
            "t",
            "--target",
            "label",
            "--split-col",
            "split",
        ),
    }[task]
    return Case(id, {"space.yaml": document}, ("search", *data, *SEARCH_TAIL, *flags), ("space.yaml", *expect))


def flags(id: str, *flags: str, expect: tuple[str, ...], files: dict[str, Any] | None = None) -> Case:
    """`search` on airline with the tiny space and some bad flags."""
    return Case(
        id,
        {"space.yaml": TINY_SPACE, **(files or {})},
        ("search", "{airline}", "--target", "Passengers", *SEARCH_TAIL, *flags),
        expect,
    )


def command(id: str, files: dict[str, Any], *args: str, expect: tuple[str, ...], isolated: bool = False) -> Case:
    return Case(id, files, args, expect, isolated)


# --- the table ---------------------------------------------------------------------------------

FORECAST_CASES = [
    forecast(
        "fc-time-col-unknown",
        series(),
        "--time-col",
        "when",
        expect=("--time-col 'when'", "not a column", "columns are: t, y"),
    ),
    forecast(
        "fc-time-col-is-target", series(), "--time-col", "y", expect=("--time-col 'y'", "cannot also be a --target")
    ),
    forecast(
        "fc-features-include-time-col",
        series(),
        "--time-col",
        "t",
        "--features",
        "t",
        expect=("--features", "--time-col 't'"),
    ),
    forecast(
        "fc-feature-text",
        with_column(60, "city", lambda i: "Oslo" if i % 3 else "Rome"),
        "--features",
        "city",
        expect=("feature column 'city' must be numeric", "row 1", "'Rome'"),
    ),
    forecast(
        "fc-target-all-text",
        csv("t,name", [(i, f"item{i}") for i in range(30)]),
        target="name",
        expect=("--target column 'name' must be numeric", "row 1", "'item0'"),
    ),
    forecast("fc-target-minus-inf", series(cells={10: "-inf"}), expect=("'y' must be finite", "row 11")),
    forecast("fc-target-overflows-to-inf", series(cells={20: "1e400"}), expect=("'y' must be finite", "row 21")),
    forecast(
        "fc-target-huge-finite", series(cells={i: (1e308 if i % 2 else -1e308) for i in range(60)}), expect=("'y'",)
    ),
    forecast("fc-feature-huge-finite", with_column(60, "x", lambda i: 1.7e308 if i % 2 else -1.7e308), expect=("'x'",)),
    forecast("fc-target-one-huge-value", series(cells={30: 1e300}), expect=("'y'", "row 31")),
    forecast(
        "fc-features-repeated",
        with_column(60, "x", lambda i: i * 0.3),
        "--features",
        "x,x",
        expect=("--features", "once"),
    ),
    forecast(
        "fc-feature-inf",
        with_column(60, "x", lambda i: "inf" if i == 5 else i * 0.5),
        expect=("feature column 'x' must be finite", "row 6"),
    ),
    forecast(
        "fc-nan-word-in-target",
        series(cells={7: "NaN", 8: "NaN"}),
        expect=("2 missing values", "column 'y'", "row 8", "--fill"),
    ),
    forecast(
        "fc-thousands-separator", series(cells={3: '"1,234"'}), expect=("'y' must be numeric", "row 4", "'1,234'")
    ),
    forecast(
        "fc-duplicate-numeric-time",
        csv("t,y", [(i if i != 30 else 29, level(i)) for i in range(60)]),
        "--time-col",
        "t",
        expect=("--time-col 't'", "must not repeat", "rows 30 and 31"),
    ),
    forecast(
        "fc-several-series-ticker-column",
        csv(
            "ticker,day,y",
            [(tick, f"2021-01-{d:02d}", level(d) + k) for k, tick in enumerate(("AAPL", "MSFT")) for d in range(1, 29)],
        ),
        "--time-col",
        "day",
        expect=("--time-col 'day'", "must not repeat"),
    ),
    forecast(
        "fc-time-col-empty-cell",
        dated(cells={12: ""}),
        "--time-col",
        "day",
        expect=("--time-col 'day'", "row 13", "empty"),
    ),
    forecast(
        "fc-time-col-numeric-inf",
        csv("t,y", [("inf" if i == 4 else i, level(i)) for i in range(60)]),
        "--time-col",
        "t",
        expect=("--time-col 't' must be finite", "row 5"),
    ),
    forecast(
        "fc-mixed-date-formats",
        dated(cells={9: "03/11/2021"}),
        "--time-col",
        "day",
        expect=("--time-col 'day'", "row 10", "'03/11/2021'"),
    ),
    forecast(
        "fc-time-format-mismatch",
        dated(),
        "--time-col",
        "day",
        "--time-format",
        "%d/%m/%Y",
        expect=("--time-col 'day'", "--time-format '%d/%m/%Y'", "row 1"),
    ),
    forecast(
        "fc-time-format-without-time-col",
        series(),
        "--time-format",
        "%Y-%m-%d",
        expect=("--time-format needs --time-col",),
    ),
    forecast("fc-target-named-twice", series(), "--target", "y", expect=("each --target must be named once",)),
    forecast("fc-too-few-rows-for-horizon", series(14), "--horizon", "3", expect=("14 rows are too few", "horizon 3")),
    forecast("fc-single-row", series(1), expect=("1 rows are too few",)),
    forecast("fc-all-empty-target", csv("t,y", [(i, "") for i in range(40)]), expect=("'y'", "empty")),
    forecast("fc-all-empty-target-ffill", csv("t,y", [(i, "") for i in range(40)]), "--fill", "ffill", expect=("'y'",)),
    forecast(
        "fc-true-false-target",
        csv("t,y", [(i, "True" if i % 3 else "False") for i in range(60)]),
        expect=("--target column 'y' must be numeric",),
    ),
    forecast("fc-lookback-flag-too-big", series(), "--lookback", "100", expect=("60 rows are too few", "lookback 100")),
    forecast(
        "fc-lookback-choice-too-big",
        series(),
        space=TINY_SPACE.replace("lookback: 4", "lookback: {choice: [4, 500]}"),
        expect=("60 rows are too few", "lookback 500"),
    ),
    forecast("fc-season-longer-than-train", series(), "--season", "50", expect=("--season 50", "before the first row")),
    forecast(
        "fc-logdiff-zero-value",
        series(cells={15: 0}),
        "--transform",
        "logdiff",
        expect=("--transform logdiff", "'y'", "row 16", "> 0"),
    ),
    forecast("fc-constant-target", series(cells={i: 5 for i in range(60)}), expect=("--target 'y' must vary", "5")),
    forecast("fc-row-with-extra-field", series().replace("\n4,", "\n4,1,", 1), expect=("not a readable CSV", "line 6")),
    forecast("fc-unclosed-quote", series() + '61,"12\n62,13\n', expect=("not a readable CSV",)),
    forecast(
        "fc-latin1-bytes",
        with_column(40, "city", lambda i: "Malm\u00f6" if i == 20 else "Oslo").encode("latin-1"),
        expect=("utf-8",),
    ),
    forecast("fc-utf16-file", series().encode("utf-16"), expect=("utf-16",)),
    forecast(
        "fc-nul-byte-in-target", series(cells={30: "12.5\x00"}).encode(), expect=("'y' must be numeric", "row 31")
    ),
    forecast("fc-binary-garbage", bytes((i * 151 + 7) % 256 for i in range(4096)), expect=("not a readable CSV",)),
    forecast("fc-empty-target-name", series(), target="", expect=("--target ''", "not a column")),
]

TEXT_CASES = [
    text(
        "txt-all-texts-empty", reviews(text=lambda i: ""), expect=("data.csv", "--text-col 'text'", "12 without words")
    ),
    text(
        "txt-punctuation-only-strict",
        reviews(text=lambda i: "!!! ..." if i == 4 else f"review {i} is fine"),
        "--strict",
        expect=("data.csv", "--strict", "row 5", "no words"),
    ),
    text(
        "txt-missing-label-strict",
        reviews(label=lambda i: "" if i == 2 else ("good", "bad")[i % 2]),
        "--strict",
        expect=("data.csv", "--strict", "row 3", "no label in --target 'label'"),
    ),
    text(
        "txt-all-labels-missing",
        reviews(label=lambda i: ""),
        expect=("data.csv", "--target 'label'", "12 without a label"),
    ),
    text(
        "txt-label-column-missing",
        reviews(header="text,sentiment"),
        expect=("data.csv", "--target 'label'", "not a column"),
    ),
    text("txt-numeric-text-column", reviews(text=lambda i: f"{i * 1.5}"), expect=("data.csv", "--text-col 'text'")),
    text(
        "txt-one-class-integer",
        reviews(label=lambda i: 1),
        expect=("data.csv", "--target 'label'", "at least 2 classes", "1"),
    ),
    text(
        "txt-class-with-one-row",
        reviews(20, label=lambda i: "meh" if i == 7 else ("good", "bad")[i % 2]),
        expect=("data.csv", "class 'meh' has 1 row", "at least 3"),
    ),
    text(
        "txt-float-labels",
        reviews(label=lambda i: 0.5 * (i % 3)),
        expect=("data.csv", "--target 'label'", "row 2", "class labels"),
    ),
    text(
        "txt-text-col-is-target",
        reviews(),
        columns=("--task", "text", "--text-col", "label", "--target", "label"),
        expect=("data.csv", "--text-col and --target must be different", "'label'"),
    ),
    text(
        "txt-split-col-unknown-value",
        reviews(
            30, header="text,label,split", extra=lambda i: "holdout" if i == 11 else ("train", "val", "test")[i % 3]
        ),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "row 12", "'holdout'"),
    ),
    text(
        "txt-split-col-empty-value",
        reviews(30, header="text,label,split", extra=lambda i: "" if i == 3 else ("train", "val", "test")[i % 3]),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "row 4", "is empty"),
    ),
    text(
        "txt-split-col-only-train",
        reviews(30, header="text,label,split", extra=lambda i: "train"),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "test"),
    ),
    text(
        "txt-split-col-no-test",
        reviews(30, header="text,label,split", extra=lambda i: ("train", "val")[i % 2 if i > 3 else 0]),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "test"),
    ),
    text("txt-split-col-is-target", reviews(), "--split-col", "label", expect=("data.csv", "--split-col", "'label'")),
    text(
        "txt-split-col-unknown-column",
        reviews(),
        "--split-col",
        "fold",
        expect=("data.csv", "--split-col 'fold'", "not a column"),
    ),
    text(
        "txt-class-only-in-test",
        reviews(
            30,
            header="text,label,split",
            label=lambda i: "meh" if i in (2, 5, 8) else ("good", "bad")[i % 2],
            extra=lambda i: "test" if i in (2, 5, 8) else ("train", "val", "test")[i % 3],
        ),
        "--split-col",
        "split",
        expect=("data.csv", "class 'meh'", "train"),
    ),
    text(
        "txt-latin1-with-utf8-asked",
        reviews(20, text=lambda i: "caf\u00e9 scene" if i == 15 else f"film {i} was fine").encode("latin-1"),
        "--encoding",
        "utf-8",
        expect=("data.csv", "cannot be read as utf-8", "line 17", "--encoding latin-1"),
    ),
    text("txt-encoding-not-a-text-codec", reviews(), "--encoding", "rot13", expect=("--encoding", "'rot13'")),
    text(
        "txt-long-split-col-name",
        reviews(),
        "--split-col",
        "x" * 3000,
        expect=("data.csv", "--split-col", "characters)"),
    ),
    text("txt-long-second-target", reviews(), "--target", "y" * 3000, expect=("--target", "characters)")),
    Case(
        "txt-embeddings-float32-overflow",
        {"data.csv": reviews(30), "space.yaml": TEXT_SPACE, "vectors.txt": "film 1e39 0.2 0.3\nwas 0.4 0.5 0.6\n"},
        ("search", "{dir}/data.csv", *TEXT, *SEARCH_TAIL, "--embeddings", "{dir}/vectors.txt"),
        ("vectors.txt", "--embeddings line 1", "finite"),
    ),
    Case(
        "txt-embeddings-wider-than-embedding-dim-allows",
        {"data.csv": reviews(30), "space.yaml": TEXT_SPACE, "vectors.txt": "film " + " ".join(["0.1"] * 5000) + "\n"},
        ("search", "{dir}/data.csv", *TEXT, *SEARCH_TAIL, "--embeddings", "{dir}/vectors.txt"),
        ("vectors.txt", "at most 4096 wide", "line 1 has 5000"),
    ),
    Case(
        "txt-embeddings-word2vec-header-too-wide",
        {"data.csv": reviews(30), "space.yaml": TEXT_SPACE, "vectors.txt": "3 300000\nfilm 0.1\n"},
        ("search", "{dir}/data.csv", *TEXT, *SEARCH_TAIL, "--embeddings", "{dir}/vectors.txt"),
        ("vectors.txt", "at most 4096 wide", "the header says 300000"),
    ),
    text("txt-unknown-encoding", reviews(), "--encoding", "klingon", expect=("--encoding", "'klingon'")),
    text("txt-utf16-file", reviews().encode("utf-16"), expect=("data.csv", "utf-16")),
    text(
        "txt-utf8-bom-read-as-latin1",
        b"\xef\xbb\xbf" + reviews().encode(),
        "--encoding",
        "latin-1",
        expect=("data.csv", "--text-col 'text'"),
    ),
    text("txt-binary-garbage", bytes((i * 37 + 11) % 256 for i in range(3000)), expect=("data.csv",)),
    text("txt-split-zero-fraction", reviews(30), "--split", "1,0,0", expect=("--split", "each > 0", "'1,0,0'")),
    text("txt-objective-mse", reviews(), "--objective", "mse", expect=("--objective must be one of", "'mse'")),
    text(
        "txt-class-weight-unknown",
        reviews(),
        "--class-weight",
        "balanced",
        expect=("--class-weight", "none, auto", "'balanced'"),
    ),
    text("txt-group-col-flag", reviews(), "--group-col", "label", expect=("--group-col applies to --task sequence",)),
    text(
        "txt-features-flag",
        reviews(),
        "--features",
        "text",
        expect=("--features applies to --task forecast, sequence and autoencoder",),
    ),
    text(
        "txt-embeddings-missing",
        reviews(30),
        "--embeddings",
        "{dir}/nope.txt",
        expect=("nope.txt", "--embeddings", "not found"),
    ),
    Case(
        "txt-embeddings-ragged-line",
        {
            "data.csv": reviews(30),
            "space.yaml": TEXT_SPACE,
            "vectors.txt": "film 0.1 0.2 0.3\nwas 0.4 0.5\njoy 0.1 0.1 0.1\n",
        },
        ("search", "{dir}/data.csv", *TEXT, *SEARCH_TAIL, "--embeddings", "{dir}/vectors.txt"),
        ("vectors.txt", "--embeddings line 2 has 2 values", "line 1 has 3"),
    ),
    Case(
        "txt-embeddings-dim-searched",
        {
            "data.csv": reviews(30),
            "vectors.txt": "film 0.1 0.2\nwas 0.4 0.5\n",
            "space.yaml": TEXT_SPACE.replace("embedding_dim: 8", "embedding_dim: {int: [4, 16]}"),
        },
        ("search", "{dir}/data.csv", *TEXT, *SEARCH_TAIL, "--embeddings", "{dir}/vectors.txt"),
        ("space.yaml", "embedding_dim is set by --embeddings", "2 dimensions"),
    ),
]

SEQUENCE_CASES = [
    sequence(
        "seq-id-col-unknown",
        long_seqs(),
        columns=("--task", "sequence", "--id-col", "sid", "--target", "label"),
        expect=("data.csv", "--id-col 'sid'", "not a column"),
    ),
    sequence(
        "seq-id-col-empty-cell",
        long_seqs().replace("\ns3,2,", "\n,2,", 1),
        expect=("data.csv", "--id-col 'id'", "row 15"),
    ),
    sequence(
        "seq-order-repeats",
        long_seqs().replace("s2,3,", "s2,2,", 1),
        expect=("data.csv", "--order-col 't'", "'s2'", "must not repeat"),
    ),
    sequence(
        "seq-order-text",
        long_seqs(label=None).replace("\ns1,1,", "\ns1,second,", 1),
        expect=("data.csv", "--order-col 't'", "row 6", "'second'"),
    ),
    sequence(
        "seq-text-target-varies",
        long_seqs(label=lambda i, t: ("up" if i % 2 else "down") if not (i == 3 and t == 2) else "down"),
        expect=("data.csv", "--target 'label'", "constant within a sequence", "'s3'"),
    ),
    sequence("seq-one-sequence-text-target", long_seqs(1, 10), expect=("data.csv", "--target 'label'", "2 classes")),
    sequence(
        "seq-one-sequence-numeric-target", long_seqs(1, 10, label=lambda i, t: 3.5), expect=("data.csv", "sequences")
    ),
    sequence(
        "seq-class-with-two-sequences",
        long_seqs(14, label=lambda i, t: "flat" if i in (4, 9) else ("up" if i % 2 else "down")),
        expect=("data.csv", "class 'flat' has 2 sequences", "at least 3"),
    ),
    sequence(
        "seq-feature-empty-cell",
        long_seqs().replace("\ns5,1,0.665,", "\ns5,1,,", 1),
        expect=("data.csv", "feature column 'x'", "row 22", "'s5'"),
    ),
    sequence(
        "seq-feature-inf",
        long_seqs().replace("\ns5,1,0.665,", "\ns5,1,inf,", 1),
        expect=("data.csv", "'x' must be finite", "row 22"),
    ),
    sequence(
        "seq-id-col-is-target",
        long_seqs(),
        columns=("--task", "sequence", "--id-col", "label", "--target", "label"),
        expect=("data.csv", "--id-col 'label' cannot also be the --target"),
    ),
    sequence(
        "seq-features-include-id",
        long_seqs(),
        "--features",
        "x,id",
        expect=("data.csv", "--features cannot include the --id-col 'id'"),
    ),
    sequence(
        "seq-features-unknown",
        long_seqs(),
        "--features",
        "x,pressure",
        expect=("data.csv", "--features 'pressure'", "not a column"),
    ),
    sequence(
        "seq-subject-number-as-feature",
        long_seqs(extra=lambda i, t: 100 + i, header="id,t,x,label,subject"),
        expect=("data.csv", "column 'subject'", "--group-col subject"),
    ),
    sequence(
        "seq-step-counter-without-order-col",
        long_seqs(header="id,step,x,label"),
        columns=("--task", "sequence", "--id-col", "id", "--target", "label"),
        expect=("data.csv", "'step'", "--order-col step"),
    ),
    sequence(
        "seq-no-numeric-feature",
        csv("id,t,word,label", [(f"s{i}", t, "abc"[t % 3], i % 2) for i in range(12) for t in range(3)]),
        expect=("data.csv", "no numeric feature columns"),
    ),
    sequence(
        "seq-classification-float-target",
        long_seqs(label=lambda i, t: 0.25 * i),
        "--problem",
        "classification",
        expect=("data.csv", "--problem classification", "--target 'label'", "'s1'"),
    ),
    sequence(
        "seq-class-weight-on-regression",
        long_seqs(label=lambda i, t: 0.25 * i + 0.1),
        "--class-weight",
        "auto",
        expect=("--class-weight auto is for classification",),
    ),
    sequence(
        "seq-regression-target-inf",
        long_seqs(label=lambda i, t: "inf" if i == 2 else 0.25 * i + 0.1),
        expect=("data.csv", "--target", "'label' must be finite"),
    ),
    sequence(
        "seq-regression-target-constant",
        long_seqs(label=lambda i, t: 2.5),
        "--problem",
        "regression",
        expect=("data.csv", "--target 'label' must vary", "2.5"),
    ),
    sequence("seq-stride-too-big", long_seqs(length=3), "--stride", "10", expect=("--stride 10", "single step")),
    sequence("seq-stride-zero", long_seqs(), "--stride", "0", expect=("--stride", ">= 1", "got 0")),
    sequence("seq-max-length-zero", long_seqs(), "--max-length", "0", expect=("--max-length", ">= 1", "got 0")),
    sequence(
        "seq-problem-unknown", long_seqs(), "--problem", "ranking", expect=("--problem must be one of", "'ranking'")
    ),
    sequence("seq-objective-rmse", long_seqs(), "--objective", "rmse", expect=("--objective must be one of", "'rmse'")),
    sequence(
        "seq-split-col-varies-in-sequence",
        long_seqs(
            header="id,t,x,label,split",
            extra=lambda i, t: ("train", "val", "test")[i % 3] if i != 4 or t < 2 else "test",
        ),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "constant within a sequence", "'s4'"),
    ),
    sequence(
        "seq-split-col-unknown-value",
        long_seqs(
            header="id,t,x,label,split", extra=lambda i, t: "fold1" if i == 6 else ("train", "val", "test")[i % 3]
        ),
        "--split-col",
        "split",
        expect=("data.csv", "--split-col 'split'", "row 25", "'fold1'"),
    ),
    sequence(
        "seq-group-spans-splits",
        long_seqs(header="id,t,x,label,split,who", extra=lambda i, t: f"{('train', 'val', 'test')[i % 3]},p{i % 2}"),
        "--split-col",
        "split",
        "--group-col",
        "who",
        expect=("data.csv", "--group-col 'who'", "one split"),
    ),
    sequence(
        "seq-order-dates-then-junk",
        csv(
            "id,t,x,label",
            [
                (f"s{i}", "soon" if (i, t) == (3, 1) else f"2021-03-0{t + 1}", f"{0.3 * t + 0.01 * i:.2f}", i % 2)
                for i in range(12)
                for t in range(4)
            ],
        ),
        expect=("data.csv", "--order-col 't'", "row 14", "'soon'"),
    ),
    sequence(
        "seq-wide-row-extra-field",
        csv(WIDE_HEADER, wide_seqs()[:6] + [["0.1", "0.2", "0.3", "0.4", "1", "9"]] + wide_seqs()[6:]),
        columns=WIDE,
        expect=("data.csv", "line 8"),
    ),
    sequence(
        "seq-wide-row-without-steps",
        csv(WIDE_HEADER, wide_seqs()[:5] + [["", "", "", "", 1]] + wide_seqs()[5:]),
        columns=WIDE,
        expect=("data.csv", "row 6", "no values in its step columns"),
    ),
    sequence(
        "seq-wide-gap-at-start",
        csv(WIDE_HEADER, [["", "0.2", "0.3", "0.4", 0]] + wide_seqs()),
        columns=WIDE,
        expect=("data.csv", "row 1", "'s0'", "only trailing cells may be empty"),
    ),
    sequence(
        "seq-wide-one-class",
        csv(WIDE_HEADER, wide_seqs(label=lambda i: "yes")),
        columns=WIDE,
        expect=("data.csv", "--target 'label'", "2 classes"),
    ),
    sequence(
        "seq-wide-features-flag",
        csv(WIDE_HEADER, wide_seqs()),
        "--features",
        "s0,s1",
        columns=WIDE,
        expect=("--features is for long format",),
    ),
    sequence(
        "seq-wide-id-repeats",
        csv("name," + WIDE_HEADER, [[f"r{i % 11}", *row] for i, row in enumerate(wide_seqs())]),
        "--id-col",
        "name",
        columns=WIDE,
        expect=("data.csv", "--id-col 'name'", "'r0'", "rows 1 and 12"),
    ),
    sequence(
        "seq-wide-step-named-otherwise",
        csv("s0,s1,s2,s3,age,label", [[*row[:4], 30 + i, row[4]] for i, row in enumerate(wide_seqs())]),
        columns=WIDE,
        expect=("data.csv", "column 'age'", "step columns"),
    ),
    sequence(
        "seq-latin1-with-utf8-asked",
        long_seqs().replace("s7", "s\u00e97").encode("latin-1"),
        "--encoding",
        "utf-8",
        expect=("data.csv", "cannot be read as utf-8", "line 30"),
    ),
    sequence("seq-encoding-not-a-text-codec", long_seqs(), "--encoding", "hex", expect=("--encoding", "'hex'")),
    sequence("seq-every-sequence-one-step", long_seqs(length=1), expect=("data.csv", "step")),
    sequence(
        "seq-wide-one-step-column",
        csv("s0,label", [[f"{0.1 * i:.2f}", i % 2] for i in range(12)]),
        columns=WIDE,
        expect=("data.csv", "step"),
    ),
    sequence(
        "seq-feature-typo",
        long_seqs().replace("s3,1,0.639", "s3,1,0.6.39"),
        expect=("data.csv", "feature column 'x'", "row 14", "'0.6.39'"),
    ),
    sequence(
        "seq-order-overflows-to-inf",
        long_seqs().replace("\ns3,1,", "\ns3,1e400,"),
        expect=("data.csv", "'t' must be finite", "row 14"),
    ),
    sequence(
        "seq-time-col-flag",
        long_seqs(),
        "--time-col",
        "t",
        expect=("--time-col applies to --task forecast and autoencoder, not to --task sequence",),
    ),
    sequence(
        "seq-embeddings-flag",
        long_seqs(),
        "--embeddings",
        "{dir}/v.txt",
        expect=("--embeddings applies to --task text",),
    ),
]

SPACE_CASES = [
    space(
        "sp-unknown-top-key",
        "hyperparams:\n  units: 4\n",
        expect=("unknown top-level key 'hyperparams'", "did you mean 'hyperparameters'"),
    ),
    space("sp-unknown-search-key", TINY_SPACE + "search2: 1\n", expect=("unknown top-level key 'search2'",)),
    space(
        "sp-misspelt-search-key",
        "hyperparameters: {lookback: 4}\nsearch: {max_trails: 3}\n",
        expect=("search.max_trails", "did you mean 'max_trials'"),
    ),
    space(
        "sp-units-float",
        "hyperparameters:\n  units: 3.5\n",
        expect=("hyperparameters.units", "must be an integer", "3.5"),
    ),
    space(
        "sp-units-bool",
        "hyperparameters:\n  units: true\n",
        expect=("hyperparameters.units", "must be an integer", "True"),
    ),
    space(
        "sp-dropout-quoted",
        "hyperparameters:\n  dropout: '0.1'\n",
        expect=("hyperparameters.dropout", "must be a number", "'0.1'"),
    ),
    space(
        "sp-float-lo-above-hi",
        "hyperparameters:\n  dropout: {float: [0.3, 0.1]}\n",
        expect=("hyperparameters.dropout", "lo <= hi", "lo=0.3, hi=0.1"),
    ),
    space("sp-negative-units", "hyperparameters:\n  units: -4\n", expect=("hyperparameters.units", "-4")),
    space(
        "sp-negative-units-range",
        "hyperparameters:\n  units: {int: [-8, 16]}\n",
        expect=("hyperparameters.units", "lo=-8"),
    ),
    space("sp-units-200000", "hyperparameters:\n  units: 200000\n", expect=("hyperparameters.units", "200000")),
    space("sp-units-1e10", "hyperparameters:\n  units: 1e10\n", expect=("hyperparameters.units", "must be an integer")),
    space(
        "sp-units-range-to-10-billion",
        "hyperparameters:\n  units: {int: [16, 10000000000]}\n",
        expect=("hyperparameters.units", "10000000000"),
    ),
    space(
        "sp-learning-rate-1e-300",
        "hyperparameters:\n  learning_rate: 1e-300\n",
        expect=("hyperparameters.learning_rate", "1e-300"),
    ),
    space(
        "sp-learning-rate-1e300",
        "hyperparameters:\n  learning_rate: 1e300\n",
        expect=("hyperparameters.learning_rate", "1e+300"),
    ),
    space(
        "sp-learning-rate-range-1e-300-1e300",
        "hyperparameters:\n  learning_rate: {float: [1e-300, 1e300], log: true}\n",
        expect=("hyperparameters.learning_rate",),
    ),
    space(
        "sp-learning-rate-overflow",
        "hyperparameters:\n  learning_rate: 1e400\n",
        expect=("hyperparameters.learning_rate", "must be a number"),
    ),
    space(
        "sp-learning-rate-zero",
        "hyperparameters:\n  learning_rate: 0\n",
        expect=("hyperparameters.learning_rate", "value=0"),
    ),
    space(
        "sp-dropout-nan", "hyperparameters:\n  dropout: .nan\n", expect=("hyperparameters.dropout", "must be a number")
    ),
    space(
        "sp-step-zero",
        "hyperparameters:\n  units: {int: [16, 64], step: 0}\n",
        expect=("hyperparameters.units", "step must be a positive integer", "0"),
    ),
    space(
        "sp-step-fraction-on-int",
        "hyperparameters:\n  units: {int: [16, 64], step: 2.5}\n",
        expect=("hyperparameters.units", "step must be a positive integer"),
    ),
    space(
        "sp-step-wider-than-range",
        "hyperparameters:\n  units: {int: [16, 32], step: 64}\n",
        expect=("hyperparameters.units", "step <= hi - lo"),
    ),
    space(
        "sp-log-step-one",
        "hyperparameters:\n  kernel_l2: {float: [1e-5, 1e-2], log: true, step: 1}\n",
        expect=("hyperparameters.kernel_l2", "multiplier", "> 1"),
    ),
    space(
        "sp-log-lo-zero-int",
        "hyperparameters:\n  dense_units: {int: [0, 64], log: true}\n",
        expect=("hyperparameters.dense_units", "lo > 0"),
    ),
    space(
        "sp-log-not-bool",
        "hyperparameters:\n  kernel_l2: {float: [1e-5, 1e-2], log: yes please}\n",
        expect=("hyperparameters.kernel_l2", "log must be true or false"),
    ),
    space(
        "sp-empty-choice",
        "hyperparameters:\n  optimizer: {choice: []}\n",
        expect=("hyperparameters.optimizer", "non-empty list"),
    ),
    space(
        "sp-repeated-choice",
        "hyperparameters:\n  optimizer: {choice: [adam, adam]}\n",
        expect=("hyperparameters.optimizer", "distinct"),
    ),
    space(
        "sp-unknown-optimizer-choice",
        "hyperparameters:\n  optimizer: {choice: [adam, sgd]}\n",
        expect=("hyperparameters.optimizer", "'sgd'", "adam"),
    ),
    space(
        "sp-choice-with-step",
        "hyperparameters:\n  units: {choice: [8, 16], step: 8}\n",
        expect=("hyperparameters.units", "step and log"),
    ),
    space(
        "sp-range-and-choice",
        "hyperparameters:\n  units: {int: [8, 16], choice: [8, 16]}\n",
        expect=("hyperparameters.units", "exactly one of"),
    ),
    space(
        "sp-range-of-three",
        "hyperparameters:\n  units: {int: [8, 16, 32]}\n",
        expect=("hyperparameters.units", "[lo, hi]"),
    ),
    space(
        "sp-unknown-range-key",
        "hyperparameters:\n  units: {int: [8, 16], steps: 4}\n",
        expect=("hyperparameters.units", "unknown key 'steps'", "did you mean 'step'"),
    ),
    space(
        "sp-float-range-on-int",
        "hyperparameters:\n  units: {float: [8, 16]}\n",
        expect=("hyperparameters.units", "{int: [lo, hi]}"),
    ),
    space(
        "sp-int-range-on-bool",
        "hyperparameters:\n  layer_norm: {int: [0, 1]}\n",
        expect=("hyperparameters.layer_norm", "true or false"),
    ),
    space(
        "sp-duplicate-keys",
        "hyperparameters:\n  units: 4\n  dropout: 0.1\n  units: 8\n",
        expect=("duplicate key 'units'", "line 4"),
    ),
    space("sp-yaml-alias", "hyperparameters:\n  units: &u 4\n  layers: *u\n", expect=("aliases",)),
    space("sp-yaml-merge-key", "base: &b {units: 4}\nhyperparameters:\n  <<: *b\n", expect=("aliases",)),
    space("sp-tab-indent", "hyperparameters:\n\tunits: 4\n", expect=("malformed YAML", "line 2")),
    space("sp-unclosed-brace", "hyperparameters: {units: 4\n", expect=("malformed YAML",)),
    space(
        "sp-python-tag", "hyperparameters:\n  units: !!python/object/apply:os.getcwd []\n", expect=("malformed YAML",)
    ),
    space("sp-list-top-level", "- hyperparameters\n- units: 4\n", expect=("top level must be a mapping", "list")),
    space("sp-scalar-top-level", "units\n", expect=("top level must be a mapping", "str")),
    space(
        "sp-hyperparameters-list",
        "hyperparameters: [units, dropout]\n",
        expect=("hyperparameters must be a mapping", "list"),
    ),
    space("sp-mapping-key", "hyperparameters:\n  ? [units, layers]\n  : 4\n", expect=("keys must be plain names",)),
    space("sp-empty-file", "", expect=("empty", "hyperparameters")),
    space("sp-comments-only", "# nothing here\n", expect=("empty", "hyperparameters")),
    space(
        "sp-text-key-for-forecast",
        "hyperparameters:\n  embedding_dim: 16\n",
        expect=("hyperparameters.embedding_dim applies to task text, not to task forecast",),
    ),
    space(
        "sp-lookback-for-text",
        "hyperparameters:\n  lookback: 4\n",
        task="text",
        expect=("hyperparameters.lookback applies to task forecast, not to task text",),
    ),
    space(
        "sp-lookback-for-sequence",
        "hyperparameters:\n  lookback: 4\n",
        task="sequence",
        expect=("hyperparameters.lookback applies to task forecast, not to task sequence",),
    ),
    space(
        "sp-downsample-zero",
        "hyperparameters:\n  downsample: 0\n",
        task="sequence",
        expect=("hyperparameters.downsample", "1 <= value <= 1024", "0"),
    ),
    space(
        "sp-downsample-choice-of-words",
        "hyperparameters:\n  downsample: {choice: [1, half]}\n",
        task="sequence",
        expect=("hyperparameters.downsample", "half"),
    ),
    space(
        "sp-downsample-for-forecast",
        "hyperparameters:\n  downsample: 2\n",
        expect=("hyperparameters.downsample applies to task sequence, not to task forecast",),
    ),
    space(
        "sp-input-noise-for-text",
        "hyperparameters:\n  input_noise: 0.1\n",
        task="text",
        expect=("hyperparameters.input_noise applies to task", "not to task text"),
    ),
    space(
        "sp-max-tokens-one",
        "hyperparameters:\n  max_tokens: 1\n",
        task="text",
        expect=("hyperparameters.max_tokens", "2"),
    ),
    space(
        "sp-max-trials-1e20",
        "hyperparameters: {lookback: 4}\nsearch: {max_trials: 1e20}\n",
        expect=("search.max_trials",),
    ),
    space(
        "sp-max-trials-zero",
        "hyperparameters: {lookback: 4}\nsearch: {max_trials: 0}\n",
        expect=("search.max_trials", "got 0"),
    ),
    space(
        "sp-max-trials-text",
        "hyperparameters: {lookback: 4}\nsearch: {max_trials: lots}\n",
        expect=("search.max_trials", "'lots'"),
    ),
    space(
        "sp-patience-negative",
        "hyperparameters: {lookback: 4}\nsearch: {patience: -2}\n",
        expect=("search.patience", "-2"),
    ),
    space(
        "sp-epochs-fraction", "hyperparameters: {lookback: 4}\nsearch: {epochs: 2.5}\n", expect=("search.epochs", "2.5")
    ),
    space(
        "sp-seed-too-big",
        "hyperparameters: {lookback: 4}\nsearch: {seed: 8589934592}\n",
        expect=("search.seed", "8589934592"),
    ),
    space(
        "sp-time-budget-words",
        "hyperparameters: {lookback: 4}\nsearch: {time_budget: soon}\n",
        expect=("search.time_budget", "'soon'"),
    ),
    space(
        "sp-tuner-unknown", "hyperparameters: {lookback: 4}\nsearch: {tuner: grid}\n", expect=("search.tuner", "'grid'")
    ),
    space(
        "sp-search-a-list",
        "hyperparameters: {lookback: 4}\nsearch: [max_trials, 2]\n",
        expect=("search must be a mapping",),
    ),
    space(
        "sp-data-horizon-zero", "hyperparameters: {lookback: 4}\ndata: {horizon: 0}\n", expect=("data.horizon", "got 0")
    ),
    space(
        "sp-data-objective-of-text",
        "hyperparameters: {lookback: 4}\ndata: {objective: accuracy}\n",
        expect=("data.objective must be one of mse, rmse", "'accuracy'"),
    ),
    space(
        "sp-data-key-of-text",
        "hyperparameters: {lookback: 4}\ndata: {class_weight: auto}\n",
        expect=("data.class_weight applies to task text and sequence",),
    ),
    space(
        "sp-data-split-bad",
        "hyperparameters: {lookback: 4}\ndata: {split: [0.5, 0.5]}\n",
        expect=("data.split", "three fractions"),
    ),
    space(
        "sp-gate-misspelt-figure",
        "hyperparameters: {lookback: 4}\ngate: ['test.skil >= 0.1']\n",
        expect=("gate", "test.skil"),
    ),
    space(
        "sp-gate-not-a-list",
        "hyperparameters: {lookback: 4}\ngate: 'test.skill >= 0.1'\n",
        expect=("gate must be a list",),
    ),
    space("sp-latin1-bytes", "hyperparameters:\n  units: 4  # f\u00fcr\n".encode("latin-1"), expect=("space file",)),
    space("sp-utf16-file", "hyperparameters:\n  units: 4\n".encode("utf-16"), expect=("space file",)),
    space("sp-nul-bytes", b"hyperparameters:\n  units: 4\x00\n", expect=("malformed YAML",)),
    space(
        "sp-long-value",
        "hyperparameters:\n  units: " + "u" * 5000 + "\n",
        expect=("hyperparameters.units", "characters)"),
    ),
    space("sp-deeply-nested", "hyperparameters:\n  units: " + "[" * 5000 + "]" * 5000 + "\n", expect=()),
    space("sp-huge-file", "hyperparameters:\n  units: 4\n" + ("# " + "padding " * 12 + "\n") * 60000, expect=("MiB",)),
    Case(
        "sp-space-is-a-directory",
        {"space.yaml": DIR},
        ("search", "{airline}", "--target", "Passengers", *SEARCH_TAIL),
        ("space.yaml", "is a directory"),
    ),
    Case(
        "sp-space-is-dev-null",
        {},
        ("search", "{airline}", "--target", "Passengers", "--space", "/dev/null", "--out", "{out}"),
        ("/dev/null", "regular file"),
    ),
    Case(
        "sp-space-is-a-fifo",
        {"space.yaml": FIFO},
        ("search", "{airline}", "--target", "Passengers", *SEARCH_TAIL),
        ("space.yaml",),
        isolated=True,
    ),
]

FLAG_CASES = [
    flags(
        "fl-task-capitalised",
        "--task",
        "Forecast",
        expect=("--task must be one of forecast, text, sequence", "'Forecast'"),
    ),
    flags(
        "fl-objective-for-forecast",
        "--objective",
        "accuracy",
        expect=("--objective must be one of mse, rmse", "'accuracy'"),
    ),
    flags(
        "fl-class-weight-for-forecast",
        "--class-weight",
        "auto",
        expect=("--class-weight applies to --task text and sequence",),
    ),
    flags(
        "fl-split-col-for-forecast",
        "--split-col",
        "Date",
        expect=("--split-col applies to --task text, sequence and autoencoder",),
    ),
    flags(
        "fl-encoding-for-forecast",
        "--encoding",
        "latin-1",
        expect=("--encoding applies to --task text, sequence and autoencoder",),
    ),
    flags("fl-strict-for-forecast", "--strict", expect=("--strict applies to --task text",)),
    flags("fl-problem-for-forecast", "--problem", "regression", expect=("--problem applies to --task sequence",)),
    flags("fl-max-length-for-forecast", "--max-length", "5", expect=("--max-length applies to --task sequence",)),
    flags("fl-id-col-for-forecast", "--id-col", "Date", expect=("--id-col applies to --task sequence",)),
    flags(
        "fl-split-four-parts", "--split", "0.5,0.2,0.2,0.1", expect=("--split", "three fractions", "'0.5,0.2,0.2,0.1'")
    ),
    flags("fl-split-negative", "--split", "-0.2,0.6,0.6", expect=("--split", "each > 0")),
    flags("fl-split-nan", "--split", "nan,0.5,0.5", expect=("--split", "'nan,0.5,0.5'")),
    flags("fl-split-words", "--split", "train,val,test", expect=("--split", "'train,val,test'")),
    flags("fl-max-trials-negative", "--max-trials", "-3", expect=("--max-trials", "got -3")),
    flags("fl-max-trials-10-to-the-20", "--max-trials", str(10**20), expect=("--max-trials", str(10**20))),
    flags(
        "fl-max-trials-with-hyperband",
        "--tuner",
        "hyperband",
        "--max-trials",
        "3",
        expect=("--max-trials does not apply to --tuner hyperband",),
    ),
    flags("fl-initial-points-zero", "--initial-points", "0", expect=("--initial-points", "got 0")),
    flags(
        "fl-initial-points-above-max-trials",
        "--max-trials",
        "3",
        "--initial-points",
        "10",
        expect=("--initial-points", "--max-trials"),
    ),
    flags("fl-seed-negative", "--seed", "-1", expect=("--seed", "got -1")),
    flags("fl-patience-zero", "--patience", "0", expect=("--patience", "got 0")),
    flags("fl-time-budget-unit", "--time-budget", "5x", expect=("--time-budget", "'5x'")),
    flags("fl-time-budget-zero", "--time-budget", "0s", expect=("--time-budget", "more than zero")),
    flags("fl-lookback-negative", "--lookback", "-2", expect=("--lookback", "got -2")),
    flags("fl-horizon-not-an-integer", "--horizon", "1.5", expect=("--horizon", "integer")),
    flags("fl-horizon-zero", "--horizon", "0", expect=("--horizon", "got 0")),
    flags("fl-unknown-option", "--lookbak", "4", expect=("--lookbak",)),
    flags(
        "fl-scale-unknown", "--scale", "zscore", expect=("--scale must be one of standard, minmax, none", "'zscore'")
    ),
    Case("fl-space-missing", {}, ("search", "{airline}", "--target", "Passengers", "--out", "{out}"), ("--space",)),
    Case(
        "fl-out-missing",
        {"space.yaml": TINY_SPACE},
        ("search", "{airline}", "--target", "Passengers", "--space", "{dir}/space.yaml"),
        ("--out",),
    ),
    Case(
        "fl-out-empty-string",
        {"space.yaml": TINY_SPACE},
        ("search", "{airline}", "--target", "Passengers", "--space", "{dir}/space.yaml", "--out", ""),
        ("--out",),
    ),
    flags("fl-out-is-a-file", files={"out": "notes\n"}, expect=("--out", "exists and is not a directory")),
    flags(
        "fl-out-is-the-data-file",
        "--out",
        "{dir}/data.csv",
        files={"data.csv": series()},
        expect=("--out", "data.csv", "not a directory"),
    ),
    flags("fl-out-dangling-symlink", files={"out": Link("{dir}/nowhere/run")}, expect=("--out", "symbolic link")),
    flags(
        "fl-out-symlink-to-a-file",
        files={"target.txt": "x\n", "out": Link("{dir}/target.txt")},
        expect=("--out", "not a directory"),
    ),
    flags(
        "fl-out-deep-under-a-file",
        "--out",
        "{dir}/notes.txt/a/b/run",
        files={"notes.txt": "x\n"},
        expect=("--out", "cannot be created", "notes.txt is a file"),
    ),
    flags("fl-resume-on-empty-directory", "--resume", files={"out": DIR}, expect=("--out", "nothing to resume")),
    flags(
        "fl-overwrite-then-resume",
        "--overwrite",
        "--resume",
        files={"out/run.json": manifest()},
        expect=("--resume and --overwrite cannot be used together",),
    ),
    flags(
        "fl-overwrite-symlinked-run",
        "--overwrite",
        files={"real/run.json": manifest(), "out": Link("{dir}/real")},
        expect=("--out", "symbolic link"),
    ),
    flags(
        "fl-overwrite-run-holding-the-space",
        "--overwrite",
        "--space",
        "{out}/space.yaml",
        files={"out/run.json": manifest(), "out/space.yaml": TINY_SPACE},
        expect=("--out", "would delete the space file"),
    ),
    flags(
        "fl-resume-other-task",
        "--resume",
        files={"out/run.json": manifest(task="text"), "out/tuner/search/oracle.json": "{}"},
        expect=("--resume", "--task text", "not --task forecast"),
    ),
    flags(
        "fl-resume-other-data",
        "--resume",
        files={
            "out/run.json": manifest(data={"path": "old.csv", "sha256": "0" * 64}),
            "out/tuner/search/oracle.json": "{}",
        },
        expect=("--resume", "airline.csv is not the data the run was started on"),
    ),
    flags(
        "fl-resume-newer-run",
        "--resume",
        files={"out/run.json": manifest(schema_version=99), "out/tuner/search/oracle.json": "{}"},
        expect=("run.json", "schema_version 99"),
    ),
    flags(
        "fl-resume-run-json-not-json",
        "--resume",
        files={"out/run.json": "{half", "out/tuner/search/oracle.json": "{}"},
        expect=("run.json", "unreadable"),
    ),
]

NON_REGULAR_CASES = [
    Case(
        "nr-data-is-dev-null",
        {"space.yaml": TINY_SPACE},
        ("search", "/dev/null", "--target", "y", *SEARCH_TAIL),
        ("/dev/null", "regular file"),
    ),
    Case(
        "nr-data-is-a-directory",
        {"space.yaml": TINY_SPACE, "data.csv": DIR},
        ("search", "{dir}/data.csv", "--target", "y", *SEARCH_TAIL),
        ("data.csv", "is a directory"),
    ),
    Case(
        "nr-data-symlink-loop",
        {"space.yaml": TINY_SPACE, "loop.csv": Link("{dir}/loop.csv")},
        ("search", "{dir}/loop.csv", "--target", "y", *SEARCH_TAIL),
        ("loop.csv",),
    ),
    Case(
        "nr-data-dangling-symlink",
        {"space.yaml": TINY_SPACE, "gone.csv": Link("{dir}/deleted.csv")},
        ("search", "{dir}/gone.csv", "--target", "y", *SEARCH_TAIL),
        ("gone.csv", "not found"),
    ),
    Case(
        "nr-data-is-a-fifo",
        {"space.yaml": TINY_SPACE, "pipe.csv": FIFO},
        ("search", "{dir}/pipe.csv", "--target", "y", *SEARCH_TAIL),
        ("pipe.csv",),
        isolated=True,
    ),
    Case(
        "nr-data-is-dev-zero",
        {"space.yaml": TINY_SPACE},
        ("search", "/dev/zero", "--target", "y", *SEARCH_TAIL),
        ("/dev/zero",),
        isolated=True,
    ),
    Case(
        "nr-text-data-is-a-directory",
        {"space.yaml": TEXT_SPACE, "texts": DIR},
        ("search", "{dir}/texts", *TEXT, *SEARCH_TAIL),
        ("texts", "is a directory"),
    ),
    Case(
        "nr-check-data-is-dev-null",
        {"space.yaml": SEQUENCE_SPACE},
        ("check", "--space", "{dir}/space.yaml", "/dev/null", *LONG),
        ("/dev/null", "regular file"),
    ),
]

RUN_DIR_CASES = [
    command(
        "rd-report-path-is-a-file", {"run": "not a directory\n"}, "report", "{dir}/run", expect=("run", "run directory")
    ),
    command("rd-report-no-run-json", {"run": DIR}, "report", "{dir}/run", expect=("run", "no run.json")),
    command(
        "rd-report-run-json-not-json",
        {"run/run.json": "{'status': 'completed'}"},
        "report",
        "{dir}/run",
        expect=("run.json", "unreadable manifest"),
    ),
    command(
        "rd-report-run-json-binary",
        {"run/run.json": b"\xff\xfe\x00garbage"},
        "report",
        "{dir}/run",
        expect=("run.json", "unreadable"),
    ),
    command("rd-report-run-json-is-a-directory", {"run/run.json": DIR}, "report", "{dir}/run", expect=("run.json",)),
    command(
        "rd-report-newer-schema",
        {"run/run.json": manifest(schema_version=3)},
        "report",
        "{dir}/run",
        expect=("run.json", "schema_version 3 is newer", "upgrade"),
    ),
    command(
        "rd-report-schema-version-text",
        {"run/run.json": manifest(schema_version="2")},
        "report",
        "{dir}/run",
        expect=("run.json", "schema_version '2'"),
    ),
    command(
        "rd-report-section-not-object",
        {"run/run.json": manifest(search=[1, 2])},
        "report",
        "{dir}/run",
        expect=("run.json", "`search` must be an object", "list"),
    ),
    command(
        "rd-report-unknown-task",
        {"run/run.json": manifest(task="images")},
        "report",
        "{dir}/run",
        expect=("run.json", "`task` must be one of", "'images'"),
    ),
    # A figure that is not a number would pass a gate rule as one ("17" as 17, true as 1) or print as a list.
    *[
        command(
            f"rd-gate-figure-{label}",
            {"run/run.json": manifest(best={"trial_id": "0", "test": {"rmse": value}})},
            "gate",
            "{dir}/run",
            "--require",
            "test.rmse < 100",
            expect=("run.json", "`best.test.rmse` must be a number", repr(value)),
        )
        for label, value in (("text", "17"), ("bool", True), ("word", "abc"))
    ],
    command(
        "rd-report-reference-figure-text",
        {"run/run.json": manifest(baselines={"reference": {"name": "AR", "test": {"rmse": "12"}}})},
        "report",
        "{dir}/run",
        expect=("run.json", "`baselines.reference.test.rmse` must be a number", "'12'"),
    ),
    command(
        "rd-report-best-skill-object",
        {"run/run.json": manifest(best={"trial_id": "0", "val": {"skill": {"value": 0.5}}})},
        "report",
        "{dir}/run",
        expect=("run.json", "`best.val.skill` must be a number"),
    ),
    command(
        "rd-report-baseline-figure-list",
        {"run/run.json": manifest(baselines={"val": {"persistence": {"rmse": [1, 2]}}})},
        "report",
        "{dir}/run",
        expect=("run.json", "`baselines.val.persistence.rmse` must be a number", "[1, 2]"),
    ),
    Case(
        "fc-time-budget-empty",
        {"data.csv": series(), "space.yaml": TINY_SPACE},
        ("search", "{dir}/data.csv", "--target", "y", *SEARCH_TAIL, "--time-budget", ""),
        ("--time-budget", "an empty value"),
    ),
    command(
        "rd-gate-best-not-object",
        {"run/run.json": manifest(best=[1])},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill >= 0",
        expect=("run.json", "best"),
    ),
    command(
        "rd-report-trials-not-object",
        {"run/run.json": manifest(trials="many")},
        "report",
        "{dir}/run",
        expect=("run.json", "trials"),
    ),
    command("rd-report-name-too-long", {}, "report", "{dir}/" + "y" * 300, expect=("yyyyyyyyyy",)),
    command(
        "rd-report-output-over-run-json",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--format",
        "json",
        "--output",
        "{dir}/run/run.json",
        expect=("--output", "run.json"),
    ),
    command(
        "rd-gate-junit-over-run-json",
        {"run/run.json": manifest()},
        "gate",
        "{dir}/run",
        "--require",
        "trials.failed == 0",
        "--junit",
        "{dir}/run/run.json",
        expect=("--junit", "run.json"),
    ),
    # An empty path would be the current directory (Path("") is "."): refused for every path flag and argument.
    command(
        "rd-report-plots-empty",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--plots",
        "",
        expect=("--plots", "an empty path"),
    ),
    command(
        "rd-report-html-empty",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--html=",
        expect=("--html", "an empty path"),
    ),
    command("rd-report-run-dir-empty", {}, "report", "", expect=("RUN_DIR", "an empty path")),
    command("rd-refit-run-dir-empty", {}, "refit", "", expect=("RUN_DIR", "an empty path")),
    command("rd-worker-run-dir-empty", {}, "worker", "", expect=("RUN_DIR", "an empty path")),
    command(
        "rd-refit-data-empty",
        {"run/run.json": manifest()},
        "refit",
        "{dir}/run",
        "--data",
        "",
        expect=("--data", "an empty path"),
    ),
    command("rd-check-space-empty", {}, "check", "--space", "", expect=("--space", "an empty path")),
    command(
        "sp-shipped-text-space-without-its-task",
        {},
        "check",
        "--space",
        "text",
        expect=("applies to task text", "give --task"),
    ),
    command(
        "rd-report-compare-empty",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--html",
        "{dir}/r.html",
        "--compare",
        "",
        expect=("--compare", "an empty path"),
    ),
    command(
        "rd-predict-output-empty",
        {"run/run.json": manifest()},
        "predict",
        "{dir}/run",
        "{airline}",
        "--output",
        "",
        expect=("--output", "an empty path"),
    ),
    command(
        "rd-predict-steps-empty",
        {"run/run.json": manifest()},
        "predict",
        "{dir}/run",
        "{airline}",
        "--steps=",
        expect=("--steps", "an empty path"),
    ),
    flags("se-out-empty", "--out", "", expect=("--out", "an empty path")),
    flags("se-executions-underscore", "--executions", "1_0", expect=("--executions", "without '_'", "'1_0'")),
    flags("se-executions-not-whole", "--executions", "1.5", expect=("--executions", "valid integer", "but got '1.5'")),
    flags("se-folds-superscript", "--folds=\u00b2", expect=("--folds", "valid integer", "but got '\u00b2'")),
    flags("se-max-trials-underscore", "--max-trials=2_0", expect=("--max-trials", "without '_'", "'2_0'")),
    flags("se-embeddings-empty", "--embeddings", "", expect=("--embeddings", "an empty path")),
    command(
        "se-data-empty",
        {"space.yaml": TINY_SPACE},
        "search",
        "",
        "--target",
        "y",
        *SEARCH_TAIL,
        expect=("DATA.csv", "an empty path"),
    ),
    command(
        "rd-init-unknown-option-before-an-empty-value",
        {},
        "init",
        "--task",
        "forecast",
        "--output",
        "",
        expect=("No such option: --output",),
    ),
    command(
        "rd-predict-data-empty",
        {"run/run.json": manifest()},
        "predict",
        "{dir}/run",
        "",
        expect=("DATA.csv", "an empty path"),
    ),
    command(
        "rd-gate-junit-empty",
        {"run/run.json": manifest()},
        "gate",
        "{dir}/run",
        "--junit",
        "",
        expect=("--junit", "an empty path"),
    ),
    command(
        "rd-report-top-zero",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--top",
        "0",
        expect=("--top", "got 0"),
    ),
    command(
        "rd-report-output-under-a-file",
        {"run/run.json": manifest(), "notes.txt": "x\n"},
        "report",
        "{dir}/run",
        "--output",
        "{dir}/notes.txt/report.md",
        expect=("--output", "notes.txt"),
    ),
    command(
        "rd-report-dangling-symlink",
        {"run": Link("{dir}/gone")},
        "report",
        "{dir}/run",
        expect=("run", "run directory"),
    ),
    command(
        "rd-gate-run-json-a-list",
        {"run/run.json": "[]"},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill >= 0",
        expect=("run.json", "not a run manifest"),
    ),
    command(
        "rd-gate-path-is-a-file",
        {"run": "x\n"},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill >= 0",
        expect=("run", "run directory"),
    ),
    command(
        "rd-gate-no-run-json",
        {"run/trials.csv": "rank\n"},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill >= 0",
        expect=("run", "no run.json"),
    ),
    command(
        "rd-gate-newer-schema",
        {"run/run.json": manifest(schema_version=7)},
        "gate",
        "{dir}/run",
        "--require",
        "trials.failed == 0",
        expect=("run.json", "schema_version 7"),
    ),
    command(
        "rd-gate-no-rules", {"run/run.json": manifest()}, "gate", "{dir}/run", expect=("--require", "at least one rule")
    ),
    command(
        "rd-gate-malformed-rule",
        {"run/run.json": manifest()},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill => 0.1",
        expect=("--require", "'test.skill => 0.1'"),
    ),
    command(
        "rd-gate-unknown-figure",
        {"run/run.json": manifest()},
        "gate",
        "{dir}/run",
        "--require",
        "test.r2 >= 0",
        expect=("--require", "test.r2 is not a figure"),
    ),
    command(
        "rd-gate-infinite-threshold",
        {"run/run.json": manifest()},
        "gate",
        "{dir}/run",
        "--require",
        "test.skill >= 1e999",
        expect=("--require", "finite"),
    ),
    command(
        "rd-gate-junit-to-a-directory",
        {"run/run.json": manifest(), "reports": DIR},
        "gate",
        "{dir}/run",
        "--require",
        "trials.failed == 0",
        "--junit",
        "{dir}/reports",
        expect=("--junit", "is a directory"),
    ),
    command(
        "rd-gate-bad-space-in-run",
        {"run/run.json": manifest(), "run/space.yaml": "gate: ['best.gapp <= 2']\n"},
        "gate",
        "{dir}/run",
        "--require",
        "trials.failed == 0",
        expect=("space.yaml", "best.gapp"),
    ),
    command(
        "rd-predict-path-is-a-file",
        {"run": "x\n", "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        expect=("run", "directory"),
    ),
    command(
        "rd-predict-no-run-json",
        {"run": DIR, "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        expect=("run", "best_model.keras"),
    ),
    command(
        "rd-predict-preprocessing-not-json",
        {"run/run.json": manifest(), "run/best_model.keras": "x", "run/preprocessing.json": "{", "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        expect=("preprocessing.json", "unreadable"),
    ),
    command(
        "rd-predict-preprocessing-unknown-task",
        {
            "run/run.json": manifest(),
            "run/best_model.keras": "x",
            "run/preprocessing.json": json.dumps({"task": "images"}),
            "new.csv": series(),
        },
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        expect=("preprocessing.json", "'images'"),
    ),
    command(
        "rd-predict-all-on-text-run",
        {
            "run/run.json": manifest(task="text"),
            "run/best_model.keras": "x",
            "run/preprocessing.json": json.dumps({"task": "text"}),
            "new.csv": reviews(),
        },
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        "--all",
        expect=("preprocessing.json",),
    ),
]

# refit, predict's model choice and report's live view (the refit and --keep rows that need a trained
# model are in test_refit.py and test_predict_checks.py)
FINAL_MODEL_CASES = [
    command("fm-refit-path-is-a-file", {"run": "x\n"}, "refit", "{dir}/run", expect=("run", "run directory")),
    command("fm-refit-no-run-json", {"run": DIR}, "refit", "{dir}/run", expect=("run", "no run.json")),
    command(
        "fm-refit-nothing-completed",
        {"run/run.json": manifest(status="interrupted")},
        "refit",
        "{dir}/run",
        expect=("run", "no completed trial to refit yet"),
    ),
    command(
        "fm-refit-negative-seed",
        {"run/run.json": manifest()},
        "refit",
        "{dir}/run",
        "--seed",
        "-1",
        expect=("--seed must be a whole number of at least 0, but got -1",),
    ),
    command(
        "fm-predict-unknown-model",
        {"run/run.json": manifest(), "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        "--model",
        "last",
        expect=("--model must be one of best, ensemble, refit", "'last'"),
    ),
    command(
        "fm-predict-refit-and-ensemble",
        {"run/run.json": manifest(), "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        "--model",
        "refit",
        "--ensemble",
        expect=("--ensemble and --model refit name different models",),
    ),
    command(
        "fm-predict-refit-missing",
        {"run/run.json": manifest(), "new.csv": series()},
        "predict",
        "{dir}/run",
        "{dir}/new.csv",
        "--model",
        "refit",
        expect=("run", "no refit model", "lstmtune refit"),
    ),
    command(
        "fm-watch-without-html",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--watch",
        "5",
        expect=("--watch rewrites an HTML page: give --html FILE",),
    ),
    command(
        "fm-watch-too-often",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--html",
        "{dir}/p.html",
        "--watch",
        "0.1",
        expect=("--watch must be from 1 to 86400 seconds, but got 0.1",),
    ),
    command(
        "fm-watch-with-output",
        {"run/run.json": manifest()},
        "report",
        "{dir}/run",
        "--html",
        "{dir}/p.html",
        "--watch",
        "5",
        "--output",
        "{dir}/r.md",
        expect=("--watch writes only the --html page", "--output"),
    ),
]

OTHER_COMMAND_CASES = [
    command("in-unknown-task", {}, "init", "--task", "images", expect=("--task must be one of", "'images'")),
    command(
        "in-file-exists",
        {"s.yaml": "keep: me\n"},
        "init",
        "{dir}/s.yaml",
        expect=("s.yaml", "already exists", "--force"),
    ),
    command(
        "in-file-is-a-directory",
        {"spaces": DIR},
        "init",
        "{dir}/spaces",
        "--force",
        expect=("spaces", "is a directory"),
    ),
    command("in-file-under-a-file", {"notes.txt": "x\n"}, "init", "{dir}/notes.txt/s.yaml", expect=("notes.txt",)),
    command("sc-unknown-task", {}, "schema", "--task", "Text", expect=("--task must be one of", "'Text'")),
    command(
        "ck-split-without-data",
        {"space.yaml": TINY_SPACE},
        "check",
        "--space",
        "{dir}/space.yaml",
        "--split",
        "0.5,0.25,0.25",
        expect=("--split", "only apply with the DATA argument"),
    ),
    command(
        "ck-bad-space-for-sequence",
        {"space.yaml": "hyperparameters:\n  embedding_dropout: 0.1\n"},
        "check",
        "--space",
        "{dir}/space.yaml",
        "--task",
        "sequence",
        expect=("space.yaml", "hyperparameters.embedding_dropout applies to task text"),
    ),
    command(
        "ck-text-no-target",
        {"space.yaml": TEXT_SPACE, "data.csv": reviews()},
        "check",
        "--space",
        "{dir}/space.yaml",
        "{dir}/data.csv",
        "--task",
        "text",
        "--text-col",
        "text",
        expect=("data.csv", "--target is required"),
    ),
]

WORKER_CASES = [
    command(
        "wk-oracle-port-not-ascii",
        {},
        "worker",
        "{dir}/run",
        "--oracle",
        "127.0.0.1:\u00b2",
        expect=("--oracle must be HOST:PORT", "'127.0.0.1:\u00b2'"),
    ),
    command(
        "wk-oracle-host-label-too-long",
        {},
        "worker",
        "{dir}/run",
        "--oracle",
        "a" * 70 + ".example:8470",
        expect=("--oracle", "at most 63 characters", "has 70"),
    ),
    command(
        "wk-oracle-host-with-a-space",
        {},
        "worker",
        "{dir}/run",
        "--oracle",
        "my host:8470",
        expect=("--oracle", "ASCII letters, digits"),
    ),
    command("wk-wait-nan", {}, "worker", "{dir}/run", "--wait", "nan", expect=("--wait", "but got nan")),
    command("wk-id-a-path", {}, "worker", "{dir}/run", "--id", "../x", expect=("--id '../x'", "letters, digits")),
    command("wk-id-dots", {}, "worker", "{dir}/run", "--id", "..", expect=("--id '..'", "letters, digits")),
    command("wk-id-with-a-slash", {}, "worker", "{dir}/run", "--id", "a/b", expect=("--id 'a/b'", "letters, digits")),
    command("wk-id-too-long", {}, "worker", "{dir}/run", "--id", "w" * 101, expect=("--id", "up to 100 characters")),
    command("wk-wait-inf", {}, "worker", "{dir}/run", "--wait", "inf", expect=("--wait", "but got inf")),
    flags("se-lease-zero", "--workers", "2", "--lease", "0", expect=("--lease", "from 1 to 86400", "but got 0.0")),
    flags("se-lease-inf", "--workers", "2", "--lease", "inf", expect=("--lease", "from 1 to 86400", "but got inf")),
    flags("se-lease-without-workers", "--lease", "30", expect=("--lease applies to a parallel search",)),
    flags(
        "se-listen-port-not-ascii",
        "--workers",
        "2",
        "--listen",
        "127.0.0.1:\u0663",
        expect=("--listen must be HOST:PORT",),
    ),
    flags(
        "se-prune-with-hyperband",
        "--tuner",
        "hyperband",
        "--prune",
        "halving",
        expect=("--prune does not apply to --tuner hyperband",),
    ),
    flags("se-executions-zero", "--executions", "0", expect=("--executions", "but got 0")),
    flags("se-executions-51", "--executions", "51", expect=("--executions", "in [1, 50]", "but got 51")),
    flags(
        "se-executions-with-hyperband",
        "--tuner",
        "hyperband",
        "--executions",
        "2",
        expect=("--executions does not apply to --tuner hyperband",),
    ),
    flags("se-folds-21", "--folds", "21", expect=("--folds", "in [1, 20]", "but got 21")),
    flags(
        "se-folds-too-many-for-the-rows",
        "--folds",
        "9",
        expect=("airline.csv", "--folds 9 needs 6 training rows", "at most 5 folds fit"),
    ),
    flags(
        "se-folds-with-hyperband",
        "--tuner",
        "hyperband",
        "--folds",
        "2",
        expect=("--folds does not apply to --tuner hyperband",),
    ),
    space(
        "se-executions-key-in-space",
        TINY_SPACE.replace("patience: 1}", "patience: 1, executions: two}"),
        expect=("search.executions", "'two'"),
    ),
    space(
        "sp-lr-schedule-unknown",
        TINY_SPACE.replace("learning_rate: 0.01", "learning_rate: 0.01\n  lr_schedule: step"),
        expect=("lr_schedule", "constant, plateau, cosine, exponential", "'step'"),
    ),
    space(
        "sp-augment-slice-one",
        TINY_SPACE.replace("learning_rate: 0.01", "learning_rate: 0.01\n  augment_slice: 1.0"),
        expect=("augment_slice", "0 <= value < 1", "but got value=1.0"),
    ),
    space(
        "sp-lr-decay-zero",
        TINY_SPACE.replace("learning_rate: 0.01", "learning_rate: 0.01\n  lr_decay: 0"),
        expect=("lr_decay", "1e-06 <= value <= 1", "but got value=0.0"),
    ),
    space(
        "se-prune-key-in-space",
        TINY_SPACE.replace("patience: 1}", "patience: 1, prune: always}"),
        expect=("search.prune", "'always'"),
    ),
]

CASES = (
    FORECAST_CASES
    + TEXT_CASES
    + SEQUENCE_CASES
    + SPACE_CASES
    + FLAG_CASES
    + NON_REGULAR_CASES
    + RUN_DIR_CASES
    + OTHER_COMMAND_CASES
    + WORKER_CASES
    + FINAL_MODEL_CASES
)


def test_the_table_is_large_and_its_ids_distinct():
    ids = [case.id for case in CASES]
    assert len(ids) >= 110
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    inputs = [
        (tuple(sorted((k, v if isinstance(v, (str, bytes)) else repr(v)) for k, v in case.files.items())), case.args)
        for case in CASES
    ]
    assert len(set(inputs)) == len(inputs), "two rows give the same input"


# --- running a row -----------------------------------------------------------------------------


def _fill(text: str, tmp_path: Path) -> str:
    text = text.replace("{dir}", str(tmp_path)).replace("{out}", str(tmp_path / "out"))
    for placeholder, path in SHIPPED.items():
        text = text.replace(placeholder, str(path))
    return text


def _make(tmp_path: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == DIR:
            path.mkdir()
        elif content == FIFO:
            os.mkfifo(path)
        elif isinstance(content, Link):
            path.symlink_to(_fill(content.target, tmp_path))
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: file bytes, link targets, directories, other kinds; nothing is opened
    but regular files (a FIFO would block)."""
    seen: dict[str, tuple] = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            key = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                seen[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                seen[key] = ("file", path.read_bytes())
            elif stat.S_ISDIR(mode):
                seen[key] = ("dir",)
            else:
                seen[key] = ("special", stat.S_IFMT(mode))
    return seen


class ReachedTraining(Exception):
    """The inputs passed validation: the search would now import TensorFlow and train."""


def _refuse_training() -> None:
    raise ReachedTraining()


# Run in a fresh interpreter: the same guard, then the command line.
RUNNER = """
import sys
import lstmtune.tuning.quiet

def refuse():
    sys.stderr.write("REACHED TRAINING: the inputs passed validation\\n")
    sys.stderr.flush()
    raise SystemExit(99)

lstmtune.tuning.quiet.import_tensorflow_quietly = refuse
from lstmtune.cli import app
sys.argv[0] = "lstmtune"
app()
"""


@contextlib.contextmanager
def _warnings_as_on_the_command_line():
    """Python's default warning filters, printed to the (captured) stderr as `lstmtune` would print them;
    pytest would otherwise record them and hide a second line on stderr."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)

        def show(message, category, filename, lineno, file=None, line=None):
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = show
        yield


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))


def _run_isolated(args: list[str], cwd: Path):
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=ISOLATED_TIMEOUT,
            preexec_fn=_limit_memory,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is None:
        pytest.fail(f"no answer within {ISOLATED_TIMEOUT} s (blocked or reading forever): lstmtune {' '.join(args)}")
    return types.SimpleNamespace(exit_code=done.returncode, stdout=done.stdout, stderr=done.stderr, exception=None)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, cli, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    _make(tmp_path, case.files)
    args = [_fill(arg, tmp_path) for arg in case.args]
    shipped = {
        path: path.read_bytes() for placeholder, path in SHIPPED.items() if any(placeholder in a for a in case.args)
    }
    before = _snapshot(tmp_path)

    if case.isolated:
        result = _run_isolated(args, cwd)
        if result.exit_code == 99 and "REACHED TRAINING" in result.stderr:
            pytest.fail(f"accepted: the inputs passed validation and a search would start (lstmtune {' '.join(args)})")
    else:
        if case.args[0] == "search":
            import lstmtune.tuning.quiet

            monkeypatch.setattr(lstmtune.tuning.quiet, "import_tensorflow_quietly", _refuse_training)
        with _warnings_as_on_the_command_line():
            result = cli(*args)
        if isinstance(result.exception, ReachedTraining):
            pytest.fail(f"accepted: the inputs passed validation and a search would start; stderr: {result.stderr!r}")

    assert_one_line_error(result, *case.fragments)
    assert _snapshot(tmp_path) == before, "something under tmp_path was written, changed or deleted"
    assert not (tmp_path / "out").exists() or before.get("out") is not None
    for path, content in shipped.items():
        assert path.read_bytes() == content, f"{path} changed"


def test_report_shows_what_it_can_of_a_run_with_an_odd_value(cli, tmp_path):
    """A time budget written as text is not a number to print: the report says the budget ended the
    search without one, rather than failing."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(manifest(search={"time_budget": "1h", "budget_ended_search": True}))
    result = cli("report", run)
    assert result.exit_code == 0, result.stderr
    assert "the time budget ended the search" in result.stdout
