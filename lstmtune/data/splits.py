"""Train / validation / test splits (numpy / pandas; no TensorFlow).

- ordered: chronological bounds for forecasting (`split_bounds`);
- stratified and grouped: for one-label-per-item tasks, items of one group (a subject, a duplicate
  text) always land in one split, and class shares are kept close to the data's in every split;
- named: a column whose values name the split (train / val|valid|validation|dev / test, any case);
  it must name train and test items, and when it names no validation items they are carved from
  train (`SplitColumn`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SPLITS = ("train", "val", "test")
REQUIRED_SPLITS = ("train", "test")  # what a split column must name; validation may be carved from train
SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
    "testing": "test",
}


def split_bounds(n_rows: int, split: tuple[float, float, float]) -> tuple[int, int]:
    """(a, b): train rows are [0, a), validation [a, b), test [b, n)."""
    a = int(math.floor(n_rows * split[0] + 1e-9))
    b = a + int(math.floor(n_rows * split[1] + 1e-9))
    return a, b


def name_splits(values: pd.Series) -> tuple[np.ndarray, Any | None]:
    """Map a split column's values to train / val / test. Returns (names, first unknown value or None);
    names hold "" where the value is unknown or missing."""
    names = np.array([SPLIT_NAMES.get(str(v).strip().lower(), "") if pd.notna(v) else "" for v in values], dtype=object)
    unknown = np.flatnonzero(names == "")
    return names, (values.iloc[unknown[0]] if len(unknown) else None)


@dataclass
class SplitColumn:
    """A split column's values as split names, one per item."""

    names: np.ndarray  # object: train / val / test, or "" where the value names no split (empty or unknown)

    @classmethod
    def read(cls, values: pd.Series) -> SplitColumn:
        """The split named by each value (see `name_splits`)."""
        return cls(name_splits(values)[0])

    @property
    def first_unnamed(self) -> int | None:
        """The position of the first item whose value names no split, or None."""
        unnamed = np.flatnonzero(self.names == "")
        return int(unnamed[0]) if len(unnamed) else None

    @property
    def present(self) -> list[str]:
        """The splits named, in SPLITS order."""
        return [split for split in SPLITS if (self.names == split).any()]

    @property
    def absent(self) -> list[str]:
        """The required splits (train, test) no item is named."""
        present = self.present
        return [split for split in REQUIRED_SPLITS if split not in present]

    def carve_validation(
        self,
        fractions: Sequence[float],
        seed: int,
        labels: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ) -> float | None:
        """When no item is named val: validation carved out of the train items, in place, by `assign_splits`
        (seeded, stratified by `labels`, groups kept whole) with the share val / (train + val) of `fractions`.
        Returns that share, or None when the column names validation items."""
        if "val" in self.present:
            return None
        share = fractions[1] / (fractions[0] + fractions[1])
        train = np.flatnonzero(self.names == "train")
        self.names[train] = assign_splits(
            len(train),
            (1.0 - share, share),
            seed,
            labels=labels[train] if labels is not None else None,
            groups=groups[train] if groups is not None else None,
            names=("train", "val"),
        )
        return share


def _group_keys(n: int, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(unique group ids, index of each item's group); every item is its own group when groups is None."""
    if groups is None:
        return np.arange(n), np.arange(n)
    # Numbered in the sorted order of their text, as np.unique would, but by hashing (np.unique sorts
    # every item's key as fixed-width unicode: most of a 100,000-text split's time).
    inverse, uniques = pd.factorize(np.array([str(key) for key in groups], dtype=object), sort=True)
    return np.arange(len(uniques)), inverse


def _group_labels(labels: np.ndarray | None, inverse: np.ndarray, n_groups: int) -> np.ndarray | None:
    """The most frequent label of each group (what stratification sorts groups by)."""
    if labels is None:
        return None
    frame = pd.DataFrame({"group": inverse, "label": np.asarray(labels).astype(str)})
    # One pass: count (group, label) pairs, keep each group's most frequent label (ties: first label).
    counts = frame.groupby(["group", "label"], sort=True).size().reset_index(name="n")
    top = counts.sort_values(["group", "n"], ascending=[True, False], kind="stable").drop_duplicates("group")
    return top.set_index("group")["label"].reindex(range(n_groups)).to_numpy()


def assign_splits(
    n: int,
    fractions: tuple[float, ...],
    seed: int,
    labels: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    names: tuple[str, ...] = SPLITS,
) -> np.ndarray:
    """A split name per item: seeded, stratified by `labels` when given, groups kept whole.

    Groups are shuffled within each label stratum and dealt to the splits so each split's item count
    approaches its fraction, split by split in stratum order (largest stratum first).
    """
    rng = np.random.default_rng(seed)
    group_ids, inverse = _group_keys(n, groups)
    sizes = np.bincount(inverse, minlength=len(group_ids))
    strata = _group_labels(labels, inverse, len(group_ids))
    if strata is None or (
        groups is not None and np.unique(strata.astype(str), return_counts=True)[1].min() < len(names)
    ):
        # Too few groups per class to stratify (e.g. every subject has every class): deal groups as one stratum.
        strata = np.zeros(len(group_ids), dtype=object)
    out_of_group = np.empty(len(group_ids), dtype=object)
    fractions_arr = np.asarray(fractions, dtype=float) / float(np.sum(fractions))
    stratum_names = strata.astype(str)
    stratum_values, stratum_counts = np.unique(stratum_names, return_counts=True)
    split_names = np.asarray(names, dtype=object)
    for stratum in stratum_values[np.argsort(-stratum_counts, kind="stable")]:
        members = np.flatnonzero(stratum_names == stratum)
        members = members[rng.permutation(len(members))]
        member_sizes = sizes[members]
        # Cumulative item targets per split; a group goes to the first split still below its target,
        # counting the items dealt before it (all groups of the stratum at once).
        targets = np.cumsum(fractions_arr) * member_sizes.sum()
        dealt_before = np.cumsum(member_sizes) - member_sizes
        positions = np.searchsorted(targets, dealt_before + member_sizes / 2.0, side="left")
        out_of_group[members] = split_names[np.minimum(positions, len(names) - 1)]
    _fill_empty_splits(out_of_group, names)
    return out_of_group[inverse].astype(str)


def fold_index(
    index: dict[str, np.ndarray],
    number: int,
    folds: int,
    seed: int,
    labels: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The split positions of cross-validation fold `number` (1 .. folds - 1; fold `folds` is `index`
    itself): the training items cut into folds - 1 blocks like `assign_splits` (seeded, stratified by
    `labels`, `groups` kept whole); block `number` validates, the other blocks and the validation items
    train. Test is untouched. A ValueError when the block is empty."""
    train = index["train"]
    names = tuple(str(k) for k in range(1, folds))
    blocks = assign_splits(
        len(train),
        (1.0,) * (folds - 1),
        seed,
        labels=None if labels is None else labels[train],
        groups=None if groups is None else groups[train],
        names=names,
    )
    block = train[blocks == str(number)]
    if len(block) == 0:
        raise ValueError(f"block {number} of the {len(train)} training items cut into {folds - 1} is empty")
    rest = np.sort(np.concatenate([train[blocks != str(number)], index["val"]]))
    return {"train": rest, "val": np.sort(block), "test": index["test"]}


def _fill_empty_splits(assigned: np.ndarray, names: tuple[str, ...]) -> None:
    """With at least one group per split, no split is left empty: an empty one takes the last group
    dealt to the split that has the most groups."""
    if len(assigned) < len(names):
        return
    for name in names:
        if (assigned == name).any():
            continue
        counts = {other: int((assigned == other).sum()) for other in names}
        donor = max(counts, key=lambda other: counts[other])
        assigned[np.flatnonzero(assigned == donor)[-1]] = name
