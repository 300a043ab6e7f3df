"""Parallel searches on keras-tuner's chief/worker mode: real worker processes on loopback.

Each search is a real `lstmtune search --workers 2` subprocess (TINY_SPACE, 2 epochs) whose workers are
`lstmtune worker` processes talking gRPC to it. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import AIRLINE, TINY_SPACE, airline_search

pytestmark = [pytest.mark.search, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, /proc")]

SPACE = TINY_SPACE.replace("search: {max_trials: 2, epochs: 2, patience: 1}", "search: {epochs: 2, patience: 1}")
assert SPACE != TINY_SPACE
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
RUN_TIMEOUT_S = 300
MOMENT_TIMEOUT_S = 150


def search_command(out: Path, space: Path, *extra: str) -> list[str]:
    return airline_search(space, out, *extra)


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"search did not end within {RUN_TIMEOUT_S} s; stderr:\n{err[-3000:]}")
    return process.returncode, out, err


def records(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted((out / "history").glob("trial_*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found[str(record["trial_id"])] = record
    return found


def wait_for(what: str, condition, timeout: float = MOMENT_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")  # a zombie has ended


def worker_pids(out: Path) -> set[int]:
    """Live `lstmtune worker` processes of this run, from /proc."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv and str(out).encode() in argv and alive(int(entry.name)):
            pids.add(int(entry.name))
    return pids


def check_each_trial_once(out: Path, expected: int) -> dict[str, dict]:
    """`expected` trials, each id once in the table, each history trained once (epochs 1, 2, ... once)."""
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == expected
    assert table["trial_id"].astype(str).is_unique
    found = records(out)
    assert sorted(found) == sorted(table["trial_id"].astype(str))
    for trial_id, record in found.items():
        if record["status"] == "completed":
            history = pd.read_csv(out / "history" / f"trial_{trial_id}.csv")
            assert list(history["epoch"]) == list(range(1, len(history) + 1)), trial_id
    oracle = json.loads((out / "tuner" / "search" / "oracle.json").read_text())
    assert len(oracle["end_order"]) == len(set(oracle["end_order"])) == expected
    return found


@pytest.fixture(scope="module")
def space_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("space") / "space.yaml"
    path.write_text(SPACE)
    return path


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory, space_file) -> tuple[Path, int, str]:
    """6 trials on 2 workers, each worker replaced by a fresh process after 2 trials."""
    out = tmp_path_factory.mktemp("parallel") / "run"
    code, _, err = finish(
        start(search_command(out, space_file, "--max-trials", "6", "--workers", "2", "--recycle-after", "2"))
    )
    return out, code, err


def test_two_workers_run_every_trial_once(parallel_run):
    out, code, err = parallel_run
    assert code == 0, err[-3000:]
    assert err.strip() == "", err[-3000:]  # --quiet: nothing from keras-tuner's own display either
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed"
    assert manifest["trials"]["completed"] == 6 and manifest["trials"]["failed"] == 0
    found = check_each_trial_once(out, 6)
    # Both workers trained; none more than --recycle-after trials per process.
    by_process: dict[int, int] = {}
    for record in found.values():
        by_process[record["pid"]] = by_process.get(record["pid"], 0) + 1
    assert {record["worker"] for record in found.values()} == {"worker1", "worker2"}
    assert max(by_process.values()) <= 2 and len(by_process) >= 3
    assert manifest["workers"]["count"] == 2 and manifest["workers"]["deaths"] == []
    assert manifest["workers"]["oracle"].startswith("127.0.0.1:")
    starts = sum((out / "workers" / f"worker{n}.log").read_text().count("--- started") for n in (1, 2))
    assert starts == len(by_process) >= 3
    # The same files as a one-process search: the best model, its space file, the report.
    assert (out / "best_model.keras").is_file() and (out / "best.yaml").is_file()
    assert manifest["best"]["trial_id"] in found
    assert not worker_pids(out), "workers outlived the search"
    # Workers asking at the same time are not given the same configuration (keras-tuner #666, #332).
    values = [json.dumps(r["values"], sort_keys=True) for r in found.values()]
    assert len(set(values)) == len(values)


def test_parallel_run_reports_and_gates(parallel_run, cli):
    out, code, _ = parallel_run
    assert code == 0
    result = cli("report", str(out), "--format", "json", "--top", "10")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["trials"]) == 6
    by_worker = document["workers"]["trials_by_worker"]
    assert sorted(by_worker) == ["worker1", "worker2"] and sum(by_worker.values()) == 6
    text = cli("report", str(out)).stdout
    assert (
        f"workers: 2 local  trials by worker: worker1 {by_worker['worker1']}, worker2 {by_worker['worker2']}"
    ) in text
    assert cli("gate", str(out), "--require", "trials.completed == 6").exit_code == 0


def test_a_killed_worker_fails_its_trial_and_the_search_goes_on(tmp_path, space_file):
    out = tmp_path / "run"
    process = start(search_command(out, space_file, "--max-trials", "6", "--workers", "2"))
    running = wait_for(
        "a trial running in a worker",
        lambda: next((r for r in records(out).values() if r["status"] == "running" and "pid" in r), None),
    )
    os.kill(running["pid"], signal.SIGKILL)
    code, _, err = finish(process)
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 6)
    killed = found[str(running["trial_id"])]
    assert killed["status"] == "failed"
    assert f"worker {running['worker']} died (killed by SIGKILL)" in killed["reason"]
    assert sum(r["status"] == "completed" for r in found.values()) == 5
    assert f"warning: worker {running['worker']} died (killed by SIGKILL)" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["workers"]["restarts"] == 1 and len(manifest["workers"]["deaths"]) == 1
    assert manifest["status"] == "completed"


def test_killed_chief_takes_its_workers_and_the_run_resumes(tmp_path, space_file):
    out = tmp_path / "run"
    process = start(search_command(out, space_file, "--max-trials", "5", "--workers", "2"))
    wait_for("a completed trial", lambda: any(r["status"] == "completed" for r in records(out).values()))
    workers = wait_for("the worker processes", lambda: worker_pids(out))
    process.kill()
    process.wait(timeout=30)
    wait_for("the workers to end with their chief", lambda: not any(alive(pid) for pid in workers), timeout=30)
    done_before = {i: r for i, r in records(out).items() if r["status"] == "completed"}

    code, _, err = finish(start(search_command(out, space_file, "--resume", "--workers", "2")))
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 5)
    assert all(found[i]["status"] == "completed" for i in found)
    for trial_id, record in done_before.items():  # finished trials are kept, not trained again
        assert found[trial_id] == record


def test_a_parallel_run_resumes_in_one_process_and_in_parallel(parallel_run, tmp_path):
    """--resume keeps every finished trial (not trained again) whether the run goes on with or
    without workers, and the trial ids go on from where they were."""
    finished, code, _ = parallel_run
    assert code == 0
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    space = out / "space.yaml"  # the run's own space file, outside the run's files would do as well
    kept = records(out)
    code, _, err = finish(start(search_command(out, space, "--resume", "--max-trials", "7")))
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 7)
    assert {i: found[i] for i in kept} == kept
    assert "worker" not in found["6"]
    kept = found
    code, _, err = finish(start(search_command(out, space, "--resume", "--max-trials", "9", "--workers", "2")))
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 9)
    assert {i: found[i] for i in kept} == kept
    assert {found[i]["worker"] for i in ("7", "8")} <= {"worker1", "worker2"}


def test_ctrl_c_stops_handing_out_trials_and_the_run_resumes(tmp_path, space_file):
    """Ctrl-C in a terminal reaches the search and its workers (one process group): no trial starts
    after it, the running ones are interrupted, and --resume finishes the run."""
    out = tmp_path / "run"
    process = subprocess.Popen(
        search_command(out, space_file, "--max-trials", "8", "--workers", "2"),
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
    code, _, err = finish(start(search_command(out, space_file, "--resume", "--workers", "2")))
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 8)
    assert all(r["status"] == "completed" for r in found.values())
    assert {i: found[i] for i in kept} == kept


def test_listen_on_a_busy_port_is_refused_before_anything_is_written(cli, tmp_path, space_file):
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
            str(space_file),
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


def test_a_worker_without_its_chief_gives_up_within_wait(parallel_run, tmp_path, cli):
    finished, code, _ = parallel_run
    assert code == 0
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    manifest = json.loads((out / "run.json").read_text())
    manifest["status"] = "running"  # as if its chief were serving, but nothing listens on the port
    (out / "run.json").write_text(json.dumps(manifest))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "lstmtune", "worker", str(out), "--oracle", "127.0.0.1:9", "--wait", "2", "--quiet"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: --oracle 127.0.0.1:9: no answer from the search's chief within 2 s (is the search "
        "still running there, and reachable from this machine?)"
    ]
    assert time.monotonic() - started < 100
    assert records(out) == records(finished)  # nothing written


@pytest.mark.parametrize(
    "args, message",
    [
        (["--listen", "0.0.0.0:8470"], "--listen applies to a parallel search: add --workers N"),
        (["--recycle-after", "3"], "--recycle-after applies to a parallel search: add --workers N"),
        (["--workers", "-1"], "--workers must be from 0 to 256"),
        (["--workers", "2", "--recycle-after", "0"], "--recycle-after must be at least 1 trial, but got 0"),
        (["--workers", "2", "--listen", "8470"], "--listen must be HOST:PORT"),
        (["--workers", "2", "--listen", "host:99999"], "--listen must be HOST:PORT"),
    ],
)
def test_parallel_flag_errors(cli, tmp_path, space_file, args, message):
    result = cli(
        "search",
        str(AIRLINE),
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        str(space_file),
        "--out",
        str(tmp_path / "run"),
        *args,
    )
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_worker_errors(cli, parallel_run, tmp_path):
    finished, code, _ = parallel_run
    assert code == 0
    result = cli("worker", str(finished))
    assert result.exit_code == 2
    assert "no search is running in it (run.json status: completed)" in result.stderr
    assert cli("worker", str(finished), "--wait", "0").exit_code == 2
    result = cli("worker", str(finished), "--id", "worker1")
    assert result.exit_code == 2 and "--id worker1: names of the form workerN are the search's own" in result.stderr
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    manifest = json.loads((out / "run.json").read_text())
    manifest["status"] = "running"
    (out / "run.json").write_text(json.dumps(manifest))
    other = tmp_path / "other.csv"
    other.write_text(AIRLINE.read_text().replace("112", "113", 1))
    result = cli("worker", str(out), "--data", str(other))
    assert result.exit_code == 2
    assert f"--data {other}: not the data the search runs on" in result.stderr
    result = cli("worker", str(out), "--data", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2 and "not found on this machine" in result.stderr


def test_a_worker_started_before_its_search_joins_it(tmp_path, space_file):
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
        start(search_command(out, space_file, "--max-trials", "5", "--workers", "1", "--recycle-after", "1"))
    )
    assert code == 0, err[-3000:]
    _, joined_err = joining.communicate(timeout=60)
    assert joining.returncode == 0, joined_err[-3000:]
    found = check_each_trial_once(out, 5)
    assert all(r["status"] == "completed" for r in found.values())
    names = {r["worker"] for r in found.values()}
    assert "worker1" in names and len(names) == 2, names


def test_the_api_names_parallel_arguments(tmp_path, space_file):
    import lstmtune
    from lstmtune.errors import OptionError

    with pytest.raises(OptionError, match="listen applies to a parallel search: add workers N"):
        lstmtune.search(
            AIRLINE, space=space_file, out=tmp_path / "run", target="Passengers", time_col="Date", listen="127.0.0.1:0"
        )
