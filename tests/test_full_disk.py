"""A search whose run directory fills its disk: a real tmpfs, small enough to fill after a few trials.

It must end with one line naming the directory and saying the disk is (nearly) full (exit 1: not bad input),
leave every file it wrote whole (no half-written JSON, no temporary file), keep the completed trials,
and continue with --resume once there is room, the kept trials untouched.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import AIRLINE, ROOT, TINY_SPACE, airline_search

# The disk is sized to fill after about three trials (each trial's files take about 45 KiB, and a trial
# starts only with room for four of the largest trial's files), so the budget needs only a few more.
TRIALS = 5
DISK_SIZE = "520k"


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of `size` at `path` (or resize it); why not, when this machine does not allow it."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" if not path.is_mount() else f"remount,size={size}"
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
        )
    except OSError as exc:
        return f"no mount command ({exc})"
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exit status {done.returncode}")


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    why = mount_tmpfs(disk, DISK_SIZE)
    if why is not None:
        pytest.skip(f"cannot mount a small tmpfs on this machine: {why}")
    yield disk
    subprocess.run(["umount", str(disk)], capture_output=True)


def noise(line: str) -> bool:
    """TensorFlow's start-up lines, which a new process prints before lstmtune can quiet them."""
    return line.startswith(("WARNING: All log messages", "I0000", "W0000", "E0000")) or "cpu_feature_guard" in line


def read_records(run: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted((run / "history").glob("trial_*.json"))}


def test_a_full_disk_ends_the_search_with_one_line_and_it_resumes_once_there_is_room(small_disk, cli, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(TINY_SPACE.replace("max_trials: 2", f"max_trials: {TRIALS}"))
    run = small_disk / "run"
    # A real process: the run.json it could not update names it, and a process that ended is not running.
    full = subprocess.run(
        airline_search(space, run, "--reference", "off"), capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert full.returncode == 1, (full.returncode, full.stderr)
    lines = [line for line in full.stderr.splitlines() if line.strip() and not noise(line)]
    assert len(lines) == 1, full.stderr
    assert lines[0].startswith(f"error: --out {run}: the disk is nearly full (") and lines[0].endswith(
        "KiB); the completed trials are kept: free some space, then continue with --resume"
    )
    assert "Traceback" not in full.stderr + full.stdout
    kept = read_records(run)
    completed = {name for name, text in kept.items() if json.loads(text)["status"] == "completed"}
    assert 0 < len(completed) < TRIALS, (len(completed), TRIALS)  # the disk filled part way
    json.loads((run / "run.json").read_text())  # every file whole
    assert not [p.name for p in run.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]

    assert mount_tmpfs(small_disk, "20m") is None  # space freed
    args = ("search", AIRLINE, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", run)
    resumed = cli(*args, "-q", "--reference", "off", "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["trials"]["completed"] == TRIALS
    after = read_records(run)
    assert all(after[name] == kept[name] for name in completed)  # the kept trials were not run again
    assert (run / "best_model.keras").is_file()


def test_a_disk_that_fills_while_a_checkpoint_is_written_ends_the_search_with_one_line(tmp_path, cli):
    """The first trial's checkpoint is larger than the disk: no room check can foresee it. The write fails
    part way (raised in the trial, or only when h5py's destructor closes the file, where Python can only
    print it, the checkpoint then found broken when read back): one line shows, the trial is not recorded
    completed or failed but interrupted, and --resume trains it once there is room."""
    disk = tmp_path / "disk"
    why = mount_tmpfs(disk, "300k")
    if why is not None:
        pytest.skip(f"cannot mount a small tmpfs on this machine: {why}")
    try:
        space = tmp_path / "space.yaml"
        space.write_text(TINY_SPACE.replace("units: {int: [2, 4], step: 2}", "units: 128"))
        run = disk / "run"
        full = subprocess.run(
            airline_search(space, run, "--reference", "off"), capture_output=True, text=True, cwd=ROOT, timeout=300
        )
        assert full.returncode == 1, (full.returncode, full.stderr)
        lines = [line for line in full.stderr.splitlines() if line.strip() and not noise(line)]
        assert lines == [
            f"error: --out {run}: the disk is full (No space left on device); the completed trials are kept: "
            "free some space, then continue with --resume"
        ], full.stderr
        assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
        assert [json.loads(text)["status"] for text in read_records(run).values()] == ["interrupted"]

        assert mount_tmpfs(disk, "20m") is None  # space freed
        args = ("search", AIRLINE, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", run)
        resumed = cli(*args, "-q", "--reference", "off", "--resume")
        assert resumed.exit_code == 0, resumed.stderr
        manifest = json.loads((run / "run.json").read_text())
        assert manifest["status"] == "completed" and manifest["trials"]["completed"] == 2, manifest["trials"]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_disk_full_error_is_recognised_through_the_errors_raised_from_it():
    import errno

    from lstmtune.run.disk import disk_full

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("keras-tuner could not save the trial") from None
    except RuntimeError as wrapped:
        assert disk_full(wrapped) == "No space left on device"  # found on the context, not the cause
    assert disk_full(RuntimeError("Can't decrement id ref count (error message = 'No space left on device')"))
    assert disk_full(OSError(errno.EACCES, "Permission denied")) is None
