"""The report model: what `report` shows of a run, read once and handed to every renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.core.text import number, plural
from lstmtune.errors import OptionError, RunDirError
from lstmtune.report import importance
from lstmtune.report.comparison import Comparison, compare, ensemble_label
from lstmtune.report.diagnoses import diagnose_trials, diagnosis_lines
from lstmtune.report.findings import damaged_lines, diagnose, reference_findings
from lstmtune.report.recurrent_cost import RecurrentDropoutCost, recurrent_dropout_cost
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import read_json
from lstmtune.run.layout import REFIT_FILE, RunDir
from lstmtune.run.lock import process_alive
from lstmtune.run.manifest import Manifest
from lstmtune.run.records import learning_curve, read_trial_records
from lstmtune.run.table import best_trial, ranked_or_saved
from lstmtune.tasks import get_task
from lstmtune.tasks.base import Presentation

SUMMARY_COLUMNS = [
    "rank",
    "trial_id",
    "status",
    "score",
    "val_rmse",
    "skill",
    "gap",
    "best_epoch",
    "epochs_run",
    "seconds",
]


@dataclass
class Report:
    run_dir: RunDir
    manifest: Manifest
    table: pd.DataFrame
    top: pd.DataFrame
    state: str
    findings: list[str]
    curves: dict[str, list[float]]  # the objective per epoch of each top trial
    # How the run's task is spoken of: skill's meaning, units, which pictures apply.
    presentation: Presentation
    # Structured per-trial diagnoses: {"code", "trial", "reason"} (see lstmtune.report.diagnoses).
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    # Per tuned hyperparameter: how the score and the gap move with it {name: {"score": rho, "gap": rho}}.
    effects: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # Per tuned hyperparameter: importance for the score (None until computed: it needs scikit-learn).
    importance: dict[str, float] | None = None
    importance_asked: bool = False
    # What recurrent dropout cost: on a GPU, the trials it kept off cuDNN's fused kernel; on a CPU, its time.
    recurrent_cost: RecurrentDropoutCost | None = None
    # The best LSTM against the reference model (None: no reference, or its fit failed).
    comparison: Comparison | None = None
    # lstmtune refit's figures (RUN_DIR/refit/refit.json) when they are of the run's best trial.
    refit: dict[str, Any] | None = None

    def helped(self) -> list[str]:
        """What helped, in lines for people (see lstmtune.report.importance.describe)."""
        return importance.describe(
            self.effects,
            self.importance,
            self.completed_count,
            self.objective.direction == "max",
            self.importance_asked,
        )

    @property
    def completed_count(self) -> int:
        return int((self.table["status"] == "completed").sum()) if len(self.table) else 0

    @property
    def objective(self) -> Objective:
        return self.manifest.objective

    @property
    def figures(self) -> tuple[str, ...]:
        return self.manifest.figures

    @property
    def summary_columns(self) -> list[str]:
        """Forecasting: rank, trial, status, score, val_rmse, skill, ...; other tasks their first figure."""
        first = next((f for f in self.figures if f not in (self.objective.name, "skill")), self.figures[0])
        shown = [first] if first != self.objective.name else []  # the score is the objective already
        spread = ["score_sd"] if self.repeated else []
        return [
            "rank",
            "trial_id",
            "status",
            "score",
            *spread,
            *shown,
            "skill",
            "gap",
            "best_epoch",
            "epochs_run",
            "seconds",
        ]

    @property
    def executions(self) -> int:
        """How many times each trial was trained on each fold (--executions)."""
        return self._search_count("executions")

    @property
    def folds(self) -> int:
        """On how many folds each trial was trained (--folds)."""
        return self._search_count("folds")

    def _search_count(self, key: str) -> int:
        value = (self.manifest.get("search") or {}).get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1

    @property
    def repeated(self) -> str | None:
        """What the figures of a trial trained more than once are, in words; None for one fit."""
        if self.executions == 1 and self.folds == 1:
            return None
        over = " × ".join(
            plural(count, what) for count, what in ((self.folds, "fold"), (self.executions, "execution")) if count > 1
        )
        spread = "folds" if self.folds > 1 else "executions"
        return f"score, skill and gap: means over {over}; sd: the score's standard deviation over {spread}"

    @property
    def kind(self) -> str:
        """forecast, classification or regression: what skill and the figures mean."""
        return self.presentation.kind

    @property
    def tunable(self) -> list[str]:
        return self.manifest.tunable

    @property
    def best(self) -> dict[str, Any] | None:
        return self.manifest.best

    @property
    def data_line(self) -> str:
        """What data the run used and what was done to it, in one line."""
        return get_task(self.manifest.task).data_line(self.manifest.data)


def run_state(manifest: Manifest) -> str:
    """The run's status for people: a running run whose process is gone reads as stopped."""
    status = manifest.status
    if status == "running" and process_alive(manifest.get("process")) is False:
        return "stopped (the search process is gone; continue it with --resume)"
    if status == "interrupted":
        return "interrupted (continue it with --resume)"
    search = manifest.get("search") or {}
    if status == "completed" and search.get("budget_ended_search"):
        budget = number(search.get("time_budget"))
        return f"completed (the time budget{f' of {budget:g} s' if budget is not None else ''} ended the search)"
    return status


def build_report(run_dir: RunDir, top: int = 5, with_importance: bool = False) -> Report:
    """Everything `report` shows; `with_importance` also fits the importance surrogate (scikit-learn)."""
    if top < 1:
        raise OptionError(f"--top must be an integer >= 1, but got {top}")
    manifest = run_manifest.load(run_dir)
    objective = manifest.objective
    names = manifest.hyperparameter_names
    records, damaged = read_trial_records(run_dir)
    table, from_saved = ranked_or_saved(run_dir, manifest, records)
    lost: list[str] = []
    if from_saved:
        lost = [
            f"{run_dir.history} is missing: the trials shown come from trials.json as the search last wrote "
            "it, without their records or learning curves (diagnoses need them)."
        ]
    shown = table.head(top)
    curves = {}
    for trial_id in shown["trial_id"]:
        history = learning_curve(run_dir, str(trial_id))
        if objective.name in history:
            curves[str(trial_id)] = pd.to_numeric(history[objective.name], errors="coerce").tolist()
    diagnoses = [d.to_json() for d in diagnose_trials(run_dir, table, manifest)]
    comparison = compare(manifest, table)
    findings = lost + damaged_lines(damaged) + diagnose(table, manifest)
    findings += reference_findings(
        manifest, comparison, get_task(manifest.task).advice_against_reference(manifest, table)
    )
    refit, stale = read_refit(run_dir, manifest)
    findings += stale
    return Report(
        run_dir,
        manifest,
        table,
        shown,
        run_state(manifest),
        findings + diagnosis_lines(diagnoses, table),
        curves,
        presentation=get_task(manifest.task).presentation(manifest.figures, manifest.data),
        diagnoses=diagnoses,
        effects=importance.effects(table, names),
        importance=importance.importance(table, names, objective.direction == "max") if with_importance else None,
        importance_asked=with_importance,
        recurrent_cost=recurrent_dropout_cost(run_dir, manifest, table),
        comparison=comparison,
        refit=refit,
    )


def read_refit(run_dir: RunDir, manifest: Manifest) -> tuple[dict[str, Any] | None, list[str]]:
    """(refit.json when it is of the run's best trial, a finding when it is of an earlier best)."""
    path = run_dir.refit / REFIT_FILE
    try:
        refit = read_json(path) if path.is_file() else None
    except (OSError, ValueError):
        return None, [f"{path} is unreadable; `lstmtune refit {run_dir.root}` writes it again."]
    if refit is None:
        return None, []
    if not isinstance(refit, dict) or not isinstance(refit.get("test"), dict):
        return None, [f"{path} is damaged (it holds no test figures); `lstmtune refit {run_dir.root}` writes it again."]
    try:
        best = best_trial(run_dir, manifest)[0]
    except RunDirError:
        best = None
    if str(refit.get("trial_id")) != best:
        return None, [
            f"The refit model ({path.parent}) is trial {refit.get('trial_id')}'s, but the best is now trial {best}: "
            f"`lstmtune refit {run_dir.root}` trains the new best on train + validation."
        ]
    return refit, []


def figure_keys(report: Report) -> list[str]:
    """The figures of the baselines table: rmse, mae, skill; or accuracy, macro_f1, cross_entropy, skill."""
    return [name.removeprefix("val_") for name in report.figures]


def figures_rows(report: Report) -> list[tuple[str, str, dict[str, Any]]]:
    """(split, model, figures) for the best model, the naive baselines and the reference model on the same
    items; with several forecast targets, one row per target too."""
    rows = []
    best = report.best
    baselines = report.manifest.baselines
    reference = report.manifest.reference
    targets = report.manifest.data.get("targets", [])
    for split in ("val", "test"):
        entries: list[tuple[str, dict[str, Any]]] = []
        if best and split in best:
            entries.append((f"best model (trial {best['trial_id']})", best[split]))
            ensemble = best.get("ensemble") or {}
            if isinstance(ensemble.get(split), dict):
                entries.append((ensemble_label(ensemble), ensemble[split]))
        elif split == "val" and not report.table.empty and report.table.iloc[0]["status"] == "completed":
            row = report.table.iloc[0]
            entries.append(
                (
                    f"best so far (trial {row['trial_id']})",
                    {key: row.get(column) for key, column in zip(figure_keys(report), report.figures)},
                )
            )
        if split == "test" and report.refit is not None:  # an unfinished run's refit too
            what = f"refit on train + val (trial {report.refit.get('trial_id')}, {report.refit.get('epochs')} epochs)"
            entries.append((what, report.refit["test"]))
        # Manifests written before baselines carried their skill: persistence's is 0 by definition.
        entries += [
            (name, {"skill": 0.0, **scores} if name == "persistence" else scores)
            for name, scores in (baselines.get(split) or {}).items()
        ]
        if reference and isinstance(reference.get(split), dict):
            entries.append((f"reference: {reference.get('name')}", reference[split]))
        for name, scores in entries:
            by_target = scores.get("by_target") if len(targets) > 1 else None
            if not isinstance(by_target, dict) or not by_target:
                rows.append((split, name, scores))
                continue
            # Over all targets: skill averaged, RMSE and MAE scale-free (tasks.forecast.metrics).
            rows.append((split, f"{name}: all targets", {k: scores.get(k) for k in ("rmse", "mae", "skill")}))
            for target, figures in by_target.items():
                rows.append((split, f"{name}: {target}", figures))
    return rows
