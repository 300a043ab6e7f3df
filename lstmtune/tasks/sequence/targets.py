"""What each sequence of a sequence CSV holds besides its steps: its target (the problem, and the classes
or values), its group, and its split (numpy / pandas only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.core.text import plural, shown
from lstmtune.data.csv_reader import numeric_column, row_of
from lstmtune.data.scaler import Scaler
from lstmtune.data.splits import SPLITS, SplitColumn, assign_splits
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.sequence.columns import integer_valued
from lstmtune.tasks.sequence.encoder import Collected, SequenceEncoder, plain
from lstmtune.tasks.sequence.settings import SequenceSettings, objective_for

MAX_CLASSES = 20  # auto-detection: more distinct integers than this is regression
MIN_PER_CLASS = 3  # a class needs a sequence in every split


@dataclass
class Target:
    """The target of each sequence and the problem it makes."""

    column: str
    problem: str  # classification or regression
    source: str  # auto or set
    reason: str  # why the problem is what it is
    objective: Objective
    labels: list[Any]  # class names in id order (classification)
    class_ids: np.ndarray | None  # int64 class id of each sequence (classification)
    values: np.ndarray | None  # float64 value of each sequence, in original units (regression)


def problem_rule(target: pd.Series, n_sequences: int) -> tuple[str, str]:
    """(classification | regression, why) from the per-sequence target values."""
    if pd.api.types.is_bool_dtype(target):
        return "classification", "holds true / false"
    if not pd.api.types.is_numeric_dtype(target):
        return "classification", "holds text"
    values = target.to_numpy(dtype=np.float64)
    distinct = len(np.unique(values))
    if not integer_valued(values):
        return "regression", "holds non-integer numbers"
    counted = f"holds {distinct} distinct integers over {n_sequences} sequences"
    if distinct <= MAX_CLASSES and (distinct == 2 or distinct < n_sequences / 2):
        return "classification", counted
    return "regression", f"{counted} (classes need at most {MAX_CLASSES} values, and fewer than half the sequences)"


def per_sequence(path: Any, frame: pd.DataFrame, column: str, flag: str, collected: Collected) -> pd.Series:
    """A role column's value for each sequence (index 0..n-1); it must be filled and constant within a sequence."""
    series = frame[column]
    missing = series.isna()
    if missing.any():
        # The last column is the one a row with too few fields leaves empty.
        hint = (
            "; a row with fewer fields than the header leaves its last columns empty"
            if frame.columns[-1] == column
            else ""
        )
        raise DataError(
            f"{path}: {flag} {column!r} must have a value on every row, but row {row_of(missing.idxmax())} "
            f"is empty{hint}"
        )
    counts = series.groupby(collected.row_sequence).nunique()
    if (counts > 1).any():
        position = int(counts.index[(counts > 1).to_numpy()].min())
        a, b = pd.unique(series[collected.row_sequence == position])[:2]
        raise DataError(
            f"{path}: {flag} {column!r} must be constant within a sequence, but sequence "
            f"{shown(collected.ids[position])} holds {shown(a)} and {shown(b)}"
        )
    return series.iloc[collected.first_rows].reset_index(drop=True)


def _class_labels(
    path: Any, frame: pd.DataFrame, column: str, target: pd.Series, collected: Collected
) -> tuple[list[Any], np.ndarray]:
    """(class names in id order, class id per sequence): text sorted, integers numerically, booleans False first."""
    if pd.api.types.is_bool_dtype(target):
        values: list[Any] = [bool(v) for v in target]
    elif pd.api.types.is_numeric_dtype(target):
        numeric_column(frame, column, path, "--target")  # finite on every line
        floats = target.to_numpy(dtype=np.float64)
        bad = floats != np.round(floats)
        if bad.any():
            position = int(np.argmax(bad))
            raise DataError(
                f"{path}: --problem classification needs --target {column!r} to hold class names (text or integers), "
                f"but sequence {shown(collected.ids[position])} holds {shown(target.iloc[position])}; use --problem regression"
            )
        values = [int(v) for v in floats]
    else:
        values = [str(v).strip() for v in target]  # "v1" and "v1 " are one class
    labels = sorted(set(values))
    index = {label: k for k, label in enumerate(labels)}
    return labels, np.array([index[v] for v in values], dtype=np.int64)


def read_target(
    path: Any, frame: pd.DataFrame, roles: dict[str, str], settings: SequenceSettings, collected: Collected
) -> tuple[Target, np.ndarray | None]:
    """(the target, the group of each sequence or None): both constant within a sequence. A classification
    target needs 2 classes or more, each with a sequence for every split."""
    column = roles["target"]
    target = per_sequence(path, frame, column, "--target", collected)
    groups = None
    if roles.get("group_col"):
        groups = np.array(
            [plain(v) for v in per_sequence(path, frame, roles["group_col"], "--group-col", collected)], dtype=object
        )
    if settings.problem == "auto":
        problem, reason = problem_rule(target, len(collected.ids))
    else:
        problem, reason = settings.problem, "set by --problem"
    source = "auto" if settings.problem == "auto" else "set"
    how = f" (auto-detected: {column!r} {reason})" if source == "auto" else ""
    objective = objective_for(settings, problem, how)
    if problem == "regression" and settings.class_weight == "auto":
        raise OptionError(
            f"--class-weight auto is for classification, but the problem is regression{how}; leave --class-weight none"
        )
    if problem != "classification":
        numeric = numeric_column(frame, column, path, "--target")
        values = numeric.iloc[collected.first_rows].to_numpy(dtype=np.float64)
        return Target(column, problem, source, reason, objective, [], None, values), groups
    labels, class_ids = _class_labels(path, frame, column, target, collected)
    if len(labels) < 2:
        raise DataError(
            f"{path}: --target {column!r} must hold at least 2 classes for classification, but every sequence holds {shown(labels[0])}"
        )
    counts = np.bincount(class_ids, minlength=len(labels))
    if (counts < MIN_PER_CLASS).any():
        k = int(np.argmax(counts < MIN_PER_CLASS))
        raise DataError(
            f"{path}: --target {column!r} class {shown(labels[k])} has {plural(counts[k], 'sequence')}; "
            f"every class needs at least {MIN_PER_CLASS} (one per split)"
            + (
                f"; the problem was taken as classification{how}: pass --problem regression if it is a value"
                if how
                else ""
            )
        )
    return Target(column, problem, source, reason, objective, labels, class_ids, None), groups


def split_sequences(
    path: Any,
    frame: pd.DataFrame,
    roles: dict[str, str],
    settings: SequenceSettings,
    seed: int,
    collected: Collected,
    target: Target,
    groups: np.ndarray | None,
) -> tuple[dict[str, np.ndarray], str]:
    """(positions of each split's sequences, how the splits were made); every split needs sequences, and
    every class training sequences."""
    names, how = assign_split_names(path, frame, roles, settings, seed, collected, target.class_ids, groups)
    index = {s: np.flatnonzero(names == s) for s in SPLITS}
    for split in SPLITS:
        if len(index[split]) == 0:
            raise DataError(
                f"{path}: the {split} split has no sequences ({len(collected.ids)} sequences, split {how}); "
                f"more sequences, or a larger {split} fraction (--split), are needed"
            )
    if target.class_ids is not None:
        train_counts = np.bincount(target.class_ids[index["train"]], minlength=len(target.labels))
        if (train_counts == 0).any():
            k = int(np.argmax(train_counts == 0))
            raise DataError(
                f"{path}: --target {target.column!r} class {shown(target.labels[k])} has no sequence in the train split "
                f"({how}); every class needs training sequences"
            )
    return index, how


def assign_split_names(
    path: Any,
    frame: pd.DataFrame,
    roles: dict[str, str],
    settings: SequenceSettings,
    seed: int,
    collected: Collected,
    labels: np.ndarray | None,
    groups: np.ndarray | None,
) -> tuple[np.ndarray, str]:
    """(split name per sequence, how the splits were made)."""
    split_col = roles.get("split_col")
    if split_col is None:
        how = f"assigned {'/'.join(f'{f:g}' for f in settings.split)} by sequence, seed {seed}"
        how += ", stratified by class" if labels is not None else ""
        how += f", groups of {roles['group_col']!r} kept whole" if groups is not None else ""
        return assign_splits(len(collected.ids), settings.split, seed, labels=labels, groups=groups), how
    raw = frame[split_col]
    per_row = SplitColumn.read(raw)
    row = per_row.first_unnamed
    if row is not None:
        value = raw.iloc[row]
        held = "is empty" if pd.isna(value) else f"holds {shown(value)}"
        raise DataError(
            f"{path}: --split-col {split_col!r} must hold train, val (or valid, validation, dev) or test in any case, "
            f"but row {row_of(frame.index[row])} {held}"
        )
    per_sequence(path, frame, split_col, "--split-col", collected)
    column = SplitColumn(per_row.names[collected.first_rows])
    if column.absent:
        raise DataError(
            f"{path}: --split-col {split_col!r} must name train and test sequences (validation may be carved from "
            f"train), but it names only {', '.join(column.present)}"
        )
    if groups is not None:
        _refuse_groups_across_splits(path, roles, split_col, groups, column.names)
    how = f"named by --split-col {split_col!r}"
    fraction = column.carve_validation(settings.split, seed, labels=labels, groups=groups)
    if fraction is not None:
        how += f", validation carved from train: {fraction:.0%}{' stratified by class' if labels is not None else ''}, seed {seed}"
    return column.names.astype(str), how


def _refuse_groups_across_splits(
    path: Any, roles: dict[str, str], split_col: str, groups: np.ndarray, names: np.ndarray
) -> None:
    """The splits a --split-col names must keep each group's sequences in one split."""
    frame_groups = pd.DataFrame({"group": groups, "split": names})
    spans = frame_groups.groupby("group", sort=False)["split"].nunique()
    if (spans > 1).any():
        group = spans.index[(spans > 1).to_numpy()][0]
        held = [s for s in SPLITS if s in set(frame_groups["split"][frame_groups["group"] == group])]
        raise DataError(
            f"{path}: --group-col {roles['group_col']!r} group {shown(group)} spans the {' and '.join(held)} splits "
            f"named by --split-col {split_col!r}; a group's sequences must lie in one split"
        )


def encode_target(encoder: SequenceEncoder, target: Target, train: np.ndarray, path: Any) -> np.ndarray:
    """y of each sequence: its class id, or its value standardised on the training sequences (the encoder's
    target scaler and training mean are fitted here)."""
    encoder.problem = target.problem
    if target.problem == "classification":
        assert target.class_ids is not None
        encoder.labels = target.labels
        return target.class_ids
    assert target.values is not None
    train_values = target.values[train]
    if np.ptp(train_values) == 0:
        raise DataError(
            f"{path}: --target {target.column!r} must vary over the training sequences, but all {len(train_values)} "
            f"hold {train_values[0]:g}: there is nothing to learn"
        )
    encoder.target_scaler = Scaler.fit(train_values[:, None], "standard")
    encoder.train_mean = float(train_values.mean())
    return encoder.target_scaler.transform(target.values[:, None]).reshape(-1).astype(np.float32)
