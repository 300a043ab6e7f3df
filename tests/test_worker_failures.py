"""Parallel searches whose workers or chief die, are interrupted, or start in an odd order: real
processes on loopback, killed with real signals (see test_workers.py for the plain runs). One local worker
is enough for each failure here and starts one TensorFlow process fewer than two; test_workers.py runs two.
"""

from __future__ import annotations

import json
import os
import shutil
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


def test_a_killed_worker_and_a_hung_one_fail_their_trials_and_the_search_goes_on(tmp_path, parallel_space):
    """A worker killed mid-trial is seen to die at once; its replacement, stopped mid-trial (SIGSTOP: alive,
    but its heartbeat thread frozen), is never seen to die, so once its lease lapses the search kills it.
    Either way the trial is failed, a new worker started, and the other trials complete."""
    out = tmp_path / "run"
    process = start(search_command(out, parallel_space, "--max-trials", "4", "--workers", "1", "--lease", "3"))
    killed = running_in_a_worker(out)
    os.kill(killed["pid"], signal.SIGKILL)
    hung = wait_for(
        "a trial running in the new worker",
        lambda: next(
            (
                r
                for r in records(out).values()
                if r["status"] == "running" and r.get("pid") not in (None, killed["pid"])
            ),
            None,
        ),
    )
    os.kill(hung["pid"], signal.SIGSTOP)
    code, _, err = finish(process)
    assert code == 0, err[-3000:]
    assert not alive(hung["pid"])
    found = check_each_trial_once(out, 4)
    first, second = found[str(killed["trial_id"])], found[str(hung["trial_id"])]
    assert first["status"] == "failed" and f"worker {killed['worker']} died (killed by SIGKILL)" in first["reason"]
    assert second["status"] == "failed", second
    assert (
        f"worker {hung['worker']} lost its lease" in second["reason"]
        and "(the worker hung); killed" in second["reason"]
    )
    assert sum(r["status"] == "completed" for r in found.values()) == 2
    assert f"warning: worker {killed['worker']} died (killed by SIGKILL)" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["workers"]["restarts"] == 2 and len(manifest["workers"]["deaths"]) == 2
    assert [d for d in manifest["workers"]["deaths"] if "(the worker hung)" in d]
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


@pytest.fixture
def other_machine():
    """(the address the search serves on, the prefix that runs a command on the other machine): a network
    namespace joined to this one by a veth pair, as a second machine looks from the network (the run
    directory stays shared, as on a shared file system). Where namespaces cannot be made (not root, no
    `ip`), loopback and no prefix: the same test on one network."""
    name = f"lt{os.getpid() % 100000}"
    outside, inside = f"{name}a", f"{name}b"
    subnet = 16 + os.getpid() % 200
    address, theirs = f"10.231.{subnet}.1", f"10.231.{subnet}.2"
    steps = [
        ["ip", "netns", "add", name],
        ["ip", "link", "add", outside, "type", "veth", "peer", "name", inside],
        ["ip", "link", "set", inside, "netns", name],
        ["ip", "addr", "add", f"{address}/30", "dev", outside],
        ["ip", "link", "set", outside, "up"],
        ["ip", "netns", "exec", name, "ip", "addr", "add", f"{theirs}/30", "dev", inside],
        ["ip", "netns", "exec", name, "ip", "link", "set", inside, "up"],
        ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
    ]
    made = shutil.which("ip") is not None and os.geteuid() == 0
    for step in steps if made else []:
        if subprocess.run(step, capture_output=True).returncode != 0:
            made = False
            break
    try:
        yield (address, ["ip", "netns", "exec", name]) if made else ("127.0.0.1", [])
    finally:
        if shutil.which("ip") is not None and os.geteuid() == 0:
            subprocess.run(["ip", "link", "del", outside], capture_output=True)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_a_joined_worker_that_dies_loses_its_trial_when_its_lease_lapses(tmp_path, parallel_space, other_machine):
    """As on another machine: `lstmtune worker RUN_DIR` started first waits for the search, reads its
    address from run.json and runs trials beside the search's own worker, over the network. Killed in its
    second trial (the search cannot see that process die), its heartbeat stops: once the lease lapses the
    chief records that trial failed, and the search's own worker finishes the rest."""
    address, prefix = other_machine
    out = tmp_path / "run"
    joining = subprocess.Popen(
        [*prefix, sys.executable, "-m", "lstmtune", "worker", str(out), "--wait", "120", "--quiet", "--id", "joined"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    time.sleep(1)
    # The local worker is replaced after every trial, so the joined one surely gets trials too.
    flags = ("--max-trials", "4", "--workers", "1", "--recycle-after", "1", "--lease", "3", "--listen", f"{address}:0")
    process = start(search_command(out, parallel_space, *flags))

    def joined_in_its_second_trial():
        mine = [r for r in records(out).values() if r.get("worker") == "joined"]
        running = [r for r in mine if r["status"] == "running"]
        return running[0] if running and any(r["status"] == "completed" for r in mine) else None

    try:
        running = wait_for("the joined worker in its second trial", joined_in_its_second_trial)
    finally:
        joining.kill()
        joining.communicate(timeout=60)
    code, _, err = finish(process)
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 4)
    lost = found[str(running["trial_id"])]
    assert lost["status"] == "failed" and "worker joined lost its lease" in lost["reason"], lost
    assert "unchanged for 3 s" in lost["reason"]
    statuses = sorted(r["status"] for r in found.values())
    assert statuses == ["completed"] * 3 + ["failed"], statuses
    assert {r["worker"] for r in found.values() if r["status"] == "completed"} == {"joined", "worker1"}
    assert "warning: worker joined lost its lease" in err and f"trial {running['trial_id']} failed" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["workers"]["lease"] == 3
    assert manifest["workers"]["oracle"].startswith(f"{address}:")
    assert any("worker joined lost its lease" in death for death in manifest["workers"]["deaths"])
