"""`lstmtune gate`: check a finished run against rules such as "test.skill >= 0.1" (json + pandas; no TensorFlow).

A rule names a figure the run has, a comparison and a number:

    test.skill >= 0.1        the best model on the test split (also val.<figure>)
    best.gap <= 1.5          the best trial's row of the ranked table (gap, best_epoch, epochs_run, score ...)
    best.overfits == 0       1 when the best trial carries that diagnosis code (see lstmtune.report.diagnoses)
    trials.failed == 0       trial counts (completed, failed, interrupted, total)
    findings.unstable == 0   how many trials carry a diagnosis code (overfits, not_learning, unstable ...)
    reference.test_rmse < 20 the reference model's figures (reference.val_<figure>, reference.test_<figure>)
    best.beats_reference == 1  1 when the best model does better than the reference model on test

Every gate also checks run.completed == 1: a failed, running or interrupted run does not pass.

Rules come from `--require` and from the space file's `gate:` section (a list of rule strings).
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from lstmtune.core.text import number
from lstmtune.errors import LstmtuneError, OptionError
from lstmtune.report.comparison import compare
from lstmtune.report.diagnoses import counts as code_counts
from lstmtune.report.diagnoses import diagnose_trials
from lstmtune.run import manifest as run_manifest
from lstmtune.run.layout import RunDir
from lstmtune.run.manifest import Manifest
from lstmtune.run.table import trials_table
from lstmtune.space.rules import BEST_COLUMNS, RUN_COMPLETED, TRIAL_COUNTS, Rule, parse_rule

OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


class GateFailed(LstmtuneError):
    """At least one rule does not hold: a distinct exit code (not 1, a failed search, nor 2, bad input)."""

    exit_code = 3


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    value: float | None  # None: the run has no such value (e.g. no trial completed)
    passed: bool

    def line(self) -> str:
        found = "missing" if self.value is None else f"{self.value:.6g}"
        return f"{'PASS' if self.passed else 'FAIL'}  {self.rule.name}  (found {found})"


def figures(run_dir: RunDir) -> dict[str, float | None]:
    """Every figure a rule may name for this run, by its rule name (scope.figure)."""
    manifest = run_manifest.load(run_dir)
    table = trials_table(run_dir, manifest)
    out: dict[str, float | None] = {}
    best = manifest.best or {}
    keys = [name.removeprefix("val_") for name in manifest.figures]
    for split in ("val", "test"):
        for key in keys:
            out[f"{split}.{key}"] = number((best.get(split) or {}).get(key))
    completed = table[table["status"] == "completed"]
    row = completed.iloc[0] if len(completed) else None
    for column in (*BEST_COLUMNS, *manifest.figures):
        out[f"best.{column}"] = number(row[column]) if row is not None and column in row else None
    counts = table["status"].value_counts() if len(table) else {}
    for status in TRIAL_COUNTS[:-1]:
        out[f"trials.{status}"] = float(counts.get(status, 0))
    out["trials.total"] = float(len(table))
    diagnoses = diagnose_trials(run_dir, table, manifest)
    for code, count in code_counts(diagnoses).items():
        out[f"findings.{code}"] = float(count)
        out[f"best.{code}"] = (
            float(any(d.code == code and d.trial == str(row["trial_id"]) for d in diagnoses))
            if row is not None
            else None
        )
    out["run.completed"] = 1.0 if manifest.status == "completed" else 0.0
    out.update(reference_figures(manifest, table))
    return out


def reference_figures(manifest: Manifest, table: Any) -> dict[str, float | None]:
    """reference.<split>_<figure> of the reference model, and best.beats_reference (1 or 0 on test)."""
    reference = manifest.reference or {}
    out: dict[str, float | None] = {}
    keys = [name.removeprefix("val_") for name in manifest.figures]
    for split in ("val", "test"):
        for key in keys:
            out[f"reference.{split}_{key}"] = number((reference.get(split) or {}).get(key))
    comparison = compare(manifest, table)
    beats = comparison.beats("test") if comparison is not None else None
    out["best.beats_reference"] = None if beats is None else float(beats)
    return out


def check(run_dir: RunDir, rules: list[Rule]) -> list[Outcome]:
    """Every rule's outcome; a figure the run does not have is an error listing the known ones."""
    known = figures(run_dir)
    outcomes = []
    for rule in rules:
        name = f"{rule.scope}.{rule.figure}"
        if name not in known:
            raise OptionError(f"--require {rule.name!r}: {name} is not a figure of this run; known: {', '.join(known)}")
        value = known[name]
        outcomes.append(Outcome(rule, value, value is not None and _holds(rule, value)))
    return outcomes


def _holds(rule: Rule, value: float) -> bool:
    """The comparison; == and != allow for float round-off (a figure read back from JSON)."""
    if rule.op in ("==", "!="):
        equal = math.isclose(value, rule.threshold, rel_tol=1e-9, abs_tol=1e-12)
        return equal if rule.op == "==" else not equal
    return OPERATORS[rule.op](value, rule.threshold)


def run_rules(run_dir: RunDir, required: list[str]) -> list[Rule]:
    """Rules from the run's space file (its `gate:` section) followed by those given as --require."""
    from lstmtune.tasks import read_space

    rules: list[Rule] = [parse_rule(RUN_COMPLETED)]
    if run_dir.space.is_file():
        task = run_manifest.load(run_dir).task
        rules += [parse_rule(text, "gate") for text in read_space(run_dir.space, task).gate]
    rules += [parse_rule(text) for text in required]
    rules = list(dict.fromkeys(rules))  # a rule given twice (space and --require) is checked once
    if len(rules) == 1:
        raise OptionError(
            "--require: give at least one rule (or a gate: section in the space file), e.g. --require 'test.skill >= 0.1'"
        )
    return rules


def as_json(run_dir: RunDir, outcomes: list[Outcome]) -> str:
    return (
        json.dumps(
            {
                "run_dir": str(run_dir.root),
                "passed": all(o.passed for o in outcomes),
                "rules": [{"rule": o.rule.name, "value": o.value, "passed": o.passed} for o in outcomes],
            },
            indent=2,
        )
        + "\n"
    )


def as_junit(run_dir: RunDir, outcomes: list[Outcome]) -> str:
    """JUnit XML: one test case per rule, a failure element for each rule that does not hold."""
    failures = sum(not o.passed for o in outcomes)
    suite = ElementTree.Element(
        "testsuite", name="lstmtune gate", tests=str(len(outcomes)), failures=str(failures), errors="0", skipped="0"
    )
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"lstmtune.gate.{run_dir.root.name}", name=outcome.rule.name
        )
        if not outcome.passed:
            ElementTree.SubElement(case, "failure", message=outcome.line()).text = outcome.line()
    suites = ElementTree.Element("testsuites", tests=str(len(outcomes)), failures=str(failures))
    suites.append(suite)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def as_markdown(run_dir: RunDir, outcomes: list[Outcome]) -> str:
    """A short summary for a CI job page (GitHub's step summary)."""
    verdict = "passed" if all(o.passed for o in outcomes) else "FAILED"
    lines = [f"### lstmtune gate {verdict}: `{run_dir.root}`", "", "| rule | found | result |", "|---|---|---|"]
    lines += [
        f"| `{o.rule.name}` | {'missing' if o.value is None else f'{o.value:.4g}'} | {'pass' if o.passed else 'FAIL'} |"
        for o in outcomes
    ]
    return "\n".join(lines) + "\n"
