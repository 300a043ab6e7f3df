"""Pictures of an autoencoder run: the test scores by class with the threshold and the ROC curve, a few
validation and test sequences beside their reconstructions, and a windowed series' per-step scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmtune.report.model import Report
from lstmtune.report.pictures.canvas import COLORS, new_figure, numeric, png, read_run_csv
from lstmtune.report.pictures.predictions import read_predictions

MAX_EXAMPLES = 4


def _roc(scores: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) over every threshold, highest score first."""
    order = np.argsort(-scores, kind="stable")
    hits = anomalous[order]
    tpr = np.r_[0.0, np.cumsum(hits) / max(1, hits.sum())]
    fpr = np.r_[0.0, np.cumsum(~hits) / max(1, (~hits).sum())]
    return fpr, tpr


def plot_scores(report: Report) -> bytes | None:
    """Left: the test sequences' scores, by class when labelled, and the threshold; right (labelled): the
    ROC curves of the best model's and the reference's scores."""
    if report.presentation.predictions != "scores":
        return None
    frame = read_predictions(report)
    if frame is None:
        return None
    found = numeric(frame["prediction"]).to_numpy(dtype=float)
    if not np.isfinite(found).any():
        return None
    normal = str(report.manifest.data.get("normal") or "")
    labelled = bool(normal) and "truth" in frame
    anomalous = (frame["truth"].astype(str) != normal).to_numpy() if labelled else np.zeros(len(frame), bool)
    labelled = labelled and anomalous.any() and not anomalous.all()
    figure = new_figure((10.0, 4.0) if labelled else (6.0, 4.0))
    axes = figure.add_subplot(1, 2, 1) if labelled else figure.add_subplot()
    bins = np.linspace(np.nanmin(found), np.nanmax(found), 30)
    if labelled:
        axes.hist(found[~anomalous], bins=bins, alpha=0.6, color=COLORS[0], label=f"normal ({normal})")
        axes.hist(found[anomalous], bins=bins, alpha=0.6, color=COLORS[3], label="anomalous")
    else:
        axes.hist(found, bins=bins, alpha=0.7, color=COLORS[0], label="test sequences")
    threshold = ((report.best or {}).get("test") or {}).get("threshold")
    if isinstance(threshold, (int, float)) and np.isfinite(threshold):
        axes.axvline(float(threshold), color="0.2", linestyle="--", linewidth=1.2, label="threshold")
    axes.set_xlabel("score: reconstruction error (scaled inputs)")
    axes.set_ylabel("test sequences")
    axes.set_title("Test scores", fontsize=10)
    axes.legend(fontsize=8)
    if labelled:
        roc = figure.add_subplot(1, 2, 2)
        fpr, tpr = _roc(found, anomalous)
        auc = ((report.best or {}).get("test") or {}).get("roc_auc")
        roc.plot(
            fpr, tpr, color=COLORS[0], label=f"best model (AUC {auc:.3f})" if isinstance(auc, float) else "best model"
        )
        if "reference" in frame and numeric(frame["reference"]).notna().all():
            theirs = numeric(frame["reference"]).to_numpy(dtype=float)
            fpr, tpr = _roc(theirs, anomalous)
            roc.plot(fpr, tpr, color=COLORS[2], linestyle="-.", label="reference model")
        roc.plot([0, 1], [0, 1], color="0.6", linestyle=":", label="chance")
        roc.set_xlabel("false positive rate")
        roc.set_ylabel("true positive rate")
        roc.set_title("ROC curve on test", fontsize=10)
        roc.legend(fontsize=8, loc="lower right")
    return png(figure)


def read_examples(report: Report) -> pd.DataFrame | None:
    needed = {"item", "label", "score", "step", "channel", "input", "reconstruction"}
    return read_run_csv(report.run_dir.reconstructions, needed)


def plot_reconstructions(report: Report) -> bytes | None:
    """The validation and test sequences each class rebuilds best and worst (first channel): a row per
    split, input beside the best model's reconstruction."""
    frame = read_examples(report)
    if frame is None:
        return None
    if "split" not in frame.columns:  # a run that kept test sequences only
        frame = frame.assign(split="test")
    splits = [s for s in ("val", "test") if (frame["split"] == s).any()]
    if not splits:
        return None
    by_split = {s: list(dict.fromkeys(frame.loc[frame["split"] == s, "item"].tolist()))[:MAX_EXAMPLES] for s in splits}
    columns = max(len(items) for items in by_split.values())
    figure = new_figure((3.0 * columns + 0.6, 2.3 * len(splits) + 0.6))
    for row, split in enumerate(splits):
        for k, item in enumerate(by_split[split]):
            rows = frame[(frame["split"] == split) & (frame["item"] == item)]
            rows = rows[rows["channel"] == rows["channel"].iloc[0]]
            axes = figure.add_subplot(len(splits), columns, row * columns + k + 1)
            axes.plot(rows["step"], numeric(rows["input"]), color="0.2", linewidth=1.2, label="input")
            axes.plot(
                rows["step"], numeric(rows["reconstruction"]), color=COLORS[1], linewidth=1.2, label="reconstruction"
            )
            label = str(rows["label"].iloc[0]) if str(rows["label"].iloc[0]) not in ("", "nan") else ""
            name = "validation" if split == "val" else "test"
            axes.set_title(
                f"{name} {item}{f' (label {label})' if label else ''}: score {float(rows['score'].iloc[0]):.3g}",
                fontsize=8,
            )
            axes.tick_params(labelsize=7)
            if row == 0 and k == 0:
                axes.legend(fontsize=7)
    figure.suptitle("Validation and test sequences and their reconstructions (scaled units)", fontsize=10)
    return png(figure)


def read_steps(report: Report) -> pd.DataFrame | None:
    return read_run_csv(report.run_dir.step_scores, {"time", "value", "score"})


def _spans(flags: np.ndarray) -> list[tuple[int, int]]:
    """The [first, last] positions of each run of true values."""
    edges = np.flatnonzero(np.diff(np.r_[0, flags.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def plot_steps(report: Report) -> bytes | None:
    """A windowed series on test (top) and the best and the reference model's per-step scores beneath it (log scale), the
    labelled anomalous steps shaded and each model's highest step marked."""
    frame = read_steps(report)
    if frame is None:
        return None
    times = numeric(frame["time"])
    x = times.to_numpy(dtype=float) if times.notna().all() else np.arange(len(frame), dtype=float)
    figure = new_figure((10.0, 5.0))
    top, bottom = figure.add_subplot(2, 1, 1), figure.add_subplot(2, 1, 2)
    top.plot(x, numeric(frame["value"]), color="0.2", linewidth=0.8)
    top.set_ylabel("value (first channel)", fontsize=8)
    if "anomalous" in frame:
        flags = frame["anomalous"].astype(str).str.lower().eq("true").to_numpy()
        for k, (a, b) in enumerate(_spans(flags)):
            for axes in (top, bottom):
                axes.axvspan(
                    x[a] - 0.5, x[b] + 0.5, color=COLORS[3], alpha=0.25, label="labelled anomaly" if k == 0 else None
                )
    for column, color, style, name in (
        ("score", COLORS[0], "-", "best model"),
        ("reference", COLORS[2], "-.", "reference model"),
    ):
        if column not in frame:
            continue
        found = numeric(frame[column]).to_numpy(dtype=float)
        if not np.isfinite(found).any():
            continue
        bottom.plot(x, np.maximum(found, 1e-12), color=color, linestyle=style, linewidth=0.9, label=name)
        peak = int(np.nanargmax(found))
        bottom.plot([x[peak]], [max(found[peak], 1e-12)], marker="v", color=color, markersize=7)
    bottom.set_yscale("log")
    bottom.set_ylabel("step score (log)", fontsize=8)
    bottom.set_xlabel("time" if times.notna().all() else "test step")
    bottom.legend(fontsize=7, loc="upper left")
    if "anomalous" in frame:
        top.legend(fontsize=7, loc="upper left")
    for axes in (top, bottom):
        axes.tick_params(labelsize=7)
    figure.suptitle("Test series and per-step scores (triangles: each model's highest step)", fontsize=10)
    return png(figure)
