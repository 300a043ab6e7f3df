"""Which columns of a sequence CSV play which role: the columns named by flags, the feature (long) or
step (wide) columns, and numeric columns that look like identifiers or step counters rather than signals
(numpy / pandas only)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.data.csv_reader import unknown_column
from lstmtune.data.splits import name_splits
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.sequence.encoder import Collected

ROLE_FLAGS = {
    "target": "--target",
    "id_col": "--id-col",
    "order_col": "--order-col",
    "split_col": "--split-col",
    "group_col": "--group-col",
    "label_col": "--label-col",
}
# Words that make an integer column look like an identifier (whole name tokens: case_id, subjectId, SPEAKER).
ID_WORDS = {
    "id",
    "ids",
    "idx",
    "index",
    "key",
    "uid",
    "uuid",
    "guid",
    "subject",
    "patient",
    "speaker",
    "user",
    "participant",
    "person",
    "session",
    "subj",
    "spk",
    "pid",
    "sid",
    "rec",
    "record",
    "recording",
}
# Lower-case names glued to "id" (caseid, userid).
ID_PREFIXES = {
    "case",
    "subject",
    "patient",
    "speaker",
    "user",
    "participant",
    "person",
    "session",
    "sample",
    "record",
    "row",
    "item",
    "seq",
    "sequence",
    "series",
    "sensor",
    "device",
    "unit",
}


def looks_like_id_name(name: str) -> bool:
    """True when a name token is an identifier word (id, subject, patient, ...), or ends in 'id' after one."""
    tokens = [t.lower() for t in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", name)]
    return any(t in ID_WORDS or (t.endswith("id") and t[:-2] in ID_PREFIXES) for t in tokens)


def integer_valued(values: np.ndarray) -> bool:
    """Some finite values, every one a whole number."""
    finite = values[np.isfinite(values)]
    return len(finite) > 0 and bool(np.all(finite == np.round(finite)))


def _counts_rows(values: np.ndarray) -> bool:
    """Consecutive integers down the file (a saved row index)."""
    return len(values) >= 3 and bool(np.all(np.diff(values) == 1))


def identifier_reason(name: str, values: np.ndarray, row_sequence: np.ndarray | None, n_sequences: int) -> str | None:
    """Why a numeric column looks like an identifier rather than a feature, or None.

    Only integer-valued columns qualify. Long format (row_sequence given):
    - constant within every sequence and a different value for each sequence (>= 2 sequences), or
    - constant within every sequence and named like an identifier (id, subject, patient, speaker...), or
    - named like an identifier with a different value on every row, or
    - consecutive integers down the file (a row counter).
    Wide format (one row per sequence): named like an identifier, or consecutive integers down the file.
    """
    if not integer_valued(values):
        return None
    named = looks_like_id_name(name)
    if _counts_rows(values):
        return "holds consecutive integers down the file, like a row number"
    if row_sequence is None:
        return "holds integers and is named like an identifier" if named else None
    per_sequence = pd.Series(values).groupby(row_sequence).nunique(dropna=False)
    constant = bool((per_sequence <= 1).all())
    distinct = len(pd.unique(values))
    if constant and n_sequences >= 2 and distinct == n_sequences:
        return "holds a different integer for every sequence and is constant within each, like an identifier"
    if constant and named:
        return "holds integers constant within each sequence and is named like an identifier"
    if named and distinct == len(values):
        return "holds a different integer on every row and is named like an identifier"
    return None


def _mostly_numbers(series: pd.Series) -> bool:
    """A text column whose non-empty values are mostly numbers: a numeric column with a few typos."""
    present = series.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() > 0.5


def check_columns(
    path: Any, frame: pd.DataFrame, columns: dict[str, Any], wide: bool, needs_target: bool = True
) -> dict[str, str]:
    """The role columns named by flags (target, id_col, ...), each an existing, distinct column."""
    names = list(frame.columns)
    if wide:
        for key, flag in (("order_col", "--order-col"), ("features", "--features")):
            if columns.get(key) is not None:
                raise OptionError(
                    f"{flag} is for long format (one row per step); with --wide each row is one sequence and its "
                    f"steps are the numeric columns other than the target, id, split and group columns, in file order"
                )
    if needs_target and not columns.get("target"):
        raise DataError(f"{path}: --target is required; columns are: {', '.join(names)}")
    if not wide and not columns.get("id_col"):
        raise DataError(
            f"{path}: --id-col is required in long format (one row per step) to say which rows form a sequence; "
            f"or pass --wide if each row is one sequence; columns are: {', '.join(names)}"
        )
    roles: dict[str, str] = {}
    for key, flag in ROLE_FLAGS.items():
        name = columns.get(key)
        if name is None:
            continue
        name = str(name)
        if name not in names:
            raise unknown_column(path, flag, name, names)
        for other, taken in roles.items():
            if taken == name:
                raise DataError(f"{path}: {flag} {name!r} cannot also be the {ROLE_FLAGS[other]}")
        roles[key] = name
    return roles


def choose_features(
    path: Any, frame: pd.DataFrame, roles: dict[str, str], features: Any, wide: bool
) -> tuple[list[str], list[str]]:
    """(feature or step columns, ignored columns)."""
    names = list(frame.columns)
    used = set(roles.values())
    if features is not None:
        features = [features] if isinstance(features, str) else [str(f) for f in features]
        if not features:
            raise DataError(f"{path}: --features must name at least one column")
        for name in features:
            if name not in names:
                raise unknown_column(path, "--features", name, names)
            for key, taken in roles.items():
                if taken == name:
                    raise DataError(f"{path}: --features cannot include the {ROLE_FLAGS[key]} {name!r}")
        if len(set(features)) != len(features):
            raise DataError(f"{path}: --features must name each column once, but got {', '.join(features)}")
        return features, [c for c in names if c not in features and c not in used]
    chosen = [
        c
        for c in names
        if c not in used
        and not re.fullmatch(r"Unnamed: \d+", c)
        and frame[c].notna().any()
        and (pd.api.types.is_numeric_dtype(frame[c]) or _mostly_numbers(frame[c]))
    ]
    if not chosen:
        what = "step columns (wide format: the numeric columns" if wide else "feature columns (the numeric columns"
        raise DataError(
            f"{path}: no numeric {what} other than {', '.join(repr(v) for v in roles.values())}); "
            f"columns are: {', '.join(names)}"
        )
    return chosen, [c for c in names if c not in chosen and c not in used]


def _step_name_outliers(columns: list[str]) -> list[str]:
    """Wide format: when most step columns are named a prefix and a number (t0, t1 ...), the numeric
    columns named otherwise (rec, age) are not steps."""
    matches = [re.fullmatch(r"(\D*?)(\d+)", c) for c in columns]
    prefixes = [m.group(1) for m in matches if m]
    if len(columns) < 3 or len(prefixes) < 0.8 * len(columns):
        return []
    common = max(set(prefixes), key=prefixes.count)
    return [c for c, m in zip(columns, matches) if not m or m.group(1) != common]


def _check_identifiers(path: Any, frame: pd.DataFrame, features: list[str], collected: Collected, wide: bool) -> None:
    """Refuse a chosen feature (or step) column that looks like an identifier, naming the flag that fits it."""
    if wide:
        outliers = _step_name_outliers(features)
        if outliers:
            name = outliers[0]
            steps = [c for c in features if c not in outliers]
            raise DataError(
                f"{path}: column {name!r} is numeric but not named like the step columns ({steps[0]}, {steps[1]} ...), "
                f"so it is not taken as a step; pass --id-col {name} or --group-col {name} if it names the sequence "
                f"or a subject, or leave the column out of the file"
            )
    for name in features:
        series = frame[name]
        if not pd.api.types.is_numeric_dtype(series):
            continue
        reason = identifier_reason(
            name, series.to_numpy(dtype=np.float64), None if wide else collected.row_sequence, len(collected.ids)
        )
        if reason:
            hint = (
                f"pass --id-col {name} if it names each sequence, or --group-col {name} if it names a subject"
                if wide
                else f"pass --features to name the feature columns, or --group-col {name} if it names a subject"
            )
            raise DataError(f"{path}: column {name!r} {reason}, so it is not taken as a feature; {hint}")


def _step_counters(frame: pd.DataFrame, features: list[str], collected: Collected) -> list[str]:
    """Integer feature columns that count the steps: within every sequence of 2+ rows their values are
    distinct and consecutive (in any row order). Such a column orders the steps; it is not a signal."""
    longer = collected.lengths_read >= 2
    if not longer.any():
        return []
    out = []
    for name in features:
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name]):
            continue
        values = frame[name].to_numpy(dtype=np.float64)
        if not integer_valued(values):
            continue
        table = pd.DataFrame({"sequence": collected.row_sequence, "value": values})
        grouped = table.groupby("sequence")["value"].agg(["min", "max", "count", "nunique"])
        grouped = grouped[grouped["count"] >= 2]
        if len(grouped) and bool(
            ((grouped["nunique"] == grouped["count"]) & (grouped["max"] - grouped["min"] + 1 == grouped["count"])).all()
        ):
            out.append(name)
    return out


def suspect_columns(
    path: Any,
    frame: pd.DataFrame,
    roles: dict[str, str],
    features: list[str],
    ignored: list[str],
    collected: Collected,
    wide: bool,
    named: bool,
) -> tuple[list[str], list[str]]:
    """(feature columns that count the steps, ignored columns that name splits), for the summary's hints.

    Features chosen from the numeric columns (`named` False: no --features) must look like neither an
    identifier nor the step order."""
    if not named:
        _check_identifiers(path, frame, features, collected, wide)
    order_like = [] if (wide or roles.get("order_col")) else _step_counters(frame, features, collected)
    if order_like and not named:
        name = order_like[0]
        raise DataError(
            f"{path}: column {name!r} looks like the step order (consecutive integers within every sequence), but it "
            f"would be read as a feature and the steps taken in file order; pass --order-col {name} "
            f"(or --features to use it as a feature)"
        )
    split_like = [] if roles.get("split_col") else [c for c in ignored if name_splits(frame[c])[1] is None]
    return order_like, split_like
