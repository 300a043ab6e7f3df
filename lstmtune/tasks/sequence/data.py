"""A CSV of many short sequences -> checked, split and encoded arrays for the search (numpy / pandas only).

Rules (each broken one is a one-line DataError / OptionError naming the file, flag, column and value):

- the target, split and group columns are constant within a sequence;
- splits are by sequence: from --split-col (train / val / test; with only train and test, validation is
  carved from train), else seeded and stratified by class (plain seeded for regression); a --group-col
  keeps all of one group's sequences in one split;
- the problem is classification when the target holds text or true/false, or integers with at most
  20 distinct values that are either 2 or fewer than half the number of sequences; else regression
  (`problem_rule`); --problem overrides;
- a numeric column that looks like an identifier is never taken as a feature silently (`identifier_reason`);
- inputs are scaled per channel on training sequences' real steps (padding excluded); a regression
  target is standardised on training sequences, and figures are in original units.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.data.csv_reader import _show, _unknown_column, line_of, numeric_column, read_csv
from lstmtune.data.splits import SPLITS, Scaler, assign_splits, name_splits
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks import scoring
from lstmtune.tasks.base import DataRequest, Prepared, too_few_items
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.sequence.encoder import Collected, SequenceEncoder, plain
from lstmtune.tasks.sequence.settings import SequenceSettings, objective_for

MAX_CLASSES = 20  # auto-detection: more distinct integers than this is regression
MIN_PER_CLASS = 3  # a class needs a sequence in every split
ROLE_FLAGS = {
    "target": "--target",
    "id_col": "--id-col",
    "order_col": "--order-col",
    "split_col": "--split-col",
    "group_col": "--group-col",
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


# -- rules --


def looks_like_id_name(name: str) -> bool:
    """True when a name token is an identifier word (id, subject, patient, ...), or ends in 'id' after one."""
    tokens = [t.lower() for t in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", name)]
    return any(t in ID_WORDS or (t.endswith("id") and t[:-2] in ID_PREFIXES) for t in tokens)


def _integer_valued(values: np.ndarray) -> bool:
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
    if not _integer_valued(values):
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


def problem_rule(target: pd.Series, n_sequences: int) -> tuple[str, str]:
    """(classification | regression, why) from the per-sequence target values."""
    if pd.api.types.is_bool_dtype(target):
        return "classification", "holds true / false"
    if not pd.api.types.is_numeric_dtype(target):
        return "classification", "holds text"
    values = target.to_numpy(dtype=np.float64)
    distinct = len(np.unique(values))
    if not _integer_valued(values):
        return "regression", "holds non-integer numbers"
    counted = f"holds {distinct} distinct integers over {n_sequences} sequences"
    if distinct <= MAX_CLASSES and (distinct == 2 or distinct < n_sequences / 2):
        return "classification", counted
    return "regression", f"{counted} (classes need at most {MAX_CLASSES} values, and fewer than half the sequences)"


def _stats(lengths: np.ndarray) -> dict[str, Any]:
    if len(lengths) == 0:
        return {"min": 0, "median": 0.0, "max": 0}
    return {"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())}


def _span(stats: dict[str, Any]) -> str:
    """'7-29 (median 15)', or '150' when every sequence has the same length."""
    if stats["min"] == stats["max"]:
        return str(stats["min"])
    return f"{stats['min']}-{stats['max']} (median {stats['median']:g})"


def _mostly_numbers(series: pd.Series) -> bool:
    """A text column whose non-empty values are mostly numbers: a numeric column with a few typos."""
    present = series.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() > 0.5


# -- reading --


def _check_columns(path: Any, frame: pd.DataFrame, columns: dict[str, Any], wide: bool) -> dict[str, str]:
    """The role columns named by flags (target, id_col, ...), each an existing, distinct column."""
    names = list(frame.columns)
    if wide:
        for key, flag in (("order_col", "--order-col"), ("features", "--features")):
            if columns.get(key) is not None:
                raise OptionError(
                    f"{flag} is for long format (one row per step); with --wide each row is one sequence and its "
                    f"steps are the numeric columns other than the target, id, split and group columns, in file order"
                )
    if not columns.get("target"):
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
            raise _unknown_column(path, flag, name, names)
        for other, taken in roles.items():
            if taken == name:
                raise DataError(f"{path}: {flag} {name!r} cannot also be the {ROLE_FLAGS[other]}")
        roles[key] = name
    return roles


def _choose_features(
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
                raise _unknown_column(path, "--features", name, names)
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
        if not _integer_valued(values):
            continue
        table = pd.DataFrame({"sequence": collected.row_sequence, "value": values})
        grouped = table.groupby("sequence")["value"].agg(["min", "max", "count", "nunique"])
        grouped = grouped[grouped["count"] >= 2]
        if len(grouped) and bool(
            ((grouped["nunique"] == grouped["count"]) & (grouped["max"] - grouped["min"] + 1 == grouped["count"])).all()
        ):
            out.append(name)
    return out


def _per_sequence(path: Any, frame: pd.DataFrame, column: str, flag: str, collected: Collected) -> pd.Series:
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
            f"{path}: {flag} {column!r} must have a value on every row, but line {line_of(missing.idxmax())} "
            f"is empty{hint}"
        )
    counts = series.groupby(collected.row_sequence).nunique()
    if (counts > 1).any():
        position = int(counts.index[(counts > 1).to_numpy()].min())
        a, b = pd.unique(series[collected.row_sequence == position])[:2]
        raise DataError(
            f"{path}: {flag} {column!r} must be constant within a sequence, but sequence "
            f"{_show(collected.ids[position])} holds {_show(a)} and {_show(b)}"
        )
    return series.iloc[collected.first_rows].reset_index(drop=True)


def _class_labels(
    path: Any, frame: pd.DataFrame, column: str, target: pd.Series, collected: Collected
) -> tuple[list[Any], np.ndarray]:
    """(class names in id order, class id per sequence): text sorted, integers numerically, booleans False first."""
    if pd.api.types.is_bool_dtype(target):
        values = [bool(v) for v in target]
    elif pd.api.types.is_numeric_dtype(target):
        numeric_column(frame, column, path, "--target")  # finite on every line
        floats = target.to_numpy(dtype=np.float64)
        bad = floats != np.round(floats)
        if bad.any():
            position = int(np.argmax(bad))
            raise DataError(
                f"{path}: --problem classification needs --target {column!r} to hold class names (text or integers), "
                f"but sequence {_show(collected.ids[position])} holds {_show(target.iloc[position])}; use --problem regression"
            )
        values = [int(v) for v in floats]
    else:
        values = [str(v).strip() for v in target]  # "v1" and "v1 " are one class
    labels = sorted(set(values))
    index = {label: k for k, label in enumerate(labels)}
    return labels, np.array([index[v] for v in values], dtype=np.int64)


def _assign(
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
    n = len(collected.ids)
    split_col = roles.get("split_col")
    if split_col is None:
        how = f"assigned {'/'.join(f'{f:g}' for f in settings.split)} by sequence, seed {seed}"
        how += ", stratified by class" if labels is not None else ""
        how += f", groups of {roles['group_col']!r} kept whole" if groups is not None else ""
        return assign_splits(n, settings.split, seed, labels=labels, groups=groups), how
    raw = frame[split_col]
    names_per_row, unknown = name_splits(raw)
    if unknown is not None or (names_per_row == "").any():
        row = int(np.argmax(names_per_row == ""))
        value = raw.iloc[row]
        held = "is empty" if pd.isna(value) else f"holds {_show(value)}"
        raise DataError(
            f"{path}: --split-col {split_col!r} must hold train, val (or valid, validation, dev) or test in any case, "
            f"but line {line_of(frame.index[row])} {held}"
        )
    _per_sequence(path, frame, split_col, "--split-col", collected)
    names = names_per_row[collected.first_rows].astype(object)
    present = [s for s in SPLITS if (names == s).any()]
    if "train" not in present or "test" not in present:
        raise DataError(
            f"{path}: --split-col {split_col!r} must name train and test sequences (validation may be carved from "
            f"train), but it names only {', '.join(present)}"
        )
    if groups is not None:
        frame_groups = pd.DataFrame({"group": groups, "split": names})
        spans = frame_groups.groupby("group", sort=False)["split"].nunique()
        if (spans > 1).any():
            group = spans.index[(spans > 1).to_numpy()][0]
            held = [s for s in SPLITS if s in set(frame_groups["split"][frame_groups["group"] == group])]
            raise DataError(
                f"{path}: --group-col {roles['group_col']!r} group {_show(group)} spans the {' and '.join(held)} splits "
                f"named by --split-col {split_col!r}; a group's sequences must lie in one split"
            )
    how = f"named by --split-col {split_col!r}"
    if "val" not in present:
        train = np.flatnonzero(names == "train")
        fraction = settings.split[1] / (settings.split[0] + settings.split[1])
        carved = assign_splits(
            len(train),
            (1 - fraction, fraction),
            seed,
            labels=labels[train] if labels is not None else None,
            groups=groups[train] if groups is not None else None,
            names=("train", "val"),
        )
        names[train] = carved
        how += f", validation carved from train: {fraction:.0%}{' stratified by class' if labels is not None else ''}, seed {seed}"
    return names.astype(str), how


def prepare_sequences(request: DataRequest, space: Any = None) -> SequenceData:
    """Read, check, split and encode the CSV of `request` (see the module's rules)."""
    path = request.path
    settings = request.settings if request.settings is not None else SequenceSettings()
    columns = dict(request.columns or {})
    wide = bool((request.options or {}).get("wide", False))
    seed = int(request.seed)

    frame = read_csv(path, encoding=(request.options or {}).get("encoding"))
    frame.columns = [str(c) for c in frame.columns]
    roles = _check_columns(path, frame, columns, wide)
    features, ignored = _choose_features(path, frame, roles, columns.get("features"), wide)
    encoder = SequenceEncoder(
        format="wide" if wide else "long",
        features=features,
        id_col=roles.get("id_col"),
        order_col=roles.get("order_col"),
        stride=settings.stride,
        max_length=settings.max_length,
        scale=settings.scale,
    )
    collected = encoder.collect(frame, path)
    encoder.order_format = collected.order_format
    if int(collected.lengths.max()) < 2 and settings.stride == 1:
        raise DataError(
            f"{path}: every sequence has a single step; an LSTM needs steps to read (is --id-col naming "
            "one id per row, or is it a table of one row per item rather than sequences?)"
        )
    if int(collected.lengths.max()) < 2:
        raise DataError(
            f"{path}: --stride {settings.stride} leaves every sequence a single step (the longest has "
            f"{int(collected.lengths_read.max())}); an LSTM needs steps to read: use a smaller --stride"
        )
    if columns.get("features") is None:
        _check_identifiers(path, frame, features, collected, wide)
    order_like = [] if (wide or roles.get("order_col")) else _step_counters(frame, features, collected)
    if order_like and columns.get("features") is None:
        name = order_like[0]
        raise DataError(
            f"{path}: column {name!r} looks like the step order (consecutive integers within every sequence), but it "
            f"would be read as a feature and the steps taken in file order; pass --order-col {name} "
            f"(or --features to use it as a feature)"
        )
    split_like = [] if roles.get("split_col") else [c for c in ignored if name_splits(frame[c])[1] is None]

    target_col = roles["target"]
    target = _per_sequence(path, frame, target_col, "--target", collected)
    groups = None
    if roles.get("group_col"):
        groups = np.array(
            [plain(v) for v in _per_sequence(path, frame, roles["group_col"], "--group-col", collected)], dtype=object
        )

    n = len(collected.ids)
    if settings.problem == "auto":
        problem, reason = problem_rule(target, n)
    else:
        problem, reason = settings.problem, "set by --problem"
    problem_source = "auto" if settings.problem == "auto" else "set"
    how = f" (auto-detected: {target_col!r} {reason})" if problem_source == "auto" else ""
    objective = objective_for(settings, problem, how)
    if problem == "regression" and settings.class_weight == "auto":
        raise OptionError(
            f"--class-weight auto is for classification, but the problem is regression{how}; leave --class-weight none"
        )

    labels: list[Any] = []
    class_ids = None
    if problem == "classification":
        labels, class_ids = _class_labels(path, frame, target_col, target, collected)
        if len(labels) < 2:
            raise DataError(
                f"{path}: --target {target_col!r} must hold at least 2 classes for classification, but every sequence holds {_show(labels[0])}"
            )
        counts = np.bincount(class_ids, minlength=len(labels))
        if (counts < MIN_PER_CLASS).any():
            k = int(np.argmax(counts < MIN_PER_CLASS))
            raise DataError(
                f"{path}: --target {target_col!r} class {_show(labels[k])} has {counts[k]} sequence{'s' if counts[k] != 1 else ''}; "
                f"every class needs at least {MIN_PER_CLASS} (one per split)"
                + (
                    f"; the problem was taken as classification{how}: pass --problem regression if it is a value"
                    if how
                    else ""
                )
            )
        values = None
    else:
        numeric = numeric_column(frame, target_col, path, "--target")
        values = numeric.iloc[collected.first_rows].to_numpy(dtype=np.float64)

    names, split_how = _assign(path, frame, roles, settings, seed, collected, class_ids, groups)
    index = {s: np.flatnonzero(names == s) for s in SPLITS}
    for split in SPLITS:
        if len(index[split]) == 0:
            raise DataError(
                f"{path}: the {split} split has no sequences ({n} sequences, split {split_how}); "
                f"more sequences, or a larger {split} fraction (--split), are needed"
            )
    if class_ids is not None:
        train_counts = np.bincount(class_ids[index["train"]], minlength=len(labels))
        if (train_counts == 0).any():
            k = int(np.argmax(train_counts == 0))
            raise DataError(
                f"{path}: --target {target_col!r} class {_show(labels[k])} has no sequence in the train split "
                f"({split_how}); every class needs training sequences"
            )

    lengths = collected.lengths
    encoder.fit([collected.steps[i] for i in index["train"]], int(lengths.max()))
    encoder.problem = problem
    if problem == "classification":
        encoder.labels = labels
        y_all = class_ids
    else:
        train_values = values[index["train"]]
        if np.ptp(train_values) == 0:
            raise DataError(
                f"{path}: --target {target_col!r} must vary over the training sequences, but all {len(train_values)} "
                f"hold {train_values[0]:g}: there is nothing to learn"
            )
        encoder.target_scaler = Scaler.fit(train_values[:, None], "standard")
        encoder.train_mean = float(train_values.mean())
        y_all = encoder.target_scaler.transform(values[:, None]).reshape(-1).astype(np.float32)

    x_all, mask_all = encoder.pad(collected.steps)
    return SequenceData(
        path=path,
        settings=settings,
        roles=roles,
        encoder=encoder,
        objective=objective,
        problem=problem,
        problem_source=problem_source,
        problem_reason=reason,
        collected=collected,
        index=index,
        x=x_all,
        mask=mask_all,
        y=y_all,
        values=values,
        features=features,
        ignored=ignored,
        order_like=order_like,
        split_like=split_like,
        rows=len(frame),
        split_how=split_how,
        seed=seed,
        encoding=(request.options or {}).get("encoding"),
    )


class SequenceData(Prepared):
    """The sequences of one CSV, split and encoded: arrays per split for the Keras side, figures in original units.

    x float32 (n, T, F) scaled, zero-padded at the end; mask bool (n, T) true on real steps; y int64
    class ids or float32 standardised targets (n,); ids the sequence ids.
    """

    def __init__(
        self,
        *,
        path: Any,
        settings: SequenceSettings,
        roles: dict[str, str],
        encoder: SequenceEncoder,
        objective: Objective,
        problem: str,
        problem_source: str,
        problem_reason: str,
        collected: Collected,
        index: dict[str, np.ndarray],
        x: np.ndarray,
        mask: np.ndarray,
        y: np.ndarray,
        values: np.ndarray | None,
        features: list[str],
        ignored: list[str],
        order_like: list[str],
        split_like: list[str],
        rows: int,
        split_how: str,
        seed: int,
        encoding: str | None = None,
    ):
        self.path = path
        self.encoding = encoding
        self.settings = settings
        self.roles = roles
        self.encoder = encoder
        self.objective = objective
        self.problem = problem
        self.features = features
        self.index = index
        self._x = {s: x[i] for s, i in index.items()}
        self._mask = {s: mask[i] for s, i in index.items()}
        self.y = {s: y[i] for s, i in index.items()}
        self.ids = {s: np.array([collected.ids[j] for j in i], dtype=object) for s, i in index.items()}
        # Regression targets in original units (None for classification).
        self.target_values = {s: values[i] for s, i in index.items()} if values is not None else None
        self.labels: list[Any] = list(encoder.labels or [])
        self.prior = scoring.class_prior(self.y["train"], len(self.labels)) if problem == "classification" else None
        lengths = collected.lengths
        self.info: dict[str, Any] = {
            "format": encoder.format,
            "rows": int(rows),
            "sequences": len(collected.ids),
            "target": roles["target"],
            "id_col": roles.get("id_col"),
            "order_col": roles.get("order_col"),
            "order_format": encoder.order_format,
            "split_col": roles.get("split_col"),
            "group_col": roles.get("group_col"),
            "features": list(features),
            "ignored_columns": list(ignored),
            "order_like_columns": list(order_like),
            "split_like_columns": list(split_like),
            "lengths_read": _stats(collected.lengths_read),
            "lengths_used": _stats(lengths),
            "stride": settings.stride,
            "max_length": settings.max_length,
            "padded_length": int(encoder.length),
            "truncated": int(collected.truncated),
            "scale": settings.scale,
            "problem": problem,
            "problem_source": problem_source,
            "problem_reason": problem_reason,
            "classes": [plain(v) for v in self.labels],
            "split_counts": {s: int(len(i)) for s, i in index.items()},
            "class_counts": {
                s: {
                    str(label): int(c)
                    for label, c in zip(self.labels, np.bincount(self.y[s], minlength=len(self.labels)))
                }
                for s in SPLITS
            }
            if problem == "classification"
            else {},
            "splits_from": split_how,
            "seed": seed,
        }

    # -- arrays for the Keras side --

    def inputs(self, split: str, values: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x float32 (n, T, F), mask bool (n, T)) of a split."""
        return self._x[split], self._mask[split]

    @property
    def n_features(self) -> int:
        return self.encoder.n_features

    @property
    def max_length(self) -> int:
        """T: the padded length (the longest kept sequence)."""
        return int(self.encoder.length)

    @property
    def figure_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return scoring.CLASSIFICATION_FIGURES if self.problem == "classification" else scoring.REGRESSION_FIGURES

    @property
    def n_classes(self) -> int:
        return len(self.labels) if self.problem == "classification" else 0

    def class_weights(self) -> dict[int, float] | None:
        """Balanced weights n / (K * count) over training sequences when --class-weight auto, else None."""
        if self.problem != "classification" or self.settings.class_weight != "auto":
            return None
        return scoring.balanced_class_weights(self.y["train"], self.n_classes)

    # -- Prepared --

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> pd.DataFrame:
        outputs = np.asarray(outputs, dtype=np.float64)
        frame = pd.DataFrame({"split": split, "item": self.ids[split], "target": self.roles["target"]})
        if self.problem == "classification":
            chosen = scoring.as_probabilities(outputs, self.n_classes).argmax(axis=1)
            frame["truth"] = [self.labels[i] for i in self.y[split]]
            frame["prediction"] = [self.labels[i] for i in chosen]
        else:
            frame["truth"] = self.target_values[split]
            frame["prediction"] = self.encoder.target_scaler.inverse(outputs.reshape(-1, 1)).reshape(-1)
        return frame

    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        outputs = (1 if self.n_classes == 2 else self.n_classes) if self.problem == "classification" else 1
        return ModelShape(steps=self.max_length, width=self.n_features, outputs=outputs)

    def warnings(self, space: Any) -> list[str]:
        return too_few_items(self.path, len(self.y["train"]), "sequence")

    def summary(self) -> str:
        info = self.info
        if info["format"] == "long":
            how = f"long: one row per step, by {info['id_col']!r}, " + (
                f"ordered by {info['order_col']!r}" if info["order_col"] else "in file order"
            )
        else:
            how = "wide: one row per sequence" + (f", ids from {info['id_col']!r}" if info["id_col"] else "")
        parts = [f"{info['sequences']} sequences from {info['rows']} rows ({how})"]
        features = self.features
        shown = ", ".join(features) if len(features) <= 6 else f"{features[0]}, {features[1]} ... {features[-1]}"
        parts.append(
            f"{len(features)} {'step column' if info['format'] == 'wide' else 'feature'}{'s' if len(features) != 1 else ''} {shown}"
        )
        read, used = info["lengths_read"], info["lengths_used"]
        lengths = f"lengths {_span(read)} steps"
        if info["stride"] != 1 or info["max_length"] is not None:
            done = " and ".join(
                ([f"--stride {info['stride']}"] if info["stride"] != 1 else [])
                + ([f"--max-length {info['max_length']}"] if info["max_length"] is not None else [])
            )
            lengths += f", {_span(used)} after {done} ({info['truncated']} truncated)"
        parts.append(lengths + f", padded to {info['padded_length']}")
        if self.problem == "classification":
            problem = f"classification, {self.n_classes} classes"
            other = "regression"
        else:
            problem = "regression"
            other = "classification"
        if info["problem_source"] == "auto":
            problem += f" (auto: {info['target']!r} {info['problem_reason']}; --problem {other} to override)"
        parts.append(problem)
        counts = info["split_counts"]
        parts.append(
            f"train {counts['train']} / val {counts['val']} / test {counts['test']} sequences ({info['splits_from']})"
        )
        parts.append(
            f"inputs scaled per channel ({info['scale']}, on train)" if info["scale"] != "none" else "inputs not scaled"
        )
        if info["ignored_columns"]:
            parts.append(f"ignored {', '.join(info['ignored_columns'])}")
        for column in info["order_like_columns"]:
            parts.append(
                f"{column!r} increases within every sequence: pass --order-col {column} if it orders the steps"
            )
        for column in info["split_like_columns"]:
            parts.append(f"{column!r} names splits: pass --split-col {column} to use them")
        return "; ".join(parts)

    def manifest_data(self) -> dict[str, Any]:
        info = self.info
        settings = dataclasses.asdict(self.settings)
        settings["split"] = list(settings["split"])
        out: dict[str, Any] = {
            "format": info["format"],
            "roles": {key: info[key] for key in ("target", "id_col", "order_col", "split_col", "group_col")},
            "features": list(self.features),
            "ignored_columns": info["ignored_columns"],
            "rows": info["rows"],
            "sequences": info["sequences"],
            "problem": self.problem,
            "problem_source": info["problem_source"],
            "labels": info["classes"],
            "splits": {
                s: {
                    "sequences": info["split_counts"][s],
                    **({"classes": info["class_counts"][s]} if info["class_counts"] else {}),
                }
                for s in SPLITS
            },
            "splits_from": info["splits_from"],
            "lengths": {
                "read": info["lengths_read"],
                "used": info["lengths_used"],
                "padded_to": info["padded_length"],
                "truncated": info["truncated"],
            },
            "settings": settings,
        }
        if self.problem == "regression":
            out["train_mean"] = self.encoder.train_mean
        return out

    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for split in ("val", "test"):
            if self.problem == "classification":
                out[split] = {"prior": scoring.prior_figures(self.y[split], self.prior)}
            else:
                out[split] = {"mean": scoring.mean_figures(self.target_values[split], self.encoder.train_mean)}
        return out

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Figures of raw model outputs for every sequence of `split`, in order (original units)."""
        outputs = np.asarray(outputs, dtype=np.float64)
        if len(outputs) != len(self.y[split]):
            raise ValueError(f"{len(outputs)} outputs for the {len(self.y[split])} sequences of the {split} split")
        if self.problem == "classification":
            truth = self.y[split]
            figures = scoring.classification_figures(
                truth, scoring.as_probabilities(outputs, self.n_classes), self.prior
            )
            figures["majority_accuracy"] = scoring.majority_accuracy(truth, self.prior)
            return figures
        prediction = self.encoder.target_scaler.inverse(outputs.reshape(-1, 1)).reshape(-1)
        return scoring.regression_figures(self.target_values[split], prediction, self.encoder.train_mean)

    def state(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**self.encoder.to_state(), "encoding": self.encoding}

    def check_lines(self, space: Any = None) -> list[str]:
        info = self.info
        counts = info["split_counts"]
        lines = [
            f"sequences: train {counts['train']}, val {counts['val']}, test {counts['test']} ({info['splits_from']})"
        ]
        for split in SPLITS:
            if info["class_counts"]:
                lines.append(
                    f"{split} classes: " + ", ".join(f"{label} {c}" for label, c in info["class_counts"][split].items())
                )
        read, used = info["lengths_read"], info["lengths_used"]
        lines.append(
            f"lengths: {_span(read)} steps read; {_span(used)} used (--stride {info['stride']}, --max-length {info['max_length'] or 'none'}, "
            f"{info['truncated']} truncated); padded to {info['padded_length']}"
        )
        return lines
