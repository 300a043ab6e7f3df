"""Texts every renderer shows alike: short column headers, the sparkline, the workers and confusion lines."""

from __future__ import annotations

import math
from typing import Any

from lstmtune.core.text import cell, plural
from lstmtune.report.model import Report

# The ranked table's short headers, to fit 80 columns.
HEADERS = {
    "trial_id": "trial",
    "val_rmse": "rmse",
    "val_accuracy": "acc",
    "val_macro_f1": "f1",
    "best_epoch": "best",
    "epochs_run": "epochs",
    "seconds": "sec",
    "score_sd": "sd",
}
SPARKS = "▁▂▃▄▅▆▇█"


# A sparkline's height spans its curve's own range, but at least this share of the curve's magnitude:
# a curve that moved 1% stays flat (▁), one that halved fills the height.
SPARK_MIN_SPAN = 0.1
SPARK_SCALE = "curves: ▁ = the trial's lowest value, full height = its range or 10% of its value, whichever is larger"


def sparkline(values: list[float], width: int = 24) -> str:
    """A one-line learning curve, lowest value ▁; its height spans the curve's range, but at least
    SPARK_MIN_SPAN of its magnitude, so a nearly flat curve looks flat; non-finite epochs show as ×."""
    if len(values) > width:  # keep the last value, sample the rest evenly
        step = len(values) / width
        values = [values[min(len(values) - 1, round(i * step))] for i in range(width - 1)] + [values[-1]]
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = max(high - low, SPARK_MIN_SPAN * max(abs(low), abs(high))) or 1.0
    return "".join(
        SPARKS[min(len(SPARKS) - 1, int((v - low) / span * len(SPARKS)))]
        if isinstance(v, float) and math.isfinite(v)
        else "×"
        for v in values
    )


def device_line(manifest: dict[str, Any]) -> str | None:
    """Where the trials trained: the GPUs TensorFlow saw, or the CPU and its cores (run.json `device`), and
    whether in mixed precision."""
    device = manifest.get("device")
    if not isinstance(device, dict):
        return None
    search = manifest.get("search")
    mixed = ", mixed precision (float16 compute)" if isinstance(search, dict) and search.get("mixed_precision") else ""
    gpus = [str(gpu) for gpu in device.get("gpus") or [] if gpu]
    if device.get("kind") == "gpu" and gpus:
        return f"device: {len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({', '.join(gpus)}){mixed}"
    cores = device.get("cpu_cores")
    where = "device: CPU" + (f" ({cores} cores)" if isinstance(cores, int) else "")
    return where + ", no GPU seen by TensorFlow" + mixed


def workers_line(manifest: dict[str, Any]) -> str | None:
    """A parallel search's workers: how many, who ran how many trials, deaths and restarts."""
    workers = manifest.get("workers")
    if not isinstance(workers, dict):
        return None
    ran = workers.get("trials_by_worker") or {}
    parts = [f"workers: {workers.get('count')} local"]
    if ran:
        parts.append("trials by worker: " + ", ".join(f"{name} {count}" for name, count in sorted(ran.items())))
    deaths, restarts = len(workers.get("deaths") or []), workers.get("restarts") or 0
    if deaths or restarts:
        parts.append(f"{deaths} died, {restarts} restarted (see RUN_DIR/workers/)")
    return "  ".join(parts)


def confusion_lines(report: Report) -> list[str]:
    """The best model's test confusion matrix (rows: true class, columns: predicted), for classification."""
    matrix = ((report.best or {}).get("test") or {}).get("confusion_matrix")
    labels = report.manifest.data.get("labels")
    if not matrix or not isinstance(labels, list) or len(labels) != len(matrix):
        return []
    names = [str(label) for label in labels]
    width = max(6, *(len(n) for n in names), *(len(str(v)) for row in matrix for v in row))
    lines = [
        "Test confusion matrix (rows: true class, columns: predicted):",
        " " * (width + 2) + " ".join(n.rjust(width) for n in names),
    ]
    lines += [names[i].rjust(width) + "  " + " ".join(str(v).rjust(width) for v in row) for i, row in enumerate(matrix)]
    return lines


def step_lines(report: Report) -> list[str]:
    """A windowed series' per-step test scores: where each model's highest step score lies and, with
    labels, how far that is from the nearest anomalous step and how well the step scores rank them."""
    best_steps = ((report.best or {}).get("test") or {}).get("steps")
    if not isinstance(best_steps, dict) or not best_steps:
        return []
    models = [("best model", best_steps)]
    mean = ((report.manifest.baselines.get("test") or {}).get("mean") or {}).get("steps")
    if isinstance(mean, dict) and mean:
        models.append(("mean", mean))
    reference = report.manifest.reference
    theirs = ((reference or {}).get("test") or {}).get("steps") if isinstance(reference, dict) else None
    if isinstance(theirs, dict) and theirs:
        models.append((f"reference ({reference.get('name')})", theirs))
    weighed = ", weighed by its position in each window," if best_steps.get("weighed") else ""
    lines = [
        f"Per-step test scores ({best_steps.get('steps')} steps; each step's reconstruction error{weighed} "
        "averaged over the windows that hold it):"
    ]
    for name, figures in models:
        parts = [f"highest at {figures.get('top')}"]
        distance = figures.get("top_distance")
        if isinstance(distance, int):
            parts[0] += (
                " (on a labelled anomalous step)"
                if distance == 0
                else f" ({plural(distance, 'step')} from the nearest anomalous step)"
            )
        if isinstance(figures.get("roc_auc"), (int, float)):
            parts.append(f"step ROC AUC {cell(figures['roc_auc'])}, PR AUC {cell(figures.get('pr_auc'))}")
        lines.append(f"  {name}: " + "; ".join(parts))
    return lines


# How the figures of several forecast targets read (tasks.forecast.metrics).
SCALED_TARGETS = (
    "each target in its own units; all targets: skill averaged, rmse and mae scale-free, each target's divided "
    "by the root mean square / mean absolute one-step change of its training rows, then averaged (RMSSE, MASE)"
)


def several_targets(report: Report) -> int:
    """How many forecast targets the figures are scale-free over: 0 for one target or another task."""
    targets = len(report.manifest.data.get("targets") or [])
    return targets if report.presentation.original_units and targets > 1 else 0


def targets_note(report: Report) -> str | None:
    """With several forecast targets: how the trials' rmse, mae and skill read (None otherwise)."""
    targets = several_targets(report)
    if not targets:
        return None
    return (
        f"rmse, mae: scale-free over the {targets} targets (RMSSE, MASE: each target's divided by its "
        "training rows' typical one-step change, then averaged), skill averaged; each target's own figures are in "
        "the figures table"
    )


def figures_title(report: Report) -> str:
    """The title of the table of the best model against the baselines (and the reference model)."""
    against = "naive baselines and the reference model" if report.manifest.reference else "naive baselines"
    units = ""
    if report.presentation.original_units:
        units = f" ({SCALED_TARGETS})" if several_targets(report) else " (original units)"
    return f"Best model against {against}{units}"
