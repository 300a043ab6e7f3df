"""The ranked table of trials: one row per trial, completed ones by score (json + pandas; no TensorFlow)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lstmtune.core.names import TRIAL_COLUMNS
from lstmtune.core.objective import FORECAST_OBJECTIVE, Objective
from lstmtune.core.status import TrialStatus
from lstmtune.errors import RunDirError
from lstmtune.run.atomic import read_json, write_json, write_text
from lstmtune.run.layout import RunDir, sort_key
from lstmtune.run.manifest import FORECAST_FIGURES, Manifest
from lstmtune.run.records import trial_records

# score (and its spread over --executions), then the task's figures (forecasting's by default), then what
# every task records.
COMMON_COLUMNS = list(TRIAL_COLUMNS)
METRIC_COLUMNS = ["score", "score_sd", *FORECAST_FIGURES, *COMMON_COLUMNS]
LEADING_COLUMNS = ["rank", "trial_id", "status"]
STATUS_ORDER = {
    status.value: order
    for order, status in enumerate(
        (TrialStatus.COMPLETED, TrialStatus.PRUNED, TrialStatus.RUNNING, TrialStatus.INTERRUPTED, TrialStatus.FAILED)
    )
}


def metric_columns(figures: tuple[str, ...] | list[str] = FORECAST_FIGURES) -> list[str]:
    return ["score", "score_sd", *figures, *COMMON_COLUMNS]


def rank_trials(
    records: list[dict[str, Any]],
    hyperparameters: list[str],
    objective: Objective | None = None,
    figures: tuple[str, ...] | list[str] = FORECAST_FIGURES,
) -> pd.DataFrame:
    """One row per trial: completed ones by score (best first, in the objective's direction), then
    running, then failed."""
    objective = objective or FORECAST_OBJECTIVE
    metric_names = metric_columns(figures)
    rows = []
    for record in records:
        scores = record.get("metrics")
        scores = scores if isinstance(scores, dict) else {}
        row: dict[str, Any] = {
            "trial_id": str(record.get("trial_id")),
            "status": record.get("status"),
            "score": scores.get(objective.name),
            **{name: scores.get(name) for name in metric_names if name not in ("score", "seconds")},
            "seconds": record.get("seconds"),
            "note": record.get("reason") or record.get("note") or "",
        }
        values = record.get("values")
        values = values if isinstance(values, dict) else {}
        row.update({name: values.get(name) for name in hyperparameters})
        rows.append(row)
    columns = LEADING_COLUMNS + metric_names + ["note"] + list(hyperparameters)
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "rank"])
    if table.empty:
        return pd.DataFrame(columns=columns)
    table["_status"] = table["status"].map(STATUS_ORDER).fillna(len(STATUS_ORDER))
    score = pd.to_numeric(table["score"], errors="coerce")
    table["_score"] = score if objective.direction == "min" else -score
    table["_id"] = table["trial_id"].map(sort_key)
    table = table.sort_values(["_status", "_score", "_id"], na_position="last", kind="stable")
    completed = (table["status"] == TrialStatus.COMPLETED.value).to_numpy()
    ranks = pd.array([None] * len(table), dtype="Int64")
    ranks[completed] = range(1, int(completed.sum()) + 1)
    table.insert(0, "rank", ranks)
    for column in ("best_epoch", "epochs_run", "diverged_epoch"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    return table.drop(columns=["_status", "_score", "_id"]).reset_index(drop=True)[columns]


def best_score(table: pd.DataFrame) -> float | None:
    """The best completed trial's score in a ranked table."""
    completed = table[table["status"] == TrialStatus.COMPLETED.value]
    score = pd.to_numeric(completed["score"], errors="coerce").dropna()
    return float(score.iloc[0]) if len(score) else None


def trials_table(run_dir: RunDir, manifest: Manifest) -> pd.DataFrame:
    """The run's ranked table, read from its trial records (or from trials.json when history/ is gone)."""
    return ranked_or_saved(run_dir, manifest, trial_records(run_dir))[0]


def ranked_or_saved(run_dir: RunDir, manifest: Manifest, records: list[dict[str, Any]]) -> tuple[pd.DataFrame, bool]:
    """(the ranked table of `records`, False); when there are none because history/ is gone, (the table
    the search last wrote, True)."""
    if not records and not run_dir.history.is_dir():
        saved = saved_table(run_dir, manifest)
        if saved is not None:
            return saved, True
    return rank_trials(records, manifest.hyperparameter_names, manifest.objective, manifest.figures), False


def saved_table(run_dir: RunDir, manifest: Manifest) -> pd.DataFrame | None:
    """The ranked table as the search last wrote it (trials.json), or None when it is missing or not a
    list of rows: what is left of a run whose history/ folder was deleted."""
    try:
        rows = read_json(run_dir.table("json"))
    except (OSError, ValueError):
        return None
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        return None
    columns = LEADING_COLUMNS + metric_columns(manifest.figures) + ["note"] + list(manifest.hyperparameter_names)
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["trial_id"] = table["trial_id"].astype(str)
    table["note"] = table["note"].fillna("")
    for column in ("rank", "best_epoch", "epochs_run", "diverged_epoch"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    return table


def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pandas' own needs the optional `tabulate`); numbers to 4
    significant digits, as the terminal shows them (trials.csv and trials.json keep them whole)."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return ""
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The table as JSON-ready records (missing values as null)."""
    return json.loads(table.to_json(orient="records"))


def write_tables(run_dir: RunDir, table: pd.DataFrame) -> None:
    write_text(run_dir.table("csv"), table.to_csv(index=False))
    write_text(run_dir.table("md"), to_markdown(table))
    write_json(run_dir.table("json"), table_records(table))


def best_trial(run_dir: RunDir, manifest: Manifest) -> tuple[str, dict[str, Any]]:
    """(trial id, values) of the run's best trial: the search's final choice, or for a run that has not
    finished (interrupted, or still running) its best completed trial so far."""
    best = manifest.best
    if best and isinstance(best.get("values"), dict) and best.get("trial_id") is not None:
        return str(best["trial_id"]), best["values"]
    table = trials_table(run_dir, manifest)
    completed = table[table["status"] == "completed"] if not table.empty else table
    if completed.empty:
        raise RunDirError(f"{run_dir.root}: no completed trial to refit yet; let the search run (or --resume it)")
    trial_id = str(completed.iloc[0]["trial_id"])
    try:
        record = read_json(run_dir.trial_record(trial_id))
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("values"), dict):
        raise RunDirError(f"{run_dir.trial_record(trial_id)}: unreadable trial record (it holds no values)")
    return trial_id, record["values"]
