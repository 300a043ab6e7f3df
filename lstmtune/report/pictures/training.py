"""Pictures of the search: learning curves, the generalisation gap, the tuned hyperparameters against the
score, and their importance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from lstmtune.core.text import number
from lstmtune.report.findings import GAP_WARNING
from lstmtune.report.model import Report
from lstmtune.report.pictures.canvas import (
    BEST_COLOR,
    COLORS,
    MAX_PANELS,
    SIZE,
    baseline_line,
    best_trial_id,
    category,
    category_order,
    choice_in_space,
    completed_trials,
    epoch_numbers,
    is_numeric,
    log_in_space,
    metric_names,
    new_figure,
    numeric,
    png,
    spans_decades,
    tick,
    top_histories,
    trial_label,
    trial_row,
    tuned_hyperparameters,
)


def plot_curves(report: Report) -> bytes | None:
    """Training and validation objective per epoch of the top trials; best epoch and baseline marked."""
    histories = top_histories(report)
    name, train_name = metric_names(report)
    histories = {t: h for t, h in histories.items() if name in h and numeric(h[name]).notna().any()}
    if not histories:
        return None
    figure = new_figure((8.0, 4.0))
    axes = figure.add_subplot()
    lower = report.objective.direction == "min"
    trained = False
    # The best trial last, so that it is drawn on top of the others.
    for index, (trial_id, history) in reversed(list(enumerate(histories.items()))):
        color = COLORS[index % len(COLORS)]
        epochs, values = epoch_numbers(history), numeric(history[name]).to_numpy()
        axes.plot(
            epochs,
            values,
            color=color,
            linewidth=2.2 if index == 0 else 1.6,
            marker="o",
            markersize=3,
            label=trial_label(report, trial_id),
        )
        if train_name and train_name in history:
            axes.plot(
                epochs, numeric(history[train_name]).to_numpy(), color=color, linewidth=1.1, linestyle="--", alpha=0.8
            )
            trained = True
        best = _best_index(report, trial_id, epochs, values, lower)
        if best is not None:
            axes.plot(
                [epochs[best]],
                [values[best]],
                marker="*",
                markersize=13,
                color=color,
                markeredgecolor="black",
                linestyle="none",
                zorder=4,
            )
    handles, labels = axes.get_legend_handles_labels()
    handles, labels = handles[::-1], labels[::-1]  # rank order again
    key = [axes.plot([], [], color="0.3", linewidth=1.6, label=f"validation ({name})")[0]]
    if trained:
        key.append(
            axes.plot([], [], color="0.3", linewidth=1.1, linestyle="--", label=f"training ({train_name}, dropout on)")[
                0
            ]
        )
    key.append(
        axes.plot(
            [],
            [],
            marker="*",
            markersize=11,
            color="0.6",
            markeredgecolor="black",
            linestyle="none",
            label="best epoch (weights kept)",
        )[0]
    )
    key.extend(_baseline(axes, report))
    axes.set_xlabel("epoch")
    axes.set_ylabel(name if not trained else f"{name} and {train_name}")
    axes.xaxis.get_major_locator().set_params(integer=True)
    better = "lower" if lower else "higher"
    axes.set_title(f"Learning curves: {report.objective.label} ({better} is better)", fontsize=10, loc="left")
    if spans_decades(_all_values(histories, [name, train_name]), 2):
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    figure.legend(handles + key, labels + [k.get_label() for k in key], loc="outside right upper", fontsize=7)
    return png(figure)


def _baseline(axes: Any, report: Report) -> list[Any]:
    """The naive baseline's line, where it is in the objective's units; one far beyond the curves is named
    in the legend, not drawn, so that the curves keep the height they need."""
    baseline = baseline_line(report)
    if not baseline:
        return []
    what, value = baseline
    low, high = axes.get_ylim()
    style = {"color": "0.35", "linestyle": ":", "linewidth": 1.5}
    if low <= value <= high + (high - low):
        return [axes.axhline(value, **style, label=f"{what}: {value:.4g}")]
    return [axes.plot([], [], **style, label=f"{what}: {value:.4g} (off the scale)")[0]]


def _best_index(report: Report, trial_id: str, epochs: np.ndarray, values: np.ndarray, lower: bool) -> int | None:
    """The row of the trial's best epoch: the one recorded in the table, else the best finite value's."""
    recorded = number(trial_row(report, trial_id).get("best_epoch"))
    if recorded is not None:
        rows = np.flatnonzero(epochs == recorded)
        if len(rows) and np.isfinite(values[rows[0]]):
            return int(rows[0])
    finite = np.where(np.isfinite(values), values, np.nan)
    if not np.isfinite(finite).any():
        return None
    return int(np.nanargmin(finite) if lower else np.nanargmax(finite))


def _all_values(histories: dict[str, pd.DataFrame], names: list[str | None]) -> np.ndarray:
    parts = [numeric(h[n]).to_numpy() for h in histories.values() for n in names if n and n in h]
    return np.concatenate(parts) if parts else np.array([])


def plot_gap(report: Report) -> bytes | None:
    """The measured generalisation gap of the top trials: at the best epoch (the weights kept) and at the
    last epoch trained, the same figure as the table's gap and gap_end."""
    rows = []
    for trial_id in report.top["trial_id"].astype(str):
        row = trial_row(report, trial_id)
        gap, end = number(row.get("gap")), number(row.get("gap_end"))
        if gap is not None and gap > 0:
            rows.append((trial_id, gap, end if end is not None and end > 0 else None))
    if not rows:
        return None
    figure = new_figure()
    axes = figure.add_subplot()
    for y, (_trial_id, gap, end) in enumerate(reversed(rows)):
        color = COLORS[(len(rows) - 1 - y) % len(COLORS)]
        if end is not None:
            axes.plot([gap, end], [y, y], color=color, linewidth=2, alpha=0.6)
            axes.plot(
                [end], [y], marker="o", markersize=8, markerfacecolor="white", markeredgecolor=color, linestyle="none"
            )
        axes.plot([gap], [y], marker="D", markersize=8, color=color, markeredgecolor="black", linestyle="none")
    values = [v for _, gap, end in rows for v in (gap, end) if v is not None]
    if max(values) / min(values) > 20:
        axes.set_xscale("log")
    axes.axvline(1.0, color="0.35", linestyle=":", linewidth=1.2)
    axes.axvline(GAP_WARNING, color="#c0392b", linestyle="--", linewidth=1, alpha=0.7)
    axes.set_yticks(range(len(rows)), [trial_label(report, t) for t, _, _ in reversed(rows)], fontsize=8)
    axes.set_ylim(-0.7, len(rows) - 0.3 + (0.8 if len(rows) < 3 else 0))  # room for the legend
    axes.plot(
        [],
        [],
        marker="D",
        markersize=7,
        color="0.6",
        markeredgecolor="black",
        linestyle="none",
        label="at the best epoch (the weights kept)",
    )
    axes.plot(
        [],
        [],
        marker="o",
        markersize=7,
        markerfacecolor="white",
        markeredgecolor="0.4",
        linestyle="none",
        label="at the last epoch trained",
    )
    axes.plot([], [], color="0.35", linestyle=":", label="1 = no gap")
    axes.plot([], [], color="#c0392b", linestyle="--", label=f"{GAP_WARNING:g} = the report warns")
    axes.set_xlabel("gap = (1 - validation skill) / (1 - training skill)")
    axes.set_title("Generalisation gap of the top trials", fontsize=10)
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    return png(figure)


def plot_hyperparameters(report: Report) -> bytes | None:
    """One panel per tuned hyperparameter: value against score; the best trial highlighted."""
    names = tuned_hyperparameters(report)[:MAX_PANELS]
    completed = completed_trials(report)
    if not names or completed.empty:
        return None
    score = numeric(completed["score"])
    best_id = best_trial_id(report)
    is_best = (completed["trial_id"].astype(str) == best_id).to_numpy()
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure = new_figure((SIZE[0], max(2.3, 2.1 * rows + 0.5)))
    panels = figure.subplots(rows, columns, squeeze=False)
    for index, name in enumerate(names):
        axes = panels[index // columns][index % columns]
        values = completed[name]
        if is_numeric(values) and not choice_in_space(report, name):
            x = numeric(values).to_numpy()
            if spans_decades(x, 2) or (log_in_space(report, name) and np.nanmin(x) > 0):
                axes.set_xscale("log")
                subs = (1.0,) if spans_decades(x, 2) else (1.0, 3.0) if spans_decades(x, 1) else (1.0, 2.0, 5.0)
                # Values within half a decade hold no 1-2-5 tick: three evenly placed ones, not crowded labels.
                narrow = not spans_decades(x, 0.5)
                axes.xaxis.set_major_locator(MaxNLocator(nbins=3) if narrow else LogLocator(base=10, subs=subs))
                axes.xaxis.set_minor_formatter(NullFormatter())
            else:
                whole = bool(np.all(np.isclose(x[np.isfinite(x)], np.round(x[np.isfinite(x)]))))
                axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=whole))
            axes.xaxis.set_major_formatter(FuncFormatter(tick))
        else:
            labels = values.map(category)
            categories = sorted(labels.unique(), key=category_order)
            x = labels.map({c: i for i, c in enumerate(categories)}).to_numpy(dtype=float)
            axes.set_xticks(range(len(categories)), categories, fontsize=7)
            axes.set_xlim(-0.5, len(categories) - 0.5)
        axes.scatter(x[~is_best], score.to_numpy()[~is_best], s=18, color=COLORS[0], alpha=0.7, label="completed trial")
        axes.scatter(
            x[is_best],
            score.to_numpy()[is_best],
            s=70,
            color=BEST_COLOR,
            marker="*",
            edgecolor="black",
            linewidth=0.5,
            zorder=3,
            label="best trial",
        )
        axes.set_title(name, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(True, alpha=0.3)
        if index % columns == 0:
            axes.set_ylabel("score", fontsize=8)
    for index in range(len(names), rows * columns):
        panels[index // columns][index % columns].set_visible(False)
    better = "lower" if report.objective.direction == "min" else "higher"
    figure.suptitle(
        f"Tuned hyperparameters against the score ({report.objective.name}, {better} is better); ★ best trial",
        fontsize=9,
    )
    return png(figure)


def plot_importance(report: Report) -> bytes | None:
    """Horizontal bars: how much each tuned hyperparameter matters for the score."""
    importance = report.importance
    if not importance:
        return None
    scored = ((str(n), number(v)) for n, v in importance.items())
    items = sorted([(n, v) for n, v in scored if v is not None], key=lambda item: item[1])[-MAX_PANELS * 2 :]
    if not items:
        return None
    figure = new_figure((SIZE[0], max(2.0, 0.35 * len(items) + 1.2)))
    axes = figure.add_subplot()
    names, values = zip(*items)
    axes.barh(range(len(items)), values, color=COLORS[0])
    axes.set_yticks(range(len(items)), names, fontsize=8)
    for index, value in enumerate(values):
        axes.annotate(
            f"{value:.2f}", (value, index), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
        )
    axes.set_xlabel("importance for the score (share; larger matters more)")
    axes.set_title("Which hyperparameters mattered", fontsize=10)
    axes.margins(x=0.12)
    axes.grid(True, axis="x", alpha=0.3)
    return png(figure)
