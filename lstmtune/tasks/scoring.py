"""Figures for one-label-per-item tasks (text, sequence): classification and regression (numpy only).

Classification skill is measured on what the search optimises (its basis, `skill_basis`): with the
cross-entropy objective 1 - CE_model / CE_prior, the prior predicting the training class frequencies
for every item; with accuracy or macro-F1 (and with class weights, which tilt probabilities away from
the class shares on purpose, so cross-entropy would call a good model worse than the prior: macro-F1)
(F_model - F_majority) / (1 - F_majority), the majority class predicted for every item. 0 means no
better than that naive baseline, 1 is perfect, whichever the basis.
Regression skill is 1 - RMSE_model / RMSE_mean, the mean being the training targets' mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmtune.core.objective import Direction, Objective

EPSILON = 1e-7  # probabilities are clipped like Keras' cross-entropy does

# What a classification search may rank on (--objective).
CLASSIFICATION_OBJECTIVES: dict[str, Objective] = {
    "cross_entropy": Objective("val_cross_entropy", Direction.MIN, "validation cross-entropy"),
    "accuracy": Objective("val_accuracy", Direction.MAX, "validation accuracy"),
    "macro_f1": Objective("val_macro_f1", Direction.MAX, "validation macro-F1"),
}


# What skill is computed on, and how the report's caption says it.
SKILL_CAPTIONS = {
    "cross_entropy": "skill = 1 - cross-entropy / cross-entropy of the training class shares (prior)",
    "accuracy": "skill = (accuracy - the majority class's) / (1 - the majority class's)",
    "macro_f1": "skill = (macro-F1 - the majority class's) / (1 - the majority class's)",
}


def skill_basis(objective: str, class_weighted: bool) -> str:
    """The figure classification skill is computed on: the objective's own; macro-F1 instead of
    cross-entropy when class weights are on (weighted training moves probabilities away from the class
    shares, which cross-entropy against the prior would count as a loss)."""
    if objective == "cross_entropy" and class_weighted:
        return "macro_f1"
    return objective


def class_prior(train_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Training class frequencies (each class at least once in spirit: clipped away from 0 later)."""
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=n_classes).astype(float)
    return counts / counts.sum()


def balanced_class_weights(train_labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """{class id: n / (K * count)} over the training labels (classes with no training item left out)."""
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=n_classes)
    total = float(counts.sum())
    return {k: total / (n_classes * float(c)) for k, c in enumerate(counts) if c > 0}


def cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes; probabilities are (n, K)."""
    picked = probabilities[np.arange(len(labels)), np.asarray(labels, dtype=int)]
    return float(-np.mean(np.log(np.clip(picked, EPSILON, 1.0))))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: true class; columns: predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (np.asarray(labels, dtype=int), np.asarray(predicted, dtype=int)), 1)
    return matrix


def macro_f1(matrix: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes present in truth or prediction."""
    true_pos = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    present = (predicted + actual) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(predicted + actual > 0, 2 * true_pos / (predicted + actual), 0.0)
    return float(f1[present].mean()) if present.any() else 0.0


def as_probabilities(outputs: np.ndarray, n_classes: int) -> np.ndarray:
    """Model outputs -> (n, K) class probabilities (a sigmoid head gives one column for class 1)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if n_classes == 2 and (outputs.ndim == 1 or outputs.shape[-1] == 1):
        positive = outputs.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return outputs.reshape(len(outputs), n_classes)


def classification_figures(
    labels: np.ndarray, probabilities: np.ndarray, prior: np.ndarray, basis: str = "cross_entropy"
) -> dict[str, Any]:
    """accuracy, macro_f1, cross_entropy, and skill on `basis` (see `skill_basis`) over the naive baseline."""
    n_classes = len(prior)
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(labels, predicted, n_classes)
    figures: dict[str, Any] = {
        "accuracy": float(np.mean(predicted == labels)) if len(labels) else float("nan"),
        "macro_f1": macro_f1(matrix),
        "cross_entropy": cross_entropy(labels, probabilities),
    }
    if basis == "cross_entropy":
        prior_ce = cross_entropy(labels, np.tile(prior, (len(labels), 1)))
        skill = 1.0 - figures["cross_entropy"] / prior_ce if prior_ce > 0 else float("nan")
    else:
        majority = np.full(len(labels), int(np.argmax(prior)))
        naive = {
            "accuracy": float(np.mean(majority == labels)) if len(labels) else float("nan"),
            "macro_f1": macro_f1(confusion_matrix(labels, majority, n_classes)),
        }[basis]
        skill = (figures[basis] - naive) / (1.0 - naive) if naive < 1 else float("nan")
    return {**figures, "skill": skill, "items": int(len(labels)), "confusion_matrix": matrix.tolist()}


def majority_accuracy(labels: np.ndarray, prior: np.ndarray) -> float:
    """Share of `labels` in the training majority class (the prior baseline's accuracy)."""
    labels = np.asarray(labels)
    return float(np.mean(labels == int(np.argmax(prior)))) if len(labels) else float("nan")


def prior_figures(labels: np.ndarray, prior: np.ndarray, basis: str = "cross_entropy") -> dict[str, Any]:
    """The class-prior baseline (its accuracy is the majority class's; its skill 0 on every basis)."""
    probabilities = np.tile(prior, (len(labels), 1))
    figures = classification_figures(labels, probabilities, prior, basis)
    figures.pop("confusion_matrix")
    return figures


def regression_figures(truth: np.ndarray, prediction: np.ndarray, train_mean: float) -> dict[str, Any]:
    """rmse, mae and skill = 1 - RMSE / RMSE of predicting the training mean."""
    truth, prediction = np.asarray(truth, dtype=float).reshape(-1), np.asarray(prediction, dtype=float).reshape(-1)
    rmse = float(np.sqrt(np.mean((prediction - truth) ** 2)))
    naive = float(np.sqrt(np.mean((train_mean - truth) ** 2)))
    return {
        "rmse": rmse,
        "mae": float(np.mean(np.abs(prediction - truth))),
        "skill": 1.0 - rmse / naive if naive > 0 else float("nan"),
        "items": int(len(truth)),
    }


def mean_figures(truth: np.ndarray, train_mean: float) -> dict[str, Any]:
    """The training-mean baseline for regression."""
    return regression_figures(truth, np.full(len(np.asarray(truth).reshape(-1)), train_mean), train_mean)


# The ranked table's figure columns after the score (keys of a trial's metrics).
CLASSIFICATION_FIGURES = ("val_accuracy", "val_macro_f1", "val_cross_entropy", "skill")
REGRESSION_FIGURES = ("val_rmse", "val_mae", "skill")
