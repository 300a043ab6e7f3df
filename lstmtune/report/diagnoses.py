"""Per-trial diagnoses from the per-epoch history: each a code a person or a CI gate can act on.

    overfits         validation turned up after its best epoch while training kept improving
    not_learning     no skill over the naive baseline (below NO_SKILL), validation flat from the first epoch,
                     or a training loss that never fell below its first epoch's with little skill to show
    unstable         the training loss became non-finite or exploded
    still_improving  best at its last epoch: more epochs might help
    stopped_early    early stopping ended it (informational: the patience did its job)
    range_edge       the best trial's value sits at the edge of a searched range (which could widen)
    noisy_ranking    with --executions N: the best two trials' means differ by less than twice the
                     standard error of their difference (the ranking between them is noise)

No TensorFlow: reads the ranked table, run.json and history/trial_<id>.csv.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from lstmtune.core.names import DIAGNOSIS_CODES, TASK_NAMES
from lstmtune.core.text import listed, number
from lstmtune.report.findings import range_edges
from lstmtune.run.layout import RunDir, sort_key
from lstmtune.run.manifest import Manifest
from lstmtune.run.records import fit_means
from lstmtune.tasks import get_task

# Validation this much worse at the end than at its best epoch, while training improved, is overfitting
# that early stopping caught late: a relative rise of 10% for losses and errors (minimised objectives),
# 0.05 absolute for accuracy and F1 (maximised, bounded by 1), beyond epoch-to-epoch noise on small data.
OVERFIT_RISE = 0.10
OVERFIT_DROP = 0.05
# A validation objective that never moved by more than 1% of its first value has learnt nothing.
FLAT = 0.01
# Skill below 0.02 (2% closer to perfect than the naive baseline) is within the noise of a small
# validation split: no skill worth the name.
NO_SKILL = 0.02
# A training loss that never fell more than 5% below its first epoch's learnt nothing from its training
# batches (augmented ones, where augmentation is on); a validation skill below 0.1 is then chance.
TRAIN_STALL = 0.05
WEAK_SKILL = 0.1
# The knobs that perturb training (its batches, or its gradients): when a trial learnt nothing, they may be why.
PERTURBATIONS = (
    "augment_scale",
    "augment_slice",
    "augment_warp",
    "augment_permute",
    "token_dropout",
    "token_replace",
    "gradient_noise",
)
# Training losses are on scaled targets (the naive forecast's loss is about 1) or cross-entropies (the
# prior's is at most log K): a loss above 100 at any epoch, or one that jumps 5-fold from one epoch to
# the next, is a training run that is not under control (too high a learning rate, most often).
UNSTABLE_LOSS = 100.0
UNSTABLE_JUMP = 5.0


@dataclass(frozen=True)
class Diagnosis:
    code: str
    trial: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def diagnose_trials(run_dir: RunDir, table: pd.DataFrame, manifest: Manifest) -> list[Diagnosis]:
    """Every diagnosis of every trial, best trial first (the table's order)."""
    objective = manifest.objective
    epochs = number((manifest.get("search") or {}).get("epochs"))
    task = get_task(manifest.task) if manifest.task in TASK_NAMES else None
    out: list[Diagnosis] = []
    for _, row in table.iterrows():
        trial = str(row["trial_id"])
        if row["status"] == "failed":
            note = str(row.get("note") or "")
            if "non-finite" in note or "exploded" in note:
                out.append(Diagnosis("unstable", trial, f"failed: {note}"))
            continue
        if row["status"] != "completed":
            continue
        history = _history(run_dir, trial)
        chance = task.chance_skill(row, manifest.data) if task is not None else 0.0
        out += _from_history(trial, row, history, objective, epochs, chance)
    completed = table[table["status"] == "completed"]
    if len(completed):
        space = (manifest.get("hyperparameters") or {}).get("space") or {}
        for edge in range_edges(completed.iloc[0], space):
            out.append(Diagnosis("range_edge", str(completed.iloc[0]["trial_id"]), f"{edge}: widen the range"))
    noisy = _noisy_top_two(run_dir, completed, manifest)
    if noisy:
        out.append(Diagnosis("noisy_ranking", str(completed.iloc[0]["trial_id"]), noisy))
    return out


def _noisy_top_two(run_dir: RunDir, completed: pd.DataFrame, manifest: Manifest) -> str | None:
    """noisy_ranking's reason for the best two trials of a run with --folds or --executions, or None."""
    search = manifest.get("search") or {}
    folds = int(number(search.get("folds")) or 1)
    if len(completed) < 2 or (folds == 1 and int(number(search.get("executions")) or 1) == 1):
        return None
    key, what = ("fold", "folds") if folds > 1 else ("execution", "executions")
    ids = [str(completed.iloc[i]["trial_id"]) for i in (0, 1)]
    scores = [_scores_by(run_dir, trial, key, manifest.objective.name) for trial in ids]
    shared = sorted(set(scores[0]) & set(scores[1]))
    return noisy_ranking(ids, [scores[0][k] for k in shared], [scores[1][k] for k in shared], what)


def _scores_by(run_dir: RunDir, trial_id: str, key: str, objective: str) -> dict[int, float]:
    """A trial's objective per fold (or per execution), averaged over the fits of each, from its record."""
    try:
        with open(run_dir.trial_record(trial_id), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return fit_means(record.get("executions") if isinstance(record, dict) else None, key, objective)


def noisy_ranking(trials: list[str], first: list[float], second: list[float], what: str) -> str | None:
    """Why the order of two trials scored on the same folds (or seeds) is noise, or None: their mean
    difference is less than twice its standard error (paired: each fold's difference); with how many
    folds or executions would make it twice its standard error."""
    samples = len(first)
    if samples < 2:
        return None
    differences = [a - b for a, b in zip(first, second)]
    mean = sum(differences) / samples
    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / (samples - 1))
    error = sd / math.sqrt(samples)
    if abs(mean) >= 2 * error:
        return None
    needed = f"about {math.ceil(4 * sd**2 / mean**2)}" if mean else "no number of"
    return (
        f"trials {trials[0]} and {trials[1]} differ by {abs(mean):.4g} on average over {samples} {what} (paired), "
        f"less than twice the standard error of that difference ({error:.3g}; its sd {sd:.3g}): which is better "
        f"is noise; {needed} {what} would separate them"
    )


def _from_history(
    trial: str,
    row: pd.Series,
    history: dict[str, list[float]],
    objective: Any,
    epochs: float | None,
    chance: float = 0.0,
) -> list[Diagnosis]:
    """The trial's codes. One cause explains a poor score best, so they are checked in order:
    unstable, then overfits, then not_learning (a model that memorised, or whose loss exploded, has no
    validation skill either, and the advice differs)."""
    out = []
    name, maximise = objective.name, objective.direction == "max"
    val = history.get(name, [])
    # The training twin of the objective (mse, accuracy...); the loss where there is none (macro F1).
    train, train_maximise = history.get(name.removeprefix("val_")) or [], maximise
    if not train:
        train, train_maximise = history.get("loss", []), False
    best_epoch, epochs_run = number(row.get("best_epoch")), number(row.get("epochs_run"))
    skill = number(row.get("skill"))
    # The skill a model reaches without learning anything (the task's chance skill), plus the noise margin.
    floor = NO_SKILL + chance

    unstable = _unstable(row, history.get("loss", []))
    if unstable:
        out.append(Diagnosis("unstable", trial, f"{unstable}; lower the learning rate or set clipnorm"))
    overfits = None
    if not unstable and val and best_epoch is not None and 1 <= best_epoch < len(val):
        overfits = _overfits(name, maximise, val, train, train_maximise, int(best_epoch), row)
        if overfits:
            out.append(Diagnosis("overfits", trial, overfits + _batch_norm_hint(row, val, maximise)))
    still = best_epoch is not None and epochs_run is not None and epochs_run >= 2 and best_epoch >= epochs_run
    nothing = None
    if not (unstable or overfits):
        nothing = _not_learning(name, val, history.get("loss", []), skill, floor, chance, still)
        nothing = nothing and nothing + _training_hint(row) + _batch_norm_hint(row, val, maximise)
    if nothing:
        out.append(Diagnosis("not_learning", trial, nothing))
    learnt_nothing = nothing is not None
    if still:
        slow = (
            f"; skill only {skill:.3f} so far: it learns slowly (more epochs or a higher learning rate)"
            if skill is not None and skill < floor
            else ""
        )
        if not learnt_nothing:
            out.append(
                Diagnosis(
                    "still_improving",
                    trial,
                    f"best at its last epoch ({int(epochs_run)}): more epochs might help (--resume --epochs N "
                    f"raises the budget of new trials){slow}",
                )
            )
    elif (
        epochs is not None
        and epochs_run is not None
        and best_epoch is not None
        and epochs_run < epochs
        and not number(row.get("budget_stopped_epoch"))
    ):
        out.append(
            Diagnosis(
                "stopped_early",
                trial,
                f"early stopping ended it at epoch {int(epochs_run)}, "
                f"{int(epochs_run - best_epoch)} epochs after its best ({int(best_epoch)})",
            )
        )
    return out


def _not_learning(
    name: str, val: list[float], losses: list[float], skill: float | None, floor: float, chance: float, still: bool
) -> str | None:
    """Why a trial learnt nothing: no skill above the floor (unless still improving), a flat validation
    curve (best at its last epoch by a hair is not "still improving"), or a training loss that never fell
    with only chance skill on validation (unless validation was still falling at the end: that trial learns
    slowly); or None."""
    if skill is not None and skill < floor and not still:
        chance_words = f"{chance:.3f} by chance, plus " if chance else ""
        return (
            f"no skill over the naive baseline on validation (skill {skill:.3f} < {floor:.3g}: "
            f"{chance_words}{NO_SKILL} of noise); check the inputs carry signal, then the learning-rate range"
        )
    if len(val) >= 3 and _flat(val):
        if skill is not None and skill >= WEAK_SKILL:
            # Its skill was there after one epoch, or is what a zero output of a change transform gives
            # (persistence, the seasonal random walk): no learning to speak of after that.
            return (
                f"validation {name} stayed within {FLAT:.0%} of its first value over {len(val)} epochs: "
                f"its skill ({skill:.3f}) was there after the first epoch and nothing was learnt after it; "
                "raise the learning rate"
            )
        return (
            f"validation {name} stayed within {FLAT:.0%} of its first value over "
            f"{len(val)} epochs: the model learnt nothing; raise the learning rate"
        )
    finite = [v for v in losses if math.isfinite(v)]
    stalled = len(finite) >= 3 and finite[0] > 0 and min(finite[1:]) >= (1 - TRAIN_STALL) * finite[0]
    if stalled and skill is not None and skill < WEAK_SKILL and not still:
        return (
            f"the training loss never fell more than {TRAIN_STALL:.0%} below its first epoch's over {len(finite)} "
            f"epochs (lowest {min(finite[1:]) / finite[0] - 1:+.1%}) and validation skill is only {skill:.3f}: "
            "the model learnt nothing from its training batches"
        )
    return None


def _training_hint(row: pd.Series) -> str:
    """For a trial that learnt nothing: the knobs it trained with that can stop learning, named."""
    hints = []
    used = [f"{name} {value:g}" for name in PERTURBATIONS if (value := number(row.get(name)))]
    if used:
        hints.append(
            f"it trained with {', '.join(used)}: too strong a perturbation leaves nothing to learn, search it "
            "weaker or off"
        )
    schedule = row.get("lr_schedule")
    if isinstance(schedule, str) and schedule not in ("", "constant"):
        decay = (
            f", lr_decay {number(row.get('lr_decay')):g}"
            if schedule == "exponential" and number(row.get("lr_decay"))
            else ""
        )
        hints.append(
            f"its learning rate fell over the epochs (lr_schedule {schedule}{decay}): one that falls too fast stops "
            "learning (the history's learning_rate column shows it)"
        )
    return "".join(f"; {hint}" for hint in hints)


def _batch_norm_hint(row: pd.Series, val: list[float], maximise: bool) -> str:
    """For a trial with batch_norm that overfits or learnt nothing: batch normalisation as a suspect. Its
    validation runs on running averages of the training batches' statistics (momentum 0.99), which trail
    the weights when an epoch holds few batches: the validation curve jumps while training's does not."""
    stacked = (number(row.get("layers")) or 1) > 1 or (number(row.get("decoder_layers")) or 1) > 1
    if str(row.get("batch_norm")).lower() not in ("true", "1", "1.0") or not stacked:
        return ""  # batch normalisation sits between stacked LSTM layers only
    steps = [
        (before - after if maximise else (after / before - 1 if before > 0 else 0.0))
        for before, after in zip(val, val[1:])
    ]
    worst = max((step for step in steps if math.isfinite(step)), default=0.0)
    jump = f", here by up to {worst:.3f}" if maximise else f", here by up to {worst:.0%}"
    return (
        "; it trained with batch_norm: validation runs on running averages of the training batches' statistics, "
        "which trail the weights when an epoch holds few batches and make the validation curve jump"
        + (jump + " from one epoch to the next" if worst > (OVERFIT_DROP if maximise else OVERFIT_RISE) else "")
        + ": compare a trial with batch_norm off, or a smaller batch_size"
    )


def _unstable(row: pd.Series, losses: list[float]) -> str | None:
    """Why the training loss was out of control, or None."""
    diverged = number(row.get("diverged_epoch"))
    if diverged:
        return f"the training loss became non-finite or exploded at epoch {int(diverged)}"
    finite = [v for v in losses if math.isfinite(v)]
    if finite and max(finite) > UNSTABLE_LOSS:
        return f"the training loss reached {max(finite):.3g} (epoch {losses.index(max(finite)) + 1}), far above a naive model's"
    for epoch in range(1, len(finite)):
        if finite[epoch - 1] > 0 and finite[epoch] > UNSTABLE_JUMP * finite[epoch - 1]:
            return f"the training loss jumped {finite[epoch] / finite[epoch - 1]:.0f}-fold at epoch {epoch + 1}"
    return None


def _overfits(
    name: str,
    maximise: bool,
    val: list[float],
    train: list[float],
    train_maximise: bool,
    best_epoch: int,
    row: pd.Series,
) -> str | None:
    """Why validation turned up after its best epoch while training kept improving, or None."""
    best = best_epoch - 1
    at_best, last = val[best], val[-1]
    if maximise:
        worse = at_best - last
    else:
        worse = (last - at_best) / abs(at_best) if at_best else 0.0
    tolerance = OVERFIT_DROP if maximise else OVERFIT_RISE
    improving = len(train) == len(val) and (train[-1] > train[best] if train_maximise else train[-1] < train[best])
    if worse <= tolerance or not improving:
        return None
    how = f"fell {worse:.3f}" if maximise else f"rose {worse:.0%}"
    gap, gap_end = number(row.get("gap")), number(row.get("gap_end"))
    gaps = (
        f"; gap {gap_text(gap)} at the best epoch"
        + (f", {gap_text(gap_end)} at the end" if gap_end is not None else "")
        if gap is not None
        else ""
    )
    return (
        f"validation {name} {how} after its best epoch ({best_epoch}) while training kept improving{gaps}: "
        "raise dropout or L2, or use fewer units"
    )


def gap_text(gap: float) -> str:
    """A gap for people: beyond 100 the exact figure means only "memorised"."""
    return "over 100" if gap > 100 else f"{gap:.2f}"


def _flat(values: list[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 3 or not finite[0]:
        return False
    return (max(finite) - min(finite)) <= FLAT * abs(finite[0])


def _history(run_dir: RunDir, trial_id: str) -> dict[str, list[float]]:
    """The trial's per-epoch figures by column (csv module: a 100-trial report stays fast)."""
    path = run_dir.trial_history(trial_id)
    columns: dict[str, list[float]] = {}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                for key, value in record.items():
                    columns.setdefault(str(key), []).append(_float(value))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return columns


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def counts(diagnoses: list[Diagnosis]) -> dict[str, int]:
    """How many trials carry each code (every code present, 0 when none)."""
    return {code: len({d.trial for d in diagnoses if d.code == code}) for code in DIAGNOSIS_CODES}


def diagnosis_lines(diagnoses: list[dict[str, Any]], table: pd.DataFrame) -> list[str]:
    """One line per code found: how many trials, which, and the best trial's reason when it has it."""
    completed = table[table["status"] == "completed"]
    best = str(completed.iloc[0]["trial_id"]) if len(completed) else None
    lines = []
    for code in DIAGNOSIS_CODES:
        found = [d for d in diagnoses if d["code"] == code]
        if not found:
            continue
        trials = sorted({d["trial"] for d in found}, key=sort_key)
        mine = next((d for d in found if d["trial"] == best), found[0])
        who = "the best trial" if mine["trial"] == best else f"trial {mine['trial']}"
        # One trial may have several (a range edge per hyperparameter): each reason is said.
        reasons = "; ".join(dict.fromkeys(d["reason"] for d in found if d["trial"] == mine["trial"]))
        lines.append(f"{code}: {len(trials)} of {len(table)} trials ({listed(trials)}); {who}: {reasons}.")
    return lines
