"""What the parallel-search tests share: the tiny space, starting and finishing real search processes,
reading their records, waiting for a moment, finding worker processes (Linux /proc)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_SPACE, airline_search

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
    shown = table[[c for c in ("trial_id", "status", "note") if c in table]].to_string()
    assert len(table) == expected, f"{len(table)} trials, {expected} expected:\n{shown}"
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


def running_in_a_worker(out: Path) -> dict:
    """The record of a trial a worker is running (it names the worker's pid), once there is one."""
    return wait_for(
        "a trial running in a worker",
        lambda: next((r for r in records(out).values() if r["status"] == "running" and "pid" in r), None),
    )
