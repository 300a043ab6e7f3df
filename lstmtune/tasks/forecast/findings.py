"""Forecasting's findings: the best trial against persistence and seasonal naive."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lstmtune.core.text import number as _number
from lstmtune.tasks.findings import SMALL_SKILL

# Fewer validation windows than this make the ranking of trials noisy.
FEW_WINDOWS = 30


def trained_transform(best: pd.Series, manifest: dict[str, Any]) -> Any:
    """The transform the best trial trained with: its own where the space searched it, else the run's."""
    own = best.get("transform")
    if isinstance(own, str) and own != "auto":
        return own
    return manifest.get("data", {}).get("settings", {}).get("transform")


def transform_advice(manifest: dict[str, Any], names: str) -> str:
    """How to try other transforms: the flag, or the space's choice when the run searched them."""
    if manifest.get("data", {}).get("searched_transforms"):
        return f"add {names} to the transforms hyperparameters.transform searches"
    return f"try --transform {names}"


def against_baselines(best: pd.Series, manifest: dict[str, Any]) -> list[str]:
    findings = []
    skill = _number(best.get("skill"))
    transform = trained_transform(best, manifest)
    if skill is not None and skill <= 0:
        verdict = "is worse than" if skill < -0.005 else "is no better than"
        advice = (
            f"{transform_advice(manifest, 'diff or logdiff').capitalize()} (an LSTM cannot extrapolate levels), a "
            "longer lookback, or more data."
            if transform == "none"
            else "The diagnoses below say why where they can (unstable, overfits, not_learning); otherwise try a longer "
            "lookback, more epochs, other --features, or check that the series is predictable at all."
        )
        findings.append(
            f"The best trial {verdict} repeating the last value on validation (skill {skill:.3g}). {advice}"
        )
    elif skill is not None and skill < SMALL_SKILL:
        findings.append(
            f"The best trial is barely better than persistence on validation (skill {skill:.3f}): it has hardly "
            "learned; the diagnoses below say why where they can."
        )
    elif skill is not None:
        findings.append(
            f"The best trial beats persistence on validation: skill {skill:.3f} (1 = perfect, 0 = no better)."
        )

    seasonal = manifest.get("baselines", {}).get("val", {}).get("seasonal")
    model_rmse = _number(best.get("val_rmse"))
    if seasonal and model_rmse is not None and seasonal.get("rmse") is not None and seasonal["rmse"] <= model_rmse:
        settings = manifest.get("data", {}).get("settings", {})
        season = settings.get("season")
        lookback = _number(best.get("lookback"))
        if lookback is not None and isinstance(season, int) and lookback >= season:
            transform = trained_transform(best, manifest)
            advice = (
                f"its lookback ({lookback:g}) already spans a season: {transform_advice(manifest, 'sdiff (or log,sdiff)')}, "
                "which leaves the model the changes from a season ago to predict"
                if transform not in ("sdiff", "log,sdiff")
                else f"its lookback ({lookback:g}) already spans a season: search more trials and epochs"
            )
        else:
            advice = f"give the model a lookback of at least {season} and more epochs"
        findings.append(
            f"Seasonal naive (period {season}) beats the best trial on validation (RMSE {seasonal['rmse']:.4g} "
            f"against {model_rmse:.4g}): {advice}."
        )
    rows = manifest.get("data", {}).get("splits", {}).get("val", {}).get("rows")
    if rows and rows[1] - rows[0] < FEW_WINDOWS:
        findings.append(
            f"Validation holds only {rows[1] - rows[0]} windows: differences between trials may be noise. "
            "More data or a larger validation share (--split) makes the ranking firmer."
        )
    return findings
