"""Per-step anomaly scores of one windowed series (numpy; scikit-learn for the ranking figures).

Overlapping windows each rebuild a step several times. A step's score is its reconstruction error averaged
over every window of its split that holds it: a short anomaly then stands out where it happens, instead of
being diluted over whole windows, and the windows' edges, which an autoencoder rebuilds worst, weigh no
more than their share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class SeriesSteps:
    """The windowed series in time order: each step's name (its time) and unscaled values, whether its
    label is anomalous (None without labels), and the position of each window's first step by its name."""

    names: list[str]
    values: np.ndarray  # (steps, channels)
    anomalous: np.ndarray | None
    starts: dict[str, int]


def step_scores(starts: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores): each step the windows reach, and its error averaged over the windows holding it.
    `starts` (n,) are the windows' first positions, `errors` (n, W) their steps' errors."""
    width = errors.shape[1]
    if not len(starts):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    low = int(starts.min())
    span = int(starts.max()) + width - low
    sums, counts = np.zeros(span), np.zeros(span)
    where = (starts[:, None] - low + np.arange(width)[None, :]).ravel()
    np.add.at(sums, where, errors.ravel())
    np.add.at(counts, where, 1.0)
    held = counts > 0
    return np.flatnonzero(held) + low, sums[held] / counts[held]


def normal_step_scores(series: SeriesSteps, starts: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """The step scores of the steps not labelled anomalous, sorted: what a new series' steps are placed
    among (their percentile, the flag at --threshold-pct)."""
    positions, found = step_scores(starts, errors)
    if series.anomalous is not None:
        found = found[~series.anomalous[positions]]
    return np.sort(found)


def step_figures(series: SeriesSteps, positions: np.ndarray, found: np.ndarray) -> dict[str, Any]:
    """Where the highest step score lies (the step's time) and, with labels, how far it is from the nearest
    anomalous step and how well the step scores rank anomalous steps (ROC AUC, PR AUC)."""
    if not len(found):
        return {}
    top = int(positions[int(np.argmax(found))])
    figures: dict[str, Any] = {"steps": int(len(found)), "top": series.names[top]}
    if series.anomalous is None:
        return figures
    from lstmtune.tasks.autoencoder.scores import ranking_figures

    anomalous = series.anomalous[positions]
    marked = positions[anomalous]
    figures["anomalous_steps"] = int(anomalous.sum())
    figures["top_distance"] = int(np.abs(marked - top).min()) if len(marked) else None
    figures.update(ranking_figures(found, anomalous))
    return figures


def step_frame(series: SeriesSteps, positions: np.ndarray, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per step: time, label, the first channel's value and each model's step score."""
    frame = pd.DataFrame({"time": [series.names[p] for p in positions]})
    if series.anomalous is not None:
        frame["anomalous"] = series.anomalous[positions]
    frame["value"] = series.values[positions, 0]
    for name, values in scores.items():
        frame[name] = values
    return frame
