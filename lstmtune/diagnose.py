"""Plain-language findings about a run: overfitting, learning nothing, search ranges too narrow."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

# val_loss / train_loss above this at the best epoch is read as a generalisation gap worth a look.
GAP_WARNING = 1.5


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, text, NaN, inf)."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def diagnose(table: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    warnings = (manifest.get("data") or {}).get("warnings") or []
    findings: list[str] = [f"Data warning: {w}" for w in warnings if isinstance(w, str)]
    completed = table[table["status"] == "completed"]
    failed = table[table["status"] == "failed"]
    if completed.empty:
        if not failed.empty:
            reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
            findings.append(f"No trial completed; {len(failed)} failed (most often: {reason} ×{count}).")
        return findings

    best = completed.iloc[0]
    from lstmtune import manifest as run_manifest
    from lstmtune.tasks import get_task

    findings += get_task(run_manifest.task_name(manifest)).findings(best, manifest)

    gap = number(best.get("gap"))
    weighted = ((manifest.get("data") or {}).get("settings") or {}).get("class_weight") == "auto"
    if gap is not None and gap > GAP_WARNING and not weighted:  # a class-weighted training loss is not comparable
        findings.append(
            f"Validation loss is {gap:.2f}× training loss at the best epoch: a large generalisation gap. "
            "Either it overfits (search higher dropout and L2, fewer units) or the validation data "
            "behaves unlike the training data (a later period, other subjects)."
        )

    epochs = manifest.get("search", {}).get("epochs")
    best_epoch, epochs_run = number(best.get("best_epoch")), number(best.get("epochs_run"))
    if best_epoch is not None and epochs and best_epoch >= epochs:
        findings.append(f"The best trial was still improving at its last epoch ({int(best_epoch)}): raise --epochs.")
    elif best_epoch == 1 and epochs_run and epochs_run > 1:
        skill = number(best.get("skill"))
        if skill is not None and skill > 0:
            # It learned something in one epoch and lost it after: overfitting (or too large steps) at once.
            findings.append(
                "The best trial was best after its first epoch and got worse after it: it overfits from the start. "
                "Search lower learning rates and stronger dropout / L2, or fewer units."
            )
        else:
            findings.append(
                "The best trial was best after its first epoch: it learned little afterwards. "
                "Check the learning-rate range and whether the inputs carry signal."
            )

    edges = range_edges(best, manifest.get("hyperparameters", {}).get("space", {}))
    if edges:
        findings.append(f"At the edge of the searched range, which could be widened: {'; '.join(edges)}.")

    diverged_at = pd.to_numeric(completed.get("diverged_epoch", pd.Series(dtype=float)), errors="coerce")
    diverged = completed[diverged_at.fillna(0).to_numpy() > 0] if len(diverged_at) else completed.iloc[:0]
    if not diverged.empty:
        findings.append(
            f"{len(diverged)} completed trial(s) diverged (training loss became non-finite or exploded; their best epoch "
            f"before that was kept): trials {', '.join(diverged['trial_id'].astype(str))}. Lower the learning-rate range or set clipnorm."
        )
    if not failed.empty:
        reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
        findings.append(f"{len(failed)} of {len(table)} trials failed (most often: {reason} ×{count}).")

    return findings


def range_edges(best: pd.Series, space: dict[str, Any]) -> list[str]:
    """Tuned values of the best trial at a range edge that the hyperparameter's rule would let widen."""
    from lstmtune.space import COMMON_SPECS
    from lstmtune.tasks import TASK_NAMES, hyperparameter_specs

    # Every task's rules: a hyperparameter's rule is the same whichever task has it.
    SPECS = {**COMMON_SPECS, **{n: s for t in TASK_NAMES for n, s in hyperparameter_specs(t).items()}}
    edges = []
    for name, spec in space.items():
        if not isinstance(spec, dict) or not ({"int", "float"} & set(spec)) or name not in SPECS:
            continue
        low, high = spec.get("int") or spec.get("float")
        value = number(best.get(name))
        if value is None or high == low:
            continue
        beyond = low / 2 if spec.get("log") else low - max(abs(low), 1e-12) * 1e-3
        if value <= low and SPECS[name].ok(SPECS[name].type(beyond)):
            edges.append(f"{name} = {value:g} at the lower end of [{low:g}, {high:g}]")
        elif value >= high and SPECS[name].ok(SPECS[name].type(high * 2 if spec.get("log") else high + max(abs(high), 1) * 1e-3)):
            edges.append(f"{name} = {value:g} at the upper end of [{low:g}, {high:g}]")
    return edges
