"""Kill a real tiny search (SIGKILL and SIGINT) at observed moments, then --resume it.

Each step is one `lstmtune search` subprocess (3 trials of TINY_SPACE, Bayesian, 2 epochs). The run
directory is polled; when it shows the wanted moment the process is frozen (SIGSTOP), the moment is
checked again on the frozen directory, and the signal is sent (SIGINT is then handled as the process
continues). Every wait is bounded. The work is shared: for each signal one run is killed at every
moment in turn, each kill followed by a `--resume` that is itself killed at the next moment, the last
one left to finish; a copy of the finished run is then extended (`--resume --max-trials 5`), killed
and resumed to the end; the other edge cases start from a copy of the finished SIGKILL run. Both chains
and the edge cases run at once, in threads (module fixture `campaign`); the tests check what each
step left behind.

Moments (keras-tuner's own files are never half written when the signal is sent, and for all but
import / startup have not changed for QUIET_S, so a SIGINT handled a few ms later does not land in one
of keras-tuner's writes either):
  import       TensorFlow is being imported (its libraries appear in /proc/PID/maps), nothing written
  startup      run.json written (status running), no trial record and no keras-tuner trial yet
  first_trial  trial 0's record says running: the first trial is building / training
  between      2 trials completed (record and keras-tuner's trial.json), the next one not trained an epoch
  final        all trials completed in both, run.json still running: evaluating / saving the best model
  extension    (--resume --max-trials 5 on a finished run) trial 3's record says running
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import ROOT, TINY_SPACE, airline_search

MAX_TRIALS = 3
EXTENDED = 5
BETWEEN_K = 2
POLL_S = 0.01
QUIET_S = 0.15
MOMENT_TIMEOUT_S = 150  # generous: other tests may load the same two cores
EXIT_TIMEOUT_S = 60
RUN_TIMEOUT_S = 200
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}
MOMENTS = ["import", "startup", "first_trial", "between", "final"]
HP_NAMES = ["units", "dropout", "kernel_l2"]  # the tunable ones of TINY_SPACE
OBJECTIVE = "val_mse"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/maps, sends SIGSTOP")

# TINY_SPACE with the default (Bayesian) tuner; --max-trials is given on the command line.
SPACE = TINY_SPACE.replace("search: {max_trials: 2, epochs: 2, patience: 1}", "search: {epochs: 2, patience: 1}")
assert SPACE != TINY_SPACE
# One thread each: three searches share two cores, and the scores do not depend on it.
ENV = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


# --------------------------------------------------------------------------------------------------
# Looking at a run directory


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def records(out: Path) -> dict[str, dict]:
    """history/trial_<id>.json by trial id (unreadable ones left out)."""
    found = {}
    for path in sorted((out / "history").glob("trial_*.json")) if (out / "history").is_dir() else []:
        record = read_json(path)
        if isinstance(record, dict):
            found[str(record.get("trial_id"))] = record
    return found


def completed_records(out: Path) -> dict[str, dict]:
    return {tid: r for tid, r in records(out).items() if r.get("status") == "completed"}


def tuner_trials(out: Path) -> dict[str, str]:
    """keras-tuner's own trial files: trial id -> status."""
    found = {}
    for path in (out / "tuner" / "search").glob("trial_*/trial.json"):
        trial = read_json(path)
        if isinstance(trial, dict):
            found[str(trial.get("trial_id"))] = str(trial.get("status"))
    return found


def run_status(out: Path) -> str | None:
    manifest = read_json(out / "run.json")
    return manifest.get("status") if isinstance(manifest, dict) else None


def history_rows(out: Path, trial_id: str) -> int:
    try:
        return max(0, len((out / "history" / f"trial_{trial_id}.csv").read_text().splitlines()) - 1)
    except OSError:
        return 0


def tensorflow_loaded(pid: int) -> bool:
    try:
        return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def unreadable_json(out: Path) -> list[str]:
    """The run's JSON files (keras-tuner's too) that do not parse: half written."""
    paths = [
        *out.glob("*.json"),
        *out.glob("history/*.json"),
        *out.glob("tuner/search/*.json"),
        *out.glob("tuner/search/trial_*/trial.json"),
    ]
    return [str(path.relative_to(out)) for path in paths if read_json(path) is None]


def tuner_quiet(out: Path) -> bool:
    """No keras-tuner file written for QUIET_S."""
    latest = 0.0
    for path in (out / "tuner").rglob("*"):
        try:
            latest = max(latest, path.stat().st_mtime)
        except OSError:
            return False
    return time.time() - latest >= QUIET_S


def moment_holds(moment: str, out: Path, pid: int) -> bool:
    """Checked while the process is stopped, so the run directory cannot change under it."""
    if moment == "import":
        return tensorflow_loaded(pid) and not (out / "run.json").exists()
    if run_status(out) != "running":
        return False
    if unreadable_json(out):
        return False
    done = completed_records(out)
    stored = tuner_trials(out)
    if moment == "startup":
        return not records(out) and not stored
    if not tuner_quiet(out):
        return False
    if moment == "first_trial":
        return not done and (records(out).get("0") or {}).get("status") == "running"
    if moment == "between":
        return (
            len(done) == BETWEEN_K
            and all(stored.get(tid) == "COMPLETED" for tid in done)
            and not any(history_rows(out, tid) for tid in records(out) if tid not in done)
        )
    if moment == "final":
        return len(done) == MAX_TRIALS and sum(s == "COMPLETED" for s in stored.values()) == MAX_TRIALS
    if moment == "extension":
        return (records(out).get(str(MAX_TRIALS)) or {}).get("status") == "running"
    raise ValueError(moment)


# What is polled for a moment before the process is stopped to check it, and how often.
TRIGGERS: dict[str, tuple[Callable[[Path, int], bool], float]] = {
    "import": (lambda out, pid: tensorflow_loaded(pid), POLL_S),
    "startup": (lambda out, pid: (out / "run.json").exists(), 0.0005),  # lasts about 10 ms
}


def dir_listing(out: Path) -> list[str]:
    if not out.exists():
        return []
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if "tuner" not in p.parts) + sorted(
        str(p.relative_to(out)) for p in out.glob("tuner/search/*") if p.is_file()
    )


# --------------------------------------------------------------------------------------------------
# Running searches


ALIVE: set[subprocess.Popen] = set()
ALIVE_LOCK = threading.Lock()


def command(space: Path, out: Path, *extra: str, max_trials: int = MAX_TRIALS) -> list[str]:
    return airline_search(space, out, "--max-trials", str(max_trials), *extra)


class Search:
    """One search subprocess, its output in files (no pipe to fill up)."""

    def __init__(self, argv: list[str], logs: Path):
        logs.mkdir(parents=True, exist_ok=True)
        self.stderr_path = logs / "stderr"
        with open(logs / "stdout", "w") as stdout, open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=ROOT, env=ENV)
        with ALIVE_LOCK:
            ALIVE.add(self.process)

    def wait_for(self, reached: Callable[[], bool], timeout: float, poll: float) -> bool:
        """Poll until `reached()`; False if the process ended first or the timeout passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if reached():
                return True
            time.sleep(poll)
        return False

    def wait(self, timeout: float = RUN_TIMEOUT_S) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=EXIT_TIMEOUT_S)
            return -999  # not a real exit code: the check reading it fails
        finally:
            with ALIVE_LOCK:
                ALIVE.discard(self.process)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def run_to_end(argv: list[str], logs: Path) -> dict[str, Any]:
    search = Search(argv, logs)
    rc = search.wait()
    return {"rc": rc, "stderr": search.stderr, "argv": argv, "reached": rc == 0}


def kill_at(argv: list[str], logs: Path, moment: str, sig: int, out: Path) -> dict[str, Any]:
    """Start a search; when the run directory shows `moment`, stop the process, check the moment on the
    frozen directory and send `sig` (or let it go on and look again). Returns what the directory held
    when the signal was sent and after the process ended."""
    search = Search(argv, logs)
    pid = search.process.pid
    trigger, poll = TRIGGERS.get(moment, (lambda out_, pid_: moment_holds(moment, out_, pid_), POLL_S))
    deadline = time.monotonic() + MOMENT_TIMEOUT_S
    caught = False
    at_kill: dict[str, Any] = {}
    while not caught and search.wait_for(lambda: trigger(out, pid), deadline - time.monotonic(), poll):
        os.kill(pid, signal.SIGSTOP)
        try:
            caught = moment_holds(moment, out, pid)
            if caught:
                at_kill = {"completed": completed_records(out), "status": run_status(out), "files": dir_listing(out)}
                os.kill(pid, sig)
        finally:
            os.kill(pid, signal.SIGCONT)
        if not caught:
            time.sleep(poll)
    if not caught and search.process.poll() is None:
        search.process.kill()
    rc = search.wait(EXIT_TIMEOUT_S)
    return {
        "moment": moment,
        "caught": caught,
        "reached": caught,
        "rc": rc,
        "stderr": search.stderr,
        "argv": argv,
        "at_kill": at_kill,
        # after the process ended: what a user finds
        "completed": completed_records(out),
        "records": records(out),
        "manifest": read_json(out / "run.json"),
        "files": dir_listing(out),
        "unreadable": unreadable_json(out),
    }


def note_restart(step: dict[str, Any], result: dict[str, Any]) -> None:
    step["restart"] = {key: result[key] for key in ("argv", "reached", "rc", "stderr")}


def kill_chain(base: Path, sig: int, finished_copy: Future | None) -> dict[str, Any]:
    """One run killed at every moment in turn (restarts are --resume once run.json exists; a refused or
    failed resume is followed by --overwrite so the later moments are still tested), the last one left
    to finish; then a copy extended to EXTENDED trials, killed at `extension`, resumed to the end."""
    base.mkdir(parents=True, exist_ok=True)
    space = base / "tiny.yaml"
    space.write_text(SPACE)
    out = base / "run"
    chain: dict[str, Any] = {"steps": {}, "out": out, "space": space}
    previous: dict[str, Any] | None = None
    try:
        for number, moment in enumerate([*MOMENTS, None]):
            resume = (out / "run.json").exists()

            def step(flags: list[str], logs: Path, moment: str | None = moment) -> dict[str, Any]:
                argv = command(space, out, *flags)
                return run_to_end(argv, logs) if moment is None else kill_at(argv, logs, moment, sig, out)

            result = step(["--resume"] if resume else [], base / f"logs{number}")
            if previous is not None:
                note_restart(previous, result)
                if resume and not result["reached"] and result["rc"] not in (-signal.SIGKILL, 130):
                    result = step(["--overwrite"], base / f"logs{number}-overwrite")
            if moment is None:
                chain["final"] = result
            else:
                chain["steps"][moment] = previous = result
        chain["finished_records"] = completed_records(out)
        chain["finished_manifest"] = read_json(out / "run.json")
        if chain["final"]["rc"] != 0:
            return chain
        snapshot = base / "finished"
        shutil.copytree(out, snapshot)
        if finished_copy is not None:
            finished_copy.set_result(snapshot)

        extended = base / "extended"
        shutil.copytree(out, extended)
        argv = command(space, extended, "--resume", max_trials=EXTENDED)
        chain["extension"] = kill_at(argv, base / "logs-extension", "extension", sig, extended)
        chain["extended_final"] = run_to_end(argv, base / "logs-extended-final")
        note_restart(chain["extension"], chain["extended_final"])
        chain["extended"] = extended
        return chain
    finally:
        if finished_copy is not None and not finished_copy.done():
            finished_copy.set_result(None)


def edge_cases(base: Path, finished_copy: Future) -> dict[str, Any]:
    """From a finished MAX_TRIALS-trial run (the SIGKILL chain's, or a new one): --resume --max-trials 2, and
    --resume after a completed trial's record was deleted."""
    base.mkdir(parents=True, exist_ok=True)
    space = base / "tiny.yaml"
    space.write_text(SPACE)
    results: dict[str, Any] = {}
    finished = finished_copy.result(timeout=RUN_TIMEOUT_S * 4)
    if finished is None:
        finished = base / "finished"
        results["own_run"] = run_to_end(command(space, finished), base / "logs-finished")
        if results["own_run"]["rc"] != 0:
            results["failed"] = f"no finished run to start from: {results['own_run']['stderr']}"
            return results
    results["finished_manifest"] = read_json(finished / "run.json")
    results["finished_records"] = completed_records(finished)

    shrink = base / "shrink"
    shutil.copytree(finished, shrink)
    results["shrink"] = run_to_end(command(space, shrink, "--resume", max_trials=2), base / "logs-shrink")
    results["shrink"].update(manifest=read_json(shrink / "run.json"), completed=completed_records(shrink))

    lost = base / "lost"
    shutil.copytree(finished, lost)
    deleted = sorted(results["finished_records"])[1]
    (lost / "history" / f"trial_{deleted}.json").unlink()
    argv = [a for a in command(space, lost, "--resume") if a != "--quiet"]  # not quiet: a warning is wanted
    results["lost"] = run_to_end(argv, base / "logs-lost")
    results["lost"].update(deleted=deleted, manifest=read_json(lost / "run.json"), table=read_table(lost))

    # A kill while a trial was ending, after its record and before keras-tuner's state said so: the last
    # trial is completed in history/ but ongoing in oracle.json and running in its trial.json.
    unsettled = base / "unsettled"
    shutil.copytree(finished, unsettled)
    last = sorted(results["finished_records"], key=int)[-1]
    state_path = unsettled / "tuner" / "search" / "oracle.json"
    state = json.loads(state_path.read_text())
    state["ongoing_trials"] = {"tuner0": last}
    state["end_order"] = [t for t in state["end_order"] if t != last]
    state_path.write_text(json.dumps(state))
    trial_path = unsettled / "tuner" / "search" / f"trial_{last}" / "trial.json"
    trial = json.loads(trial_path.read_text())
    trial["status"] = "RUNNING"
    trial_path.write_text(json.dumps(trial))
    results["unsettled"] = run_to_end(
        command(space, unsettled, "--resume", max_trials=MAX_TRIALS + 1), base / "logs-unsettled"
    )
    results["unsettled"].update(last=last, out=unsettled)

    # keras-tuner's state emptied (a torn write): resume refuses with one line, run.json untouched.
    torn = base / "torn"
    shutil.copytree(finished, torn)
    (torn / "tuner" / "search" / "oracle.json").write_text("")
    results["torn"] = run_to_end(command(space, torn, "--resume", max_trials=MAX_TRIALS + 1), base / "logs-torn")
    results["torn"].update(manifest=read_json(torn / "run.json"))
    return results


def read_table(out: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    except (OSError, ValueError):
        return None


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> dict[str, Future]:
    """Everything at once, in threads: one kill chain per signal and the edge cases."""
    base = tmp_path_factory.mktemp("kill")
    finished_copy: Future = Future()
    pool = ThreadPoolExecutor(max_workers=3)
    futures = {
        "SIGKILL": pool.submit(kill_chain, base / "SIGKILL", signal.SIGKILL, finished_copy),
        "SIGINT": pool.submit(kill_chain, base / "SIGINT", signal.SIGINT, None),
        "edges": pool.submit(edge_cases, base / "edges", finished_copy),
    }
    yield futures
    with ALIVE_LOCK:
        leftovers = list(ALIVE)
    for process in leftovers:  # only the processes these tests started
        if process.poll() is None:
            process.kill()
    if not finished_copy.done():
        finished_copy.set_result(None)
    pool.shutdown(wait=True)


def result_of(campaign: dict[str, Future], name: str) -> Any:
    return campaign[name].result(timeout=RUN_TIMEOUT_S * 6)


# --------------------------------------------------------------------------------------------------
# Checks


def table_of(out: Path) -> pd.DataFrame:
    table = read_table(out)
    assert table is not None, f"{out}/trials.csv missing or unreadable"
    return table


def same_number(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def assert_kept(before: dict[str, dict], out: Path, when: str) -> None:
    """Every trial completed before: in the final table exactly once, same values, same score, and its
    record untouched (kept, not run again)."""
    table = table_of(out)
    final = records(out)
    for trial_id, record in before.items():
        rows = table[table["trial_id"] == trial_id]
        assert len(rows) == 1, (
            f"{when}: trial {trial_id} (completed before) appears {len(rows)} times in trials.csv:\n{table}"
        )
        row = rows.iloc[0]
        assert row["status"] == "completed", f"{when}: trial {trial_id} is {row['status']} in the final table"
        for name in HP_NAMES:
            assert same_number(row[name], record["values"][name]), (
                f"{when}: trial {trial_id} {name} was {record['values'][name]}, now {row[name]}"
            )
        assert same_number(row["score"], record["metrics"][OBJECTIVE]), (
            f"{when}: trial {trial_id} score was {record['metrics'][OBJECTIVE]}, now {row['score']}"
        )
        assert final.get(trial_id) == record, (
            f"{when}: trial {trial_id}'s completed record was rewritten (run again?): before {record}, after {final.get(trial_id)}"
        )


def assert_no_duplicate_values(out: Path, when: str) -> None:
    table = table_of(out)
    keys = [tuple(round(float(row[n]), 12) for n in HP_NAMES) for _, row in table.iterrows()]
    assert len(set(keys)) == len(keys), (
        f"{when}: trials with identical hyperparameter values (wasted trials):\n"
        f"{table[['trial_id', 'status', 'score', *HP_NAMES]].to_string()}"
    )


def assert_finished(out: Path, completed: int, when: str) -> dict:
    manifest = read_json(out / "run.json")
    assert isinstance(manifest, dict), f"{when}: run.json unreadable"
    assert manifest["status"] == "completed", f"{when}: run.json status {manifest['status']}"
    assert manifest.get("best") and "test" in manifest["best"], f"{when}: run.json has no best section"
    assert manifest["trials"]["completed"] == completed, f"{when}: run.json trials {manifest['trials']}"
    assert manifest["search"]["max_trials"] == completed, (
        f"{when}: run.json search.max_trials {manifest['search']['max_trials']}"
    )
    table = table_of(out)
    assert list(table["status"]) == ["completed"] * completed, f"{when}: final table\n{table}"
    assert str(manifest["best"]["trial_id"]) == str(table.iloc[0]["trial_id"]), (
        f"{when}: run.json best is trial {manifest['best']['trial_id']}, the table's best is {table.iloc[0]['trial_id']}"
    )
    for name in ("best_model.keras", "best.yaml", "preprocessing.json"):
        assert (out / name).is_file(), f"{when}: no {name}"
    assert not list(out.glob(".*tmp*")), f"{when}: temporary files left: {list(out.glob('.*tmp*'))}"
    return manifest


def assert_signal_outcome(step: dict, signame: str, when: str) -> None:
    """SIGKILL: killed. SIGINT: exit 130, a message, no traceback, and the run directory (if any)
    marked interrupted with no trial left 'running'."""
    stderr = step["stderr"]
    if signame == "SIGKILL":
        assert step["rc"] == -signal.SIGKILL, f"{when}: rc {step['rc']}"
        return
    assert "Traceback" not in stderr, f"{when}: SIGINT printed a traceback:\n{stderr}"
    assert step["rc"] == 130, f"{when}: SIGINT exit code {step['rc']}, expected 130; stderr {stderr!r}"
    assert "interrupted" in stderr, (
        f"{when}: SIGINT exit 130 without a message (stderr {stderr!r}); "
        f"run.json status {(step['manifest'] or {}).get('status')}, files {step['files']}"
    )
    manifest = step["manifest"]
    if manifest is not None:
        assert manifest["status"] == "interrupted", (
            f"{when}: run.json status {manifest['status']} after SIGINT (stderr {stderr!r})"
        )
        running = [tid for tid, r in step["records"].items() if r.get("status") == "running"]
        assert not running, f"{when}: trial records still 'running' after SIGINT: {running}"
        assert manifest["trials"]["completed"] == len(step["completed"]), (
            f"{when}: run.json trials {manifest['trials']}"
        )


def assert_restart_went_on(step: dict, when: str) -> None:
    restart = step["restart"]
    flags = " ".join(
        a
        for a in restart["argv"][3:]
        if a.startswith("--") and a not in ("--target", "--time-col", "--space", "--out", "--quiet")
    )
    assert restart["reached"], (
        f"{when}: the next `search ... {flags}` did not go on: rc {restart['rc']}, "
        f"stderr {restart['stderr'][-900:]!r}; files after the kill: {step['files']}, "
        f"run.json status {(step['manifest'] or {}).get('status')}"
    )


def load_model(path: Path) -> None:
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    assert keras.saving.load_model(path).outputs


# --------------------------------------------------------------------------------------------------
# (a)-(d): one run killed at every moment, resumed each time


@pytest.mark.search
@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("signame", list(SIGNALS))
def test_kill_then_resume(campaign, signame, moment):
    chain = result_of(campaign, signame)
    step = chain["steps"][moment]
    when = f"{signame} at {moment}"
    assert step["caught"], (
        f"{when}: the moment was not seen (rc {step['rc']}, stderr {step['stderr']!r}, files {step['files']})"
    )
    assert_signal_outcome(step, signame, when)
    assert not step["unreadable"], f"{when}: half-written files left: {step['unreadable']}"
    if step["manifest"] is not None and moment != "final":
        assert "best" not in step["manifest"], f"{when}: a best section before the search ended"
    assert_restart_went_on(step, when)
    assert_kept(step["completed"], chain["out"], when)  # nothing completed before the kill lost, changed or run again


@pytest.mark.search
def test_interrupt_message_is_one_line(campaign):
    """Ctrl-C's message is one line, however long the run directory's path (like every error line)."""
    chain = result_of(campaign, "SIGINT")
    steps = [*chain["steps"].values(), *(chain[k] for k in ("extension",) if k in chain)]
    said = [step for step in steps if step["caught"] and "interrupted" in step["stderr"]]
    assert said, "no SIGINT gave a message"
    for step in said:
        lines = [line for line in step["stderr"].splitlines() if line.strip()]
        # Before anything is written (import) there is nothing to resume, and the line says so.
        expected = "nothing was written" if step["moment"] == "import" else "--resume"
        assert len(lines) == 1 and expected in lines[0], f"SIGINT at {step['moment']}: message {step['stderr']!r}"


@pytest.mark.search
@pytest.mark.parametrize("signame", list(SIGNALS))
def test_killed_run_finishes_whole(campaign, signame):
    """After all the kills, the last --resume ends with the full budget, each trial once, a best and a
    model that loads."""
    chain = result_of(campaign, signame)
    final = chain["final"]
    when = f"{signame} chain, last --resume"
    assert final["rc"] == 0, f"{when}: rc {final['rc']}, stderr {final['stderr']!r}"
    assert_finished(chain["out"], MAX_TRIALS, when)
    assert_no_duplicate_values(chain["out"], when)
    load_model(chain["out"] / "best_model.keras")


# --------------------------------------------------------------------------------------------------
# (e) extending a finished run, killed


@pytest.mark.search
@pytest.mark.parametrize("signame", list(SIGNALS))
def test_extension_killed_keeps_best(campaign, signame):
    """--resume --max-trials EXTENDED on a finished run, killed while trial MAX_TRIALS runs: run.json keeps the best it
    had (a resumed run never ends with less than it started with), and the next --resume goes on."""
    chain = result_of(campaign, signame)
    assert "extension" in chain, f"{signame}: the chain's run did not finish, nothing to extend"
    killed = chain["extension"]
    when = f"{signame} while trial {MAX_TRIALS} of the extension to {EXTENDED} runs"
    assert killed["caught"], (
        f"{when}: trial {MAX_TRIALS} never seen running (rc {killed['rc']}, stderr {killed['stderr']!r})"
    )
    assert_signal_outcome(killed, signame, when)
    manifest = killed["manifest"]
    assert manifest.get("best") == chain["finished_manifest"]["best"], (
        f"{when}: run.json best after the kill: {manifest.get('best')}"
    )
    assert manifest["status"] == ("running" if signame == "SIGKILL" else "interrupted"), (
        f"{when}: status {manifest['status']}"
    )
    assert killed["completed"] == chain["finished_records"], f"{when}: completed records changed by the kill"
    assert not killed["unreadable"], f"{when}: half-written files left: {killed['unreadable']}"
    assert_restart_went_on(killed, when)


@pytest.mark.search
def test_a_trial_that_ended_in_its_record_only_is_not_trained_again(campaign):
    """Killed after a trial's record said completed but before keras-tuner's state did: --resume keeps
    that trial (same record, not retrained) and trains only the new ones."""
    edges = result_of(campaign, "edges")
    assert "failed" not in edges, edges.get("failed")
    step = edges["unsettled"]
    when = f"trial {step['last']} completed in history/ but ongoing in keras-tuner's state, then --resume"
    assert step["rc"] == 0 and "Traceback" not in step["stderr"], f"{when}: rc {step['rc']}, stderr {step['stderr']!r}"
    assert_finished(step["out"], MAX_TRIALS + 1, when)
    assert_kept(edges["finished_records"], step["out"], when)
    assert_no_duplicate_values(step["out"], when)


@pytest.mark.search
def test_a_torn_keras_tuner_state_is_one_line(campaign):
    """An empty tuner/search/oracle.json (what an in-place rewrite cut short leaves; lstmtune makes
    keras-tuner write via a temporary file so its own kills cannot): one line, exit 2, run.json as it was."""
    edges = result_of(campaign, "edges")
    assert "failed" not in edges, edges.get("failed")
    step = edges["torn"]
    lines = [line for line in step["stderr"].splitlines() if line.strip()]
    assert step["rc"] == 2 and len(lines) == 1, f"rc {step['rc']}, stderr {step['stderr']!r}"
    assert "oracle.json" in lines[0] and "damaged" in lines[0] and "Traceback" not in step["stderr"]
    assert step["manifest"] == edges["finished_manifest"]


# --------------------------------------------------------------------------------------------------
# (f), (g): resume edge cases


@pytest.mark.search
def test_resume_with_fewer_trials(campaign):
    """--resume --max-trials 2 on a run with MAX_TRIALS (3) completed trials: refused with one line naming
    --max-trials (exit 2), or done without recording a budget smaller than what the run holds."""
    edges = result_of(campaign, "edges")
    assert "failed" not in edges, edges.get("failed")
    shrink = edges["shrink"]
    manifest = shrink["manifest"]
    assert "Traceback" not in shrink["stderr"], shrink["stderr"]
    if shrink["rc"] == 2:
        lines = [line for line in shrink["stderr"].splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "--max-trials" in lines[0], shrink["stderr"]
        assert manifest == edges["finished_manifest"], "a refused resume changed run.json"
    else:
        assert shrink["rc"] == 0, f"rc {shrink['rc']}, stderr {shrink['stderr']!r}"
        assert manifest["status"] == "completed" and manifest.get("best")
        assert manifest["trials"]["completed"] == MAX_TRIALS
        assert manifest["search"]["max_trials"] >= MAX_TRIALS, (
            f"--resume --max-trials 2 accepted (rc 0, stderr {shrink['stderr']!r}); run.json now records "
            f"search.max_trials {manifest['search']['max_trials']} for a run with {manifest['trials']['completed']} completed trials"
        )
    assert shrink["completed"] == edges["finished_records"]


@pytest.mark.search
def test_resume_after_a_completed_record_was_deleted(campaign):
    """history/trial_<id>.json of a completed trial deleted, then --resume: the trial comes back (same
    values and score), or the command says it is missing; it is never silently gone."""
    edges = result_of(campaign, "edges")
    assert "failed" not in edges, edges.get("failed")
    lost = edges["lost"]
    deleted = lost["deleted"]
    before = edges["finished_records"][deleted]
    table = lost["table"]
    restored = table is not None and (table["trial_id"] == deleted).any()
    progress = re.compile(r"^(trial \d+(/\d+)? \[|search: )")
    said = [
        line
        for line in lost["stderr"].splitlines()
        if not progress.match(line) and re.search(rf"trial[ _]{deleted}\b|\[{deleted}\]", line)
    ]
    manifest = lost["manifest"] or {}
    assert restored or said, (
        f"trial {deleted}'s record deleted, then --resume: rc {lost['rc']}, trial {deleted} gone from trials.csv "
        f"({list(table['trial_id']) if table is not None else None}), run.json trials {manifest.get('trials')} and "
        f"best trial {(manifest.get('best') or {}).get('trial_id')} (was {edges['finished_manifest']['best']['trial_id']}); "
        f"stderr says nothing about it: {lost['stderr']!r}"
    )
    if restored:
        row = table[table["trial_id"] == deleted].iloc[0]
        assert same_number(row["score"], before["metrics"][OBJECTIVE])
        assert all(same_number(row[n], before["values"][n]) for n in HP_NAMES)
