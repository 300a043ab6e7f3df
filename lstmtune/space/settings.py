"""Search settings, and the choices several tasks' data settings share: one schema for the space file's
`search:` and `data:` sections and the command-line flags.

A space file may carry `search:` and `data:` sections with defaults; flags override them. Each setting
has one validator (lstmtune.core.validate), so a flag and a file key fail with the same words.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lstmtune.core.validate import Validator, duration, integer, name, one_of, optional

TUNERS = ("bayesian", "random", "hyperband")
# Choices more than one task's data settings offer.
SCALES = ("standard", "minmax", "none")
CLASS_WEIGHTS = ("none", "auto")
# Stopping hopeless trials early (lstmtune.tuning.pruning); hyperband stops trials by its own brackets.
PRUNE_RULES = ("off", "median", "halving")
# Far beyond any search worth running; bounded so trial ids and tables stay readable.
MAX_TRIALS = 10_000
MAX_EPOCHS = 100_000
MAX_ENSEMBLE = 50
MAX_EXECUTIONS = 50
MAX_FOLDS = 20


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
    # The model a practitioner would fit instead, fitted once per run: auto (the task's usual one),
    # off, or a model's name (the task says which it has).
    reference: str = "auto"
    # Also score the mean prediction of the top-K trials' models (0: no ensemble).
    ensemble: int = 0
    # Stop a trial whose curve is worse than finished trials' at the same epoch (PRUNE_RULES), once
    # prune_warmup_trials trials have completed and from epoch prune_warmup_epochs on.
    prune: str = "median"
    prune_warmup_trials: int = 5
    prune_warmup_epochs: int = 5
    # Train each trial this many times with different seeds; it is ranked on the mean (tuning/executions.py).
    executions: int = 1
    # Cross-validate each trial over this many folds of training + validation (1: today's split only).
    folds: int = 1

    @property
    def pruning(self) -> str:
        """The pruning rule in force: hyperband prunes by its own brackets."""
        return "off" if self.tuner == "hyperband" else self.prune


def default_initial_points(max_trials: int) -> int:
    """Random trials before Bayesian optimisation starts modelling: a quarter of the budget, at least 2.

    keras-tuner's own default (3 x the number of hyperparameters) turns a short search into a
    random search.
    """
    return max(1, min(max_trials, max(2, round(max_trials / 4))))


SEARCH_RULES: dict[str, Validator] = {
    "tuner": one_of(TUNERS),
    "max_trials": integer(1, MAX_TRIALS),
    "epochs": integer(1, MAX_EPOCHS),
    "patience": integer(1, MAX_EPOCHS),
    "initial_points": optional(integer(1, MAX_TRIALS)),
    "seed": integer(0, 2**32 - 1),  # what NumPy and TensorFlow seeding accept
    "time_budget": optional(duration),
    "reference": name,
    "ensemble": integer(0, MAX_ENSEMBLE),
    "prune": one_of(PRUNE_RULES),
    "prune_warmup_trials": integer(1, MAX_TRIALS),
    "prune_warmup_epochs": integer(1, MAX_EPOCHS),
    "executions": integer(1, MAX_EXECUTIONS),
    "folds": integer(1, MAX_FOLDS),
}


def build(cls: type, rules: dict[str, Validator], *layers: dict[str, Any]) -> Any:
    """Build a settings object from already validated layers, later layers winning; None means unset."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update({k: v for k, v in layer.items() if v is not None and k in rules})
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in fields})
