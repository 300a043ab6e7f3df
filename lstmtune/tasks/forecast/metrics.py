"""Forecast metrics in original units (numpy only)."""

from __future__ import annotations

import numpy as np


def errors_by_target(truth: np.ndarray, prediction: np.ndarray) -> dict[str, np.ndarray]:
    """RMSE and MAE per target over all windows and horizon steps; arrays are (windows, H, T)."""
    error = prediction - truth
    return {
        "rmse": np.sqrt(np.mean(error**2, axis=(0, 1))),
        "mae": np.mean(np.abs(error), axis=(0, 1)),
    }


def summarise(truth: np.ndarray, prediction: np.ndarray, persistence: np.ndarray) -> dict[str, float]:
    """rmse, mae and skill = 1 - RMSE / RMSE_persistence, averaged over targets."""
    model = errors_by_target(truth, prediction)
    naive = errors_by_target(truth, persistence)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = np.where(naive["rmse"] > 0, 1.0 - model["rmse"] / naive["rmse"], np.nan)
    return {
        "rmse": float(np.mean(model["rmse"])),
        "mae": float(np.mean(model["mae"])),
        "skill": float(np.mean(skill)),
    }


def by_target(
    truth: np.ndarray, prediction: np.ndarray, persistence: np.ndarray, names: list[str]
) -> dict[str, dict[str, float]]:
    """rmse, mae and skill of each target."""
    scores = errors_by_target(truth, prediction)
    naive = errors_by_target(truth, persistence)["rmse"]
    out = {}
    for i, name in enumerate(names):
        skill = 1.0 - scores["rmse"][i] / naive[i] if naive[i] > 0 else float("nan")
        out[name] = {"rmse": float(scores["rmse"][i]), "mae": float(scores["mae"][i]), "skill": float(skill)}
    return out
