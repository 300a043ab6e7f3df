"""Where a search may write: the run directory checked before anything is written, and a resumed run
checked against what it was started with."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lstmtune.core.status import FINISHED
from lstmtune.errors import OptionError, RunDirError
from lstmtune.plan.request import SearchPlan, SearchRequest, flag, jsonable, plain
from lstmtune.run import manifest as run_manifest
from lstmtune.run.layout import RunDir
from lstmtune.run.lock import process_alive
from lstmtune.run.records import finished_count
from lstmtune.space import settings


def check_run_dir(request: SearchRequest) -> RunDir:
    """What may be written where: nothing is deleted unless it is a run directory the user named."""
    assert request.out is not None
    if str(request.out).strip() in ("", "."):
        raise OptionError(
            f"--out must name a directory for the run, but got {str(request.out)!r} (the current directory)"
        )
    run_dir = RunDir(request.out)
    root = run_dir.root
    if request.resume and request.overwrite:
        raise OptionError("--resume and --overwrite cannot be used together")
    if root.exists() and not root.is_dir():
        raise RunDirError(f"--out {root}: exists and is not a directory")
    if root.is_symlink() and not root.exists():
        raise RunDirError(
            f"--out {root}: is a symbolic link to a missing directory ({os.readlink(root)}); "
            "create that directory or choose another --out"
        )
    if root.is_symlink() and (request.overwrite or request.resume):
        raise RunDirError(f"--out {root}: is a symbolic link; name the directory it points to ({root.resolve()})")
    if request.resume:
        if not run_dir.manifest.is_file():
            raise RunDirError(f"--out {root}: nothing to resume (no run.json there)")
        _check_tuner_state(run_dir)
    elif not run_dir.is_empty():
        if not request.overwrite:
            raise RunDirError(
                f"--out {root}: already exists and is not empty; pass --resume to continue it or --overwrite to replace it"
            )
        if not run_dir.manifest.is_file():
            raise RunDirError(
                f"--out {root}: --overwrite replaces run directories only, and this one has no run.json; choose another --out"
            )
        resolved = root.resolve()
        for what, path in (
            ("the data file", request.data_path),
            ("the space file", request.space_path),
            ("the current directory", Path.cwd()),
        ):
            if isinstance(path, (str, Path)) and Path(path).resolve().is_relative_to(resolved):
                raise RunDirError(f"--out {root}: --overwrite would delete {what} ({path}); choose another --out")
    if run_dir.manifest.is_file() and (request.resume or request.overwrite):
        manifest = read_manifest(run_dir)
        if manifest.get("status") == "running" and process_alive(manifest.get("process")):
            raise RunDirError(f"--out {root}: a search is still running in it (pid {manifest['process']['pid']})")
    _check_creatable(root)
    return run_dir


def _check_tuner_state(run_dir: RunDir) -> None:
    """keras-tuner's state must be whole to resume; without it a run may only restart when it has no
    finished trial to lose (it was stopped before its first trial ended)."""
    state = run_dir.oracle_state
    if not state.is_file():
        if finished_count(run_dir):
            raise RunDirError(
                f"--out {run_dir.root}: cannot resume, keras-tuner's state (tuner/search/oracle.json) "
                "is missing; use --overwrite"
            )
        return
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise RunDirError(
            f"--out {run_dir.root}: cannot resume, keras-tuner's state (tuner/search/oracle.json) "
            "is damaged (empty or not JSON); use --overwrite"
        ) from None


def _check_creatable(root: Path) -> None:
    ancestor = root.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunDirError(f"--out {root}: cannot be created, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {root}: cannot be written, no write permission in {ancestor}")


def read_manifest(run_dir: RunDir) -> run_manifest.Manifest:
    try:
        return run_manifest.load(run_dir)
    except RunDirError as error:
        raise RunDirError(f"{error}; use --overwrite") from None


def raised_epochs(old_search: dict[str, Any], search: Any) -> bool:
    """Whether a resumed search raises the epoch budget of its new trials: allowed (finished trials keep
    theirs), except under Hyperband, whose brackets follow from it."""
    old = old_search.get("epochs")
    return search.tuner != "hyperband" and isinstance(old, int) and search.epochs > old


def _hyperparameters(previous: Any, plan: SearchPlan) -> tuple[Any, dict[str, Any]]:
    """(recorded, now): the run's hyperparameters and the plan's, leaving out of the plan's those the run
    does not record that sit at their defaults: knobs added since the run started, which its trials trained
    without, as with their defaults."""
    from lstmtune.tasks import hyperparameter_specs

    old = (previous.get("hyperparameters") or {}).get("space")
    new = plan.space.to_dict()["hyperparameters"]
    if not isinstance(old, dict):
        return old, new
    specs = hyperparameter_specs(plan.task.name)
    added = {
        name
        for name, value in new.items()
        if name not in old
        and name in specs
        and plan.space.params[name].kind == "fixed"
        and value == specs[name].default
    }
    return old, {name: value for name, value in new.items() if name not in added}


def check_resumable(run_dir: RunDir, plan: SearchPlan) -> None:
    """A resumed run must search the same data, space and settings; only --max-trials may grow."""
    previous = read_manifest(run_dir)
    old_data, old_search = previous.get("data") or {}, previous.get("search") or {}
    search = plan.search
    request = plan.request
    if previous.task != plan.task.name:
        raise RunDirError(
            f"--resume {run_dir.root}: the run is a --task {previous.task} search, "
            f"not --task {plan.task.name}; resume with the same flags, or use --overwrite"
        )
    if old_data.get("sha256") != plan.data_sha256:
        raise RunDirError(
            f"--resume {run_dir.root}: {request.data_path} is not the data the run was started on "
            f"({old_data.get('path')}, contents differ); resume with the same file, or use --overwrite"
        )
    new_data = plan.data.manifest_data()
    old_settings = old_data.get("settings") or {}
    old_columns, old_options = old_data.get("columns") or {}, old_data.get("options") or {}
    named = "columns" in old_data  # runs written before schema version 2 did not record the flags
    old_vectors: dict[str, Any] = old_data.get("embeddings") or {}
    new_vectors: dict[str, Any] = new_data.get("embeddings") or {}
    new_columns, new_options = jsonable(request.columns), jsonable(request.options)
    checks = [  # both ways: a flag dropped since the run started counts as a change too
        *((flag(key), old_columns.get(key), new_columns.get(key)) for key in {**old_columns, **new_columns} if named),
        *((flag(key), old_options.get(key), new_options.get(key)) for key in {**old_options, **new_options} if named),
        *((flag(key), old_settings.get(key), value) for key, value in new_data.get("settings", {}).items()),
        *(
            (("--embeddings (the file's contents)", old_vectors["sha256"], new_vectors.get("sha256")),)
            if "sha256" in old_vectors
            else ()
        ),
        ("--tuner", old_search.get("tuner"), search.tuner),
        *((("--epochs", old_search.get("epochs"), search.epochs),) if not raised_epochs(old_search, search) else ()),
        ("--patience", old_search.get("patience"), search.patience),
        ("--seed", old_search.get("seed"), search.seed),
        ("--executions", old_search.get("executions", 1), search.executions),
        ("--folds", old_search.get("folds", 1), search.folds),
        *((("--gpu-fast", bool(old_search["gpu_fast"]), request.gpu_fast),) if "gpu_fast" in old_search else ()),
        # Runs from before the flag existed trained in float32.
        ("--mixed-precision", bool(old_search.get("mixed_precision", False)), request.mixed_precision),
        ("the hyperparameters", *_hyperparameters(previous, plan)),
    ]
    done = sum(((previous.get("trials") or {}).get(status) or 0) for status in FINISHED)
    if search.tuner != "hyperband" and isinstance(done, int) and search.max_trials < done:
        raise OptionError(
            f"--max-trials must be at least the {done} trials the run has already finished "
            f"(to resume it), but got {search.max_trials}"
        )
    if search.tuner == "bayesian":
        wanted = search.initial_points or settings.default_initial_points(search.max_trials)
        checks.append(("--initial-points", old_search.get("initial_points"), wanted))
    old_epochs = old_search.get("epochs")
    if search.tuner != "hyperband" and isinstance(old_epochs, int) and search.epochs < old_epochs:
        raise RunDirError(
            f"--resume {run_dir.root}: --epochs may be raised on --resume, not lowered (was {old_epochs}, "
            f"now {search.epochs}); resume with --epochs {old_epochs} or more, or use --overwrite"
        )
    for what, old, new in checks:
        if old != new and isinstance(old, bool) and isinstance(new, bool) and what.startswith("--"):  # a switch
            raise RunDirError(
                f"--resume {run_dir.root}: the run started {'with' if old else 'without'} {what}; "
                "resume with the same data, space and flags, or use --overwrite"
            )
        if old != new:
            change = "" if isinstance(new, dict) else f" (was {plain(old)}, now {plain(new)})"
            raise RunDirError(
                f"--resume {run_dir.root}: {what} changed{change} since the run started; "
                "resume with the same data, space and flags, or use --overwrite"
            )
