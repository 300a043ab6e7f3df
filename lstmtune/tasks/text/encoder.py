"""Text -> token ids and class ids -> labels: one JSON-serialisable object at search and predict time.

Standardisation follows Keras TextVectorization's default ("lower_and_strip_punctuation"): lower-case,
delete the characters of Keras' DEFAULT_STRIP_REGEX, split on whitespace. Lower-casing is Python's
(Unicode: "École" -> "école"), where tf.strings.lower changes ASCII letters only.

Ids: 0 is padding, 1 is out-of-vocabulary, then training words by descending frequency (ties in
alphabetical order). Sequences keep their first tokens and are padded with 0 at the end.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.tasks.scoring import as_probabilities

STANDARDIZE = "lower_and_strip_punctuation"
SPLIT = "whitespace"
# keras.layers.TextVectorization's DEFAULT_STRIP_REGEX (`,-\.` is the range , - .).
STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_STRIP = re.compile(STRIP_REGEX)
PADDING, OOV = "", "[UNK]"
RESERVED = 2  # ids 0 and 1
LABEL_KINDS = ("string", "integer", "boolean")
STATE_VERSION = 1


def standardize(text: str) -> str:
    return _STRIP.sub("", str(text).lower())


def tokenize(text: str) -> list[str]:
    """The words of one text, as the vocabulary and the model see them."""
    return standardize(text).split()


def label_kind(values: Iterable[Any]) -> str:
    """integer when every label is an int (or an integer-valued float), boolean for bools, else string."""
    values = list(values)
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    if values and all(
        isinstance(v, (int, np.integer))
        and not isinstance(v, (bool, np.bool_))
        or isinstance(v, (float, np.floating))
        and math.isfinite(v)
        and float(v).is_integer()
        for v in values
    ):
        return "integer"
    return "string"


def label_name(value: Any, kind: str) -> str:
    """A label's class name: integers without a decimal point ("3", not "3.0")."""
    if kind == "integer":
        return str(int(value))
    return str(value).strip() if kind == "string" else str(bool(value))


def sort_labels(names: Iterable[str], kind: str) -> list[str]:
    """Class names in id order: integers numerically, others as sorted strings."""
    unique = set(names)
    return sorted(unique, key=int) if kind == "integer" else sorted(unique)


class TextEncoder:
    """Tokenizer, vocabulary and label mapping; `to_state()` / `from_state()` for preprocessing.json."""

    def __init__(self, vocabulary: list[str], labels: list[str] | None = None, label_kind: str = "string"):
        if len(vocabulary) < RESERVED or vocabulary[0] != PADDING or vocabulary[1] != OOV:
            raise ValueError(f"a vocabulary starts with {PADDING!r} (padding) and {OOV!r} (out of vocabulary)")
        if label_kind not in LABEL_KINDS:
            raise ValueError(f"label_kind must be one of {', '.join(LABEL_KINDS)}, but got {label_kind!r}")
        self.vocabulary = list(vocabulary)
        self.index = {word: i for i, word in enumerate(self.vocabulary) if i >= RESERVED}
        self.labels = list(labels or [])
        self.label_kind = label_kind
        self.label_index = {name: i for i, name in enumerate(self.labels)}

    # -- vocabulary -------------------------------------------------------------------------

    @classmethod
    def fit(
        cls, train_texts: Iterable[str], max_tokens: int, labels: list[str] | None = None, label_kind: str = "string"
    ) -> TextEncoder:
        """The vocabulary of training texts only: at most `max_tokens` ids, padding and OOV included."""
        return cls.fit_tokens((tokenize(text) for text in train_texts), max_tokens, labels, label_kind)

    @classmethod
    def fit_tokens(
        cls,
        token_lists: Iterable[list[str]],
        max_tokens: int,
        labels: list[str] | None = None,
        label_kind: str = "string",
    ) -> TextEncoder:
        """`fit` for training texts already split by `tokenize` (not split twice)."""
        if max_tokens < RESERVED:
            raise ValueError(f"max_tokens must be >= {RESERVED}, but got {max_tokens}")
        counts: Counter[str] = Counter()
        for words in token_lists:
            counts.update(words)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        words = [word for word, _ in ranked[: max_tokens - RESERVED]]
        return cls([PADDING, OOV, *words], labels, label_kind)

    @property
    def size(self) -> int:
        """Ids in use: padding, OOV and the words."""
        return len(self.vocabulary)

    def ids(self, text: str) -> list[int]:
        return [self.index.get(word, 1) for word in tokenize(text)]

    def encode(self, texts: Iterable[str], sequence_length: int, max_tokens: int | None = None) -> np.ndarray:
        """int32 (n, sequence_length): the first tokens of each text, 0-padded at the end; ids >= max_tokens -> 1."""
        if sequence_length < 1:
            raise ValueError(f"sequence_length must be >= 1, but got {sequence_length}")
        return self.encode_tokens((tokenize(text) for text in texts), sequence_length, max_tokens)

    def encode_tokens(
        self, token_lists: Iterable[list[str]], sequence_length: int, max_tokens: int | None = None
    ) -> np.ndarray:
        """`encode` for texts already split by `tokenize`."""
        if sequence_length < 1:
            raise ValueError(f"sequence_length must be >= 1, but got {sequence_length}")
        token_lists = list(token_lists)
        out = np.zeros((len(token_lists), sequence_length), dtype=np.int32)
        for row, words in enumerate(token_lists):
            ids = [self.index.get(word, 1) for word in words[:sequence_length]]
            out[row, : len(ids)] = ids
        if max_tokens is not None:
            out[out >= max_tokens] = 1
        return out

    @staticmethod
    def token_counts(texts: Iterable[str]) -> np.ndarray:
        """Words per text after standardisation (int64)."""
        return np.array([len(tokenize(text)) for text in texts], dtype=np.int64)

    # -- labels -----------------------------------------------------------------------------

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    def label_values(self) -> list[Any]:
        """The class names in id order with their original type (ints stay ints)."""
        if self.label_kind == "integer":
            return [int(name) for name in self.labels]
        if self.label_kind == "boolean":
            return [name == "True" for name in self.labels]
        return list(self.labels)

    def label_ids(self, values: Iterable[Any]) -> np.ndarray:
        """int64 class ids of raw labels; an unknown label raises KeyError naming it."""
        names = [label_name(v, self.label_kind) for v in values]
        unknown = [n for n in names if n not in self.label_index]
        if unknown:
            raise KeyError(f"unknown label {unknown[0]!r}; known: {', '.join(self.labels)}")
        return np.array([self.label_index[n] for n in names], dtype=np.int64)

    def decode(self, outputs: np.ndarray) -> pd.DataFrame:
        """Model outputs -> `label` (original type) and `p_<class>` per class.

        Outputs are probabilities: (n, 1) or (n,) sigmoid of class 1 for two classes, else (n, K) softmax.
        """
        probabilities = as_probabilities(outputs, self.n_classes)
        values = self.label_values()
        predicted = probabilities.argmax(axis=1)
        frame = pd.DataFrame({"label": pd.Series([values[i] for i in predicted], dtype=object)})
        if self.label_kind == "integer":
            frame["label"] = frame["label"].astype(np.int64)
        elif self.label_kind == "boolean":
            frame["label"] = frame["label"].astype(bool)
        for k, name in enumerate(self.labels):
            frame[f"p_{name}"] = probabilities[:, k]
        return frame

    # -- state ------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "encoder": "text",
            "version": STATE_VERSION,
            "standardize": STANDARDIZE,
            "strip_regex": STRIP_REGEX,
            "split": SPLIT,
            "vocabulary": list(self.vocabulary),
            "labels": list(self.labels),
            "label_kind": self.label_kind,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextEncoder:
        """The encoder saved by `to_state` (other keys of a larger state are ignored)."""
        if state.get("standardize") != STANDARDIZE or state.get("split", SPLIT) != SPLIT:
            raise ValueError(
                f"this lstmtune standardises text as {STANDARDIZE}/{SPLIT}, but the saved encoder used "
                f"{state.get('standardize')!r}/{state.get('split')!r}"
            )
        return cls(list(state["vocabulary"]), list(state.get("labels", [])), state.get("label_kind", "string"))
