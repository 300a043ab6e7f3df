"""Reconstruction errors and anomaly figures (numpy; scikit-learn for the ranking figures).

A sequence's score is its reconstruction error: the mean over its real steps (padding left out) of the
squared error averaged over channels, on the scaled inputs. A split's reconstruction MSE weighs every
real step of its normal sequences alike, exactly as the Keras metric the search ranks on does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The confusion matrix's classes, in its row and column order.
CLASSES = ["normal", "anomaly"]


def step_errors(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """(n, T): each step's squared error averaged over channels."""
    return np.mean((np.asarray(reconstruction, dtype=np.float64) - x) ** 2, axis=-1)


def sequence_scores(x: np.ndarray, reconstruction: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n,): each sequence's mean squared error over its real steps."""
    errors = step_errors(x, reconstruction) * mask
    return errors.sum(axis=1) / np.maximum(mask.sum(axis=1), 1)


def weighted_mse(x: np.ndarray, reconstruction: np.ndarray, weights: np.ndarray) -> float:
    """The mean of the steps' errors weighted by `weights` (n, T): 1 on normal sequences' real steps."""
    total = float(weights.sum())
    if total == 0:
        return float("nan")
    return float((step_errors(x, reconstruction) * weights).sum() / total)


def step_means(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(T, F): each step's per-channel mean over the sequences that reach it (0, the scaled mean, where none does)."""
    counts = mask.sum(axis=0)[:, None]
    sums = (x * mask[..., None]).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def threshold_at(scores: np.ndarray, pct: float) -> float:
    """The score at percentile `pct` of the (normal validation) sequences' scores."""
    return float(np.percentile(scores, pct)) if len(scores) else float("nan")


def placed_among(found: np.ndarray, reference: np.ndarray | None, pct: float) -> dict[str, np.ndarray]:
    """Each score's percentile among the sorted `reference` scores (the normal validation ones) and whether it
    lies above their `pct` percentile, the threshold; nothing without reference scores."""
    if reference is None or not len(reference):
        return {}
    return {
        "percentile": 100.0 * np.searchsorted(reference, found, side="right") / len(reference),
        "flagged": found > threshold_at(reference, pct),
    }


def excess_flags(flagged: np.ndarray, pct: float, what: str) -> str | None:
    """A note when the threshold flags far more of `what` (at least 20 of them) than the (100 - pct) % it
    flags among the normal validation ones: the new data scores higher than validation's normal data."""
    expected = (100.0 - pct) / 100.0
    share = float(np.mean(flagged)) if len(flagged) else 0.0
    if len(flagged) < 20 or share < max(3 * expected, expected + 0.05):
        return None
    return (
        f"the threshold (the {pct:g}th percentile of the normal validation {what}' scores) flags {share:.1%} of "
        f"these {what}, against {expected:.0%} of those: they score higher than validation's normal {what} "
        "(anomalies, or data unlike validation's)"
    )


def ranking_figures(scores: np.ndarray, anomalous: np.ndarray) -> dict[str, Any]:
    """ROC AUC and PR AUC (average precision) of the scores for telling anomalies from normal sequences;
    NaN where a split holds only one of the two."""
    if anomalous.all() or not anomalous.any():
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {
        "roc_auc": float(roc_auc_score(anomalous, scores)),
        "pr_auc": float(average_precision_score(anomalous, scores)),
    }


def flag_figures(scores: np.ndarray, threshold: float, anomalous: np.ndarray | None) -> dict[str, Any]:
    """What the threshold flags: the share of sequences above it and, with labels, the confusion matrix
    (rows: true normal / anomaly, columns: flagged normal / anomaly), precision and recall."""
    flagged = scores > threshold
    out: dict[str, Any] = {
        "threshold": float(threshold),
        "flagged_share": float(flagged.mean()) if len(scores) else 0.0,
    }
    if anomalous is None:
        return out
    matrix = [
        [int((~anomalous & ~flagged).sum()), int((~anomalous & flagged).sum())],
        [int((anomalous & ~flagged).sum()), int((anomalous & flagged).sum())],
    ]
    true_positive = matrix[1][1]
    out["precision"] = true_positive / int(flagged.sum()) if flagged.any() else float("nan")
    out["recall"] = true_positive / int(anomalous.sum()) if anomalous.any() else float("nan")
    out["confusion_matrix"] = matrix
    return out
