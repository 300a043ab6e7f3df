"""Train / validation / test splits and scalers fitted on training rows only (numpy / pandas; no TensorFlow).

- ordered: chronological bounds for forecasting (`split_bounds`);
- stratified and grouped: for one-label-per-item tasks, items of one group (a subject, a duplicate
  text) always land in one split, and class shares are kept close to the data's in every split;
- named: a column whose values name the split (train / val|valid|validation|dev / test, any case).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SPLITS = ("train", "val", "test")
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


@dataclass(frozen=True)
class Scaler:
    """Per-column affine scaling, x' = (x - offset) / scale, fitted on training rows."""

    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, rows: np.ndarray, kind: str) -> Scaler:
        width = rows.shape[1]
        if kind == "none":
            return cls(np.zeros(width), np.ones(width))
        if kind == "standard":
            offset, scale = np.nanmean(rows, axis=0), np.nanstd(rows, axis=0)
        else:  # minmax
            offset = np.nanmin(rows, axis=0)
            scale = np.nanmax(rows, axis=0) - offset
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        return cls(np.nan_to_num(offset), scale)

    @classmethod
    def fit_blocks(cls, blocks: Iterable[np.ndarray], kind: str, width: int) -> Scaler:
        """As `fit`, on rows given a block at a time, so that they are never held whole. Means and
        variances are merged block by block (Chan et al.), NaN skipped as by numpy's nan-functions."""
        if kind == "none":
            return cls(np.zeros(width), np.ones(width))
        count, mean, squares = np.zeros(width), np.zeros(width), np.zeros(width)
        low, high = np.full(width, np.inf), np.full(width, -np.inf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block column: left out below
            for block in blocks:
                n = (~np.isnan(block)).sum(axis=0)
                if kind == "minmax":
                    low, high = np.fmin(low, np.nanmin(block, axis=0)), np.fmax(high, np.nanmax(block, axis=0))
                    continue
                block_mean = np.where(n > 0, np.nanmean(block, axis=0), 0.0)
                block_squares = np.nansum(np.square(block - block_mean), axis=0)
                total = count + n
                share = np.divide(n, total, out=np.zeros(width), where=total > 0)
                delta = block_mean - mean
                mean = mean + delta * share
                squares = squares + block_squares + delta**2 * count * share
                count = total
        if kind == "standard":
            offset = np.where(count > 0, mean, np.nan)
            scale = np.sqrt(np.divide(squares, count, out=np.full(width, np.nan), where=count > 0))
        else:
            offset = np.where(np.isfinite(low), low, np.nan)
            scale = high - offset
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        return cls(np.nan_to_num(offset), scale)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.offset) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.offset

    def to_json(self) -> dict[str, list[float]]:
        return {"offset": np.asarray(self.offset).tolist(), "scale": np.asarray(self.scale).tolist()}

    @classmethod
    def from_json(cls, state: dict[str, list[float]]) -> Scaler:
        return cls(np.asarray(state["offset"], dtype=float), np.asarray(state["scale"], dtype=float))
