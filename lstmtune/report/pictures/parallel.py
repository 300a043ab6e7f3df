"""Parallel coordinates: every completed trial as a line across one vertical axis per tuned
hyperparameter, coloured by its score, so the region of the space where good trials lie shows at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from lstmtune.report.model import Report
from lstmtune.report.pictures.canvas import (
    BEST_COLOR,
    MAX_PANELS,
    SIZE,
    best_trial_id,
    category,
    category_order,
    choice_in_space,
    completed_trials,
    is_numeric,
    log_in_space,
    new_figure,
    numeric,
    png,
    spans_decades,
    tick,
    tuned_hyperparameters,
)

MIN_TRIALS = 3


def axis_positions(report: Report, name: str, values: pd.Series) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Each trial's value of `name` placed on [0, 1] (log scale where the space samples it so or the values
    span two decades; categories evenly spaced), and the ticks to label the axis with."""
    if is_numeric(values) and not choice_in_space(report, name):
        x = numeric(values).to_numpy()
        finite = x[np.isfinite(x)]
        logarithmic = spans_decades(x, 2) or (log_in_space(report, name) and len(finite) and finite.min() > 0)
        shown = np.log10(np.where(x > 0, x, np.nan)) if logarithmic else x
        low, high = np.nanmin(shown), np.nanmax(shown)
        span = high - low or 1.0
        ends = [(0.0, tick(10**low if logarithmic else low)), (1.0, tick(10**high if logarithmic else high))]
        return (shown - low) / span, ends
    labels = values.map(category)
    categories = sorted(labels.unique(), key=category_order)
    step = 1.0 / max(len(categories) - 1, 1)
    places = {c: i * step for i, c in enumerate(categories)}
    return labels.map(places).to_numpy(dtype=float), [(places[c], c) for c in categories]


def plot_parallel(report: Report) -> bytes | None:
    """One line per completed trial across the tuned hyperparameters, coloured by score; the best in red."""
    names = tuned_hyperparameters(report)[:MAX_PANELS]
    completed = completed_trials(report)
    if len(names) < 2 or len(completed) < MIN_TRIALS:
        return None
    score = numeric(completed["score"]).to_numpy()
    if not np.isfinite(score).any():
        return None
    columns = [axis_positions(report, name, completed[name]) for name in names]
    positions = np.column_stack([place for place, _ in columns])
    lower = report.objective.direction == "min"
    # Better scores darker and drawn last (on top); the colour scale runs from the worst to the best.
    colours = colormaps["viridis_r" if lower else "viridis"]
    scale = Normalize(np.nanmin(score), np.nanmax(score))
    order = np.argsort(-score if lower else score)
    best_id = best_trial_id(report)
    ids = completed["trial_id"].astype(str).to_numpy()
    figure = new_figure((max(SIZE[0], 1.0 * len(names) + 1.5), SIZE[1]))
    axes = figure.add_subplot()
    x = np.arange(len(names))
    for index in order:
        if ids[index] == best_id or not np.isfinite(score[index]):
            continue
        axes.plot(x, positions[index], color=colours(scale(score[index])), alpha=0.75, linewidth=1.2)
    for index in np.flatnonzero(ids == best_id):
        axes.plot(x, positions[index], color=BEST_COLOR, linewidth=2.6, label=f"best trial ({best_id})", zorder=3)
    for i, (_, ticks) in enumerate(columns):
        axes.axvline(i, color="#555", linewidth=0.8, zorder=0)
        for place, text in ticks:
            axes.annotate(text, (i, place), xytext=(3, 0), textcoords="offset points", fontsize=7, va="center")
    axes.set_xticks(x, names, fontsize=8, rotation=20, ha="right")
    axes.set_yticks([])
    axes.set_xlim(-0.3, len(names) - 0.4)
    axes.set_ylim(-0.06, 1.06)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    bar = figure.colorbar(ScalarMappable(norm=scale, cmap=colours), ax=axes, pad=0.01)
    bar.set_label(f"score ({report.objective.name}, {'lower' if lower else 'higher'} is better)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if best_id in ids:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, 1.12), frameon=False)
    return png(figure)
