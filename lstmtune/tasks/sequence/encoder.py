"""Rows of a CSV -> padded sequences and masks, and model outputs -> labels or values (numpy / pandas only).

One `SequenceEncoder` reads the data at search time (`SequenceData` builds its arrays with it) and at
prediction time (`from_state` of preprocessing.json, then `encode_frame` on a new CSV), so both follow
the same rules:

- long format: one row per step; rows with one `id_col` value form a sequence, ordered by `order_col`
  (numbers or dates) or else by file order; sequences are ordered by id (numbers numerically, text in
  natural order: s2 before s10), so shuffling the rows changes nothing;
- wide format: one row per sequence, its steps the step columns in file order (UCR style t0 ... tN);
  trailing empty cells make a shorter sequence; sequences keep file order; ids are `id_col` values or
  else data rows (1 is the first row after the header);
- every `stride`-th step is kept, then at most the first `max_length` steps (and, once fitted, at most
  the padded length the model was trained with);
- each channel is scaled by a Scaler fitted on training sequences' real steps; sequences are padded with
  zeros at the end, and the mask marks real steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import shown
from lstmtune.data.csv_reader import numeric_column, row_of
from lstmtune.data.dates import pandas_reason, read_dates
from lstmtune.data.scaler import Scaler
from lstmtune.errors import DataError
from lstmtune.tasks.scoring import as_probabilities

FORMATS = ("long", "wide")
STATE_KEYS = (
    "format",
    "id_col",
    "order_col",
    "order_format",
    "features",
    "stride",
    "max_length",
    "length",
    "scale",
    "scaler",
    "problem",
    "labels",
    "target_scaler",
    "train_mean",
)


def plain(value: Any) -> Any:
    """A cell value as a plain Python value (numpy scalars unwrapped; integer-valued floats kept as floats)."""
    return value.item() if hasattr(value, "item") else value


def natural_key(value: Any) -> tuple:
    """Sort key for sequence ids: numbers numerically, text with its digit runs as numbers (s2 < s10)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return (0, (float(value),), "")
    text = str(value)
    parts = tuple(
        (0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p) for p in re.split(r"([0-9]+)", text) if p
    )
    return (1, parts, text)


@dataclass
class Collected:
    """Sequences read from a frame, before scaling and padding."""

    ids: list[Any]  # one per sequence, in array order
    steps: list[np.ndarray]  # (kept length, F) float64 per sequence, after stride and max_length
    lengths_read: np.ndarray  # steps per sequence as read
    first_rows: np.ndarray  # position (in the frame) of each sequence's first step
    row_sequence: np.ndarray  # per frame row: the position of its sequence
    truncated: int  # sequences cut by max_length (or the trained padded length)
    order_format: str | None  # "number", a date format, or None (file order / wide)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(s) for s in self.steps], dtype=np.int64)


def parse_order(
    series: pd.Series, source: Any, column: str, fmt: str | None, flag: str = "--order-col"
) -> tuple[np.ndarray, str]:
    """An order column as sortable int64 / float64 keys and the format used ("number" or a date format).

    With fmt None, numbers are read as numbers and anything else as dates of ONE format (ISO 8601, or the
    format guessed from the first row); at prediction time the format of the search is passed back in.
    """
    missing = series.isna()
    if missing.any():
        raise DataError(
            f"{source}: {flag} {column!r} must have a value on every row, but row {row_of(missing.idxmax())} is empty"
        )
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if fmt == "number" or (fmt is None and numeric):
        return numeric_column(pd.DataFrame({column: series}), column, source, flag).to_numpy(), "number"
    if fmt is None:
        numbers = pd.to_numeric(series, errors="coerce")
        if pd.notna(numbers.iloc[0]):  # numbers from the first row on: the first that is not one is the culprit
            label = numbers.isna().idxmax()
            raise DataError(
                f"{source}: {flag} {column!r} must hold numbers (as from row {row_of(series.index[0])}), "
                f"but row {row_of(label)} holds {shown(series[label])}"
            )
    try:
        parsed, used = read_dates(series.astype(str), fmt)
    except (ValueError, TypeError) as exc:  # e.g. mixed time zones
        first = pandas_reason(exc)
        raise DataError(
            f"{source}: {flag} {column!r} must hold numbers, or dates in one format and time zone ({first})"
        ) from None
    bad = parsed.isna()
    if bad.any():
        label = bad.idxmax()
        rule = (
            f"must hold numbers or dates in one format (read as {used} from row {row_of(series.index[0])})"
            if used
            else "must hold numbers or dates"
        )
        raise DataError(f"{source}: {flag} {column!r} {rule}, but row {row_of(label)} holds {shown(series[label])}")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy().astype("int64"), str(used)


class SequenceEncoder:
    """How rows become (x, mask) and outputs become labels or values; JSON state for preprocessing.json."""

    def __init__(
        self,
        format: str,
        features: list[str],
        id_col: str | None = None,
        order_col: str | None = None,
        order_format: str | None = None,
        stride: int = 1,
        max_length: int | None = None,
        length: int | None = None,
        scale: str = "standard",
        scaler: Scaler | None = None,
        problem: str | None = None,
        labels: list[Any] | None = None,
        target_scaler: Scaler | None = None,
        train_mean: float | None = None,
    ):
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, but got {format!r}")
        self.format = format
        self.features = list(features)  # long: feature columns; wide: step columns in order
        self.id_col = id_col
        self.order_col = order_col
        self.order_format = order_format
        self.stride = int(stride)
        self.max_length = max_length
        self.length = length  # T, the padded length (set by fit)
        self.scale = scale
        self.scaler = scaler
        self.problem = problem
        self.labels = labels
        self.target_scaler = target_scaler
        self.train_mean = train_mean

    # -- shape --

    @property
    def n_features(self) -> int:
        return len(self.features) if self.format == "long" else 1

    @property
    def n_classes(self) -> int:
        return len(self.labels) if self.problem == "classification" and self.labels else 0

    @property
    def cap(self) -> int | None:
        """The most steps a sequence keeps after the stride: max_length, and the trained length once fitted."""
        caps = [c for c in (self.max_length, self.length) if c is not None]
        return min(caps) if caps else None

    # -- reading --

    def collect(self, frame: pd.DataFrame, source: Any) -> Collected:
        """Read the sequences of a frame whose columns are checked (strings, the ones needed present)."""
        if len(frame) == 0:
            raise DataError(f"{source}: has no data rows")
        collected = self._collect_long(frame, source) if self.format == "long" else self._collect_wide(frame, source)
        cap = self.cap
        kept, truncated = [], 0
        for steps in collected.steps:
            strided = steps[:: self.stride]
            if cap is not None and len(strided) > cap:
                strided = strided[:cap]
                truncated += 1
            kept.append(strided)
        collected.steps = kept
        collected.truncated = truncated
        return collected

    def _collect_long(self, frame: pd.DataFrame, source: Any) -> Collected:
        ids_column = frame[self.id_col]
        missing = ids_column.isna()
        if missing.any():
            raise DataError(
                f"{source}: --id-col {self.id_col!r} must have a value on every row, but row {row_of(missing.idxmax())} is empty"
            )
        codes, uniques = pd.factorize(ids_column, sort=False)
        unique_values = [plain(v) for v in uniques]
        in_order = sorted(range(len(unique_values)), key=lambda i: natural_key(unique_values[i]))
        position = np.empty(len(unique_values), dtype=np.int64)
        position[in_order] = np.arange(len(unique_values))
        row_sequence = position[codes]
        ids = [unique_values[i] for i in in_order]

        order_format = None
        if self.order_col is not None:
            keys, order_format = parse_order(frame[self.order_col], source, self.order_col, self.order_format)
        else:
            keys = np.arange(len(frame))
        perm = np.lexsort((keys, row_sequence))
        sorted_sequence, sorted_keys = row_sequence[perm], keys[perm]
        same = (sorted_sequence[1:] == sorted_sequence[:-1]) & (sorted_keys[1:] == sorted_keys[:-1])
        if same.any():
            i = int(np.argmax(same))
            a, b = sorted(frame.index[perm[[i, i + 1]]])
            raise DataError(
                f"{source}: --order-col {self.order_col!r} must not repeat within a sequence, but sequence "
                f"{shown(ids[sorted_sequence[i]])} holds {shown(frame[self.order_col][a])} on rows {row_of(a)} and {row_of(b)}"
            )

        values = self._values(frame, source, "feature")
        empty = np.isnan(values)
        if empty.any():
            row, col = np.argwhere(empty)[0]
            raise DataError(
                f"{source}: feature column {self.features[col]!r} is empty on row {row_of(frame.index[row])} "
                f"(sequence {shown(ids[row_sequence[row]])}); sequences must be complete: every step needs a value "
                f"in every feature column"
            )
        starts = np.flatnonzero(np.r_[True, sorted_sequence[1:] != sorted_sequence[:-1]])
        ends = np.r_[starts[1:], len(perm)]
        steps = [values[perm[s:e]] for s, e in zip(starts, ends)]
        return Collected(
            ids=ids,
            steps=steps,
            lengths_read=ends - starts,
            first_rows=perm[starts],
            row_sequence=row_sequence,
            truncated=0,
            order_format=order_format,
        )

    def _collect_wide(self, frame: pd.DataFrame, source: Any) -> Collected:
        present = [c for c in self.features if c in frame.columns]
        if present != self.features[: len(present)] or not present:
            missing = [c for c in self.features if c not in frame.columns]
            raise DataError(
                f"{source}: must have the model's step columns from the first on ({self.features[0]} ...), "
                f"but {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} {'is' if len(missing) == 1 else 'are'} missing"
            )
        values = self._values(frame, source, "step", present)
        filled = ~np.isnan(values)
        width = values.shape[1]
        lengths = np.where(filled.any(axis=1), width - np.argmax(filled[:, ::-1], axis=1), 0)
        ragged = filled.sum(axis=1) != lengths
        if ragged.any():
            row = int(np.argmax(ragged))
            col = int(np.argmax(~filled[row]))
            raise DataError(
                f"{source}: the sequence on row {row_of(frame.index[row])} has an empty cell in column {present[col]!r} "
                f"before later values; in wide format only trailing cells may be empty (a shorter sequence)"
            )
        if (lengths == 0).any():
            row = int(np.argmax(lengths == 0))
            raise DataError(
                f"{source}: the sequence on row {row_of(frame.index[row])} has no values in its step columns "
                f"({present[0]} ... {present[-1]}); every sequence needs at least one step"
            )
        if self.id_col is not None:
            column = frame[self.id_col]
            missing = column.isna()
            if missing.any():
                raise DataError(
                    f"{source}: --id-col {self.id_col!r} must have a value on every row, but row {row_of(missing.idxmax())} is empty"
                )
            repeated = column.duplicated(keep=False)
            if repeated.any():
                first = column[repeated].iloc[0]
                rows = [row_of(label) for label in column.index[(column == first).to_numpy()][:2]]
                raise DataError(
                    f"{source}: --id-col {self.id_col!r} must name each sequence once in wide format (one row per "
                    f"sequence), but {shown(first)} is on rows {rows[0]} and {rows[1]}"
                )
            ids = [plain(v) for v in column]
        else:
            ids = [row_of(label) for label in frame.index]  # the data row: 1 is the first after the header
        steps = [values[i, : lengths[i], None] for i in range(len(values))]
        n = len(values)
        return Collected(
            ids=ids,
            steps=steps,
            lengths_read=lengths.astype(np.int64),
            first_rows=np.arange(n),
            row_sequence=np.arange(n),
            truncated=0,
            order_format=None,
        )

    def _values(self, frame: pd.DataFrame, source: Any, role: str, columns: list[str] | None = None) -> np.ndarray:
        columns = self.features if columns is None else columns
        return np.column_stack([numeric_column(frame, c, source, role).to_numpy(dtype=np.float64) for c in columns])

    # -- fitting and encoding --

    def fit(self, train_steps: list[np.ndarray], length: int) -> None:
        """Fit the per-channel scaler on training sequences' real steps and fix the padded length."""
        rows = np.concatenate(train_steps, axis=0) if train_steps else np.zeros((0, self.n_features))
        self.scaler = Scaler.fit(rows, self.scale)
        self.length = int(length)

    def pad(self, steps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Scale and pad at the end: x float32 (n, T, F) with zeros after each sequence's end, mask bool (n, T)."""
        if self.scaler is None or self.length is None:
            raise ValueError("the encoder is not fitted")
        n, length = len(steps), self.length
        x = np.zeros((n, length, self.n_features), dtype=np.float32)
        mask = np.zeros((n, length), dtype=bool)
        for i, sequence in enumerate(steps):
            k = min(len(sequence), length)
            x[i, :k] = self.scaler.transform(sequence[:k])
            mask[i, :k] = True
        return x, mask

    def needed_columns(self) -> list[str]:
        """Columns a new CSV must have (wide: at least the first step column)."""
        if self.format == "wide":
            return [c for c in (self.id_col,) if c] + self.features[:1]
        return [c for c in (self.id_col, self.order_col) if c] + self.features

    def encode_frame(
        self, frame: pd.DataFrame, source: Any = "the data"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """(x float32 (n, T, F), mask bool (n, T), ids object (n,), each sequence's frame row positions) for
        the sequences of a new CSV's frame (see encode_frame_with_notes)."""
        return self.encode_frame_with_notes(frame, source)[:4]

    def encode_frame_with_notes(
        self, frame: pd.DataFrame, source: Any = "the data"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list[str]]:
        """encode_frame's arrays and what reading left out, in words: sequences cut to the trained length,
        columns the model does not read.

        Read by the rules of the search; the target, split and group columns are not needed (and are ignored).
        """
        frame = frame.copy()
        frame.columns = [str(c) for c in frame.columns]
        missing = [c for c in self.needed_columns() if c not in frame.columns]
        if missing:
            raise DataError(
                f"{source}: must have the columns the model was trained with; missing: {', '.join(missing)}"
            )
        collected = self.collect(frame, source)
        x, mask = self.pad(collected.steps)
        order = np.argsort(collected.row_sequence, kind="stable")
        counts = np.bincount(collected.row_sequence, minlength=len(collected.ids))
        rows = np.split(order, np.cumsum(counts)[:-1])
        return x, mask, np.array(collected.ids, dtype=object), rows, self._notes(frame, collected, source)

    def _notes(self, frame: pd.DataFrame, collected: Collected, source: Any) -> list[str]:
        notes = []
        if collected.truncated:
            stride = f" (after --stride {self.stride})" if self.stride != 1 else ""
            notes.append(
                f"{source}: {collected.truncated} of {len(collected.ids)} sequences are longer than the {self.cap} "
                f"steps the model reads{stride} (the longest has {int(collected.lengths_read.max())} steps as read): "
                "only their first steps were used"
            )
        read = {c for c in (self.id_col, self.order_col) if c} | set(self.features)
        ignored = [c for c in frame.columns if c not in read]
        if ignored:
            shown = ", ".join(ignored[:6]) + (f" and {len(ignored) - 6} more" if len(ignored) > 6 else "")
            notes.append(f"{source}: not read by the model: {shown}")
        return notes

    def decode(self, outputs: np.ndarray, ids: Any) -> pd.DataFrame:
        """One row per sequence: id, then label and p_<class> per class, or value (original units)."""
        ids = list(ids)
        outputs = np.asarray(outputs, dtype=np.float64)
        if len(outputs) != len(ids):
            raise ValueError(f"{len(outputs)} outputs for {len(ids)} sequences")
        if self.problem == "classification":
            labels = list(self.labels or [])
            probabilities = as_probabilities(outputs, len(labels))
            out = pd.DataFrame(
                {"id": ids, "label": pd.Series([labels[k] for k in probabilities.argmax(axis=1)], dtype=object)}
            )
            out["label"] = out["label"].infer_objects()
            for k, label in enumerate(labels):
                out[f"p_{label}"] = probabilities[:, k]
            return out
        if self.target_scaler is None:
            raise ValueError("the encoder has no target scaler")
        values = self.target_scaler.inverse(outputs.reshape(-1, 1)).reshape(-1)
        return pd.DataFrame({"id": ids, "value": values})

    # -- state --

    def to_state(self) -> dict[str, Any]:
        """JSON-ready: everything needed to encode new rows and decode outputs."""
        return {
            "format": self.format,
            "id_col": self.id_col,
            "order_col": self.order_col,
            "order_format": self.order_format,
            "features": list(self.features),
            "stride": self.stride,
            "max_length": self.max_length,
            "length": self.length,
            "scale": self.scale,
            "scaler": self.scaler.to_json() if self.scaler is not None else None,
            "problem": self.problem,
            "labels": [plain(v) for v in self.labels] if self.labels is not None else None,
            "target_scaler": self.target_scaler.to_json() if self.target_scaler is not None else None,
            "train_mean": self.train_mean,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SequenceEncoder:
        """Rebuild from to_state()'s object; a malformed one is a ValueError saying what must hold."""
        if not isinstance(state, dict) or any(key not in state for key in STATE_KEYS):
            raise ValueError(f"it must be an object with {', '.join(STATE_KEYS)}")
        return cls(
            format=state["format"],
            features=state["features"],
            id_col=state["id_col"],
            order_col=state["order_col"],
            order_format=state["order_format"],
            stride=state["stride"],
            max_length=state["max_length"],
            length=state["length"],
            scale=state["scale"],
            scaler=Scaler.from_json(state["scaler"], "scaler") if state["scaler"] is not None else None,
            problem=state["problem"],
            labels=state["labels"],
            target_scaler=Scaler.from_json(state["target_scaler"], "target_scaler")
            if state["target_scaler"] is not None
            else None,
            train_mean=state["train_mean"],
        )
