"""Pictures of a run for `lstmtune report --plots DIR` and the HTML report (matplotlib, Agg; no TensorFlow).

Each picture is drawn only when its data is there; a missing piece skips that picture.

    curves           learning curves of the top trials, best epoch marked, the naive baseline's line
    gap              validation / training metric per epoch for the top trials, the recorded gap marked
    hyperparameters  one panel per tuned hyperparameter: its value against the score
    parallel         parallel coordinates: each trial a line across the tuned hyperparameters, coloured by score
    importance       the importance of each tuned hyperparameter for the score
    predictions      the best model on the test split (over time, or predicted vs true)
    confusion        classification (and flagged anomalies): the best model's test confusion matrix
    scores           autoencoder: the test scores by class with the threshold, and the ROC curve
    reconstructions  autoencoder: a few validation and test sequences beside their reconstructions
    steps            autoencoder on a windowed series: the test series and each model's per-step score
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lstmtune.report.model import Report
from lstmtune.report.pictures.anomaly import plot_reconstructions, plot_scores, plot_steps
from lstmtune.report.pictures.parallel import plot_parallel
from lstmtune.report.pictures.predictions import plot_confusion, plot_predictions
from lstmtune.report.pictures.training import plot_curves, plot_gap, plot_hyperparameters, plot_importance

PICTURES: dict[str, Callable[[Report], bytes | None]] = {
    "curves": plot_curves,
    "gap": plot_gap,
    "hyperparameters": plot_hyperparameters,
    "parallel": plot_parallel,
    "importance": plot_importance,
    "predictions": plot_predictions,
    "confusion": plot_confusion,
    "scores": plot_scores,
    "reconstructions": plot_reconstructions,
    "steps": plot_steps,
}


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
