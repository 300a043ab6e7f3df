"""SIGTERM (a CI runner cancelling a job) and SIGHUP (a closed terminal) stop a real search as Ctrl-C does:
one line, the run marked interrupted, exit 128 + the signal's number, and --resume goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TINY_SPACE, airline_search

pytestmark = [
    pytest.mark.search,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals sent to a child process"),
]
SPACE = TINY_SPACE.replace("search: {max_trials: 2, epochs: 2, patience: 1}", "search: {epochs: 15, patience: 15}")
ENV = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def command(space: Path, out: Path, *extra: str, trials: int = 3) -> list[str]:
    return airline_search(space, out, "--max-trials", str(trials), *extra)


def statuses(out: Path) -> list[str]:
    found = []
    for path in (out / "history").glob("trial_*.json"):
        try:
            found.append(json.loads(path.read_text())["status"])
        except (OSError, ValueError, KeyError):
            pass
    return found


def stop_in_second_trial(space: Path, out: Path, signum: int) -> subprocess.CompletedProcess:
    """Start a search, wait until its first trial has finished and the second is running, send `signum`."""
    process = subprocess.Popen(command(space, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 240
    try:
        while sorted(statuses(out)) != ["completed", "running"]:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"no second trial running: {statuses(out)}"
            time.sleep(0.05)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_termination_signal_stops_the_search_like_ctrl_c(tmp_path, signum, cli):
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    out = tmp_path / "run"
    done = stop_in_second_trial(space, out, signum)
    assert done.returncode == 128 + signum, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    name = signal.Signals(signum).name
    assert lines == [f"stopped by {name}: finished trials are kept in {out}; continue with --resume"], done.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "interrupted"
    assert sorted(statuses(out)) == ["completed", "interrupted"]
    if signum == signal.SIGTERM:  # and the run goes on where it stopped
        first = next(p for p in (out / "history").glob("trial_*.json") if '"completed"' in p.read_text())
        kept = first.read_text()
        # The budget lowered to the two trials started: the interrupted one is trained again, nothing more.
        # In this process: the signal's effects are on disk, the resume itself needs no process of its own.
        resumed = cli(*command(space, out, "--resume", trials=2)[3:])
        assert resumed.exit_code == 0, resumed.stderr
        assert json.loads((out / "run.json").read_text())["status"] == "completed"
        assert first.read_text() == kept
        assert sorted(statuses(out)) == ["completed"] * 2
