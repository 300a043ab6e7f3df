"""Plain-language findings about a run: overfitting, learning nothing, search ranges too narrow."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from lstmtune.core.text import number
from lstmtune.report.comparison import Comparison, finding
from lstmtune.run.manifest import Manifest

# A best trial 1.5 times further from perfect (relative to naive) on validation than on training has a
# generalisation gap worth a look (1 = as good on unseen data; see hypermodel.generalisation_gap).
GAP_WARNING = 1.5


def damaged_lines(damaged: dict[str, str]) -> list[str]:
    """A line per trial record that could not be read ({file name: problem})."""
    return [
        f"Damaged trial record history/{name} ({problem}): that trial is left out of the tables."
        for name, problem in damaged.items()
    ]


def diagnose(table: pd.DataFrame, manifest: Manifest) -> list[str]:
    """Run-level findings for people: data warnings, failures, the best trial against its baselines, its gap."""
    warnings = manifest.data.get("warnings") or []
    findings: list[str] = [f"Data warning: {w}" for w in warnings if isinstance(w, str)]
    completed = table[table["status"] == "completed"]
    failed = table[table["status"] == "failed"]
    if completed.empty:
        if not failed.empty:
            reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
            findings.append(f"No trial completed; {len(failed)} failed (most often: {reason} ×{count}).")
        return findings

    best = completed.iloc[0]
    from lstmtune.tasks import get_task

    findings += get_task(manifest.task).findings(best, manifest)

    gap, train_skill = number(best.get("gap")), number(best.get("train_skill"))
    if gap is not None and gap > GAP_WARNING:
        findings.append(
            f"Generalisation gap {gap:.2f}: relative to the naive baseline of each split, the best trial is {gap:.2f}× "
            f"further from perfect on validation than on training (training skill {train_skill:.3f}). "
            "It fits the training data better than it generalises: search higher dropout and L2, or fewer units."
            if train_skill is not None
            else f"Generalisation gap {gap:.2f}: the best trial does much better on training data than on validation."
        )

    best_epoch, epochs_run = number(best.get("best_epoch")), number(best.get("epochs_run"))
    if best_epoch == 1 and epochs_run and epochs_run > 1:
        skill = number(best.get("skill"))
        if skill is not None and skill > 0:
            # It learned something in one epoch and lost it after: overfitting (or too large steps) at once.
            findings.append(
                "The best trial was best after its first epoch and got worse after it: it overfits from the start. "
                "Search lower learning rates and stronger dropout / L2, or fewer units."
            )
        else:
            findings.append(
                "The best trial was best after its first epoch: it learned little afterwards. "
                "Check the learning-rate range and whether the inputs carry signal."
            )

    if not failed.empty:
        reason, count = Counter(failed["note"].astype(str)).most_common(1)[0]
        findings.append(f"{len(failed)} of {len(table)} trials failed (most often: {reason} ×{count}).")
    findings += pruning_findings(table, manifest)
    return findings


def pruning_findings(table: pd.DataFrame, manifest: Manifest) -> list[str]:
    """How many trials pruning stopped, and the epochs they trained against the completed ones'."""
    pruned = table[table["status"] == "pruned"]
    if pruned.empty:
        return []
    by_folds = pruned["note"].astype(str).str.startswith("pruned after")
    out = []
    completed = table[table["status"] == "completed"]
    if (~by_folds).any():
        prune = (manifest.get("search") or {}).get("prune")
        rule = str(prune.get("rule") or "median") if isinstance(prune, dict) else "median"
        epoch_pruned = pruned[~by_folds]
        pruned_epochs = pd.to_numeric(epoch_pruned["epochs_run"], errors="coerce").mean()
        completed_epochs = pd.to_numeric(completed["epochs_run"], errors="coerce").mean()
        out.append(
            f"Pruning ({rule} rule) stopped {len(epoch_pruned)} of {len(table)} trials early as hopeless: they "
            f"trained {pruned_epochs:.1f} epochs on average, the completed trials {completed_epochs:.1f}."
        )
    if by_folds.any():
        folds = int(number((manifest.get("search") or {}).get("folds")) or 1)
        done = pruned.loc[by_folds, "note"].str.extract(r"pruned after (\d+) folds")[0].astype(float)
        saved = (folds - done).sum()
        out.append(
            f"{int(by_folds.sum())} of {len(table)} trials stopped before their last fold, clearly worse than the "
            f"best trial on the folds they had (a paired test): {saved:.0f} of the run's {folds * len(table)} "
            "folds were not trained."
        )
    out.append("Pruned trials are never the best model; search with --prune off to train every trial to its end.")
    return out


def range_edges(best: pd.Series, space: dict[str, Any]) -> list[str]:
    """Tuned values of the best trial at a range edge that the hyperparameter's rule would let widen."""
    from lstmtune.space.specs import COMMON_SPECS
    from lstmtune.tasks import TASK_NAMES, hyperparameter_specs

    # Every task's rules: a hyperparameter's rule is the same whichever task has it.
    SPECS = {**COMMON_SPECS, **{n: s for t in TASK_NAMES for n, s in hyperparameter_specs(t).items()}}
    edges = []
    for name, spec in space.items():
        if not isinstance(spec, dict) or not ({"int", "float"} & set(spec)) or name not in SPECS:
            continue
        low, high = spec.get("int") or spec.get("float")
        value = number(best.get(name))
        if value is None or high == low:
            continue
        step = number(spec.get("step"))
        if "int" in spec and not spec.get("log") and (high - low) / (step or 1) < 2:
            continue  # two values only ({int: [4, 8], step: 4}): every pick is at an edge
        beyond = low / 2 if spec.get("log") else low - max(abs(low), 1e-12) * 1e-3
        if value <= low and SPECS[name].valid.accepts(SPECS[name].type(beyond)):
            edges.append(f"{name} = {value:g} at the lower end of [{low:g}, {high:g}]")
        elif value >= high and SPECS[name].valid.accepts(
            SPECS[name].type(high * 2 if spec.get("log") else high + max(abs(high), 1) * 1e-3)
        ):
            edges.append(f"{name} = {value:g} at the upper end of [{low:g}, {high:g}]")
    return edges


def reference_findings(manifest: Manifest, comparison: Comparison | None, advice: str) -> list[str]:
    """The reference model beating the best trial on validation (with what to try), or failing to fit."""
    reference = manifest.reference
    if isinstance(reference, dict) and reference.get("failed"):
        return [f"No reference model: {reference.get('name')} could not be fitted ({reference['failed']})."]
    return finding(comparison, advice)
