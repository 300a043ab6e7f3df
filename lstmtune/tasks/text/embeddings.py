"""Pretrained word vectors (--embeddings FILE) for the vocabulary: GloVe or word2vec text format.

One word then its numbers per line, space-separated; word2vec's first line "N D" is skipped. The file
is streamed and only vectors of vocabulary words are kept, so a large file costs no memory. A word is
looked up as written, else lower-cased (the vocabulary is lower-case); an exact match wins.
Rows of words not in the file are random normal (seeded) scaled to the std of the vectors found;
row 0 (padding) is zeros.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstmtune.core.text import plural
from lstmtune.data.files import UNLIMITED, regular_file
from lstmtune.errors import DataError
from lstmtune.space.specs import MAX_UNITS

FLAG = "--embeddings"


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_vectors(path: Path | str, vocabulary: list[str], seed: int = 0, digest: Any = None) -> tuple[np.ndarray, int]:
    """(matrix float32 (len(vocabulary), D), how many vocabulary words were found).

    `vocabulary` is TextEncoder.vocabulary: id 0 padding, id 1 out-of-vocabulary, then words; found
    counts words (ids >= 2) only. Every unusable line is one DataError naming the file and line.
    `digest` (a hashlib object), when given, is fed the file's bytes as they stream past (one read).
    """
    path = Path(path)
    wanted = {word: i for i, word in enumerate(vocabulary) if i >= 2}
    # Streamed line by line, so no size limit; a device or pipe would be read forever.
    regular_file(path, f"{FLAG} file", DataError, max_bytes=UNLIMITED)
    read = _read_file(path, wanted, digest)
    if read.dim is None or not read.vector_lines:
        raise DataError(f"{path}: {FLAG} holds no vectors; a word then its numbers are needed on every line")
    words = len(wanted)
    if words and not read.vectors:
        sample = ", ".join(repr(w) for w in list(wanted)[:3])
        raise DataError(
            f"{path}: {FLAG} holds none of the {words} vocabulary words (e.g. {sample}); its words must be "
            "lower-case words like the texts' after removing punctuation"
        )
    return _matrix(read.vectors, len(vocabulary), read.dim, seed), len(read.vectors)


class _Vectors:
    """What a streamed read of the file has found so far: the width and the vectors of vocabulary words."""

    def __init__(self, path: Path, wanted: dict[str, int]):
        self.path = path
        self.wanted = wanted  # vocabulary word -> id
        self.vectors: dict[int, np.ndarray] = {}
        self.exact: set[int] = set()  # ids whose vector came from the word as written (not lower-cased)
        self.dim: int | None = None
        self.source = ""  # what fixed the width, for messages: "the header says" or "line N has"
        self.vector_lines = 0

    def fix_width(self, parts: list[str], number: int, line: str) -> bool:
        """Take the width from the first line; True when that line is a word2vec header "N D" (no vector)."""
        if len(parts) == 2 and _is_int(parts[0]) and _is_int(parts[1]):
            self.dim = int(parts[1])  # word2vec header "N D"
            self._check_width(self.dim, "the header says")
            if self.dim < 1:
                raise DataError(
                    f"{self.path}: {FLAG} line 1 is a word2vec header 'N D' whose D must be >= 1, but got {parts[1]}"
                )
            self.source = "the header says"
            return True
        self.dim = len(parts) - 1
        self.source = f"line {number} has"
        self._check_width(self.dim, f"line {number} has")
        if self.dim < 1:
            raise DataError(
                f"{self.path}: {FLAG} line {number} must be a word then its numbers, but holds {line[:40]!r}"
            )
        return False

    def _check_width(self, dim: int, source: str) -> None:
        """At the first line: vectors wider than embedding_dim's bound would pass planning only to fail
        the model (and a very wide file cost gigabytes to read)."""
        if dim > MAX_UNITS:
            raise DataError(
                f"{self.path}: {FLAG} vectors must be at most {MAX_UNITS} wide (embedding_dim's bound), "
                f"but {source} {dim}"
            )

    def add(self, parts: list[str], number: int) -> None:
        """One line of a word and its numbers: checked, and kept when the word is in the vocabulary."""
        dim = self.dim
        assert dim is not None
        if len(parts) < dim + 1 or (len(parts) > dim + 1 and _is_number(parts[1])):
            raise DataError(
                f"{self.path}: {FLAG} line {number} has {plural(len(parts) - 1, 'value')} after "
                f"the word, but {self.source} {dim}; every line must be a word and the same count of numbers"
            )
        self.vector_lines += 1
        # GloVe 840B has a few words with spaces: the last `dim` fields are the numbers.
        word = " ".join(parts[: len(parts) - dim])
        index = self.wanted.get(word)
        is_exact = index is not None
        if index is None:
            index = self.wanted.get(word.lower())
            if index is None or index in self.vectors:
                return
        elif index in self.exact:
            return
        try:
            vector = np.array(parts[len(parts) - dim :], dtype=np.float32)
        except ValueError:
            bad = next(p for p in parts[len(parts) - dim :] if not _is_number(p))
            raise DataError(
                f"{self.path}: {FLAG} line {number} must hold numbers after the word {word!r}, but holds {bad[:20]!r}"
            ) from None
        if not np.isfinite(vector).all():
            raise DataError(f"{self.path}: {FLAG} line {number} must hold finite numbers after the word {word!r}")
        self.vectors[index] = vector
        if is_exact:
            self.exact.add(index)


def _read_file(path: Path, wanted: dict[str, int], digest: Any = None) -> _Vectors:
    """The file streamed line by line into the vectors of `wanted` words (and into `digest`)."""
    read = _Vectors(path, wanted)
    lines = 0
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                lines = number
                if digest is not None:
                    digest.update(raw)
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n").rstrip(" ")
                if not line.strip():
                    if number == 1:
                        raise DataError(
                            f"{path}: {FLAG} line 1 is empty; a word then its numbers are needed on every line"
                        )
                    continue
                parts = line.split(" ")
                if read.dim is None and read.fix_width(parts, number, line):
                    continue
                read.add(parts, number)
    except PermissionError:
        raise DataError(f"{path}: {FLAG} permission denied") from None
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: {FLAG} line {lines} is not UTF-8 text; a GloVe or word2vec text file is needed "
            "(binary word2vec files are not read)"
        ) from None
    return read


def _matrix(vectors: dict[int, np.ndarray], size: int, dim: int, seed: int) -> np.ndarray:
    """float32 (size, dim): the vectors found at their ids, random normal (seeded) rows scaled to their std
    elsewhere, zeros for padding."""
    found = np.stack(list(vectors.values())) if vectors else np.zeros((0, dim), dtype=np.float32)
    scale = float(found.std()) if found.size else 1.0
    scale = scale if scale > 0 else 1.0
    rng = np.random.default_rng(seed)
    matrix = (rng.standard_normal((size, dim)) * scale).astype(np.float32)
    for index, vector in vectors.items():
        matrix[index] = vector
    matrix[0] = 0.0
    return matrix
