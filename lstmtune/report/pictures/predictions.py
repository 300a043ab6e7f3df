"""Pictures of the best model on the test split: predictions against the truth, or a confusion matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import dates as mdates

from lstmtune.report.model import Report
from lstmtune.report.pictures.canvas import COLORS, MAX_TARGETS, SIZE, new_figure, numeric, png, read_run_csv


def read_predictions(report: Report) -> pd.DataFrame | None:
    """RUN_DIR/predictions.csv (the best model on the test split), or None when it is absent or unreadable."""
    frame = read_run_csv(report.run_dir.predictions, {"truth", "prediction"})
    if frame is None:
        return None
    if "split" in frame and (frame["split"] == "test").any():
        frame = frame[frame["split"] == "test"]
    return frame


def _class_labels(report: Report, size: int) -> list[str]:
    data = report.manifest.data
    for key in ("labels", "classes"):
        labels = data.get(key)
        if isinstance(labels, list) and len(labels) == size:
            return [str(label) for label in labels]
        if isinstance(labels, dict) and len(labels) == size:
            return [str(label) for label in labels]
    return [str(i) for i in range(size)]


def confusion_matrix(report: Report) -> tuple[np.ndarray, list[str]] | None:
    """The best model's test confusion matrix (rows: true class, columns: predicted) and its labels: the
    one recorded in run.json, or counted from predictions.csv."""
    matrix = ((report.best or {}).get("test") or {}).get("confusion_matrix")
    if isinstance(matrix, list) and matrix and all(isinstance(r, list) and len(r) == len(matrix) for r in matrix):
        try:
            counts = np.asarray(matrix, dtype=float)
        except (TypeError, ValueError):
            counts = None
        if counts is not None:
            return counts, _class_labels(report, len(matrix))
    frame = read_predictions(report)
    if frame is None:
        return None
    data = report.manifest.data
    labels = [str(v) for v in data.get("labels") or []] or sorted(
        set(frame["truth"].astype(str)) | set(frame["prediction"].astype(str))
    )
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    for truth, prediction in zip(frame["truth"].astype(str), frame["prediction"].astype(str)):
        if truth in index and prediction in index:
            counts[index[truth], index[prediction]] += 1
    return (counts, labels) if counts.sum() else None


def plot_confusion(report: Report) -> bytes | None:
    """Classification (the runs without a predictions picture): the best model's test confusion matrix."""
    if report.presentation.predictions not in ("", "scores"):
        return None
    found = confusion_matrix(report)
    if found is None:
        return None
    counts, labels = found
    size = len(labels)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(totals > 0, counts / totals, 0.0)
    side = min(7.0, max(4.0, 0.45 * size + 2.5))
    figure = new_figure((side + 1.0, side))
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    if size <= 15:
        for i in range(size):
            for j in range(size):
                axes.text(
                    j,
                    i,
                    f"{int(counts[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=8 if size <= 9 else 6,
                    color="white" if shares[i, j] > 0.6 else "black",
                )
    axes.set_xticks(range(size), labels, fontsize=8, rotation=45 if size * max(map(len, labels)) > 40 else 0)
    axes.set_yticks(range(size), labels, fontsize=8)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    accuracy = np.trace(counts) / counts.sum() if counts.sum() else float("nan")
    axes.set_title(f"Best model on the test split: confusion matrix (accuracy {accuracy:.3f})", fontsize=10)
    figure.colorbar(image, ax=axes, shrink=0.8, label="share of the true class")
    return png(figure)


def _time_axis(items: pd.Series) -> pd.Series:
    """Time stamps as datetimes, numbers as numbers, anything else as the row order."""
    numbers = pd.to_numeric(items, errors="coerce")
    if numbers.notna().all():
        return numbers
    try:
        times = pd.to_datetime(items, errors="coerce", format="ISO8601")
    except (TypeError, ValueError):
        times = pd.Series(pd.NaT, index=items.index)
    if times.notna().all():
        return times
    return pd.Series(np.arange(len(items)), index=items.index)


def plot_predictions(report: Report) -> bytes | None:
    """Over time: truth, prediction and the naive forecast per target; else predicted against true."""
    if report.presentation.predictions not in ("time", "scatter"):
        return None
    frame = read_predictions(report)
    if frame is None:
        return None
    truth, prediction = numeric(frame["truth"]), numeric(frame["prediction"])
    if not (truth.notna().any() and prediction.notna().any()):
        return None
    if report.presentation.predictions == "time" and "item" in frame:
        return _plot_forecast(report, frame)
    figure = new_figure((5.5, 5.0))
    axes = figure.add_subplot()
    axes.scatter(truth, prediction, s=14, alpha=0.7, color=COLORS[0], label="test item")
    if "reference" in frame and numeric(frame["reference"]).notna().any():
        axes.scatter(
            truth, numeric(frame["reference"]), s=12, alpha=0.6, marker="x", color=COLORS[2], label="reference model"
        )
    low = float(np.nanmin([truth.min(), prediction.min()]))
    high = float(np.nanmax([truth.max(), prediction.max()]))
    axes.plot([low, high], [low, high], color="0.3", linestyle="--", linewidth=1.2, label="perfect: predicted = true")
    target = str(frame["target"].iloc[0]) if "target" in frame else "target"
    axes.set_xlabel(f"true {target}")
    axes.set_ylabel(f"predicted {target}")
    rmse = float(np.sqrt(np.nanmean((prediction - truth) ** 2)))
    axes.set_title(f"Best model on the test split: predicted against true (RMSE {rmse:.4g})", fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return png(figure)


def _plot_forecast(report: Report, frame: pd.DataFrame) -> bytes | None:
    targets = list(dict.fromkeys(frame["target"].astype(str))) if "target" in frame else ["target"]
    targets = targets[:MAX_TARGETS]
    figure = new_figure((SIZE[0], SIZE[1] if len(targets) == 1 else 2.4 * len(targets) + 0.6))
    panels = figure.subplots(len(targets), 1, squeeze=False, sharex=True)
    horizon = (report.manifest.data.get("settings") or {}).get("horizon")
    for index, target in enumerate(targets):
        axes = panels[index][0]
        rows = frame[frame["target"].astype(str) == target] if "target" in frame else frame
        x = _time_axis(rows["item"].astype(str) if not pd.api.types.is_numeric_dtype(rows["item"]) else rows["item"])
        axes.plot(x, numeric(rows["truth"]), color="black", linewidth=1.8, label="actual")
        axes.plot(
            x,
            numeric(rows["prediction"]),
            color=COLORS[0],
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label="best model",
        )
        if "persistence" in rows and numeric(rows["persistence"]).notna().any():
            axes.plot(
                x,
                numeric(rows["persistence"]),
                color=COLORS[1],
                linewidth=0.9,
                linestyle="--",
                label="persistence (last value)",
            )
        if "reference" in rows and numeric(rows["reference"]).notna().any():
            axes.plot(
                x, numeric(rows["reference"]), color=COLORS[2], linewidth=1.2, linestyle="-.", label="reference model"
            )
        axes.set_ylabel(target, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(True, alpha=0.3)
        if index == 0:
            axes.legend(fontsize=7, loc="best")
    step = "one-step-ahead" if horizon in (None, 1) else "first step of each forecast"
    figure.suptitle(f"Best model on the test split ({step})", fontsize=10)
    dated = pd.api.types.is_datetime64_any_dtype(x)
    panels[-1][0].set_xlabel("time" if dated else "item")
    if dated:
        locator = mdates.AutoDateLocator()
        panels[-1][0].xaxis.set_major_locator(locator)
        panels[-1][0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return png(figure)
