"""Pictures of a run for `lstmtune report --plots DIR` and the HTML report (matplotlib, Agg; no TensorFlow).

Every picture is drawn on a `matplotlib.figure.Figure` with the Agg canvas: nothing touches pyplot's
global state or a display, so this works headless, in threads and inside a notebook that uses another
backend. Each picture is drawn only when its data is there; a missing piece skips that picture.

    curves           learning curves of the top trials, best epoch marked, the naive baseline's line
    gap              validation / training metric per epoch for the top trials, the recorded gap marked
    hyperparameters  one panel per tuned hyperparameter: its value against the score
    importance       the importance of each tuned hyperparameter for the score
    predictions      the best model on the test split (forecast: the series; regression: predicted vs true)
    confusion        classification: the best model's test confusion matrix
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg  # the Agg canvas, explicitly: no pyplot, no display
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from lstmtune.core.text import number
from lstmtune.report.build import Report
from lstmtune.report.findings import GAP_WARNING
from lstmtune.run.records import learning_curve

SIZE = (7.0, 4.0)  # inches; at DPI 100 a picture is 700 x 400 pixels, a few tens of kB
DPI = 100
MAX_CURVES = 5
MAX_PANELS = 12
MAX_TARGETS = 4
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
BEST_COLOR = "#d62728"
ORDER = ("curves", "gap", "hyperparameters", "importance", "predictions", "confusion")


# --- shared helpers ---------------------------------------------------------------------------


def _new_figure(size: tuple[float, float] = SIZE) -> Figure:
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=DPI)
    finally:
        figure.clear()  # release the artists at once (the figure is not registered with pyplot)
    return buffer.getvalue()


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def _completed(report: Report) -> pd.DataFrame:
    table = report.table
    if table is None or table.empty or "status" not in table:
        return pd.DataFrame()
    return table[table["status"] == "completed"]


def _top_ids(report: Report) -> list[str]:
    top = report.top
    if top is None or top.empty or "trial_id" not in top:
        return []
    if "status" in top:
        top = top[top["status"] == "completed"]
    return [str(t) for t in top["trial_id"].head(MAX_CURVES)]


def _best_id(report: Report) -> str | None:
    best = report.best
    if isinstance(best, dict) and best.get("trial_id") is not None:
        return str(best["trial_id"])
    completed = _completed(report)
    return str(completed.iloc[0]["trial_id"]) if not completed.empty else None


def _row(report: Report, trial_id: str) -> dict[str, Any]:
    table = report.table
    if table is None or table.empty:
        return {}
    match = table[table["trial_id"].astype(str) == trial_id]
    return match.iloc[0].to_dict() if not match.empty else {}


def _label(report: Report, trial_id: str) -> str:
    rank = _row(report, trial_id).get("rank")
    try:
        return f"#{int(rank)} (trial {trial_id})"
    except (TypeError, ValueError):
        return f"trial {trial_id}"


def _histories(report: Report) -> dict[str, pd.DataFrame]:
    """The per-epoch history of each top trial that has one (an epoch column, or epochs numbered from 1)."""
    out = {}
    for trial_id in _top_ids(report):
        try:
            history = learning_curve(report.run_dir, trial_id)
        except OSError:
            continue
        if history.empty:
            continue
        if "epoch" not in history:
            history = history.assign(epoch=np.arange(1, len(history) + 1))
        out[trial_id] = history
    return out


def _metric_names(report: Report) -> tuple[str, str | None]:
    """The objective (validation) and its training twin's name (the same name without `val_`)."""
    name = report.objective.name
    return name, (name.removeprefix("val_") if name.startswith("val_") else None)


def _baseline_line(report: Report) -> tuple[str, float] | None:
    """The naive baseline's validation figure in the objective's own units, where there is one.

    Forecasting's objective is measured on scaled (and differenced) targets while its baselines are in
    original units: no line. Classification's prior has a cross-entropy, accuracy and macro-F1 measured
    exactly as the model's are. Sequence regression records RMSE / MAE only, not the (scaled) MSE: no line.
    """
    if report.kind == "forecast":
        return None
    key = report.objective.name.removeprefix("val_")
    baselines = (report.manifest.get("baselines") or {}).get("val") or {}
    for name, scores in baselines.items():
        value = number((scores or {}).get(key)) if isinstance(scores, dict) else None
        if value is not None:
            what = "class prior (training class shares)" if name == "prior" else f"{name} baseline"
            return what, value
    return None


def _epochs(history: pd.DataFrame) -> np.ndarray:
    return _numeric(history["epoch"]).to_numpy()


# --- the pictures -----------------------------------------------------------------------------


def plot_curves(report: Report) -> bytes | None:
    """Training and validation objective per epoch of the top trials; best epoch and baseline marked."""
    histories = _histories(report)
    name, train_name = _metric_names(report)
    histories = {t: h for t, h in histories.items() if name in h and _numeric(h[name]).notna().any()}
    if not histories:
        return None
    figure = _new_figure((8.0, 4.0))
    axes = figure.add_subplot()
    lower = report.objective.direction == "min"
    trained = False
    # The best trial last, so that it is drawn on top of the others.
    for index, (trial_id, history) in reversed(list(enumerate(histories.items()))):
        color = COLORS[index % len(COLORS)]
        epochs, values = _epochs(history), _numeric(history[name]).to_numpy()
        axes.plot(
            epochs,
            values,
            color=color,
            linewidth=2.2 if index == 0 else 1.6,
            marker="o",
            markersize=3,
            label=_label(report, trial_id),
        )
        if train_name and train_name in history:
            axes.plot(
                epochs, _numeric(history[train_name]).to_numpy(), color=color, linewidth=1.1, linestyle="--", alpha=0.8
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
    baseline = _baseline_line(report)
    if baseline:
        what, value = baseline
        key.append(axes.axhline(value, color="0.35", linestyle=":", linewidth=1.5, label=f"{what}: {value:.4g}"))
    axes.set_xlabel("epoch")
    axes.set_ylabel(name if not trained else f"{name} and {train_name}")
    axes.xaxis.get_major_locator().set_params(integer=True)
    better = "lower" if lower else "higher"
    axes.set_title(f"Learning curves: {report.objective.label} ({better} is better)", fontsize=10, loc="left")
    if _spans_decades(_all_values(histories, [name, train_name]), 2):
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    figure.legend(handles + key, labels + [k.get_label() for k in key], loc="outside right upper", fontsize=7)
    return _png(figure)


def _best_index(report: Report, trial_id: str, epochs: np.ndarray, values: np.ndarray, lower: bool) -> int | None:
    """The row of the trial's best epoch: the one recorded in the table, else the best finite value's."""
    recorded = number(_row(report, trial_id).get("best_epoch"))
    if recorded is not None:
        rows = np.flatnonzero(epochs == recorded)
        if len(rows) and np.isfinite(values[rows[0]]):
            return int(rows[0])
    finite = np.where(np.isfinite(values), values, np.nan)
    if not np.isfinite(finite).any():
        return None
    return int(np.nanargmin(finite) if lower else np.nanargmax(finite))


def _all_values(histories: dict[str, pd.DataFrame], names: list[str | None]) -> np.ndarray:
    parts = [_numeric(h[n]).to_numpy() for h in histories.values() for n in names if n and n in h]
    return np.concatenate(parts) if parts else np.array([])


def _spans_decades(values: np.ndarray, decades: float) -> bool:
    values = values[np.isfinite(values)]
    return bool(len(values) and values.min() > 0 and math.log10(values.max() / values.min()) > decades)


def plot_gap(report: Report) -> bytes | None:
    """The measured generalisation gap of the top trials: at the best epoch (the weights kept) and at the
    last epoch trained, the same figure as the table's gap and gap_end."""
    rows = []
    for trial_id in report.top["trial_id"].astype(str):
        row = _row(report, trial_id)
        gap, end = number(row.get("gap")), number(row.get("gap_end"))
        if gap is not None and gap > 0:
            rows.append((trial_id, gap, end if end is not None and end > 0 else None))
    if not rows:
        return None
    figure = _new_figure()
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
    axes.set_yticks(range(len(rows)), [_label(report, t) for t, _, _ in reversed(rows)], fontsize=8)
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
    return _png(figure)


def tuned_hyperparameters(report: Report) -> list[str]:
    """The hyperparameters whose values vary across completed trials (the space's tunable ones, in order;
    others whose recorded values vary too, such as a conditional one)."""
    completed = _completed(report)
    if completed.empty:
        return []
    names = [n for n in report.tunable if n in completed]
    names += [n for n in report.manifest.hyperparameter_names if n in completed and n not in names]
    return [n for n in names if completed[n].dropna().astype(str).nunique() > 1]


def _is_numeric(values: pd.Series) -> bool:
    present = values.dropna()
    if present.empty or present.map(lambda v: isinstance(v, (bool, np.bool_))).any():
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def _log_in_space(report: Report, name: str) -> bool:
    """Whether the space samples this hyperparameter on a log scale (`{float: [a, b], log: true}`)."""
    space = (report.manifest.get("hyperparameters") or {}).get("space") or {}
    entry = space.get(name) if isinstance(space, dict) else None
    return isinstance(entry, dict) and bool(entry.get("log"))


def _choice_in_space(report: Report, name: str) -> bool:
    """A `{choice: [...]}` hyperparameter is drawn as categories, numbers or not."""
    space = (report.manifest.get("hyperparameters") or {}).get("space") or {}
    entry = space.get(name) if isinstance(space, dict) else None
    return isinstance(entry, dict) and "choice" in entry


def _category_order(label: str) -> tuple:
    """Numbers by value, then words alphabetically, the missing value last."""
    try:
        return (label == "-", 0, float(label), "")
    except ValueError:
        return (label == "-", 1, 0.0, label)


def _tick(value: float, _position: Any = None) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _category(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plot_hyperparameters(report: Report) -> bytes | None:
    """One panel per tuned hyperparameter: value against score; the best trial highlighted."""
    names = tuned_hyperparameters(report)[:MAX_PANELS]
    completed = _completed(report)
    if not names or completed.empty:
        return None
    score = _numeric(completed["score"])
    best_id = _best_id(report)
    is_best = (completed["trial_id"].astype(str) == best_id).to_numpy()
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure = _new_figure((SIZE[0], max(2.3, 2.1 * rows + 0.5)))
    panels = figure.subplots(rows, columns, squeeze=False)
    for index, name in enumerate(names):
        axes = panels[index // columns][index % columns]
        values = completed[name]
        if _is_numeric(values) and not _choice_in_space(report, name):
            x = _numeric(values).to_numpy()
            if _spans_decades(x, 2) or (_log_in_space(report, name) and np.nanmin(x) > 0):
                axes.set_xscale("log")
                subs = (1.0,) if _spans_decades(x, 2) else (1.0, 3.0) if _spans_decades(x, 1) else (1.0, 2.0, 5.0)
                axes.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
                axes.xaxis.set_minor_formatter(NullFormatter())
            else:
                whole = bool(np.all(np.isclose(x[np.isfinite(x)], np.round(x[np.isfinite(x)]))))
                axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=whole))
            axes.xaxis.set_major_formatter(FuncFormatter(_tick))
        else:
            labels = values.map(_category)
            categories = sorted(labels.unique(), key=_category_order)
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
    return _png(figure)


def plot_importance(report: Report) -> bytes | None:
    """Horizontal bars: how much each tuned hyperparameter matters for the score."""
    importance = report.importance
    if not importance:
        return None
    items = [(str(n), number(v)) for n, v in importance.items()]
    items = sorted([(n, v) for n, v in items if v is not None], key=lambda item: item[1])[-MAX_PANELS * 2 :]
    if not items:
        return None
    figure = _new_figure((SIZE[0], max(2.0, 0.35 * len(items) + 1.2)))
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
    return _png(figure)


def read_predictions(report: Report) -> pd.DataFrame | None:
    """RUN_DIR/predictions.csv (the best model on the test split), or None when it is absent or unreadable."""
    path = report.run_dir.root / "predictions.csv"
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError):
        return None
    if not {"truth", "prediction"} <= set(frame.columns) or frame.empty:
        return None
    if "split" in frame and (frame["split"] == "test").any():
        frame = frame[frame["split"] == "test"]
    return frame


def _class_labels(report: Report, size: int) -> list[str]:
    data = report.manifest.get("data") or {}
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
    data = report.manifest.get("data") or {}
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
    if report.kind != "classification":
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
    figure = _new_figure((side + 1.0, side))
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
    return _png(figure)


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
    """Forecast: truth, prediction and persistence over time per target; regression: predicted vs true."""
    if report.kind == "classification":
        return None
    frame = read_predictions(report)
    if frame is None:
        return None
    truth, prediction = _numeric(frame["truth"]), _numeric(frame["prediction"])
    if not (truth.notna().any() and prediction.notna().any()):
        return None
    if report.kind == "forecast" and "item" in frame:
        return _plot_forecast(report, frame)
    figure = _new_figure((5.5, 5.0))
    axes = figure.add_subplot()
    axes.scatter(truth, prediction, s=14, alpha=0.7, color=COLORS[0], label="test item")
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
    return _png(figure)


def _plot_forecast(report: Report, frame: pd.DataFrame) -> bytes | None:
    targets = list(dict.fromkeys(frame["target"].astype(str))) if "target" in frame else ["target"]
    targets = targets[:MAX_TARGETS]
    figure = _new_figure((SIZE[0], SIZE[1] if len(targets) == 1 else 2.4 * len(targets) + 0.6))
    panels = figure.subplots(len(targets), 1, squeeze=False, sharex=True)
    horizon = ((report.manifest.get("data") or {}).get("settings") or {}).get("horizon")
    for index, target in enumerate(targets):
        axes = panels[index][0]
        rows = frame[frame["target"].astype(str) == target] if "target" in frame else frame
        x = _time_axis(rows["item"].astype(str) if not pd.api.types.is_numeric_dtype(rows["item"]) else rows["item"])
        axes.plot(x, _numeric(rows["truth"]), color="black", linewidth=1.8, label="actual")
        axes.plot(
            x,
            _numeric(rows["prediction"]),
            color=COLORS[0],
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label="best model",
        )
        if "persistence" in rows and _numeric(rows["persistence"]).notna().any():
            axes.plot(
                x,
                _numeric(rows["persistence"]),
                color=COLORS[1],
                linewidth=0.9,
                linestyle="--",
                label="persistence (last value)",
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
    return _png(figure)


# --- entry points -----------------------------------------------------------------------------

PICTURES: dict[str, Callable[[Report], bytes | None]] = {
    "curves": plot_curves,
    "gap": plot_gap,
    "hyperparameters": plot_hyperparameters,
    "importance": plot_importance,
    "predictions": plot_predictions,
    "confusion": plot_confusion,
}


def caption(report: Report, name: str) -> str:
    """A sentence saying what a picture shows and how to read it."""
    objective = report.objective
    train = objective.name.removeprefix("val_")
    baseline = _baseline_line(report)
    texts = {
        "curves": (
            f"Learning curves of the top trials: {objective.name} (solid) and its training twin {train} "
            "(dashed) per epoch; the star is the epoch whose weights were kept. "
            + (
                f"The dotted line is the {baseline[0]} on validation."
                if baseline
                else "No baseline line: the objective is measured on scaled targets, the baselines in original units."
                if report.kind == "forecast"
                else ""
            )
        ),
        "gap": (
            "How many times further from perfect each top trial is on validation than on training, each "
            "split measured against its own naive baseline, after training, without dropout: "
            "(1 - validation skill) / (1 - training skill). Diamonds: the weights kept (the best epoch); "
            "circles: the last epoch trained, before early stopping put the best weights back. 1 means the "
            "model does as well on data it never saw; a gap that grows from diamond to circle is overfitting "
            "that early stopping caught. Trials that do not beat the naive baseline on training data have no gap."
        ),
        "hyperparameters": (
            "Each completed trial's value of a tuned hyperparameter against its score; "
            "the star is the best trial. Few trials make any trend a hint, not a finding."
        ),
        "importance": "How much each tuned hyperparameter mattered for the score across the completed trials.",
        "predictions": (
            "The best model on the test split against the truth"
            + (
                ", with persistence (repeating the last value) for reference."
                if report.kind == "forecast"
                else "; points on the dashed line are perfect."
            )
        ),
        "confusion": (
            "The best model's test predictions: rows are the true classes, columns the predicted ones; "
            "numbers are counts, colour the share of each true class."
        ),
    }
    return texts.get(name, name)


def render_plots(report: Report) -> dict[str, bytes]:
    """Every picture that applies to this run, as PNG bytes, in display order."""
    pictures = {}
    for name, draw in PICTURES.items():
        png = draw(report)
        if png:
            pictures[name] = png
    return pictures


def write_plots(report: Report, directory: Path, pictures: dict[str, bytes] | None = None) -> dict[str, Path]:
    """Write every picture that applies as DIRECTORY/<name>.png; returns {name: path}. `pictures`, from
    `render_plots(report)`, saves drawing them twice when the HTML page needs them too."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, png in (render_plots(report) if pictures is None else pictures).items():
        path = directory / f"{name}.png"
        path.write_bytes(png)
        written[name] = path
    return written
