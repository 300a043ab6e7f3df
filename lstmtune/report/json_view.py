"""The report as one JSON document (`--format json`, `search --json`)."""

from __future__ import annotations

import json
import math

from lstmtune.report.model import Report
from lstmtune.run.table import table_records


def render_json(report: Report) -> str:
    """Every part of the report, the raw manifest sections included; non-finite curve values as null."""
    cost = report.recurrent_cost
    document = {
        "run_dir": str(report.run_dir.root),
        "task": report.manifest.task,
        "objective": report.objective.to_json(),
        "status": report.manifest.get("status"),
        "state": report.state,
        "data": report.manifest.get("data"),
        "search": report.manifest.get("search"),
        "device": report.manifest.get("device"),
        "workers": report.manifest.get("workers"),
        "baselines": report.manifest.baselines,
        "reference": report.manifest.reference,
        "comparison": report.comparison.to_json() if report.comparison else None,
        "best": report.best,
        "refit": report.refit,
        "trials": table_records(report.top),
        "curves": {t: [v if math.isfinite(v) else None for v in c] for t, c in report.curves.items()},
        "findings": report.findings,
        "diagnoses": report.diagnoses,
        "effects": report.effects,
        "importance": report.importance,
        "recurrent_dropout_cost": cost.to_json() if cost else None,
        "cudnn": cost.to_json() if cost and cost.on_gpu else None,  # the same, on a GPU run
    }
    return json.dumps(document, indent=2, default=str) + "\n"
