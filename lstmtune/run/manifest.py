"""run.json: the one reader and writer of a run's manifest (json only; no TensorFlow).

    {"schema_version": 2, "task": "forecast", "status": "completed", "command": [...],
     "data": {"path", "sha256", ...the task's own part},
     "search": {"tuner", "max_trials", "epochs", "patience", "initial_points", "seed",
                "objective": {"name", "direction", "label"}, "figures": [...]},
     "hyperparameters": {"names", "tunable", "space"}, "baselines": {...}, "best": {...},
     "trials": {status: count}, "times": {...}, "versions": {...}, "process": {"pid", "host"}}

Version 1 manifests (no schema_version) are forecasting runs ranked on val_mse, minimised.
"""

from __future__ import annotations

import json
from typing import Any

from lstmtune.errors import RunDirError
from lstmtune.core.text import clip
from lstmtune.run.layout import RunDir, read_json, write_json
from lstmtune.tasks.base import Objective
from lstmtune.tasks.scoring import REGRESSION_FIGURES

SCHEMA_VERSION = 2
DEFAULT_OBJECTIVE = Objective("val_mse", "min", "validation MSE, scaled")
DEFAULT_FIGURES = REGRESSION_FIGURES  # rmse, mae, skill: forecasting's


def load(run_dir: RunDir) -> dict[str, Any]:
    """The manifest as a dict; a missing, unreadable or newer one is a RunDirError naming the file."""
    try:
        exists, is_dir, has_manifest = run_dir.root.exists(), run_dir.root.is_dir(), run_dir.manifest.is_file()
    except OSError as exc:  # a name too long, a loop of links
        raise RunDirError(f"{clip(str(run_dir.root))}: cannot be read as a run directory ({exc.strerror or exc})") from None
    if exists and not is_dir:
        raise RunDirError(f"{run_dir.root}: is a file, but a run directory (made by lstmtune search) is needed")
    if not is_dir:
        raise RunDirError(f"{run_dir.root}: not a run directory (it does not exist)")
    if not has_manifest:
        raise RunDirError(f"{run_dir.root}: not a run directory (no run.json); run `lstmtune search` first")
    try:
        manifest = read_json(run_dir.manifest)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{run_dir.manifest}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise RunDirError(f"{run_dir.manifest}: not a run manifest (a JSON object is expected)")
    if "status" not in manifest:
        raise RunDirError(f"{run_dir.manifest}: not a run manifest written by lstmtune search (it has no status)")
    version = manifest.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise RunDirError(f"{run_dir.manifest}: schema_version {version!r} is newer than this lstmtune reads "
                          f"({SCHEMA_VERSION}); upgrade lstmtune")
    for section in ("data", "search", "hyperparameters", "baselines", "times"):
        if manifest.get(section) is None:
            manifest[section] = {}  # readers may rely on every section being an object
        elif not isinstance(manifest[section], dict):
            raise RunDirError(f"{run_dir.manifest}: `{section}` must be an object, but got {type(manifest[section]).__name__}")
    for section in ("best", "trials", "process"):  # present once there is something to say
        if manifest.get(section) is None:
            manifest.pop(section, None)
        elif not isinstance(manifest[section], dict):
            raise RunDirError(f"{run_dir.manifest}: `{section}` must be an object, but got {type(manifest[section]).__name__}")
    from lstmtune.tasks import TASK_NAMES

    if task_name(manifest) not in TASK_NAMES:
        raise RunDirError(f"{run_dir.manifest}: `task` must be one of {', '.join(TASK_NAMES)}, but got {manifest.get('task')!r}")
    return manifest


def save(run_dir: RunDir, manifest: dict[str, Any]) -> None:
    write_json(run_dir.manifest, {"schema_version": SCHEMA_VERSION, **manifest})


def task_name(manifest: dict[str, Any]) -> str:
    return str(manifest.get("task") or "forecast")


def objective(manifest: dict[str, Any]) -> Objective:
    """The objective the run ranks on; version 1 runs minimised val_mse."""
    recorded = (manifest.get("search") or {}).get("objective")
    if isinstance(recorded, dict) and recorded.get("name") and recorded.get("direction") in ("min", "max"):
        return Objective(str(recorded["name"]), recorded["direction"], str(recorded.get("label") or recorded["name"]))
    return DEFAULT_OBJECTIVE


def figure_columns(manifest: dict[str, Any]) -> tuple[str, ...]:
    figures = (manifest.get("search") or {}).get("figures")
    return tuple(str(f) for f in figures) if isinstance(figures, list) else DEFAULT_FIGURES
