"""Parallel searches on keras-tuner's chief/worker mode: real worker processes on loopback.

Each search is a real `lstmtune search --workers 2` subprocess (TINY_SPACE, 2 epochs) whose workers are
`lstmtune worker` processes talking gRPC to it. Every wait is bounded. Workers and chiefs that die or
are stopped: test_worker_failures.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import AIRLINE
from parallel_helpers import (
    ENV,
    check_each_trial_once,
    finish,
    records,
    search_command,
    start,
    worker_pids,
)

pytestmark = [pytest.mark.search, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, /proc")]


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory, parallel_space) -> tuple[Path, int, str]:
    """6 trials on 2 workers, each worker replaced by a fresh process after 2 trials."""
    out = tmp_path_factory.mktemp("parallel") / "run"
    code, _, err = finish(
        start(search_command(out, parallel_space, "--max-trials", "6", "--workers", "2", "--recycle-after", "2"))
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


def test_a_parallel_run_resumes_in_one_process_and_in_parallel(parallel_run, tmp_path, cli):
    """--resume keeps every finished trial (not trained again) whether the run goes on with or
    without workers, and the trial ids go on from where they were. The one-process resume runs in this
    process (nothing in it needs a process of its own); the parallel one is a real search with workers."""
    finished, code, _ = parallel_run
    assert code == 0
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    space = out / "space.yaml"  # the run's own space file, outside the run's files would do as well
    kept = records(out)
    result = cli(*search_command(out, space, "--resume", "--max-trials", "7")[3:])
    assert result.exit_code == 0, result.stderr[-3000:]
    found = check_each_trial_once(out, 7)
    assert {i: found[i] for i in kept} == kept
    assert "worker" not in found["6"]
    kept = found
    code, _, err = finish(start(search_command(out, space, "--resume", "--max-trials", "8", "--workers", "1")))
    assert code == 0, err[-3000:]
    found = check_each_trial_once(out, 8)
    assert {i: found[i] for i in kept} == kept
    assert found["7"]["worker"] == "worker1"


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
def test_parallel_flag_errors(cli, tmp_path, parallel_space, args, message):
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


def test_the_api_names_parallel_arguments(tmp_path, parallel_space):
    import lstmtune
    from lstmtune.errors import OptionError

    with pytest.raises(OptionError, match="listen applies to a parallel search: add workers N"):
        lstmtune.search(
            AIRLINE,
            space=parallel_space,
            out=tmp_path / "run",
            target="Passengers",
            time_col="Date",
            listen="127.0.0.1:0",
        )
