"""Text classification data: read the CSV, check texts and labels, split without leakage, encode.

numpy / pandas only. Rows are named "row N", N counting data records from 1 (a quoted text may span
several lines of the file, so record numbers and file lines can differ).

- Rows whose text has no words (empty, blank, NaN, punctuation only) or whose label is missing are
  dropped and counted; with --strict they are an error.
- Texts with the same words (after lower-casing and removing punctuation, so the model sees the same
  input) form one group, and a group never sits in two splits.
- The vocabulary is fitted on training texts only.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.data.csv_reader import _show, _unknown_column, read_csv
from lstmtune.data.splits import SPLITS, assign_splits, name_splits
from lstmtune.errors import DataError, SpaceError
from lstmtune.tasks.base import DataRequest, Prepared, too_few_items
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.scoring import (
    CLASSIFICATION_FIGURES,
    CLASSIFICATION_OBJECTIVES,
    as_probabilities,
    balanced_class_weights,
    class_prior,
    classification_figures,
    majority_accuracy,
    prior_figures,
)
from lstmtune.tasks.text.embeddings import read_vectors
from lstmtune.tasks.text.encoder import TextEncoder, label_kind, label_name, sort_labels, tokenize
from lstmtune.tasks.text.settings import TEXT_SPECS, TextSettings

DEFAULT_ENCODING = "utf-8"
SEQUENCE_PERCENTILE = 95
MIN_CLASS_ROWS = 3  # one per split for a stratified train / validation / test split
SPLIT_VALUES = "train; val, valid, validation or dev; test (any case)"


def row_of(label: Any) -> int:
    """The record number of a frame row (row 1 is the first record after the header)."""
    return int(label) + 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def space_max(space: Any, name: str) -> Any:
    """The largest value hyperparameter `name` can take in the space (its Spec default when absent)."""
    params = getattr(space, "params", None) or {}
    value = params[name].candidates_max() if name in params else None
    return TEXT_SPECS[name].default if value is None else value


def default_sequence_length(train_counts: np.ndarray) -> int:
    """The 95th percentile of training token counts, rounded up, at least 1."""
    if len(train_counts) == 0:
        return 1
    return max(1, int(math.ceil(round(float(np.percentile(train_counts, SEQUENCE_PERCENTILE)), 6))))


def _token_stats(counts: np.ndarray) -> dict[str, Any]:
    if len(counts) == 0:
        return {"p50": 0, "p95": 0, "max": 0, "mean": 0.0}
    return {
        "p50": float(np.percentile(counts, 50)),
        "p95": float(np.percentile(counts, SEQUENCE_PERCENTILE)),
        "max": int(counts.max()),
        "mean": round(float(counts.mean()), 3),
    }


class TextData(Prepared):
    """Texts and labels read, checked, split and encoded; the arrays the Keras side feeds.

    Per split (train / val / test), rows in file order: `texts` (raw strings), `rows` (record
    numbers), `y` (int64 class ids), `tokens` (int32 (n, sequence_cap) ids of the full vocabulary,
    0-padded at the end), `token_counts` (int64 words per text).
    """

    figure_columns = CLASSIFICATION_FIGURES

    def __init__(
        self,
        *,
        path: Path,
        text_col: str,
        target: str,
        split_col: str | None,
        encoding: str,
        settings: TextSettings,
        seed: int,
        encoder: TextEncoder,
        texts: dict[str, np.ndarray],
        rows: dict[str, np.ndarray],
        y: dict[str, np.ndarray],
        token_counts: dict[str, np.ndarray],
        tokens: dict[str, np.ndarray],
        sequence_cap: int,
        default_length: int,
        embeddings: tuple[np.ndarray, int] | None,
        info: dict[str, Any],
    ):
        self.path = path
        self.text_col, self.target, self.split_col, self.encoding = text_col, target, split_col, encoding
        self.settings, self.seed = settings, seed
        self.encoder = encoder
        self.texts, self.rows, self.y = texts, rows, y
        self.token_counts, self.tokens = token_counts, tokens
        self.sequence_cap = sequence_cap
        self.default_sequence_length = default_length
        self.n_classes = encoder.n_classes
        self.labels = list(encoder.labels)
        self.prior = class_prior(y["train"], self.n_classes)
        self._embeddings = embeddings
        self.objective = CLASSIFICATION_OBJECTIVES[settings.objective]
        self.info = info

    # -- arrays for the Keras side ----------------------------------------------------------

    def _length(self, values: dict[str, Any]) -> int:
        length = values.get("sequence_length")
        return self.default_sequence_length if length is None else int(length)

    def inputs(self, split: str, values: dict[str, Any]) -> np.ndarray:
        """int32 (n, values['sequence_length']) ids; ids >= values['max_tokens'] become 1 (out of vocabulary)."""
        length = self._length(values)
        if length > self.sequence_cap:
            raise ValueError(
                f"sequence_length {length} is above {self.sequence_cap}, the largest the space allowed when the data was prepared"
            )
        out = np.ascontiguousarray(self.tokens[split][:, :length])
        max_tokens = values.get("max_tokens")
        if max_tokens is not None and int(max_tokens) < self.encoder.size:
            out = np.where(out >= int(max_tokens), 1, out).astype(np.int32)
        return out

    def class_weights(self) -> dict[int, float] | None:
        """{class id: n / (K * count)} over training rows with class_weight auto, else None."""
        if self.settings.class_weight != "auto":
            return None
        return balanced_class_weights(self.y["train"], self.n_classes)

    def embedding_matrix(self) -> tuple[np.ndarray, int] | None:
        """(float32 (vocabulary size, file dim) matrix, vocabulary words found) with --embeddings, else None."""
        return self._embeddings

    def truncated(self, length: int) -> dict[str, int]:
        """Texts per split with more than `length` words (cut at that sequence_length)."""
        return {split: int((self.token_counts[split] > length).sum()) for split in SPLITS}

    # -- figures ----------------------------------------------------------------------------

    def majority_accuracy(self, split: str) -> float:
        """Share of `split` in the training majority class (the prior baseline's accuracy)."""
        return majority_accuracy(self.y[split], self.prior)

    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {split: {"prior": prior_figures(self.y[split], self.prior)} for split in ("val", "test")}

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> dict[str, Any]:
        outputs = np.asarray(outputs)
        if len(outputs) != len(self.y[split]):
            raise ValueError(f"{len(outputs)} outputs for the {len(self.y[split])} {split} rows")
        figures = classification_figures(self.y[split], as_probabilities(outputs, self.n_classes), self.prior)
        figures["majority_accuracy"] = self.majority_accuracy(split)
        return figures

    # -- records ----------------------------------------------------------------------------

    def state(self, values: dict[str, Any]) -> dict[str, Any]:
        max_tokens = values.get("max_tokens")
        return {
            **self.encoder.to_state(),
            "text_col": self.text_col,
            "target": self.target,
            "encoding": self.encoding,
            "sequence_length": self._length(values),
            "max_tokens": int(max_tokens) if max_tokens is not None else self.encoder.size,
        }

    def manifest_data(self) -> dict[str, Any]:
        info = self.info
        return {
            "text_col": self.text_col,
            "target": self.target,
            "split_col": self.split_col,
            "encoding": self.encoding,
            "labels": list(self.labels),
            "label_kind": self.encoder.label_kind,
            "class_counts": info["class_counts"],
            "rows": {
                key: info[key]
                for key in (
                    "rows_read",
                    "rows_used",
                    "rows_dropped",
                    "empty_texts",
                    "missing_labels",
                    "duplicate_rows",
                    "duplicate_groups",
                    "conflicting_duplicate_groups",
                    "duplicates_across_splits",
                    "split_rows",
                    "split_source",
                )
            },
            "vocabulary_size": info["vocabulary_size"],
            "training_words": info["training_words"],
            "max_tokens": info["max_tokens"],
            "token_counts": info["token_counts"],
            "default_sequence_length": info["default_sequence_length"],
            "sequence_length_cap": info["sequence_length_cap"],
            "truncated_texts": info["truncated_texts"],
            "embeddings": None
            if info["embeddings"] is None
            else {
                "path": info["embeddings"],
                "dim": info["embedding_dim"],
                "found": info["embeddings_found"],
                "words": info["embedding_words"],
            },
            "settings": {**dataclasses.asdict(self.settings), "split": list(self.settings.split)},
            "seed": self.seed,
        }

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> pd.DataFrame:
        chosen = as_probabilities(np.asarray(outputs), self.n_classes).argmax(axis=1)
        return pd.DataFrame(
            {
                "split": split,
                "item": self.rows[split],
                "target": self.target,
                "truth": [self.labels[i] for i in self.y[split]],
                "prediction": [self.labels[i] for i in chosen],
            }
        )

    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        rows = min(int(values["max_tokens"]), self.encoder.size)
        dim = int(values["embedding_dim"])
        return ModelShape(
            steps=self._length(values),
            width=dim,
            outputs=1 if self.n_classes == 2 else self.n_classes,
            input_weights=rows * dim,
        )

    def warnings(self, space: Any) -> list[str]:
        return too_few_items(self.path, len(self.y["train"]), "text")

    def summary(self) -> str:
        info = self.info
        used = f"{info['rows_used']} rows"
        dropped = []
        if info["empty_texts"]:
            dropped.append(f"{info['empty_texts']} without words in {self.text_col!r}")
        if info["missing_labels"]:
            dropped.append(f"{info['missing_labels']} without a label")
        if dropped:
            used += f" ({info['rows_dropped']} of {info['rows_read']} dropped: {', '.join(dropped)})"
        parts = [used]
        parts.append(
            f"{self.n_classes} classes: " + ", ".join(f"{name} {count}" for name, count in info["classes"].items())
        )
        if info["duplicate_rows"]:
            text = f"{info['duplicate_rows']} rows are repeats of {_plural(info['duplicate_groups'], 'text')}, kept in one split each"
            if self.split_col is not None:
                text = f"{info['duplicate_rows']} rows repeat {_plural(info['duplicate_groups'], 'text')}"
                if info["duplicates_across_splits"]:
                    text += f", {info['duplicates_across_splits']} of them in more than one split of {self.split_col!r}"
            if info["conflicting_duplicate_groups"]:
                text += f" ({info['conflicting_duplicate_groups']} with different labels)"
            parts.append(text)
        sizes = info["split_rows"]
        parts.append(
            f"splits train {sizes['train']} / val {sizes['val']} / test {sizes['test']} ({info['split_source']})"
        )
        parts.append(
            f"vocabulary {info['vocabulary_size'] - 2} of {info['training_words']} training words "
            f"(max_tokens {info['max_tokens']}, padding and out-of-vocabulary ids included)"
        )
        parts.append(
            f"default sequence_length {info['default_sequence_length']} (95th percentile of training token counts)"
        )
        if info["truncated_texts"]:
            parts.append(f"{info['truncated_texts']} texts longer than {info['sequence_length_cap']} tokens cut")
        if info["embeddings"] is not None:
            parts.append(
                f"embeddings: {info['embeddings_found']} of {info['embedding_words']} vocabulary words found "
                f"({info['embedding_dim']} dimensions)"
            )
        return "; ".join(parts)

    def check_lines(self, space: Any) -> list[str]:
        info = self.info
        lines = []
        for split in SPLITS:
            counts = ", ".join(f"{name} {count}" for name, count in info["class_counts"][split].items())
            lines.append(f"{split}: {info['split_rows'][split]} rows ({counts})")
        largest = int(space_max(space, "max_tokens"))
        lines.append(
            f"vocabulary: {info['vocabulary_size']} ids (padding and out-of-vocabulary included) of "
            f"{info['training_words']} distinct training words; largest max_tokens {largest}"
        )
        stats = info["token_counts"]
        lines.append(
            f"tokens per training text: median {stats['p50']:g}, 95th percentile {stats['p95']:g}, max {stats['max']}; "
            f"default sequence_length {info['default_sequence_length']}"
        )
        cap = space_max(space, "sequence_length") if _fixed_none(space) is False else self.default_sequence_length
        cut = self.truncated(int(cap))
        if any(cut.values()):
            lines.append(f"texts longer than sequence_length {cap}: " + ", ".join(f"{s} {cut[s]}" for s in SPLITS))
        if info["embeddings"] is not None:
            lines.append(
                f"embeddings {info['embeddings']}: {info['embeddings_found']} of {info['embedding_words']} "
                f"vocabulary words found, {info['embedding_dim']} dimensions"
            )
        return lines

    def fix_defaults(self, space: Any) -> Any:
        """sequence_length fixed at None (the default) becomes the training texts' default length;
        with --embeddings, embedding_dim is the vectors' width (searching it would be a no-op)."""
        fixed: dict[str, Any] = {}
        if _fixed_none(space):
            fixed["sequence_length"] = self.default_sequence_length
        if self._embeddings is not None and "embedding_dim" in getattr(space, "params", {}):
            width = int(self._embeddings[0].shape[1])
            if space.params["embedding_dim"].tunable:
                raise SpaceError(
                    f"{space.source}: hyperparameters.embedding_dim is set by --embeddings {self.info['embeddings']} "
                    f"({width} dimensions), so it cannot be searched; fix it to {width} or leave it out"
                )
            fixed["embedding_dim"] = width
        return space.with_fixed(fixed) if fixed else space


def _fixed_none(space: Any) -> bool | None:
    """True when sequence_length is fixed at None, False when it has a value, None when absent."""
    params = getattr(space, "params", None) or {}
    param = params.get("sequence_length")
    if param is None:
        return None
    return not param.tunable and param.value is None


# --- reading ----------------------------------------------------------------------------------


def _text_value(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _missing_labels(series: pd.Series) -> np.ndarray:
    """Empty cells and labels of spaces only (whatever pandas' string dtype) are missing."""
    blank = np.array([isinstance(v, str) and not v.strip() for v in series], dtype=bool)
    return series.isna().to_numpy().copy() | blank


def _columns(request: DataRequest, path: Path, names: list[str]) -> tuple[str, str, str | None]:
    text_col, target, split_col = (request.columns.get(k) for k in ("text_col", "target", "split_col"))
    for flag, name in (("--text-col", text_col), ("--target", target)):
        if name is None or name == "":
            raise DataError(f"{path}: {flag} is required for the text task; columns are: {', '.join(names)}")
        if name not in names:
            raise _unknown_column(path, flag, name, names)
    if text_col == target:
        raise DataError(f"{path}: --text-col and --target must be different columns, but both are {text_col!r}")
    if split_col is not None:
        if split_col not in names:
            raise _unknown_column(path, "--split-col", split_col, names)
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
                f"holds {_show(series[label])}; the text task is classification: turn the numbers into classes first"
            )


def prepare_text(request: DataRequest, space: Any) -> TextData:
    """Read, check, split and encode the CSV for a search over `space` (largest max_tokens and sequence_length)."""
    path = Path(request.path)
    settings = request.settings if request.settings is not None else TextSettings()
    options = request.options or {}
    encoding = options.get("encoding") or DEFAULT_ENCODING
    strict = bool(options.get("strict", False))
    seed = int(request.seed)

    # Only empty fields are missing: "NA", "None" or "null" are texts and labels like any other.
    frame = read_csv(path, encoding=encoding, empty_only=True)
    names = [str(c) for c in frame.columns]
    frame.columns = names
    text_col, target, split_col = _columns(request, path, names)
    rows_read = len(frame)

    # -- texts and labels: drop (or refuse) rows without words or without a label --
    if pd.api.types.is_numeric_dtype(frame[text_col]) and frame[text_col].notna().any():
        raise DataError(
            f"{path}: --text-col {text_col!r} must hold texts, but every value in it is a number; "
            "name the column that holds the texts"
        )
    raw_texts = [_text_value(v) for v in frame[text_col]]
    words = [tokenize(t) if t is not None else [] for t in raw_texts]
    no_words = np.array([len(w) == 0 for w in words], dtype=bool)
    label_series = frame[target]
    no_label = _missing_labels(label_series)
    _check_label_values(label_series, no_label, path, target)
    dropped = no_words | no_label
    if strict and dropped.any():
        first = int(np.argmax(dropped))
        label = frame.index[first]
        if no_words[first]:
            what = (
                f"has no text in --text-col {text_col!r}"
                if raw_texts[first] is None or not raw_texts[first].strip()
                else f"has no words in --text-col {text_col!r} (holds {raw_texts[first][:40]!r})"
            )
        else:
            what = f"has no label in --target {target!r}"
        raise DataError(
            f"{path}: with --strict every row needs a text with words and a label, but row {row_of(label)} {what} "
            f"({_plural(int(no_words.sum()), 'row')} without words, {_plural(int(no_label.sum()), 'row')} without a label)"
        )
    kept = np.flatnonzero(~dropped)
    if len(kept) == 0:
        raise DataError(
            f"{path}: no row has both words in --text-col {text_col!r} and a label in --target {target!r} "
            f"({rows_read} rows: {int(no_words.sum())} without words, {int(no_label.sum())} without a label)"
        )
    index = frame.index[kept]
    texts = np.array([raw_texts[i] for i in kept], dtype=object)
    kept_words = [words[i] for i in kept]
    label_values = label_series.to_numpy(dtype=object)[kept]
    kind = label_kind(label_values)
    label_names = np.array([label_name(v, kind) for v in label_values], dtype=object)
    labels = sort_labels(label_names, kind)
    class_names, class_sizes = np.unique(label_names, return_counts=True)
    if len(labels) < 2:
        raise DataError(
            f"{path}: --target {target!r} must have at least 2 classes, but all {len(kept)} rows hold "
            f"{_show(int(label_values[0]) if kind == 'integer' else label_values[0])}"
        )
    label_index = {name: i for i, name in enumerate(labels)}
    y_all = np.array([label_index[n] for n in label_names], dtype=np.int64)
    class_count = dict(zip(class_names.tolist(), class_sizes.tolist()))

    # -- duplicate groups: texts the model sees as the same input --
    keys = np.array([" ".join(w) for w in kept_words], dtype=object)
    key_frame = pd.DataFrame({"key": keys, "y": y_all})
    group_sizes = key_frame.groupby("key")["y"].agg(["size", "nunique"])
    repeated = group_sizes[group_sizes["size"] > 1]
    duplicate_rows = int(repeated["size"].sum())
    duplicate_groups = int(len(repeated))
    conflicting = int((repeated["nunique"] > 1).sum())

    # -- splits --
    fractions = tuple(float(f) for f in settings.split)
    across = 0
    carved = False
    if split_col is None:
        small = [
            (labels[k], int(c)) for k, c in enumerate(np.bincount(y_all, minlength=len(labels))) if c < MIN_CLASS_ROWS
        ]
        if small:
            name, count = small[0]
            raise DataError(
                f"{path}: --target {target!r} class {name!r} has {_plural(count, 'row')}, but a stratified train / "
                f"validation / test split needs at least {MIN_CLASS_ROWS} rows per class"
            )
        assigned = assign_splits(len(kept), fractions, seed, labels=y_all, groups=keys)
        source = f"stratified by class, seed {seed}"
    else:
        split_values = frame[split_col].iloc[kept].reset_index(drop=True)
        assigned, unknown = name_splits(split_values)
        assigned = assigned.astype(object)
        if unknown is not None or (assigned == "").any():
            position = int(np.argmax(assigned == ""))
            value = split_values.iloc[position]
            holds = "is empty" if pd.isna(value) else f"holds {_show(value)}"
            raise DataError(
                f"{path}: --split-col {split_col!r} must name a split ({SPLIT_VALUES}), but row {row_of(index[position])} {holds}"
            )
        present = sorted(set(assigned.tolist()), key=SPLITS.index)
        for needed in ("train", "test"):
            if needed not in present:
                raise DataError(
                    f"{path}: --split-col {split_col!r} must name some rows {needed}, but it names only {', '.join(present)}"
                )
        source = f"from {split_col!r}"
        groups = pd.Series(assigned).groupby(keys).nunique()
        across = int((groups > 1).sum())
        if "val" not in present:
            share = fractions[1] / (fractions[0] + fractions[1])
            train_at = np.flatnonzero(assigned == "train")
            carved_names = assign_splits(
                len(train_at),
                (1.0 - share, share),
                seed,
                labels=y_all[train_at],
                groups=keys[train_at],
                names=("train", "val"),
            )
            assigned[train_at] = carved_names
            carved = True
            source += f", validation {share:.3g} of train, stratified by class, seed {seed}"
    assigned = np.asarray(assigned).astype(str)

    in_train = np.bincount(y_all[assigned == "train"], minlength=len(labels))
    for k in np.flatnonzero(in_train == 0):
        where = (
            f"--split-col {split_col!r} names none of them train"
            if split_col is not None and not carved
            else "none landed in the training split (repeated texts are kept together)"
        )
        raise DataError(
            f"{path}: --target {target!r} class {labels[k]!r} has {_plural(class_count[labels[k]], 'row')}, but {where}; "
            "every class needs training rows"
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
                f"{path}: the {split} split is empty ({len(kept)} rows split by {how}: train {sizes['train']}, "
                f"val {sizes['val']}, test {sizes['test']}); every split needs rows: add rows or change the fractions"
            )

    # -- vocabulary (training texts only), lengths, token arrays --
    at = {split: np.flatnonzero(assigned == split) for split in SPLITS}
    max_tokens = int(space_max(space, "max_tokens"))
    encoder = TextEncoder.fit_tokens([kept_words[i] for i in at["train"]], max_tokens, labels, kind)
    training_words = len({w for i in at["train"] for w in kept_words[i]})
    counts = {split: np.array([len(kept_words[i]) for i in at[split]], dtype=np.int64) for split in SPLITS}
    default_length = default_sequence_length(counts["train"])
    fixed_none = _fixed_none(space)
    cap = default_length if fixed_none in (True, None) else int(space_max(space, "sequence_length"))
    tokens = {split: encoder.encode_tokens([kept_words[i] for i in at[split]], cap) for split in SPLITS}

    embeddings = None
    embeddings_path = options.get("embeddings")
    if embeddings_path is not None:
        embeddings = read_vectors(Path(embeddings_path), encoder.vocabulary, seed=seed)

    class_counts = {
        split: {name: int(c) for name, c in zip(labels, np.bincount(y_all[at[split]], minlength=len(labels)))}
        for split in SPLITS
    }
    info: dict[str, Any] = {
        "text_col": text_col,
        "target": target,
        "split_col": split_col,
        "encoding": encoding,
        "rows_read": int(rows_read),
        "rows_used": int(len(kept)),
        "rows_dropped": int(dropped.sum()),
        "empty_texts": int(no_words.sum()),
        "missing_labels": int(no_label.sum()),
        "labels": list(labels),
        "label_kind": kind,
        "n_classes": len(labels),
        "classes": {name: int(class_count[name]) for name in labels},
        "duplicate_rows": duplicate_rows,
        "duplicate_groups": duplicate_groups,
        "conflicting_duplicate_groups": conflicting,
        "duplicates_across_splits": across,
        "split_source": source,
        "split_rows": sizes,
        "class_counts": class_counts,
        "max_tokens": max_tokens,
        "vocabulary_size": encoder.size,
        "training_words": int(training_words),
        "token_counts": _token_stats(counts["train"]),
        "default_sequence_length": int(default_length),
        "sequence_length_cap": int(cap),
        "truncated_texts": int(sum(int((c > cap).sum()) for c in counts.values())),
        "embeddings": None if embeddings is None else str(embeddings_path),
        "embedding_dim": None if embeddings is None else int(embeddings[0].shape[1]),
        "embeddings_found": None if embeddings is None else int(embeddings[1]),
        "embedding_words": None if embeddings is None else int(encoder.size - 2),
    }
    record_numbers = np.asarray(index, dtype=np.int64) + 1  # row_of for every kept row at once
    return TextData(
        path=path,
        text_col=text_col,
        target=target,
        split_col=split_col,
        encoding=encoding,
        settings=settings,
        seed=seed,
        encoder=encoder,
        texts={split: texts[at[split]] for split in SPLITS},
        rows={split: record_numbers[at[split]] for split in SPLITS},
        y={split: y_all[at[split]] for split in SPLITS},
        token_counts=counts,
        tokens=tokens,
        sequence_cap=cap,
        default_length=default_length,
        embeddings=embeddings,
        info=info,
    )


# --- prediction -------------------------------------------------------------------------------


def encode_frame(state: dict[str, Any], frame: pd.DataFrame, source: str) -> tuple[np.ndarray, pd.Index]:
    """Model inputs for every row of a new CSV (labels not needed): (int32 (n, sequence_length), index).

    Every row is predicted, so a row without words is an error naming it rather than dropped.
    """
    encoder = TextEncoder.from_state(state)
    text_col = state["text_col"]
    names = [str(c) for c in frame.columns]
    if text_col not in names:
        close = difflib.get_close_matches(text_col, names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"{source}: the model reads texts from column {text_col!r}, which is not a column{hint}; columns are: {', '.join(names)}"
        )
    column = frame.iloc[:, names.index(text_col)]
    texts = [_text_value(v) for v in column]
    for position, text in enumerate(texts):
        if text is None or not tokenize(text):
            holds = "is empty" if text is None or not text.strip() else f"holds {text[:40]!r}, which has no words"
            raise DataError(
                f"{source}: every row needs a text to predict, but row {row_of(position)} of column {text_col!r} {holds}"
            )
    inputs = encoder.encode(texts, int(state["sequence_length"]), max_tokens=state.get("max_tokens"))
    return inputs, frame.index
