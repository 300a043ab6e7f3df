"""run.json: the one reader and writer of a run's manifest (json only; no TensorFlow).

    {"schema_version": 2, "task": "forecast", "status": "completed", "command": [...],
     "data": {"path", "sha256", ...the task's own part},
     "search": {"tuner", "max_trials", "epochs", "patience", "initial_points", "seed",
                "objective": {"name", "direction", "label"}, "figures": [...]},
     "hyperparameters": {"names", "tunable", "space"},
     "baselines": {"val": {name: figures}, "test": {...}, "reference": {"name", "parameters", "val", "test", ...}},
     "best": {...},
     "trials": {status: count}, "times": {...}, "versions": {...}, "process": {"pid", "host"}}

Version 1 manifests (no schema_version) are forecasting runs ranked on val_mse, minimised.
"""

from __future__ import annotations

import json
from typing import Any

from lstmtune.core.names import DEFAULT_TASK, TASK_NAMES
from lstmtune.core.objective import FORECAST_OBJECTIVE, Direction, Objective
from lstmtune.core.text import clip
from lstmtune.errors import RunDirError
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir

SCHEMA_VERSION = 2
# What version 1 manifests (forecasting only) recorded per trial.
FORECAST_FIGURES = ("val_rmse", "val_mae", "skill")
# Sections every reader may treat as objects (an absent one reads as {}), and those present only once
# there is something to say.
SECTIONS = ("data", "search", "hyperparameters", "baselines", "times")
# baselines.reference: the model a practitioner would fit instead (beside the naive baselines of each split).
REFERENCE = "reference"
LATER_SECTIONS = ("best", "trials", "process", "workers")


class Manifest(dict[str, Any]):
    """run.json as a JSON object, with typed accessors for what readers rely on.

    `load` checks the shapes those accessors read, so a reader never meets a string where a list is due.
    """

    @property
    def task(self) -> str:
        return str(self.get("task") or DEFAULT_TASK)

    @property
    def status(self) -> str:
        return str(self.get("status", "unknown"))

    @property
    def objective(self) -> Objective:
        """The objective the run ranks on; version 1 runs minimised val_mse."""
        recorded = (self.get("search") or {}).get("objective")
        if isinstance(recorded, dict) and recorded.get("name") and recorded.get("direction") in ("min", "max"):
            return Objective(
                str(recorded["name"]), Direction(recorded["direction"]), str(recorded.get("label") or recorded["name"])
            )
        return FORECAST_OBJECTIVE

    @property
    def figures(self) -> tuple[str, ...]:
        """The task's per-trial figure columns of the ranked table (after the score)."""
        figures = (self.get("search") or {}).get("figures")
        return tuple(str(f) for f in figures) if isinstance(figures, list) else FORECAST_FIGURES

    @property
    def hyperparameter_names(self) -> list[str]:
        return [str(n) for n in (self.get("hyperparameters") or {}).get("names") or []]

    @property
    def tunable(self) -> list[str]:
        return [str(n) for n in (self.get("hyperparameters") or {}).get("tunable") or []]

    @property
    def best(self) -> dict[str, Any] | None:
        return self.get("best")

    @property
    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The naive baselines of each split: {"val": {name: figures}, "test": {...}}."""
        return {split: figures for split, figures in (self.get("baselines") or {}).items() if split != REFERENCE}

    @property
    def reference(self) -> dict[str, Any] | None:
        """The reference model: name, parameters, seconds, and its figures per split (or why it failed)."""
        return (self.get("baselines") or {}).get(REFERENCE)

    @property
    def data(self) -> dict[str, Any]:
        return self.get("data") or {}


def load(run_dir: RunDir) -> Manifest:
    """The manifest; a missing, unreadable, newer or malformed one is a RunDirError naming the file."""
    manifest = Manifest(_read(run_dir))
    where = run_dir.manifest
    if "status" not in manifest:
        raise RunDirError(f"{where}: not a run manifest written by lstmtune search (it has no status)")
    version = manifest.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise RunDirError(
            f"{where}: schema_version {version!r} is newer than this lstmtune reads "
            f"({SCHEMA_VERSION}); upgrade lstmtune"
        )
    for section in SECTIONS:
        if manifest.get(section) is None:
            manifest[section] = {}  # readers may rely on every section being an object
        _expect(where, section, manifest[section], dict)
    for section in LATER_SECTIONS:
        if manifest.get(section) is None:
            manifest.pop(section, None)
        else:
            _expect(where, section, manifest[section], dict)
    _check_nested(where, manifest)
    if manifest.task not in TASK_NAMES:
        raise RunDirError(f"{where}: `task` must be one of {', '.join(TASK_NAMES)}, but got {manifest.get('task')!r}")
    return manifest


def save(run_dir: RunDir, manifest: dict[str, Any]) -> None:
    write_json(run_dir.manifest, {"schema_version": SCHEMA_VERSION, **manifest})


def _read(run_dir: RunDir) -> Any:
    try:
        exists, is_dir, has_manifest = run_dir.root.exists(), run_dir.root.is_dir(), run_dir.manifest.is_file()
    except OSError as exc:  # a name too long, a loop of links
        raise RunDirError(
            f"{clip(str(run_dir.root))}: cannot be read as a run directory ({exc.strerror or exc})"
        ) from None
    if exists and not is_dir:
        raise RunDirError(f"{run_dir.root}: is a file, but a run directory (made by lstmtune search) is needed")
    if not is_dir:
        raise RunDirError(f"{run_dir.root}: not a run directory (it does not exist)")
    if not has_manifest:
        raise RunDirError(f"{run_dir.root}: not a run directory (no run.json); run `lstmtune search` first")
    try:
        document = read_json(run_dir.manifest)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{run_dir.manifest}: unreadable manifest ({exc})") from None
    if not isinstance(document, dict):
        raise RunDirError(f"{run_dir.manifest}: not a run manifest (a JSON object is expected)")
    return document


def _expect(where: Any, key: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind):
        expected = {"dict": "an object", "list": "a list", "str": "a string"}[kind.__name__]
        raise RunDirError(f"{where}: `{key}` must be {expected}, but got {type(value).__name__}")


def _check_nested(where: Any, manifest: Manifest) -> None:
    """The nested values readers index into: lists of names, per-split objects of figures."""
    for key in ("names", "tunable"):
        value = manifest["hyperparameters"].get(key)
        if value is not None:
            _expect(where, f"hyperparameters.{key}", value, list)
    for split, figures in manifest["baselines"].items():
        _expect(where, f"baselines.{split}", figures, dict)
        if split == REFERENCE:
            for key in ("val", "test"):
                if figures.get(key) is not None:
                    _expect(where, f"baselines.reference.{key}", figures[key], dict)
                    _numbers(where, f"baselines.reference.{key}", figures[key])
            continue
        for name, scores in figures.items():
            _expect(where, f"baselines.{split}.{name}", scores, dict)
            _numbers(where, f"baselines.{split}.{name}", scores)
    best = manifest.get("best")
    if best is not None:
        for key in ("values", "train", "val", "test"):
            if best.get(key) is not None:
                _expect(where, f"best.{key}", best[key], dict)
                if key != "values":
                    _numbers(where, f"best.{key}", best[key])


# The figures a report, a gate rule or a comparison reads as numbers (a number, or null when not known).
FIGURES = (
    "rmse", "mae", "skill", "accuracy", "macro_f1", "cross_entropy", "recon_mse", "roc_auc", "pr_auc", "gap",
    "threshold", "score_sd",
)  # fmt: skip


def _numbers(where: Any, key: str, figures: dict[str, Any]) -> None:
    """Figures must be numbers (or null): "17" or true would pass a gate rule as 17 or 1."""
    for name in FIGURES:
        value = figures.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RunDirError(f"{where}: `{key}.{name}` must be a number (or null), but got {value!r}")
