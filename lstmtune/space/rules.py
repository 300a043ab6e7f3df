"""The gate-rule grammar: "<scope>.<figure> <op> <number>", checked when a space file or --require is read.

    test.skill >= 0.1        the best model on the test split (also val.<figure>)
    best.gap <= 1.5          the best trial's row of the ranked table (gap, best_epoch, epochs_run, score ...)
    best.overfits == 0       1 when the best trial carries that diagnosis code
    trials.failed == 0       trial counts (completed, failed, interrupted, total)
    findings.unstable == 0   how many trials carry a diagnosis code (overfits, not_learning, unstable ...)
    reference.test_rmse < 20 the reference model's figures (val_<figure>, test_<figure>)
    best.beats_reference == 1  1 when the best model does better than the reference model on test

Which figures a run really has is decided when a run is gated (lstmtune.report.gate).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lstmtune.core.names import DIAGNOSIS_CODES, TRIAL_COLUMNS
from lstmtune.errors import OptionError, SpaceError

RULE = re.compile(
    r"^\s*(val|test|best|trials|run|findings|reference)\.([a-z_0-9]+)\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
RULE_FORM = "'<val|test|best|trials|findings|reference>.<figure> <op> <number>', like 'test.skill >= 0.1'"
TRIAL_COUNTS = ("completed", "pruned", "failed", "interrupted", "total")
BEST_COLUMNS = ("score", *TRIAL_COLUMNS)
# Figures of any task, to catch a misspelt rule when a space file is read (the run decides which exist).
SPLIT_FIGURES = ("rmse", "mae", "skill", "accuracy", "macro_f1", "cross_entropy", "recon_mse", "roc_auc", "pr_auc")
KNOWN = {
    "val": SPLIT_FIGURES,
    "test": SPLIT_FIGURES,
    # The reference model's figures on validation and test (reference.test_rmse), and best.beats_reference.
    "reference": tuple(f"{split}_{figure}" for split in ("val", "test") for figure in SPLIT_FIGURES),
    "trials": TRIAL_COUNTS,
    "run": ("completed",),
    "best": BEST_COLUMNS
    + tuple(f"val_{f}" for f in SPLIT_FIGURES if f != "skill")
    + ("skill", "beats_reference")
    + DIAGNOSIS_CODES,
    "findings": DIAGNOSIS_CODES,
}
# Every gate starts with this rule: a run that failed, is still running or was interrupted does not pass.
RUN_COMPLETED = "run.completed == 1"


@dataclass(frozen=True)
class Rule:
    scope: str  # test | val | best | trials
    figure: str
    op: str
    threshold: float

    @property
    def name(self) -> str:
        return f"{self.scope}.{self.figure} {self.op} {self.threshold:g}"


def parse_rule(text: Any, where: str = "--require") -> Rule:
    """One rule; a malformed one is an error saying the form a rule must have."""
    match = RULE.match(text) if isinstance(text, str) else None
    if not match:
        raise OptionError(f"{where} must be a rule of the form {RULE_FORM}, but got {text!r}")
    scope, figure, op, number = match.groups()
    if figure not in KNOWN[scope]:
        raise OptionError(
            f"{where} {text!r}: {scope}.{figure} is not a figure lstmtune records; "
            f"{scope}.* figures are: {', '.join(KNOWN[scope])}"
        )
    threshold = float(number)
    if not math.isfinite(threshold):
        raise OptionError(f"{where} {text!r}: the number must be finite")
    return Rule(scope, figure, op, threshold)


def space_rules(value: Any, source: str) -> tuple[str, ...]:
    """The space file's `gate:` section: a list of rule strings, checked when the file is read."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpaceError(
            f"{source}: gate must be a list of rules like ['test.skill >= 0.1'], but got {type(value).__name__}"
        )
    for item in value:
        try:
            parse_rule(item, "gate")
        except OptionError as error:
            raise SpaceError(f"{source}: {error}") from None
    return tuple(value)
