"""The forecast a forecaster fits instead of an LSTM (statsmodels), on the windows the LSTM is scored on.

Per target series, parameters are estimated on the training rows only (the last MAX_FIT_ROWS of them on
long series). Validation and test forecasts are made from every window's end with those parameters fixed
(no refit), conditioning on every value observed up to that end, as the LSTM's windows do; a horizon
longer than one step is forecast recursively. Targets only: exogenous features are the LSTM's advantage.

Candidates (`--reference`):

- sarima: the seasonal ARIMA (0,1,1)(0,1,1)M, the "airline model" (needs --season M);
- ets: exponential smoothing with a damped additive trend and an additive season of M (needs --season);
- ar: an autoregression whose order is chosen by AIC, with a constant.

Each is fitted on the levels and, for a series of positive values, on their logs (a season whose
amplitude grows with the level is additive on logs), and AR also on first differences; `auto` tries sarima
and ets with a season, ar without. The variant with the lowest validation RMSE is the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmtune.tasks.forecast import metrics
from lstmtune.tasks.reference import AUTO, Candidate, Reference, best_on_validation, convergence_note, quiet_fit

if TYPE_CHECKING:
    from lstmtune.tasks.forecast.data import ForecastData

MAX_FIT_ROWS = 10_000  # parameters are estimated on at most this many of the last training rows
MAX_SEASON = 400  # longer seasons make the state-space models too large to filter a long series quickly
MAX_AR_LAGS = 60
MODELS = ("sarima", "ets", "ar")
SEASONAL = ("sarima", "ets")

# A forecaster: (training values, all values from the first training row used, window ends in that
# numbering, horizon, season) -> ((windows, horizon) forecasts on the same scale, parameters, name).
Forecaster = Callable[[np.ndarray, np.ndarray, np.ndarray, int, int | None], tuple[np.ndarray, dict[str, Any], str]]


def choices(season: int | None) -> tuple[str, ...]:
    """The models this data allows, the usual one first."""
    if season is None or season > MAX_SEASON:
        return ("ar",)
    return ("sarima", "ets", "ar")


def fit_reference(data: ForecastData, choice: str) -> Reference:
    """The reference forecasts of every target, chosen per target on validation RMSE."""
    season = data.settings.season
    models = (SEASONAL if season is not None and season <= MAX_SEASON else ("ar",)) if choice == AUTO else (choice,)
    start = max(0, data.a - MAX_FIT_ROWS)
    ends = {split: data.window_ends(split, 1) for split in ("val", "test")}
    forecasts: dict[str, list[np.ndarray]] = {"val": [], "test": []}
    names, parameters, candidates, notes = [], {}, {}, []
    for t, column in enumerate(data.target_columns):
        series = data.levels[:, t]
        chosen, tried, note = _best_variant(data, t, series, start, ends, models, season)
        for split in forecasts:
            forecasts[split].append(chosen.predictions[split])
        names.append(chosen.name if len(data.target_columns) == 1 else f"{column}: {chosen.name}")
        parameters[column] = chosen.parameters
        candidates.update(
            {
                (name if len(data.target_columns) == 1 else f"{column}: {name}"): figures
                for name, figures in tried.items()
            }
        )
        notes += [note] if note else []
    if start:
        notes.append(f"parameters estimated on the last {MAX_FIT_ROWS:,} training rows")
    if len(data.input_columns) > len(data.target_columns):
        notes.append("targets only (the other input columns are the LSTM's alone)")
    figures = {}
    for split, per_target in forecasts.items():
        prediction = np.stack(per_target, axis=-1)  # (windows, H, T)
        truth, persistence = data.truth(ends[split]), data.baseline("persistence", ends[split])
        figures[split] = {
            **metrics.summarise(truth, prediction, persistence, data.step_scales),
            "by_target": metrics.by_target(truth, prediction, persistence, data.target_columns),
        }
        if split == "test":
            test_one_step = prediction[:, 0, :]
    return Reference(
        name="; ".join(names),
        figures=figures,
        parameters=parameters,
        note="; ".join(notes),
        candidates=candidates,
        predictions=test_one_step,
    )


def _best_variant(
    data: ForecastData,
    t: int,
    series: np.ndarray,
    start: int,
    ends: dict[str, np.ndarray],
    models: tuple[str, ...],
    season: int | None,
) -> tuple[Candidate, dict[str, Any], str]:
    """Every variant of `models` on one target series, and the one best on validation RMSE."""
    variants = []
    for model in models:
        for transform in _transforms(series[: data.a], model):
            variants.append((model, transform))
    fitted, failures, notes = [], [], []
    for model, transform in variants:
        try:
            with quiet_fit() as caught:
                candidate = _candidate(data, t, series, start, ends, model, transform, season)
            fitted.append(candidate)
            note = convergence_note(caught)
            if note:
                notes.append(f"{candidate.name}: {note}")
        except Exception as exc:  # statsmodels fails in many ways on odd series
            failures.append(f"{model} on {transform}: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
    if not fitted:
        raise RuntimeError("every candidate failed: " + "; ".join(failures))
    chosen = best_on_validation(fitted, "rmse")
    tried = {
        c.name: {"val": {k: c.figures["val"][k] for k in ("rmse", "mae", "skill")}} for c in fitted if c is not chosen
    }
    return chosen, tried, "; ".join(notes + [f"failed: {f}" for f in failures])


def _transforms(train: np.ndarray, model: str) -> list[str]:
    out = ["levels"]
    if np.all(train > 0):
        out.append("logs")
    if model == "ar":
        out.append("differences")
    return out


def _candidate(
    data: ForecastData,
    t: int,
    series: np.ndarray,
    start: int,
    ends: dict[str, np.ndarray],
    model: str,
    transform: str,
    season: int | None,
) -> Candidate:
    """One model on one transform of one target, scored on validation and test."""
    z = np.log(series) if transform == "logs" else series
    used = z[start:]
    train = z[start : data.a]
    H = data.horizon
    local = {split: e - start for split, e in ends.items()}
    if transform == "differences":
        steps, parameters, name = FORECASTERS[model](np.diff(train), np.diff(used), local_ends(local, -1), H, season)
        paths = {split: used[e][:, None] + np.cumsum(steps[split], axis=1) for split, e in local.items()}
    else:
        paths, parameters, name = FORECASTERS[model](train, used, local, H, season)
    if transform == "logs":
        paths = {split: np.exp(p) for split, p in paths.items()}
    figures = {}
    for split, e in ends.items():
        truth, persistence = data.truth(e)[:, :, t : t + 1], data.baseline("persistence", e)[:, :, t : t + 1]
        figures[split] = metrics.summarise(truth, paths[split][:, :, None], persistence)
    label = name if transform == "levels" else f"{name} on {transform}"
    return Candidate(label, {"model": model, "transform": transform, **parameters}, figures, predictions=paths)


def local_ends(ends: dict[str, np.ndarray], shift: int) -> dict[str, np.ndarray]:
    return {split: e + shift for split, e in ends.items()}


def _statespace(model: Any, used: np.ndarray, ends: dict[str, np.ndarray], H: int) -> dict[str, np.ndarray]:
    """Recursive H-step forecasts from every window end: the fitted parameters applied to the whole
    series, then each end's one-step-ahead state propagated by the (time-invariant) transition."""
    full = model.apply(used)
    ssm = full.model.ssm
    transition, design = ssm.transition[:, :, 0], ssm.design[:, :, 0]
    state_intercept, obs_intercept = ssm.state_intercept[:, 0], ssm.obs_intercept[:, 0]
    out = {}
    for split, e in ends.items():
        state = full.predicted_state[:, e + 1]  # the state for row e+1 given rows up to e
        steps = []
        for _ in range(H):
            steps.append((design @ state)[0] + obs_intercept[0])
            state = transition @ state + state_intercept[:, None]
        out[split] = np.stack(steps, axis=1)
    return out


def _sarima(train: np.ndarray, used: np.ndarray, ends: dict[str, np.ndarray], H: int, season: int | None):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    assert season is not None
    fitted = SARIMAX(train, order=(0, 1, 1), seasonal_order=(0, 1, 1, season)).fit(disp=False)
    parameters = {name: float(value) for name, value in zip(fitted.model.param_names, fitted.params)}
    return _statespace(fitted, used, ends, H), parameters, f"SARIMA(0,1,1)(0,1,1){season}"


def _ets(train: np.ndarray, used: np.ndarray, ends: dict[str, np.ndarray], H: int, season: int | None):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    assert season is not None
    fitted = ExponentialSmoothing(train, trend=True, damped_trend=True, seasonal=season).fit(disp=False)
    names = fitted.model.param_names
    parameters = {name: float(value) for name, value in zip(names, fitted.params) if not name.startswith("initial_")}
    return _statespace(fitted, used, ends, H), parameters, f"ETS(A,Ad,A) season {season}"


def _ar(train: np.ndarray, used: np.ndarray, ends: dict[str, np.ndarray], H: int, season: int | None):
    from statsmodels.tsa.ar_model import ar_select_order

    max_lag = max(1, min(MAX_AR_LAGS, len(train) // 5))
    selected = ar_select_order(train, maxlag=max_lag, ic="aic", trend="c")
    lags = [int(lag) for lag in (selected.ar_lags or [])]
    fitted = selected.model.fit()
    constant, coefficients = float(fitted.params[0]), np.asarray(fitted.params[1:], dtype=np.float64)
    out = {}
    for split, e in ends.items():
        width = max(lags, default=0)
        history = np.stack([used[e - k] for k in range(width)], axis=1) if width else np.empty((len(e), 0))
        steps = []
        for _ in range(H):  # history[:, k] is the value k steps before the one being forecast, minus one
            step = constant + sum(c * history[:, lag - 1] for c, lag in zip(coefficients, lags))
            steps.append(step)
            history = np.column_stack([step, history[:, :-1]]) if width else history
        out[split] = np.stack(steps, axis=1)
    order = f"AR({max(lags, default=0)})" if lags == list(range(1, len(lags) + 1)) else f"AR(lags {lags})"
    return out, {"constant": constant, "lags": lags, "coefficients": coefficients.tolist()}, order


FORECASTERS: dict[str, Forecaster] = {"sarima": _sarima, "ets": _ets, "ar": _ar}
