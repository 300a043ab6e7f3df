"""Parallel searches whose workers or chief die, are interrupted, or start in an odd order: real
processes on loopback, killed with real signals (see test_workers.py for the plain runs). One local worker
is enough for each failure here and starts one TensorFlow process fewer than two; test_workers.py runs two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import AIRLINE
from parallel_helpers import (
    ENV,
    alive,
    check_each_trial_once,
    finish,
    records,
    running_in_a_worker,
    search_command,
    start,
    wait_for,
    worker_pids,
)

pytestmark = [pytest.mark.search, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, /proc")]


def test_an_interrupted_worker_stops_the_search_as_ctrl_c_does(tmp_path, parallel_space):
    """SIGINT to one local worker (its trial kept for --resume) is never taken for a death to replace."""
    out = tmp_path / "run"
    process = start(search_command(out, parallel_space, "--max-trials", "4", "--workers", "1"))
    running = running_in_a_worker(out)
    os.kill(running["pid"], signal.SIGINT)
    code, _, err = finish(process)
    assert code == 130, err[-3000:]
    assert "started a new" not in err and "died" not in err, err
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert records(out)[str(running["trial_id"])]["status"] == "interrupted"
    assert not worker_pids(out)


def test_a_killed_worker_fails_its_trial_and_the_search_goes_on(tmp_path, parallel_space):
    out = tmp_path / "run"
    process = start(search_command(out, parallel_space, "--max-trials", "4", "--workers", "1"))
    running = running_in_a_worker(out)
    os.kill(running["pid"], signal.SIGKILL)
    code, _, err = finish(process)
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 4)
    killed = found[str(running["trial_id"])]
    assert killed["status"] == "failed"
    assert f"worker {running['worker']} died (killed by SIGKILL)" in killed["reason"]
    assert sum(r["status"] == "completed" for r in found.values()) == 3
    assert f"warning: worker {running['worker']} died (killed by SIGKILL)" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["workers"]["restarts"] == 1 and len(manifest["workers"]["deaths"]) == 1
    assert manifest["status"] == "completed"


def test_killed_chief_takes_its_workers_and_the_run_resumes(tmp_path, parallel_space, cli):
    """The resume runs in this process: resuming with workers is test_workers.py's."""
    out = tmp_path / "run"
    process = start(search_command(out, parallel_space, "--max-trials", "4", "--workers", "1"))
    wait_for("a completed trial", lambda: any(r["status"] == "completed" for r in records(out).values()))
    workers = wait_for("the worker processes", lambda: worker_pids(out))
    process.kill()
    process.wait(timeout=30)
    wait_for("the workers to end with their chief", lambda: not any(alive(pid) for pid in workers), timeout=30)
    done_before = {i: r for i, r in records(out).items() if r["status"] == "completed"}

    result = cli(*search_command(out, parallel_space, "--resume")[3:])
    assert result.exit_code == 0, result.stderr[-3000:]
    found = check_each_trial_once(out, 4)
    assert all(found[i]["status"] == "completed" for i in found)
    for trial_id, record in done_before.items():  # finished trials are kept, not trained again
        assert found[trial_id] == record


def test_ctrl_c_stops_handing_out_trials_and_the_run_resumes(tmp_path, parallel_space, cli):
    """Ctrl-C in a terminal reaches the search and its workers (one process group): no trial starts
    after it, the running ones are interrupted, and --resume (in this process) finishes the run."""
    out = tmp_path / "run"
    process = subprocess.Popen(
        search_command(out, parallel_space, "--max-trials", "4", "--workers", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    wait_for("2 completed trials", lambda: sum(r["status"] == "completed" for r in records(out).values()) >= 2)
    interrupted_at = time.time()
    os.killpg(process.pid, signal.SIGINT)
    code, _, err = finish(process)
    assert code == 130, err[-3000:]
    from datetime import datetime

    for record in records(out).values():
        assert datetime.fromisoformat(record["started"]).timestamp() <= interrupted_at + 1, record
        assert record["status"] in ("completed", "failed", "interrupted")
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert not worker_pids(out)
    kept = {i: r for i, r in records(out).items() if r["status"] == "completed"}
    result = cli(*search_command(out, parallel_space, "--resume")[3:])
    assert result.exit_code == 0, result.stderr[-3000:]
    found = check_each_trial_once(out, 4)
    assert all(r["status"] == "completed" for r in found.values())
    assert {i: found[i] for i in kept} == kept


def test_listen_on_a_busy_port_is_refused_before_anything_is_written(cli, tmp_path, parallel_space):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = cli(
            "search",
            str(AIRLINE),
            "--target",
            "Passengers",
            "--time-col",
            "Date",
            "--space",
            str(parallel_space),
            "--out",
            str(tmp_path / "run"),
            "--workers",
            "2",
            "--listen",
            f"127.0.0.1:{port}",
        )
    assert result.exit_code == 2
    assert f"--listen 127.0.0.1:{port}: cannot listen there" in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_worker_started_before_its_search_joins_it(tmp_path, parallel_space):
    """As on another machine: `lstmtune worker RUN_DIR` started first waits for the search, reads its
    address from run.json and runs trials beside the search's own worker."""
    out = tmp_path / "run"
    joining = subprocess.Popen(
        [sys.executable, "-m", "lstmtune", "worker", str(out), "--wait", "120", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    time.sleep(1)
    # The local worker is replaced after every trial, so the joining one surely gets trials too.
    code, _, err = finish(
        start(search_command(out, parallel_space, "--max-trials", "3", "--workers", "1", "--recycle-after", "1"))
    )
    assert code == 0, err[-3000:]
    _, joined_err = joining.communicate(timeout=60)
    assert joining.returncode == 0, joined_err[-3000:]
    found = check_each_trial_once(out, 3)
    assert all(r["status"] == "completed" for r in found.values())
    names = {r["worker"] for r in found.values()}
    assert "worker1" in names and len(names) == 2, names
