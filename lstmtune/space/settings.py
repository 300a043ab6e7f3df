"""Search settings and the validators every task's data settings use: one schema shared by the space
file and the command-line flags.

A space file may carry `search:` and `data:` sections with defaults; flags override them. Each
setting has one validator that returns the cleaned value or raises ValueError with the rule that
must hold, so a flag and a file key fail with the same words.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

TUNERS = ("bayesian", "random", "hyperband")
# Choices more than one task's data settings offer.
SCALES = ("standard", "minmax", "none")
CLASS_WEIGHTS = ("none", "auto")
# Far beyond any search worth running; bounded so trial ids and tables stay readable.
MAX_TRIALS = 10_000
MAX_EPOCHS = 100_000


@dataclass(frozen=True)
class SearchSettings:
    """How the tuner runs."""

    tuner: str = "bayesian"
    max_trials: int = 20
    epochs: int = 50
    patience: int = 5
    # Bayesian optimisation's random start; None picks default_initial_points(max_trials).
    initial_points: int | None = None
    seed: int = 42
    # Seconds after which no trial starts and a running one stops at its next epoch end; None: no limit.
    time_budget: float | None = None


def default_initial_points(max_trials: int) -> int:
    """Random trials before Bayesian optimisation starts modelling: a quarter of the budget, at least 2.

    keras-tuner's own default (3 x the number of hyperparameters) turns a short search into a
    random search.
    """
    return max(1, min(max_trials, max(2, round(max_trials / 4))))


def _describe(value: Any) -> str:
    """A given value for a message, cut to a readable length (a pasted file must not become the message)."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else f"{text[:40]}...{text[-12:]} ({len(text)} characters)"


def _integer(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"

    def check(value: Any) -> int:
        rule = f"must be an integer {bounds}, but got {_describe(value)}"
        if isinstance(value, bool):
            raise ValueError(rule)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                try:
                    value = float(value)  # "3.0" from a command line
                except ValueError:
                    raise ValueError(rule) from None
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
            raise ValueError(rule)
        return value

    check.schema = {"type": "integer", "minimum": minimum, **({"maximum": maximum} if maximum is not None else {})}  # type: ignore[attr-defined]
    return check


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise ValueError(f"must be one of {', '.join(options)}, but got {_describe(value)}")
        return value.lower()

    check.schema = {"type": "string", "enum": list(options)}  # type: ignore[attr-defined]
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def optional(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        return check(value)

    optional.schema = {"anyOf": [getattr(check, "schema", {}), {"type": "null"}]}  # type: ignore[attr-defined]
    return optional


def _split(value: Any) -> tuple[float, float, float]:
    rule = "must be three fractions train,validation,test, each > 0, summing to 1 (like 0.7,0.15,0.15)"
    parts = value.split(",") if isinstance(value, str) else value
    try:
        fractions = tuple(float(p) for p in parts)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{rule}, but got {_describe(value)}") from None
    if len(fractions) != 3 or not all(math.isfinite(f) and f > 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"{rule}, but got {_describe(value)}")
    return fractions  # type: ignore[return-value]


_split.schema = {"anyOf": [  # type: ignore[attr-defined]
    {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 3, "maxItems": 3},
    {"type": "string", "pattern": r"^\s*[0-9.]+\s*,\s*[0-9.]+\s*,\s*[0-9.]+\s*$"},
]}

DURATION = re.compile(r"^(?:(\d*\.?\d+)h)?(?:(\d*\.?\d+)m)?(?:(\d*\.?\d+)s)?$", re.ASCII)


def _duration(value: Any) -> float:
    """Seconds from 90, "90s", "10m", "1h" or "1h30m"; more than zero."""
    rule = f"must be a duration like 90s, 10m, 1h or 1h30m (or seconds), more than zero, but got {_describe(value)}"
    if isinstance(value, bool):
        raise ValueError(rule)
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            raise ValueError(rule) from None
    else:
        text = str(value).strip().lower()
        match = DURATION.match(text) if text else None
        if re.fullmatch(r"\d+(\.\d*)?|\.\d+", text, re.ASCII):
            seconds = float(text)
        elif match and any(match.groups()):
            hours, minutes, secs = (float(part) if part else 0.0 for part in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
        else:
            raise ValueError(rule)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(rule)
    return seconds


_duration.schema = {"anyOf": [{"type": "number", "exclusiveMinimum": 0},  # type: ignore[attr-defined]
                              {"type": "string", "pattern": r"^(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"}]}


SEARCH_RULES: dict[str, Callable[[Any], Any]] = {
    "tuner": _one_of(TUNERS),
    "max_trials": _integer(1, MAX_TRIALS),
    "epochs": _integer(1, MAX_EPOCHS),
    "patience": _integer(1, MAX_EPOCHS),
    "initial_points": _optional(_integer(1, MAX_TRIALS)),
    "seed": _integer(0, 2**32 - 1),  # what NumPy and TensorFlow seeding accept
    "time_budget": _optional(_duration),
}

def build(cls: type, rules: dict[str, Callable[[Any], Any]], *layers: dict[str, Any]) -> Any:
    """Build a settings object from already validated layers, later layers winning; None means unset."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update({k: v for k, v in layer.items() if v is not None and k in rules})
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in fields})
