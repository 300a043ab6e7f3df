"""Linear models on fixed features, the references of the one-label-per-item tasks (scikit-learn).

Classification: multinomial logistic regression, its inverse regularisation C chosen on the validation
split by the search's own objective (cross-entropy, accuracy or macro-F1); regression: ridge regression,
its alpha chosen on validation RMSE. Fitted on the training items only, scored with the figures the
LSTM's outputs get.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmtune.core.objective import Objective
from lstmtune.tasks.reference import Candidate, best_on_validation
from lstmtune.tasks.scoring import classification_figures, regression_figures, skill_basis

SPLITS = ("train", "val", "test")
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
ALPHA_GRID = tuple(float(a) for a in np.logspace(-2, 5, 8))


def figure_of(objective: Objective) -> str:
    """The figure a classification objective names (val_accuracy -> accuracy)."""
    return objective.name.removeprefix("val_")


def classifier(
    name: str,
    features: dict[str, Any],
    labels: dict[str, np.ndarray],
    prior: np.ndarray,
    objective: Objective,
    balanced: bool,
    grid: tuple[float, ...] = C_GRID,
) -> Candidate:
    """Logistic regression with C chosen on validation; probabilities for every class of the prior."""
    from sklearn.linear_model import LogisticRegression

    n_classes = len(prior)
    candidates = []
    for c in grid:
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
        model.fit(features["train"], labels["train"])
        probabilities = {split: _all_classes(model, features[split], n_classes) for split in ("val", "test")}
        basis = skill_basis(objective.name.removeprefix("val_"), balanced)
        figures = {split: classification_figures(labels[split], p, prior, basis) for split, p in probabilities.items()}
        candidates.append(Candidate(f"C={c:g}", {"C": c}, figures, predictions=probabilities["test"]))
    chosen = best_on_validation(candidates, figure_of(objective), objective.maximised)
    return Candidate(
        name,
        {**chosen.parameters, "chosen_on": f"validation {figure_of(objective)}"},
        chosen.figures,
        predictions=chosen.predictions.argmax(axis=1),
    )


def regressor(
    name: str,
    features: dict[str, Any],
    targets: dict[str, np.ndarray],
    train_mean: float,
    grid: tuple[float, ...] = ALPHA_GRID,
) -> Candidate:
    """Ridge regression with alpha chosen on validation RMSE; targets in original units."""
    from sklearn.linear_model import Ridge

    candidates = []
    for alpha in grid:
        model = Ridge(alpha=alpha).fit(features["train"], targets["train"])
        predictions = {split: model.predict(features[split]) for split in ("val", "test")}
        figures = {split: regression_figures(targets[split], p, train_mean) for split, p in predictions.items()}
        candidates.append(Candidate(f"alpha={alpha:g}", {"alpha": alpha}, figures, predictions=predictions["test"]))
    chosen = best_on_validation(candidates, "rmse")
    return Candidate(
        name, {**chosen.parameters, "chosen_on": "validation rmse"}, chosen.figures, predictions=chosen.predictions
    )


def _all_classes(model: Any, features: Any, n_classes: int) -> np.ndarray:
    """(n, n_classes) probabilities; a class absent from the training items gets none."""
    out = np.zeros((features.shape[0], n_classes))
    out[:, model.classes_.astype(int)] = model.predict_proba(features)
    return out
