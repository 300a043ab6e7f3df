"""The reference model: what a practitioner fits instead of an LSTM, scored exactly as the LSTM is.

Each task fits its own (statsmodels for forecasts, TF-IDF + logistic regression for texts, MiniRocket
features for sequences) on the training items only, chooses among its candidates and their settings on
the validation split (as the search chooses its best trial), and scores the choice on validation and test
with the task's own figures. A fit that fails is recorded with its reason, never raised.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lstmtune.core.objective import Objective

# `--reference` values every task takes besides the names of its own models.
OFF, AUTO = "off", "auto"
# Objectives a reference model is scored on as they are (the others: RMSE in original units).
OWN_FIGURES = ("accuracy", "macro_f1", "cross_entropy", "recon_mse")


def compared_on(objective: Objective) -> tuple[str, bool]:
    """The figure a model and its reference are compared on, and whether higher is better: the objective's
    own where both have it (accuracy, macro-F1, cross-entropy, reconstruction MSE), else RMSE in original
    units (forecast and regression objectives are an MSE of scaled targets, which ranks models as their
    RMSE does)."""
    figure = objective.name.removeprefix("val_")
    if figure in OWN_FIGURES:
        return figure, objective.maximised
    return "rmse", False


@dataclass
class Reference:
    """A fitted reference model and its figures on the items the LSTM is scored on."""

    name: str  # for people: "SARIMA(0,1,1)(0,1,1)12 on logs"
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"val": {...}, "test": {...}}
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    note: str = ""  # how it was fitted, where that differs from the LSTM's data
    # The other candidates tried, by name: their validation figures (the reference won on validation).
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: str | None = None  # why no reference could be fitted
    # The test predictions, per item in predictions.csv's order (kept out of run.json).
    predictions: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "seconds": round(self.seconds, 3)}
        if self.failed is not None:
            return {**out, "failed": self.failed}
        out.update({"parameters": self.parameters, **self.figures})
        if self.note:
            out["note"] = self.note
        if self.candidates:
            out["candidates"] = self.candidates
        return out


@dataclass
class Candidate:
    """One model a reference may be: its name, parameters, and figures on validation and test."""

    name: str
    parameters: dict[str, Any]
    figures: dict[str, dict[str, Any]]
    predictions: Any = None


def best_on_validation(candidates: list[Candidate], figure: str, maximised: bool = False) -> Candidate:
    """The candidate whose validation `figure` is best (the first on ties; missing or NaN figures last)."""

    def value(candidate: Candidate) -> float:
        found = candidate.figures["val"].get(figure)
        if found is None or found != found:
            return float("inf")
        return -found if maximised else found

    return min(candidates, key=value)


@contextmanager
def quiet_fit() -> Iterator[list[warnings.WarningMessage]]:
    """One BLAS thread (a small model fits several times faster than with all threads contending on a
    busy machine) and the fitting libraries' warnings collected rather than printed."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def timed(fit: Callable[[], Reference], name: str) -> Reference:
    """`fit()` with its seconds; any exception becomes a failed reference saying why."""
    started = time.perf_counter()
    try:
        reference = fit()
    except Exception as exc:  # statsmodels and scikit-learn fail in many ways on odd data
        text = " ".join(str(exc).split()) or type(exc).__name__
        reference = Reference(name=name, failed=f"{type(exc).__name__}: {text[:200]}")
    reference.seconds = time.perf_counter() - started
    return reference


def with_reference(frame: Any, split: str, reference: Reference | None) -> Any:
    """A predictions frame of one item per row with the reference's test prediction beside the model's."""
    if split == "test" and reference is not None and reference.predictions is not None:
        if len(reference.predictions) == len(frame):
            frame["reference"] = list(reference.predictions)
    return frame


def convergence_note(caught: list[warnings.WarningMessage]) -> str:
    """A note when a fit warned that it did not converge."""
    texts = [str(w.message) for w in caught if "converge" in str(w.message).lower()]
    return f"the optimiser warned: {texts[0][:120]}" if texts else ""
