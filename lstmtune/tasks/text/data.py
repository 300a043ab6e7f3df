"""Text classification data: read the CSV, check texts and labels, split without leakage, encode.

numpy / pandas only. The rows are read and split by lstmtune.tasks.text.rows:

- Rows whose text has no words (empty, blank, NaN, punctuation only) or whose label is missing are
  dropped and counted; with --strict they are an error.
- Texts with the same words (after lower-casing and removing punctuation, so the model sees the same
  input) form one group, and a group never sits in two splits.
- The vocabulary is fitted on training texts only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import plural
from lstmtune.data.csv_reader import read_csv
from lstmtune.data.splits import SPLITS, fold_index
from lstmtune.errors import DataError, SpaceError
from lstmtune.tasks.base import DataRequest, Prepared, too_few_items
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.reference import Reference, timed, with_reference
from lstmtune.tasks.scoring import (
    CLASSIFICATION_FIGURES,
    CLASSIFICATION_OBJECTIVES,
    as_probabilities,
    balanced_class_weights,
    class_prior,
    classification_figures,
    majority_accuracy,
    prior_figures,
    skill_basis,
)
from lstmtune.tasks.text.embeddings import read_vectors
from lstmtune.tasks.text.encoder import TextEncoder
from lstmtune.tasks.text.rows import TextRows, TextSplits, duplicate_counts, read_rows, split_rows, text_columns
from lstmtune.tasks.text.settings import TEXT_SPECS, TextSettings

DEFAULT_ENCODING = "utf-8"
SEQUENCE_PERCENTILE = 95


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
    # Set by prepare_text for --folds: each split's positions among the kept rows, the classes and the
    # texts (identical ones kept in one block) folds are cut by, and how a fold is encoded again.
    fold_at: dict[str, np.ndarray]
    fold_labels: np.ndarray
    fold_groups: np.ndarray
    refold: Callable[[dict[str, np.ndarray]], TextData]

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
        self.skill_basis = skill_basis(settings.objective, settings.class_weight == "auto")
        self.info = info

    # -- arrays for the Keras side ----------------------------------------------------------

    def _length(self, values: dict[str, Any]) -> int:
        length = values.get("sequence_length")
        return self.default_sequence_length if length is None else int(length)

    def fold(self, number: int, folds: int, space: Any = None) -> TextData:
        """Fold `number` of `folds`: fold `folds` is this split; the others cut the training texts into
        folds - 1 blocks (seeded, stratified by class, identical texts in one block), fold k validating on
        block k and training on the rest and on the validation texts, with its own vocabulary."""
        if number == folds:
            return self
        try:
            at = fold_index(self.fold_at, number, folds, self.seed, self.fold_labels, self.fold_groups)
        except ValueError as error:
            raise DataError(f"{self.path}: --folds {folds}: {error}; use fewer folds") from None
        return self.refold(at)

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
        return {
            split: {"prior": prior_figures(self.y[split], self.prior, self.skill_basis)} for split in ("val", "test")
        }

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> dict[str, Any]:
        outputs = np.asarray(outputs)
        if len(outputs) != len(self.y[split]):
            raise ValueError(f"{len(outputs)} outputs for the {len(self.y[split])} {split} rows")
        probabilities = as_probabilities(outputs, self.n_classes)
        figures = classification_figures(self.y[split], probabilities, self.prior, self.skill_basis)
        figures["majority_accuracy"] = self.majority_accuracy(split)
        return figures

    def reference_choices(self) -> tuple[str, ...]:
        return ("tfidf",)

    def reference(self, choice: str) -> Reference:
        from lstmtune.tasks.text.reference import NAME, fit_reference

        self.fitted_reference = timed(lambda: fit_reference(self), NAME)
        return self.fitted_reference

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
            "skill_basis": self.skill_basis,
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
                "sha256": info["embeddings_sha256"],
                "dim": info["embedding_dim"],
                "found": info["embeddings_found"],
                "words": info["embedding_words"],
            },
            "settings": {**dataclasses.asdict(self.settings), "split": list(self.settings.split)},
            "seed": self.seed,
        }

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> pd.DataFrame:
        chosen = as_probabilities(np.asarray(outputs), self.n_classes).argmax(axis=1)
        frame = pd.DataFrame(
            {
                "split": split,
                "item": self.rows[split],
                "target": self.target,
                "truth": [self.labels[i] for i in self.y[split]],
                "prediction": [self.labels[i] for i in chosen],
            }
        )
        return with_reference(frame, split, self.fitted_reference)

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
            text = f"{info['duplicate_rows']} rows are repeats of {plural(info['duplicate_groups'], 'text')}, kept in one split each"
            if self.split_col is not None:
                text = f"{info['duplicate_rows']} rows repeat {plural(info['duplicate_groups'], 'text')}"
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


def prepare_text(request: DataRequest, space: Any) -> TextData:
    """Read, check, split and encode the CSV for a search over `space` (largest max_tokens and sequence_length)."""
    path = Path(request.path)
    settings = request.settings if request.settings is not None else TextSettings()
    options = request.options or {}
    encoding = options.get("encoding") or DEFAULT_ENCODING
    seed = int(request.seed)

    # Only empty fields are missing: "NA", "None" or "null" are texts and labels like any other.
    frame = read_csv(path, encoding=encoding, empty_only=True)
    names = [str(c) for c in frame.columns]
    frame.columns = names
    text_col, target, split_col = text_columns(request, path, names)
    rows = read_rows(frame, path, text_col, target, strict=bool(options.get("strict", False)))
    duplicates = duplicate_counts(rows)
    fractions = tuple(float(f) for f in settings.split)
    splits = split_rows(frame, rows, path, split_col, target, fractions, seed)

    max_tokens = int(space_max(space, "max_tokens"))
    fixed_none = _fixed_none(space)
    embeddings_path = options.get("embeddings")

    def encoded(at: dict[str, np.ndarray], cap: int | None = None, default_length: int | None = None) -> TextData:
        """The rows split by `at`: vocabulary, default length and vectors from its training texts; `cap`
        and `default_length` given (a fold), the search's, so every fold's model reads the same lengths."""
        encoder = TextEncoder.fit_tokens([rows.words[i] for i in at["train"]], max_tokens, rows.labels, rows.kind)
        counts = {split: np.array([len(rows.words[i]) for i in at[split]], dtype=np.int64) for split in SPLITS}
        default_length = default_length or default_sequence_length(counts["train"])
        if cap is None:
            cap = default_length if fixed_none in (True, None) else int(space_max(space, "sequence_length"))
        tokens = {split: encoder.encode_tokens([rows.words[i] for i in at[split]], cap) for split in SPLITS}
        embeddings = None
        digest = hashlib.sha256()  # of the embeddings file, read as it streams: a resume must find the same vectors
        if embeddings_path is not None:
            embeddings = read_vectors(Path(embeddings_path), encoder.vocabulary, seed=seed, digest=digest)
        info: dict[str, Any] = {
            "text_col": text_col,
            "target": target,
            "split_col": split_col,
            "encoding": encoding,
            **_row_info(rows, splits, duplicates, at),
            "max_tokens": max_tokens,
            "vocabulary_size": encoder.size,
            "training_words": len({w for i in at["train"] for w in rows.words[i]}),
            "token_counts": _token_stats(counts["train"]),
            "default_sequence_length": int(default_length),
            "sequence_length_cap": int(cap),
            "truncated_texts": int(sum(int((c > cap).sum()) for c in counts.values())),
            "embeddings": None if embeddings is None else str(embeddings_path),
            "embeddings_sha256": None if embeddings is None else digest.hexdigest(),
            "embedding_dim": None if embeddings is None else int(embeddings[0].shape[1]),
            "embeddings_found": None if embeddings is None else int(embeddings[1]),
            "embedding_words": None if embeddings is None else int(encoder.size - 2),
        }
        record_numbers = np.asarray(rows.index, dtype=np.int64) + 1  # row_of for every kept row at once
        data = TextData(
            path=path,
            text_col=text_col,
            target=target,
            split_col=split_col,
            encoding=encoding,
            settings=settings,
            seed=seed,
            encoder=encoder,
            texts={split: rows.texts[at[split]] for split in SPLITS},
            rows={split: record_numbers[at[split]] for split in SPLITS},
            y={split: rows.y[at[split]] for split in SPLITS},
            token_counts=counts,
            tokens=tokens,
            sequence_cap=cap,
            default_length=default_length,
            embeddings=embeddings,
            info=info,
        )
        data.fold_at, data.fold_labels, data.fold_groups = at, rows.y, rows.texts  # identical texts stay together
        data.refold = lambda fold_at: encoded(fold_at, cap, default_length)
        return data

    return encoded({split: np.flatnonzero(splits.assigned == split) for split in SPLITS})


def _row_info(
    rows: TextRows, splits: TextSplits, duplicates: dict[str, int], at: dict[str, np.ndarray]
) -> dict[str, Any]:
    """What was read, dropped, grouped and split (the rows part of TextData.info)."""
    labels = rows.labels
    return {
        "rows_read": int(rows.read),
        "rows_used": int(len(rows.kept)),
        "rows_dropped": int(rows.dropped.sum()),
        "empty_texts": int(rows.no_words.sum()),
        "missing_labels": int(rows.no_label.sum()),
        "labels": list(labels),
        "label_kind": rows.kind,
        "n_classes": len(labels),
        "classes": {name: int(rows.class_count[name]) for name in labels},
        **duplicates,
        "duplicates_across_splits": splits.across,
        "split_source": splits.source,
        "split_rows": splits.sizes,
        "class_counts": {
            split: {name: int(c) for name, c in zip(labels, np.bincount(rows.y[at[split]], minlength=len(labels)))}
            for split in SPLITS
        },
    }
