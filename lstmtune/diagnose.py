"""Plain-language findings about a run: overfitting, learning nothing, search ranges too narrow."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

# val_loss / train_loss above this at the best epoch is read as a generalisation gap worth a look.
GAP_WARNING = 1.5
# Fewer validation windows than this make the ranking of trials noisy.
FEW_WINDOWS = 30


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def diagnose(table: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    findings: list[str] = []
    completed = table[table["status"] == "completed"]
    failed = table[table["status"] == "failed"]
    if completed.empty:
        if not failed.empty:
            reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
            findings.append(f"No trial completed; {len(failed)} failed (most often: {reason} ×{count}).")
        return findings

    best = completed.iloc[0]
    findings += _against_baselines(best, manifest)

    gap = _number(best.get("gap"))
    if gap is not None and gap > GAP_WARNING:
        findings.append(
            f"Validation loss is {gap:.2f}× training loss at the best epoch: a large generalisation gap. "
            "Either it overfits (search higher dropout and L2, fewer units) or the validation period "
            "behaves unlike the training one."
        )

    epochs = manifest.get("search", {}).get("epochs")
    best_epoch, epochs_run = _number(best.get("best_epoch")), _number(best.get("epochs_run"))
    if best_epoch is not None and epochs and best_epoch >= epochs:
        findings.append(f"The best trial was still improving at its last epoch ({int(best_epoch)}): raise --epochs.")
    elif best_epoch == 1 and epochs_run and epochs_run > 1:
        findings.append(
            "The best trial was best after its first epoch: it learned little afterwards. "
            "Check the learning-rate range and whether the inputs carry signal."
        )

    edges = range_edges(best, manifest.get("hyperparameters", {}).get("space", {}))
    if edges:
        findings.append(f"At the edge of the searched range, which could be widened: {'; '.join(edges)}.")

    diverged = completed[completed["note"].astype(str).str.contains("non-finite")]
    if not diverged.empty:
        findings.append(
            f"{len(diverged)} completed trial(s) diverged (training loss became non-finite; their best epoch "
            f"before that was kept): trials {', '.join(diverged['trial_id'].astype(str))}. Lower the learning-rate range or set clipnorm."
        )
    if not failed.empty:
        reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
        findings.append(f"{len(failed)} of {len(table)} trials failed (most often: {reason} ×{count}).")

    rows = manifest.get("data", {}).get("splits", {}).get("val", {}).get("rows")
    if rows and rows[1] - rows[0] < FEW_WINDOWS:
        findings.append(
            f"Validation holds only {rows[1] - rows[0]} windows: differences between trials may be noise. "
            "More data or a larger validation share (--split) makes the ranking firmer."
        )
    return findings


def _against_baselines(best: pd.Series, manifest: dict[str, Any]) -> list[str]:
    findings = []
    skill = _number(best.get("skill"))
    transform = manifest.get("data", {}).get("settings", {}).get("transform")
    if skill is not None and skill <= 0:
        verdict = "is worse than" if skill < -0.005 else "is no better than"
        advice = ("Try --transform diff or logdiff (an LSTM cannot extrapolate levels), a longer lookback, or more data."
                  if transform == "none" else
                  "Try a longer lookback, more epochs, other --features, or check that the series is predictable at all.")
        findings.append(f"The best trial {verdict} repeating the last value on validation (skill {skill:.3g}). {advice}")
    elif skill is not None:
        findings.append(f"The best trial beats persistence on validation: skill {skill:.3f} (1 = perfect, 0 = no better).")

    seasonal = manifest.get("baselines", {}).get("val", {}).get("seasonal")
    model_rmse = _number(best.get("val_rmse"))
    if seasonal and model_rmse is not None and seasonal.get("rmse") is not None and seasonal["rmse"] <= model_rmse:
        season = manifest.get("data", {}).get("settings", {}).get("season")
        findings.append(
            f"Seasonal naive (period {season}) beats the best trial on validation (RMSE {seasonal['rmse']:.4g} "
            f"against {model_rmse:.4g}): give the model a lookback of at least {season} and more epochs."
        )
    return findings


def range_edges(best: pd.Series, space: dict[str, Any]) -> list[str]:
    """Tuned values of the best trial at a range edge that the hyperparameter's rule would let widen."""
    from lstmtune.space import SPECS

    edges = []
    for name, spec in space.items():
        if not isinstance(spec, dict) or not ({"int", "float"} & set(spec)) or name not in SPECS:
            continue
        low, high = spec.get("int") or spec.get("float")
        value = _number(best.get(name))
        if value is None or high == low:
            continue
        beyond = low / 2 if spec.get("log") else low - max(abs(low), 1e-12) * 1e-3
        if value <= low and SPECS[name].ok(SPECS[name].type(beyond)):
            edges.append(f"{name} = {value:g} at the lower end of [{low:g}, {high:g}]")
        elif value >= high and SPECS[name].ok(SPECS[name].type(high * 2 if spec.get("log") else high + max(abs(high), 1) * 1e-3)):
            edges.append(f"{name} = {value:g} at the upper end of [{low:g}, {high:g}]")
    return edges
