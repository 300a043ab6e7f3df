"""Per-column scaling fitted on training rows only (numpy; no TensorFlow)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


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
    def from_json(cls, state: dict[str, list[float]], name: str = "scaler", width: int | None = None) -> Scaler:
        """The scaler `to_json` wrote; ValueError naming `name` unless its offsets are finite, its scales
        finite and above 0 (as `fit` leaves them), and both `width` long when given."""
        if not isinstance(state, dict) or "offset" not in state or "scale" not in state:
            raise ValueError(f"{name} must be an object with offset and scale")
        offset, scale = np.asarray(state["offset"], dtype=float), np.asarray(state["scale"], dtype=float)
        if offset.ndim != 1 or offset.shape != scale.shape or (width is not None and len(scale) != width):
            want = f"{width} numbers each" if width is not None else "lists of one length"
            raise ValueError(f"{name}: offset and scale must be {want}, but hold {offset.size} and {scale.size}")
        if not np.isfinite(offset).all() or not (np.isfinite(scale) & (scale > 0)).all():
            raise ValueError(
                f"{name}: offsets must be finite and scales finite and above 0, but got scale {scale.tolist()}"
            )
        return cls(offset, scale)
