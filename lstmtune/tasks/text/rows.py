"""The rows of a text CSV: columns checked, rows without words or a label dropped, labels made classes,
repeated texts grouped, and rows split without leakage (numpy / pandas only). Also the texts of a new
CSV to predict, read by the same rules.

Rows are named "row N", N counting data records from 1 (a quoted text may span several lines of the
file, so record numbers and file lines can differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import plural, shown, suggestion
from lstmtune.data.csv_reader import row_of, unknown_column
from lstmtune.data.splits import SPLITS, SplitColumn, assign_splits
from lstmtune.errors import DataError
from lstmtune.tasks.base import DataRequest
from lstmtune.tasks.text.encoder import TextEncoder, label_kind, label_name, sort_labels, tokenize

MIN_CLASS_ROWS = 3  # one per split for a stratified train / validation / test split
SPLIT_VALUES = "train; val, valid, validation or dev; test (any case)"


def text_value(value: Any) -> str | None:
    """A cell as text, or None when it is empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _missing_labels(series: pd.Series) -> np.ndarray:
    """Empty cells and labels of spaces only (whatever pandas' string dtype) are missing."""
    blank = np.array([isinstance(v, str) and not v.strip() for v in series], dtype=bool)
    return series.isna().to_numpy().copy() | blank


def text_columns(request: DataRequest, path: Path, names: list[str]) -> tuple[str, str, str | None]:
    """(--text-col, --target, --split-col or None): columns of the file, each in one role."""
    text_col, target, split_col = (request.columns.get(k) for k in ("text_col", "target", "split_col"))
    for flag, name in (("--text-col", text_col), ("--target", target)):
        if name is None or name == "":
            raise DataError(f"{path}: {flag} is required for the text task; columns are: {', '.join(names)}")
        if name not in names:
            raise unknown_column(path, flag, name, names)
    if text_col == target:
        raise DataError(f"{path}: --text-col and --target must be different columns, but both are {text_col!r}")
    if split_col is not None:
        if split_col not in names:
            raise unknown_column(path, "--split-col", split_col, names)
        for flag, name in (("--text-col", text_col), ("--target", target)):
            if split_col == name:
                raise DataError(
                    f"{path}: --split-col must be a column of its own, but {split_col!r} is also the {flag}"
                )
    return text_col, target, split_col


def _check_label_values(series: pd.Series, missing: np.ndarray, path: Path, target: str) -> None:
    """Floats must be whole numbers: the text task classifies."""
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float)
        bad = ~missing & ~(np.isfinite(values) & (values == np.round(values)))
        if bad.any():
            label = series.index[int(np.argmax(bad))]
            raise DataError(
                f"{path}: --target {target!r} must hold class labels (words or whole numbers), but row {row_of(label)} "
                f"holds {shown(series[label])}; the text task is classification: turn the numbers into classes first"
            )


@dataclass
class TextRows:
    """The rows kept (a text with words and a label), in file order, and what was dropped."""

    read: int  # rows in the file
    kept: np.ndarray  # positions in the frame of the rows kept
    index: pd.Index  # their frame labels
    texts: np.ndarray  # object: the raw texts
    words: list[list[str]]  # the words of each text
    keys: np.ndarray  # object: the words joined; rows of one key are one model input (a duplicate group)
    y: np.ndarray  # int64 class ids
    labels: list[str]  # class names in id order
    kind: str  # label kind: string, integer or boolean
    class_count: dict[str, int]  # rows per class name
    no_words: np.ndarray  # bool per frame row: its text has no words
    no_label: np.ndarray  # bool per frame row: it has no label

    @property
    def dropped(self) -> np.ndarray:
        """bool per frame row: dropped (no words or no label)."""
        return self.no_words | self.no_label


def read_rows(frame: pd.DataFrame, path: Path, text_col: str, target: str, strict: bool) -> TextRows:
    """The rows with words in --text-col and a label in --target; with `strict` a row without either is an error."""
    if pd.api.types.is_numeric_dtype(frame[text_col]) and frame[text_col].notna().any():
        raise DataError(
            f"{path}: --text-col {text_col!r} must hold texts, but every value in it is a number; "
            "name the column that holds the texts"
        )
    raw_texts = [text_value(v) for v in frame[text_col]]
    words = [tokenize(t) if t is not None else [] for t in raw_texts]
    no_words = np.array([len(w) == 0 for w in words], dtype=bool)
    label_series = frame[target]
    no_label = _missing_labels(label_series)
    _check_label_values(label_series, no_label, path, target)
    dropped = no_words | no_label
    if strict and dropped.any():
        first = int(np.argmax(dropped))
        if no_words[first]:
            what = (
                f"has no text in --text-col {text_col!r}"
                if raw_texts[first] is None or not raw_texts[first].strip()
                else f"has no words in --text-col {text_col!r} (holds {raw_texts[first][:40]!r})"
            )
        else:
            what = f"has no label in --target {target!r}"
        raise DataError(
            f"{path}: with --strict every row needs a text with words and a label, but row {row_of(frame.index[first])} {what} "
            f"({plural(int(no_words.sum()), 'row')} without words, {plural(int(no_label.sum()), 'row')} without a label)"
        )
    kept = np.flatnonzero(~dropped)
    if len(kept) == 0:
        raise DataError(
            f"{path}: no row has both words in --text-col {text_col!r} and a label in --target {target!r} "
            f"({len(frame)} rows: {int(no_words.sum())} without words, {int(no_label.sum())} without a label)"
        )
    kept_words = [words[i] for i in kept]
    labels, kind, y, class_count = _classes(label_series.to_numpy(dtype=object)[kept], path, target)
    return TextRows(
        read=len(frame),
        kept=kept,
        index=frame.index[kept],
        texts=np.array([raw_texts[i] for i in kept], dtype=object),
        words=kept_words,
        keys=np.array([" ".join(w) for w in kept_words], dtype=object),
        y=y,
        labels=labels,
        kind=kind,
        class_count=class_count,
        no_words=no_words,
        no_label=no_label,
    )


def _classes(label_values: np.ndarray, path: Path, target: str) -> tuple[list[str], str, np.ndarray, dict[str, int]]:
    """(class names in id order, label kind, class id of each row, rows per class name); 2 classes or more."""
    kind = label_kind(label_values)
    label_names = np.array([label_name(v, kind) for v in label_values], dtype=object)
    labels = sort_labels(label_names, kind)
    class_names, class_sizes = np.unique(label_names, return_counts=True)
    if len(labels) < 2:
        raise DataError(
            f"{path}: --target {target!r} must have at least 2 classes, but all {len(label_values)} rows hold "
            f"{shown(int(label_values[0]) if kind == 'integer' else label_values[0])}"
        )
    label_index = {name: i for i, name in enumerate(labels)}
    y = np.array([label_index[n] for n in label_names], dtype=np.int64)
    return labels, kind, y, dict(zip(class_names.tolist(), class_sizes.tolist()))


def duplicate_counts(rows: TextRows) -> dict[str, int]:
    """Rows that repeat a text the model sees as the same input, their groups, and groups with different labels."""
    key_frame = pd.DataFrame({"key": rows.keys, "y": rows.y})
    group_sizes = key_frame.groupby("key")["y"].agg(["size", "nunique"])
    repeated = group_sizes[group_sizes["size"] > 1]
    return {
        "duplicate_rows": int(repeated["size"].sum()),
        "duplicate_groups": int(len(repeated)),
        "conflicting_duplicate_groups": int((repeated["nunique"] > 1).sum()),
    }


@dataclass
class TextSplits:
    """The split of each kept row and how it was made."""

    assigned: np.ndarray  # str: train / val / test per kept row
    source: str  # how the splits were made, for the summary
    across: int  # duplicate groups a --split-col puts in more than one split
    sizes: dict[str, int]  # rows per split


def split_rows(
    frame: pd.DataFrame,
    rows: TextRows,
    path: Path,
    split_col: str | None,
    target: str,
    fractions: tuple[float, ...],
    seed: int,
) -> TextSplits:
    """The rows split by --split-col, or stratified by class with repeated texts kept together; every
    class needs training rows and every split rows."""
    if split_col is None:
        small = [
            (rows.labels[k], int(c))
            for k, c in enumerate(np.bincount(rows.y, minlength=len(rows.labels)))
            if c < MIN_CLASS_ROWS
        ]
        if small:
            name, count = small[0]
            raise DataError(
                f"{path}: --target {target!r} class {name!r} has {plural(count, 'row')}, but a stratified train / "
                f"validation / test split needs at least {MIN_CLASS_ROWS} rows per class"
            )
        assigned = assign_splits(len(rows.kept), fractions, seed, labels=rows.y, groups=rows.keys)
        source, across, carved = f"stratified by class, seed {seed}", 0, False
    else:
        assigned, source, across, carved = _from_column(frame, rows, path, split_col, fractions, seed)
    assigned = np.asarray(assigned).astype(str)
    in_train = np.bincount(rows.y[assigned == "train"], minlength=len(rows.labels))
    for k in np.flatnonzero(in_train == 0):
        where = (
            f"--split-col {split_col!r} names none of them train"
            if split_col is not None and not carved
            else "none landed in the training split (repeated texts are kept together)"
        )
        raise DataError(
            f"{path}: --target {target!r} class {rows.labels[k]!r} has {plural(rows.class_count[rows.labels[k]], 'row')}, "
            f"but {where}; every class needs training rows"
        )
    sizes = {split: int((assigned == split).sum()) for split in SPLITS}
    for split in SPLITS:
        if sizes[split] == 0:
            how = (
                f"--split {','.join(f'{f:g}' for f in fractions)}"
                if split_col is None or split == "val"
                else f"--split-col {split_col!r}"
            )
            raise DataError(
                f"{path}: the {split} split is empty ({len(rows.kept)} rows split by {how}: train {sizes['train']}, "
                f"val {sizes['val']}, test {sizes['test']}); every split needs rows: add rows or change the fractions"
            )
    return TextSplits(assigned=assigned, source=source, across=across, sizes=sizes)


def _from_column(
    frame: pd.DataFrame, rows: TextRows, path: Path, split_col: str, fractions: tuple[float, ...], seed: int
) -> tuple[np.ndarray, str, int, bool]:
    """(split per kept row, how, duplicate groups across splits, whether validation was carved from train)."""
    split_values = frame[split_col].iloc[rows.kept].reset_index(drop=True)
    column = SplitColumn.read(split_values)
    position = column.first_unnamed
    if position is not None:
        value = split_values.iloc[position]
        holds = "is empty" if pd.isna(value) else f"holds {shown(value)}"
        raise DataError(
            f"{path}: --split-col {split_col!r} must name a split ({SPLIT_VALUES}), but row {row_of(rows.index[position])} {holds}"
        )
    for needed in column.absent:
        raise DataError(
            f"{path}: --split-col {split_col!r} must name some rows {needed}, but it names only {', '.join(column.present)}"
        )
    source = f"from {split_col!r}"
    groups = pd.Series(column.names).groupby(rows.keys).nunique()
    across = int((groups > 1).sum())
    share = column.carve_validation(fractions, seed, labels=rows.y, groups=rows.keys)
    if share is not None:
        source += f", validation {share:.3g} of train, stratified by class, seed {seed}"
    return column.names, source, across, share is not None


def encode_frame(
    state: dict[str, Any], frame: pd.DataFrame, source: str, strict: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs for the rows of a new CSV that hold a text (labels not needed): (int32 (n,
    sequence_length), the positions of those rows). A row without words is skipped (`strict`: an error
    naming it); a file with no text at all is an error."""
    encoder = TextEncoder.from_state(state)
    text_col = state["text_col"]
    names = [str(c) for c in frame.columns]
    if text_col not in names:
        raise DataError(
            f"{source}: the model reads texts from column {text_col!r}, which is not a column"
            f"{suggestion(text_col, names)}; columns are: {', '.join(names)}"
        )
    column = frame.iloc[:, names.index(text_col)]
    texts = [text_value(v) for v in column]
    kept = []
    for position, text in enumerate(texts):
        if text is not None and tokenize(text):
            kept.append(position)
        elif strict or len(texts) == 1:
            holds = "is empty" if text is None or not text.strip() else f"holds {text[:40]!r}, which has no words"
            raise DataError(
                f"{source}: every row needs a text to predict (--strict), but row {row_of(position)} of column "
                f"{text_col!r} {holds}"
                if strict
                else f"{source}: row {row_of(position)} of column {text_col!r} {holds}: there is no text to predict"
            )
    if not kept:
        raise DataError(f"{source}: no row of column {text_col!r} holds a word: there is no text to predict")
    inputs = encoder.encode([texts[p] for p in kept], int(state["sequence_length"]), max_tokens=state.get("max_tokens"))
    return inputs, np.asarray(kept, dtype=np.int64)
