"""A sentence under each picture saying what it shows and how to read it (no matplotlib)."""

from __future__ import annotations

from lstmtune.report.model import Report
from lstmtune.report.pictures.canvas import baseline_line


def caption(report: Report, name: str) -> str:
    """A sentence saying what a picture shows and how to read it."""
    objective = report.objective
    train = objective.name.removeprefix("val_")
    baseline = baseline_line(report)
    reference = report.manifest.reference
    texts = {
        "curves": (
            f"Learning curves of the top trials: {objective.name} (solid) and its training twin {train} "
            "(dashed) per epoch; the star is the epoch whose weights were kept. "
            + (
                f"The dotted line is the {baseline[0]} on validation."
                if baseline
                else "No baseline line: the objective is measured on scaled targets, the baselines in original units."
                if not report.presentation.baseline_in_objective_units
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
        "parallel": (
            "Every completed trial as a line through one axis per tuned hyperparameter (its range, on a log "
            "scale where the space samples it so; choices evenly spaced), coloured by score, the best trial in "
            "red: where good lines bunch on an axis, that value range worked; lines spread over an axis say "
            "it mattered little."
        ),
        "importance": "How much each tuned hyperparameter mattered for the score across the completed trials.",
        "predictions": "The best model on the test split against the truth"
        + report.presentation.predictions_note
        + (f" The reference model ({reference['name']}) is drawn too." if reference and "name" in reference else ""),
        "confusion": (
            "The best model's test predictions: rows are the true classes, columns the predicted ones; "
            "numbers are counts, colour the share of each true class."
            + (
                " For anomalies, 'predicted' is what the threshold flags."
                if report.presentation.predictions == "scores"
                else ""
            )
        ),
        "scores": (
            "Each test sequence's score (its reconstruction error), by class where the run has labels; the "
            "dashed line is the threshold, set on normal validation sequences. The ROC curve shows how well "
            "the scores rank anomalies above normal sequences at every threshold (chance: the diagonal)."
        ),
        "reconstructions": (
            "The validation (top) and test (bottom) sequences each class reconstructs best and worst (first "
            "channel, scaled units): a model that learnt the normal shape rebuilds normal sequences closely and "
            "anomalies poorly, on both splits alike."
        ),
        "steps": (
            "The test part of the series (top) and the best and the reference model's per-step scores (bottom, log scale): a step's "
            "reconstruction error, weighed by its position in each window, averaged over the windows that hold it. A useful model peaks on the shaded "
            "labelled anomalies and stays low elsewhere; the triangles mark each model's highest step."
        ),
    }
    return texts.get(name, name)
