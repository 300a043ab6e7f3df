"""The run directory's own layer, without a search: layout, atomic writes, the lock, the manifest, records."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from lstmtune.core.objective import FORECAST_OBJECTIVE, Direction
from lstmtune.core.status import TrialStatus
from lstmtune.errors import RunDirError
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import read_json, remove_temporary_files, write_json, write_text
from lstmtune.run.layout import RUN_FILES, RunDir, owning_run, sort_key
from lstmtune.run.lock import RunLock, process_alive
from lstmtune.run.manifest import SCHEMA_VERSION, Manifest
from lstmtune.run.records import finished_count, mark_interrupted, read_trial_records, trial_records


def a_run(tmp_path, **manifest) -> RunDir:
    run = RunDir(tmp_path / "run")
    run_manifest.save(run, {"task": "forecast", "status": "completed", **manifest})
    return run


def record(run: RunDir, trial_id: str, status: str, **extra) -> None:
    write_json(
        run.trial_record(trial_id), {"trial_id": trial_id, "status": status, "values": {}, "metrics": {}, **extra}
    )


# --- layout --------------------------------------------------------------------------------------


def test_every_path_of_a_run_is_inside_it_and_listed_as_the_runs_own(tmp_path):
    run = RunDir(tmp_path / "run")
    paths = [
        run.manifest,
        run.space,
        run.best_space,
        run.best_model,
        run.preprocessing,
        run.predictions,
        run.history,
        run.tuner,
        run.tensorboard,
        run.workers,
        run.lock,
        run.table("csv"),
    ]
    for path in paths:
        assert path.parent == run.root
        assert path.name in RUN_FILES
    assert run.oracle_state == run.tuner / "search" / "oracle.json"
    assert run.trial_record("7") == run.history / "trial_7.json"
    assert run.trial_history("7") == run.history / "trial_7.csv"


def test_owning_run_finds_the_run_of_its_own_files_only(tmp_path):
    run = a_run(tmp_path)
    assert owning_run(run.manifest) == run.root
    assert owning_run(run.trial_record("3")) == run.root
    assert owning_run(run.root / "report.md") is None  # the user's own file beside the run's
    assert owning_run(tmp_path / "elsewhere" / "run.json") is None  # no manifest there


def test_an_empty_directory_or_a_left_lock_is_no_run(tmp_path):
    run = RunDir(tmp_path / "run")
    assert run.is_empty()
    run.root.mkdir()
    run.lock.write_text("pid 1")
    assert run.is_empty()
    (run.root / "notes.txt").write_text("mine")
    assert not run.is_empty()


def test_trial_ids_sort_as_integers_whatever_their_padding():
    assert sorted(["10", "02", "9", "001", "x"], key=sort_key) == ["001", "02", "9", "10", "x"]


# --- atomic writes -------------------------------------------------------------------------------


def test_json_is_written_without_nan_and_with_numpy_values_made_plain(tmp_path):
    path = tmp_path / "a" / "b.json"
    write_json(path, {"nan": float("nan"), "inf": -math.inf, "n": np.float32(0.5), "k": np.int64(3), "t": (1, 2)})
    assert read_json(path) == {"nan": None, "inf": None, "n": 0.5, "k": 3, "t": [1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]  # no temporary file left behind


def test_a_failed_write_keeps_the_old_file_whole(tmp_path):
    path = tmp_path / "table.json"
    write_json(path, {"kept": True})
    with pytest.raises(TypeError):
        write_json(path, {"bad": object()})
    assert read_json(path) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["table.json"]


def test_an_interrupt_while_the_temporary_file_is_made_leaves_nothing_behind(tmp_path, monkeypatch):
    """Ctrl-C inside the very call that creates the temporary file (after it exists, before its name is
    returned): the file is still removed, since its name was chosen first."""
    path = tmp_path / "space.yaml"
    write_text(path, "old")
    real_open = os.open

    def open_then_interrupt(name, flags, mode=0o777):
        real_open(name, flags, mode)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_text(path, "new")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["space.yaml"] and path.read_text() == "old"


def test_temporary_files_left_by_a_killed_writer_are_removed_and_nothing_else(tmp_path):
    stale = tmp_path / ".space.yaml.4242.0a1b2c3d4e5f.tmp"
    stale.write_text("half")
    kept = [tmp_path / "space.yaml", tmp_path / ".lock", tmp_path / "notes.tmp"]
    for path in kept:
        path.write_text("x")
    assert remove_temporary_files(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)


def test_written_files_follow_the_umask_not_mkstemps_private_mode(tmp_path):
    path = tmp_path / "x.txt"
    write_text(path, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_writing_to_a_device_writes_into_it_rather_than_replacing_it():
    write_text(__import__("pathlib").Path(os.devnull), "discarded")
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


# --- lock ---------------------------------------------------------------------------------------


def test_the_lock_is_exclusive_across_processes_and_says_who_holds_it(tmp_path):
    run = RunDir(tmp_path / "run")
    lock = RunLock(run).acquire()
    try:
        code = (
            "import sys; from lstmtune.run.layout import RunDir; from lstmtune.run.lock import RunLock\n"
            "try:\n    RunLock(RunDir(sys.argv[1])).acquire()\nexcept Exception as e:\n    print(e)"
        )
        done = subprocess.run([sys.executable, "-c", code, str(run.root)], capture_output=True, text=True, timeout=60)
        assert "a search is already running in it (pid" in done.stdout
    finally:
        lock.release()
    RunLock(run).acquire().release()  # free again


def test_process_alive_tells_only_for_this_host(tmp_path):
    import socket

    assert process_alive({"pid": os.getpid(), "host": socket.gethostname()}) is True
    assert process_alive({"pid": os.getpid(), "host": "another-host"}) is None
    assert process_alive({"pid": "nonsense", "host": socket.gethostname()}) is None
    assert process_alive(None) is None


# --- manifest -----------------------------------------------------------------------------------


def test_a_saved_manifest_reads_back_with_its_typed_accessors(tmp_path):
    run = a_run(
        tmp_path,
        task="text",
        search={
            "objective": {"name": "val_accuracy", "direction": "max", "label": "acc"},
            "figures": ["val_accuracy", "skill"],
        },
        hyperparameters={"names": ["units", "dropout"], "tunable": ["units"]},
    )
    manifest = run_manifest.load(run)
    assert isinstance(manifest, Manifest) and manifest["schema_version"] == SCHEMA_VERSION
    assert manifest.task == "text" and manifest.status == "completed"
    assert manifest.objective.direction is Direction.MAX and manifest.objective.maximised
    assert manifest.figures == ("val_accuracy", "skill")
    assert manifest.hyperparameter_names == ["units", "dropout"] and manifest.tunable == ["units"]
    assert manifest.best is None and manifest.baselines == {} and manifest.data == {}


def test_a_version_1_manifest_is_a_forecast_ranked_on_scaled_mse(tmp_path):
    run = RunDir(tmp_path / "old")
    write_json(run.manifest, {"status": "completed"})
    manifest = run_manifest.load(run)
    assert manifest.task == "forecast" and manifest.objective == FORECAST_OBJECTIVE
    assert manifest.figures == ("val_rmse", "val_mae", "skill")


@pytest.mark.parametrize(
    "document, message",
    [
        ({"status": "completed", "schema_version": SCHEMA_VERSION + 1}, "is newer than this lstmtune reads"),
        ({"status": "completed", "task": "poetry"}, "`task` must be one of forecast, text, sequence"),
        ({"status": "completed", "data": []}, "`data` must be an object, but got list"),
        (
            {"status": "completed", "hyperparameters": {"names": "units"}},
            "`hyperparameters.names` must be a list, but got str",
        ),
        ({"status": "completed", "baselines": {"val": ["persistence"]}}, "`baselines.val` must be an object"),
        (
            {"status": "completed", "baselines": {"val": {"persistence": 3}}},
            "`baselines.val.persistence` must be an object",
        ),
        ({"status": "completed", "best": {"test": [1, 2]}}, "`best.test` must be an object, but got list"),
        ({"status": "completed", "workers": 2}, "`workers` must be an object, but got int"),
        ({"task": "forecast"}, "it has no status"),
        ([1, 2], "a JSON object is expected"),
    ],
)
def test_a_malformed_manifest_is_one_error_naming_the_file_and_key(tmp_path, document, message):
    run = RunDir(tmp_path / "run")
    write_json(run.manifest, document)
    with pytest.raises(RunDirError, match="run.json") as raised:
        run_manifest.load(run)
    assert message in str(raised.value)


def test_missing_sections_read_as_empty_and_null_later_sections_as_absent(tmp_path):
    run = RunDir(tmp_path / "run")
    write_json(run.manifest, {"status": "running", "data": None, "best": None})
    manifest = run_manifest.load(run)
    assert manifest["data"] == {} and manifest["search"] == {} and "best" not in manifest


def test_a_run_directory_that_is_not_one_says_why(tmp_path):
    with pytest.raises(RunDirError, match="does not exist"):
        run_manifest.load(RunDir(tmp_path / "nowhere"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="is a file"):
        run_manifest.load(RunDir(tmp_path / "file"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match="no run.json"):
        run_manifest.load(RunDir(tmp_path / "empty"))
    write_text(tmp_path / "bad" / "run.json", "{not json")
    with pytest.raises(RunDirError, match="unreadable manifest"):
        run_manifest.load(RunDir(tmp_path / "bad"))


# --- records --------------------------------------------------------------------------------------


def test_damaged_records_are_set_aside_with_what_is_wrong(tmp_path):
    run = a_run(tmp_path)
    record(run, "1", "completed")
    record(run, "2", "exploded")
    write_json(run.trial_record("3"), {"trial_id": True, "status": "completed"})
    write_json(run.trial_record("4"), {"trial_id": "4", "status": "failed", "metrics": [1]})
    write_text(run.trial_record("5"), "{")
    records, damaged = read_trial_records(run)
    assert [r["trial_id"] for r in records] == ["1"]
    assert damaged == {
        "trial_2.json": "its status 'exploded' is not a trial status",
        "trial_3.json": "its trial_id is not a name",
        "trial_4.json": "its metrics is not an object",
        "trial_5.json": "not readable JSON",
    }


def test_finished_trials_are_completed_or_failed(tmp_path):
    run = a_run(tmp_path)
    for trial_id, status in enumerate(("completed", "failed", "running", "interrupted")):
        record(run, str(trial_id), status)
    assert finished_count(run) == 2


def test_mark_interrupted_touches_running_trials_only_and_of_the_named_worker(tmp_path):
    run = a_run(tmp_path)
    record(run, "1", "running", worker="worker1")
    record(run, "2", "running", worker="worker2")
    record(run, "3", "completed", worker="worker1")
    mark_interrupted(run, worker="worker1")
    statuses = {r["trial_id"]: r["status"] for r in trial_records(run)}
    assert statuses == {"1": "interrupted", "2": "running", "3": "completed"}
    mark_interrupted(run)
    assert {r["trial_id"]: r["status"] for r in trial_records(run)}["2"] == TrialStatus.INTERRUPTED.value
    assert json.loads(run.trial_record("3").read_text())["status"] == "completed"
