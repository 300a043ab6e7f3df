"""Findings for one-label-per-item tasks (text, sequence): the best trial against its naive baselines."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lstmtune.core.text import number

# Fewer validation items than this make the ranking of trials noisy.
FEW_ITEMS = 50
# A skill below this over the class prior is read as "hardly learned" (deepchecks asks 0.1 of a gain).
SMALL_SKILL = 0.05
# The majority class counts as dominant above this multiple of an even share (1 / classes).
IMBALANCE = 1.2


# What a classification skill compares (run.json data.skill_basis): the naive baseline, and on what.
SKILL_WORDS = {
    "cross_entropy": ("guessing the training class shares", "cross-entropy against the prior's"),
    "accuracy": ("always predicting the majority class", "accuracy against the majority class's"),
    "macro_f1": ("always predicting the majority class", "macro-F1 against the majority class's"),
}


def against_prior(best: pd.Series, manifest: dict[str, Any]) -> list[str]:
    findings = []
    skill = number(best.get("skill"))
    baselines = (manifest.get("baselines") or {}).get("val") or {}
    if "prior" in baselines:
        prior = baselines["prior"]
        accuracy, majority = number(best.get("val_accuracy")), number(prior.get("accuracy"))
        basis = str((manifest.get("data") or {}).get("skill_basis") or "cross_entropy")
        naive, measured = SKILL_WORDS.get(basis, SKILL_WORDS["cross_entropy"])
        if skill is not None and skill <= 0:
            findings.append(
                f"The best trial is no better than {naive} on validation (skill {skill:.3g}, "
                f"{measured}): it has not learned. The diagnoses below say why where they can "
                "(unstable, overfits, not_learning); check that the labels follow from the inputs."
            )
        elif skill is not None and skill < SMALL_SKILL:
            findings.append(
                f"The best trial is barely better than {naive} on validation (skill {skill:.3f}, {measured}): "
                "it has hardly learned; the diagnoses below say why where they can."
            )
        elif skill is not None:
            findings.append(
                f"The best trial beats {naive} on validation: skill {skill:.3f} "
                f"({measured}; 1 = perfect, 0 = no better)."
            )
        if accuracy is not None and majority is not None and accuracy <= majority:
            data = manifest.get("data") or {}
            classes = len(data.get("labels") or []) or 2
            settings = data.get("settings") or {}
            imbalanced = majority > IMBALANCE / classes
            untried = [
                hint
                for hint, done in (
                    ("--class-weight auto", settings.get("class_weight") == "auto"),
                    ("--objective macro_f1", settings.get("objective") == "macro_f1"),
                )
                if not done
            ]
            advice = (
                f"with imbalanced classes try {' or '.join(untried)}."
                if imbalanced and untried
                else "it does not tell the classes apart yet."
            )
            if basis == "macro_f1" and skill is not None and skill >= SMALL_SKILL:
                # Class weights and macro-F1 trade hits on the majority class for hits on the others.
                findings.append(
                    f"Its validation accuracy {accuracy:.3f} is below always predicting the majority class "
                    f"({majority:.3f}), as expected when the search values every class alike "
                    f"(macro-F1 {number(best.get('val_macro_f1')) or 0:.3f} against the majority class's "
                    f"{number(prior.get('macro_f1')) or 0:.3f})."
                )
            else:
                findings.append(
                    f"Its validation accuracy {accuracy:.3f} is no better than always predicting the majority class "
                    f"({majority:.3f}): {advice}"
                )
        items = prior.get("items")
    else:
        if skill is not None and skill <= 0:
            findings.append(
                f"The best trial is no better than predicting the training mean on validation (skill {skill:.3g})."
            )
        elif skill is not None:
            findings.append(
                f"The best trial beats the training mean on validation: skill {skill:.3f} "
                "(1 - RMSE / RMSE of the mean)."
            )
        items = (baselines.get("mean") or {}).get("items")
    if isinstance(items, int) and items < FEW_ITEMS:
        findings.append(
            f"Validation holds only {items} items: differences between trials may be noise. "
            "More data or a larger validation share (--split) makes the ranking firmer."
        )
    return findings
