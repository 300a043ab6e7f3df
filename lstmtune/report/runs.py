"""Several runs side by side (`report RUN_DIR --html page.html --compare OTHER_RUN ...`): one row per run
with its status, trials, best validation score and test figures beside its reference model's, so searches
of one dataset with other spaces, flags or seeds can be compared (also live, with --watch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstmtune.core.text import number
from lstmtune.errors import RunDirError
from lstmtune.run import manifest as run_manifest
from lstmtune.run.layout import RunDir
from lstmtune.run.lock import process_alive
from lstmtune.run.table import trials_table

# The test figures shown, where a run has them: forecasts' and regressions' error, classifiers' accuracy.
FIGURES = ("rmse", "accuracy", "macro_f1", "cross_entropy", "skill")


def run_row(path: Path) -> dict[str, Any]:
    """What the comparison shows of one run; a path that is not a run is a RunDirError naming it."""
    run = RunDir(path)
    try:
        manifest = run_manifest.load(run)
    except RunDirError as error:
        raise RunDirError(f"--compare {error}") from None
    table = trials_table(run, manifest)
    statuses = table["status"].value_counts().to_dict() if not table.empty else {}
    completed = table[table["status"] == "completed"] if not table.empty else table
    status = manifest.status
    if status == "running" and process_alive(manifest.get("process")) is False:
        status = "stopped"
    best = manifest.best or {}
    test = best.get("test") if isinstance(best.get("test"), dict) else {}
    reference = manifest.reference or {}
    reference_test = reference.get("test") if isinstance(reference.get("test"), dict) else {}
    return {
        "run": str(run.root),
        "task": manifest.task,
        "status": status,
        "trials": {name: int(statuses.get(name, 0)) for name in ("completed", "pruned", "failed")},
        "objective": manifest.objective.name,
        "best_trial": str(completed.iloc[0]["trial_id"]) if not completed.empty else None,
        "best_score": number(completed.iloc[0]["score"]) if not completed.empty else None,
        # the best trial's validation figures in the data's own units, comparable across scalings
        "val": {
            name: number(completed.iloc[0].get(f"val_{name}"))
            for name in FIGURES
            if not completed.empty and number(completed.iloc[0].get(f"val_{name}")) is not None
        },
        "test": {name: number(test.get(name)) for name in FIGURES if number(test.get(name)) is not None},
        "reference": reference.get("name"),
        "reference_test": {
            name: number(reference_test.get(name)) for name in FIGURES if number(reference_test.get(name)) is not None
        },
    }


def compare_runs(paths: list[Path]) -> list[dict[str, Any]]:
    return [run_row(Path(path)) for path in paths]
