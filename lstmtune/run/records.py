"""Trial records: history/trial_<id>.json (status, values, metrics) and trial_<id>.csv (per epoch).

Damaged records are set aside with what is wrong with them, never trusted (json + pandas; no TensorFlow).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

import pandas as pd

from lstmtune.core.status import FINISHED, TrialStatus
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir, sort_key


def trial_records(run_dir: RunDir, skip: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every readable trial record, in trial-id order (damaged ones are left out: see `read_trial_records`);
    `skip`: file names not to read."""
    return read_trial_records(run_dir, skip)[0]


def read_trial_records(run_dir: RunDir, skip: Collection[str] = ()) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(every valid trial record in trial-id order, {damaged record's file name: what is wrong with it})."""
    records, damaged = [], {}
    for path in sorted(run_dir.history.glob("trial_*.json")) if run_dir.history.is_dir() else []:
        if path.name in skip:
            continue
        try:
            record = read_json(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            damaged[path.name] = "not readable JSON"
            continue
        problem = _record_problem(record)
        if problem:
            damaged[path.name] = problem
        else:
            records.append(record)
    return sorted(records, key=lambda r: sort_key(str(r["trial_id"]))), damaged


def _record_problem(record: Any) -> str | None:
    """What makes a trial record unusable, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if not isinstance(record.get("trial_id"), (str, int)) or isinstance(record.get("trial_id"), bool):
        return "its trial_id is not a name"
    if record.get("status") not in {status.value for status in TrialStatus}:
        return f"its status {str(record.get('status'))[:20]!r} is not a trial status"
    for key in ("metrics", "values"):
        if record.get(key) is not None and not isinstance(record[key], dict):
            return f"its {key} is not an object"
    return None


def fit_means(runs: Any, group: str, figure: str) -> dict[int, float]:
    """A trial's fits (its record's `executions`: --folds and --executions) grouped by `group` ("fold" or
    "execution"; 1 where a fit has none): each group's mean of `figure` over its finite values."""
    grouped: dict[int, list[float]] = {}
    for run in runs if isinstance(runs, list) else []:
        if not isinstance(run, dict) or not isinstance(run.get("metrics"), dict):
            continue
        key, value = run.get(group, 1), run["metrics"].get(figure)
        if isinstance(key, int) and isinstance(value, (int, float)) and math.isfinite(value):
            grouped.setdefault(key, []).append(float(value))
    return {key: sum(values) / len(values) for key, values in grouped.items()}


def finished_count(run_dir: RunDir) -> int:
    """How many trials finished (completed or failed): those a resumed search never runs again."""
    return sum(1 for record in trial_records(run_dir) if record.get("status") in FINISHED)


def mark_interrupted(run_dir: RunDir, worker: str | None = None) -> None:
    """Trials still marked running (of one worker, when named) are interrupted: --resume runs them again."""
    for record in trial_records(run_dir):
        if record.get("status") == TrialStatus.RUNNING.value and (worker is None or record.get("worker") == worker):
            record["status"] = TrialStatus.INTERRUPTED.value
            write_json(run_dir.trial_record(str(record["trial_id"])), record)


def learning_curve(run_dir: RunDir, trial_id: str) -> pd.DataFrame:
    """Per-epoch history of one trial (empty if none was written)."""
    path = run_dir.trial_history(trial_id)
    if not path.is_file():
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        return pd.DataFrame()
