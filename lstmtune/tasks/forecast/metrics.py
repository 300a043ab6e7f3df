"""Forecast metrics (numpy only): each target's in original units. With several targets, on different
scales, the figures over all targets are scale-free: each target's RMSE (MAE) divided by the root mean
square (mean absolute) one-step change of its training rows, then averaged, as M5's RMSSE and MASE do."""

from __future__ import annotations

import numpy as np


def errors_by_target(truth: np.ndarray, prediction: np.ndarray) -> dict[str, np.ndarray]:
    """RMSE and MAE per target over all windows and horizon steps; arrays are (windows, H, T)."""
    error = prediction - truth
    return {
        "rmse": np.sqrt(np.mean(error**2, axis=(0, 1))),
        "mae": np.mean(np.abs(error), axis=(0, 1)),
    }


def step_scales(levels: np.ndarray) -> dict[str, np.ndarray]:
    """Each target's typical one-step change over `levels` (rows, T), the training rows: root mean square
    ("rmse") and mean absolute ("mae"); NaN where a target never changes."""
    changes = np.diff(np.asarray(levels, dtype=np.float64), axis=0)
    with np.errstate(invalid="ignore"):
        rms, absolute = np.sqrt(np.nanmean(changes**2, axis=0)), np.nanmean(np.abs(changes), axis=0)
    return {"rmse": np.where(rms > 0, rms, np.nan), "mae": np.where(absolute > 0, absolute, np.nan)}


def summarise(
    truth: np.ndarray, prediction: np.ndarray, persistence: np.ndarray, scales: dict[str, np.ndarray] | None = None
) -> dict[str, float]:
    """rmse, mae and skill = 1 - RMSE / RMSE_persistence over all targets: one target's as they are; with
    several, skill averaged and rmse / mae each target's divided by its `scales` (step_scales), averaged."""
    model = errors_by_target(truth, prediction)
    naive = errors_by_target(truth, persistence)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = np.where(naive["rmse"] > 0, 1.0 - model["rmse"] / naive["rmse"], np.nan)
    rmse, mae = model["rmse"], model["mae"]
    if len(rmse) > 1:
        if scales is None:
            raise ValueError("several targets need their step scales to be summarised together")
        rmse, mae = rmse / scales["rmse"], mae / scales["mae"]
    with np.errstate(invalid="ignore"):
        return {
            "rmse": float(np.nanmean(rmse)) if np.isfinite(rmse).any() else float("nan"),
            "mae": float(np.nanmean(mae)) if np.isfinite(mae).any() else float("nan"),
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
