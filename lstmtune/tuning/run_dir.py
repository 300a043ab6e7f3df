"""A search's start in its run directory: the initial manifest (versions, device, settings), the
directory prepared (or cleared for --overwrite) under the run's lock, and the reference model fitted."""

from __future__ import annotations

import os
import platform
import shutil
import socket
from typing import Any

import keras
import keras_tuner

from lstmtune.core.status import FINISHED, RunStatus
from lstmtune.errors import RunDirError
from lstmtune.plan import SearchPlan, device_options_manifest, manifest_data
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import remove_temporary_files, write_text
from lstmtune.run.layout import LOCK_NAME, RunDir
from lstmtune.tasks.reference import OFF, compared_on
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.recorder import now
from lstmtune.tuning.tuner import initial_points
from lstmtune.version import __version__


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "lstmtune": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_tuner": keras_tuner.__version__,
        "python": platform.python_version(),
    }


def device() -> dict[str, Any]:
    """Where the trials train: the GPUs TensorFlow sees (none: the CPU) and the CPU cores."""
    import tensorflow as tf

    gpus = [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
    return {"kind": "gpu" if gpus else "cpu", "gpus": gpus, "cpu_cores": os.cpu_count()}


def initial_manifest(plan: SearchPlan) -> dict[str, Any]:
    search = plan.search
    return {
        "task": plan.task.name,
        "command": list(plan.request.command),
        "versions": versions(),
        "status": RunStatus.RUNNING.value,
        "process": {"pid": os.getpid(), "host": socket.gethostname()},
        "device": device(),
        "data": manifest_data(plan),
        "search": {
            "tuner": search.tuner,
            "max_trials": search.max_trials if search.tuner != "hyperband" else None,
            "epochs": search.epochs,
            "patience": search.patience,
            "initial_points": initial_points(plan) if search.tuner == "bayesian" else None,
            "seed": search.seed,
            "time_budget": search.time_budget,
            "reference": search.reference,
            "ensemble": search.ensemble,
            "executions": search.executions,
            "folds": search.folds,
            "prune": {
                "rule": search.pruning,
                "warmup_trials": search.prune_warmup_trials,
                "warmup_epochs": search.prune_warmup_epochs,
            },
            "tensorboard": plan.request.tensorboard,
            "objective": plan.data.objective.to_json(),
            "figures": list(plan.data.figure_columns),
            **device_options_manifest(plan),
        },
        "hyperparameters": {
            "names": list(plan.space.params),
            "tunable": [p.name for p in plan.space.tunable],
            "space": plan.space.to_dict()["hyperparameters"],
        },
        "baselines": plan.baselines,
        "times": {"started": now()},
        # A parallel search: `lstmtune worker` waits for the address, added once the chief serves.
        **({"workers": {"count": plan.request.workers}} if plan.request.workers else {}),
    }


def prepare_run_dir(plan: SearchPlan) -> dict[str, Any]:
    """Under the run's lock: check again what planning saw (another search may have started on the
    same directory since), clear it for --overwrite, write the manifest and the space."""
    run_dir = plan.run_dir
    request = plan.request
    if not request.resume and not request.overwrite and not run_dir.is_empty():
        raise RunDirError(
            f"--out {run_dir.root}: already exists and is not empty (another search started on it "
            "meanwhile?); pass --resume to continue it or --overwrite to replace it"
        )
    if request.overwrite:  # everything but the lock this process holds
        for child in run_dir.root.iterdir():
            if child.name != LOCK_NAME:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    run_dir.root.mkdir(parents=True, exist_ok=True)
    run_dir.history.mkdir(exist_ok=True)
    manifest = initial_manifest(plan)
    if plan.request.resume:
        # Files half written by a process killed mid-write (SIGKILL, power loss): no writer is left under
        # the lock, and each file they were to replace is whole.
        for folder in (run_dir.root, *(p for p in run_dir.root.rglob("*") if p.is_dir())):
            remove_temporary_files(folder)
        previous = run_manifest.load(run_dir)
        manifest["times"]["first_started"] = previous.get("times", {}).get("first_started") or previous.get(
            "times", {}
        ).get("started")
        manifest["resumed"] = previous.get("resumed", 0) + 1
        raised = list((previous.get("search") or {}).get("epochs_raised") or [])
        old_epochs = (previous.get("search") or {}).get("epochs")
        if old_epochs != plan.search.epochs:  # --resume --epochs N: the budget of the trials from here on
            done = sum((previous.get("trials") or {}).get(status) or 0 for status in FINISHED)
            raised.append({"from": old_epochs, "to": plan.search.epochs, "after_trials": done})
        if raised:
            manifest["search"]["epochs_raised"] = raised
        if previous.get("best"):  # a resumed run never ends with less than it started with
            manifest["best"] = previous["best"]
    run_manifest.save(run_dir, manifest)
    write_text(run_dir.space, plan.space.to_yaml())
    return manifest


def record_reference(plan: SearchPlan, manifest: dict[str, Any], reporter: Reporter) -> None:
    """Fit the reference model once, before the trials, and record it beside the naive baselines."""
    choice = plan.search.reference
    if choice == OFF or not plan.data.reference_choices():
        return
    reference = plan.data.reference(choice)
    if reference is None:
        return
    manifest["baselines"]["reference"] = reference.to_json()
    manifest["times"]["reference_seconds"] = round(reference.seconds, 2)
    run_manifest.save(plan.run_dir, manifest)
    if reference.failed:
        reporter.warn(f"warning: the reference model could not be fitted: {reference.failed}")
        return
    figure, _ = compared_on(plan.data.objective)
    value = reference.figures.get("val", {}).get(figure)
    shown = f"validation {figure} {value:.4g}" if isinstance(value, float) else "no validation figure"
    reporter.reference(f"reference: {reference.name}: {shown} ({reference.seconds:.1f} s)")


def own_running_manifest(run_dir: RunDir) -> dict[str, Any] | None:
    """run.json as this process wrote it, when an interrupt came before prepare_run_dir returned it."""
    try:
        manifest = run_manifest.load(run_dir)
    except RunDirError:
        return None
    process = manifest.get("process") or {}
    return manifest if manifest.get("status") == RunStatus.RUNNING.value and process.get("pid") == os.getpid() else None
