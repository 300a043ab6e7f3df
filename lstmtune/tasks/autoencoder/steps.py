"""Per-step anomaly scores of one windowed series (numpy; scikit-learn for the ranking figures).

Overlapping windows each rebuild a step several times. A step's score is its reconstruction error averaged
over every window of its split that holds it: a short anomaly then stands out where it happens, instead of
being diluted over whole windows. An LSTM autoencoder rebuilds the first steps of every window far worse
than the rest (its decoder starts from the bottleneck alone), so each error is first weighed by where it
lies in its window: by the mean error of normal validation windows over all positions, divided by theirs
at that position. A step's score then says how unusual its errors are for where they fell, and a normal
beat's upstroke that happens to open many windows does not outscore an anomaly.
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


def position_weights(errors: np.ndarray) -> np.ndarray:
    """(W,): the weight of an error at each position of a window, from normal validation windows' errors
    (n, W): their mean error over all positions divided by their mean at the position (1 where there are
    no windows, and a position rebuilt exactly weighs no more than 1,000 times the mean)."""
    profile = errors.mean(axis=0) if len(errors) else np.zeros(errors.shape[1])
    overall = float(profile.mean())
    if overall <= 0:
        return np.ones(errors.shape[1])
    return overall / np.maximum(profile, overall / 1000.0)


def step_scores(
    starts: np.ndarray, errors: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores): each step the windows reach, and its error (weighed by `weights`, its position
    in the window's) averaged over the windows holding it. `starts` (n,) are the windows' first positions,
    `errors` (n, W) their steps' errors."""
    width = errors.shape[1]
    if not len(starts):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if weights is not None:
        errors = errors * weights[None, :]
    low = int(starts.min())
    span = int(starts.max()) + width - low
    sums, counts = np.zeros(span), np.zeros(span)
    where = (starts[:, None] - low + np.arange(width)[None, :]).ravel()
    np.add.at(sums, where, errors.ravel())
    np.add.at(counts, where, 1.0)
    held = counts > 0
    return np.flatnonzero(held) + low, sums[held] / counts[held]


def normal_step_scores(series: SeriesSteps, starts: np.ndarray, errors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The step scores of the steps not labelled anomalous, sorted: what a new series' steps are placed
    among (their percentile, the flag at --threshold-pct)."""
    positions, found = step_scores(starts, errors, weights)
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
