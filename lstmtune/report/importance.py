"""What helped: how the score and the gap move with each tuned hyperparameter, and which mattered most.

- Effects: Spearman rank correlation of each tuned hyperparameter with the score and with the gap
  across completed trials (pandas only; cheap enough for every report).
- Importance: a random-forest surrogate of the score (scikit-learn, which keras-tuner's Bayesian
  tuner already requires) and permutation importance, normalised to sum to 1. It handles numbers,
  booleans and choices alike and works from about 10 trials to hundreds; the reference fANOVA package
  is unmaintained, and a forest on 10-200 trials needs no tuning. Imported only when asked for
  (`report --plots/--html/--importance`): scikit-learn takes over a second to import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Below these counts of completed trials a correlation or a forest is noise dressed as a finding.
MIN_TRIALS_FOR_EFFECTS = 8
MIN_TRIALS_FOR_IMPORTANCE = 8


def tuned_columns(table: pd.DataFrame, names: list[str]) -> list[str]:
    """Hyperparameters whose values differ between completed trials."""
    completed = table[table["status"] == "completed"]
    return [n for n in names if n in completed and completed[n].astype(str).nunique() > 1]


def _encoded(column: pd.Series) -> pd.Series | None:
    """Numbers as numbers, booleans as 0/1; a choice of words has no order, so no rank correlation."""
    if column.map(lambda v: isinstance(v, (bool, np.bool_))).all() or column.astype(str).isin(["True", "False"]).all():
        return column.astype(str).eq("True").astype(float)
    numeric = pd.to_numeric(column, errors="coerce")
    return numeric if numeric.notna().all() else None


def effects(table: pd.DataFrame, names: list[str]) -> dict[str, dict[str, float | None]]:
    """{hyperparameter: {"score": rho, "gap": rho}} over completed trials (rho in [-1, 1], None when undefined)."""
    completed = table[table["status"] == "completed"]
    if len(completed) < MIN_TRIALS_FOR_EFFECTS:
        return {}
    out: dict[str, dict[str, float | None]] = {}
    for name in tuned_columns(table, names):
        values = _encoded(completed[name])
        if values is None:
            continue
        out[name] = {}
        for target in ("score", "gap"):
            other = pd.to_numeric(completed[target], errors="coerce") if target in completed else None
            if other is None or other.notna().sum() < MIN_TRIALS_FOR_EFFECTS:
                out[name][target] = None
                continue
            rho = values.rank().corr(other.replace([np.inf, -np.inf], np.nan).rank())
            out[name][target] = None if pd.isna(rho) else round(float(rho), 3)
    return out


def importance(table: pd.DataFrame, names: list[str], maximise: bool = False, seed: int = 0) -> dict[str, float] | None:
    """{hyperparameter: share of the score's explained variation}, largest first; None with too few trials."""
    completed = table[table["status"] == "completed"]
    score = pd.to_numeric(completed.get("score"), errors="coerce")
    keep = score.notna().to_numpy()
    tuned = tuned_columns(table, names)
    if keep.sum() < MIN_TRIALS_FOR_IMPORTANCE or not tuned:
        return None
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    features = pd.DataFrame({name: _feature(completed[name]) for name in tuned})[keep]
    y = score[keep].to_numpy(dtype=float)
    forest = RandomForestRegressor(n_estimators=200, min_samples_leaf=2, random_state=seed).fit(features, y)
    result = permutation_importance(forest, features, y, n_repeats=20, random_state=seed)
    shares = np.clip(result.importances_mean, 0, None)
    total = shares.sum()
    if total <= 0:
        return {name: 0.0 for name in tuned}
    ranked = sorted(zip(tuned, shares / total), key=lambda pair: -pair[1])
    return {name: round(float(share), 4) for name, share in ranked}


def _feature(column: pd.Series) -> pd.Series:
    """A column a tree can split: numbers, booleans as 0/1, choices as their codes."""
    encoded = _encoded(column)
    if encoded is not None:
        return encoded
    return pd.Series(pd.Categorical(column.astype(str)).codes, index=column.index, dtype=float)


def describe(
    effects_: dict[str, dict[str, float | None]],
    importance_: dict[str, float] | None,
    completed: int = 0,
    maximise: bool = False,
    asked: bool = False,
) -> list[str]:
    """Lines for people: the most important hyperparameters and which way they push the score and gap.
    `asked`: importance was asked for (a line says why there is none)."""
    if completed < MIN_TRIALS_FOR_EFFECTS:
        return (
            [f"needs at least {MIN_TRIALS_FOR_EFFECTS} completed trials to say (this run has {completed})"]
            if asked
            else []
        )
    better = "higher" if maximise else "lower"
    lines = [
        f"over {completed} completed trials; rank correlation with the score ({better} is better) and with the gap"
    ]
    order = list(importance_) if importance_ else sorted(effects_, key=lambda n: -abs(effects_[n].get("score") or 0))
    for name in order[:5]:
        parts = []
        if importance_:
            parts.append(f"importance {importance_[name]:.2f}")
        rho = effects_.get(name, {})
        if rho.get("score") is not None:
            parts.append(f"score rank correlation {rho['score']:+.2f}")
        if rho.get("gap") is not None:
            parts.append(f"gap {rho['gap']:+.2f}")
        if parts:
            lines.append(f"{name}: {', '.join(parts)}")
    return lines
