"""What every picture shares: the Agg canvas, the palette, and the report's trials and histories as drawn.

Every picture is drawn on a `matplotlib.figure.Figure` with the Agg canvas: nothing touches pyplot's
global state or a display, so this works headless, in threads and inside a notebook that uses another
backend.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg  # the Agg canvas, explicitly: no pyplot, no display
from matplotlib.figure import Figure

from lstmtune.core.text import number
from lstmtune.report.model import Report
from lstmtune.run.records import learning_curve

SIZE = (7.0, 4.0)  # inches; at DPI 100 a picture is 700 x 400 pixels, a few tens of kB
DPI = 100
MAX_CURVES = 5
MAX_PANELS = 12
MAX_TARGETS = 4
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
BEST_COLOR = "#d62728"


def read_run_csv(path: Any, needed: set[str]) -> pd.DataFrame | None:
    """A CSV the search wrote into the run directory, or None when it is absent, unreadable, empty or lacks
    one of the `needed` columns: a missing piece skips its picture."""
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError):
        return None
    return frame if needed <= set(frame.columns) and not frame.empty else None


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=DPI)
    finally:
        figure.clear()  # release the artists at once (the figure is not registered with pyplot)
    return buffer.getvalue()


def numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def completed_trials(report: Report) -> pd.DataFrame:
    table = report.table
    if table is None or table.empty or "status" not in table:
        return pd.DataFrame()
    return table[table["status"] == "completed"]


def top_trial_ids(report: Report) -> list[str]:
    top = report.top
    if top is None or top.empty or "trial_id" not in top:
        return []
    if "status" in top:
        top = top[top["status"] == "completed"]
    return [str(t) for t in top["trial_id"].head(MAX_CURVES)]


def best_trial_id(report: Report) -> str | None:
    best = report.best
    if isinstance(best, dict) and best.get("trial_id") is not None:
        return str(best["trial_id"])
    completed = completed_trials(report)
    return str(completed.iloc[0]["trial_id"]) if not completed.empty else None


def trial_row(report: Report, trial_id: str) -> dict[str, Any]:
    table = report.table
    if table is None or table.empty:
        return {}
    match = table[table["trial_id"].astype(str) == trial_id]
    return match.iloc[0].to_dict() if not match.empty else {}


def trial_label(report: Report, trial_id: str) -> str:
    rank = trial_row(report, trial_id).get("rank")
    try:
        return f"#{int(rank)} (trial {trial_id})"
    except (TypeError, ValueError):
        return f"trial {trial_id}"


def top_histories(report: Report) -> dict[str, pd.DataFrame]:
    """The per-epoch history of each top trial that has one (an epoch column, or epochs numbered from 1)."""
    out = {}
    for trial_id in top_trial_ids(report):
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


def metric_names(report: Report) -> tuple[str, str | None]:
    """The objective (validation) and its training twin's name (the same name without `val_`)."""
    name = report.objective.name
    return name, (name.removeprefix("val_") if name.startswith("val_") else None)


def baseline_line(report: Report) -> tuple[str, float] | None:
    """The naive baseline's validation figure in the objective's own units, where there is one.

    Forecasting's objective is measured on scaled (and differenced) targets while its baselines are in
    original units: no line. Classification's prior has a cross-entropy, accuracy and macro-F1 measured
    exactly as the model's are. Sequence regression records RMSE / MAE only, not the (scaled) MSE: no line.
    """
    if not report.presentation.baseline_in_objective_units:
        return None
    key = report.objective.name.removeprefix("val_")
    baselines = report.manifest.baselines.get("val") or {}
    for name, scores in baselines.items():
        value = number((scores or {}).get(key)) if isinstance(scores, dict) else None
        if value is not None:
            # The prior's accuracy and macro-F1 are those of always predicting the majority class.
            prior = "class prior (training class shares)" if key == "cross_entropy" else "always the majority class"
            what = prior if name == "prior" else f"{name} baseline"
            return what, value
    return None


def epoch_numbers(history: pd.DataFrame) -> np.ndarray:
    return numeric(history["epoch"]).to_numpy()


def spans_decades(values: np.ndarray, decades: float) -> bool:
    values = values[np.isfinite(values)]
    return bool(len(values) and values.min() > 0 and math.log10(values.max() / values.min()) > decades)


def tuned_hyperparameters(report: Report) -> list[str]:
    """The hyperparameters whose values vary across completed trials (the space's tunable ones, in order;
    others whose recorded values vary too, such as a conditional one)."""
    completed = completed_trials(report)
    if completed.empty:
        return []
    names = [n for n in report.tunable if n in completed]
    names += [n for n in report.manifest.hyperparameter_names if n in completed and n not in names]
    return [n for n in names if completed[n].dropna().astype(str).nunique() > 1]


def is_numeric(values: pd.Series) -> bool:
    present = values.dropna()
    if present.empty or present.map(lambda v: isinstance(v, (bool, np.bool_))).any():
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def log_in_space(report: Report, name: str) -> bool:
    """Whether the space samples this hyperparameter on a log scale (`{float: [a, b], log: true}`)."""
    space = (report.manifest.get("hyperparameters") or {}).get("space") or {}
    entry = space.get(name) if isinstance(space, dict) else None
    return isinstance(entry, dict) and bool(entry.get("log"))


def choice_in_space(report: Report, name: str) -> bool:
    """A `{choice: [...]}` hyperparameter is drawn as categories, numbers or not."""
    space = (report.manifest.get("hyperparameters") or {}).get("space") or {}
    entry = space.get(name) if isinstance(space, dict) else None
    return isinstance(entry, dict) and "choice" in entry


def category_order(label: str) -> tuple:
    """Numbers by value, then words alphabetically, the missing value last."""
    try:
        return (label == "-", 0, float(label), "")
    except ValueError:
        return (label == "-", 1, 0.0, label)


def tick(value: float, _position: Any = None) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def category(value: Any) -> str:
    """A category's tick label. Not `core.text.cell`: a column of whole numbers read back as floats
    (a choice of units next to a missing value) keeps its labels whole, and every value stays exact."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
