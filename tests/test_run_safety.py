"""The run directory under stress: a real lock, a search stopped by failures keeps its best model,
repeated column names and YAML aliases refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import AIRLINE, TINY_SPACE, airline_search, assert_one_line_error

from lstmtune.errors import RunDirError, SpaceError
from lstmtune.run.layout import RunDir
from lstmtune.run.lock import RunLock


def test_a_locked_run_directory_refuses_a_second_search(tmp_path):
    first = RunLock(RunDir(tmp_path / "run")).acquire()
    try:
        with pytest.raises(RunDirError, match="a search is already running in it"):
            RunLock(RunDir(tmp_path / "run")).acquire()
    finally:
        first.release()
    again = RunLock(RunDir(tmp_path / "run")).acquire()  # released: free again, the lock file reused
    again.release()
    assert RunDir(tmp_path / "run").is_empty()  # a lone lock file is no run


@pytest.mark.search
def test_two_searches_started_at_once_on_one_directory(tmp_path):
    """Exactly one runs; the other is refused with one line (whichever comes second)."""
    space = tmp_path / "tiny.yaml"
    space.write_text(TINY_SPACE)
    out = tmp_path / "run"
    command = airline_search(space, out, "--max-trials", "1", "--reference", "off")
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "--out" in refused and ("already running" in refused or "not empty" in refused)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["trials"]["completed"] == 1
    # -q is quiet: not even TensorFlow's C++ start-up lines reach stderr.
    assert next(err for code, err in results if code == 0) == ""


@pytest.mark.search
def test_failures_in_a_row_keep_the_best_completed_trial(airline_csv, write_file, tmp_path, monkeypatch):
    """When trials fail in a row and the search stops (exit 1), the trials that completed still give a
    best model, best.yaml and test figures."""
    from lstmtune.errors import SearchFailed
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tuning import search as tuning
    from lstmtune.tuning import tuner
    from lstmtune.tuning.events import Reporter

    monkeypatch.setattr(tuner, "MAX_CONSECUTIVE_FAILURES", 1)
    space = write_file(
        "explode.yaml",
        TINY_SPACE.replace(
            "learning_rate: 0.01", "learning_rate: {choice: [0.01, 10.0]}\n  optimizer: rmsprop\n  dense_units: 64"
        ).replace(
            "search: {max_trials: 2, epochs: 2, patience: 1}",
            "search: {max_trials: 6, epochs: 2, patience: 1, tuner: random}",
        ),
    )
    for seed in range(1, 12):
        out = tmp_path / f"run{seed}"
        request = SearchRequest(
            airline_csv,
            space,
            out,
            columns={"target": ("Passengers",), "time_col": "Date"},
            search_flags={"seed": seed},
        )
        try:
            tuning.run_search(plan_search(request), Reporter())
        except SearchFailed:
            manifest = json.loads((out / "run.json").read_text())
            if manifest["trials"]["completed"]:
                assert manifest["status"] == "failed" and "test" in manifest["best"]
                assert (out / "best_model.keras").is_file() and (out / "best.yaml").is_file()
                assert (out / "preprocessing.json").is_file()
                return
    pytest.fail("no seed gave a completed trial followed by a failed one")


def test_repeated_column_names_are_refused(cli, write_file, tiny_space, tmp_path):
    path = write_file(
        "dup.csv", "Date,Passengers,Passengers\n" + "".join(f"2000-{m:02d}-01,{m},{m}\n" for m in range(1, 13))
    )
    result = cli("search", path, "--target", "Passengers", "--space", tiny_space, "--out", tmp_path / "r")
    assert_one_line_error(result, "dup.csv", "column names must be unique", "'Passengers'", "columns 2 and 3")
    assert not (tmp_path / "r").exists()


def test_yaml_aliases_are_refused(write_file):
    from lstmtune.tasks import read_space

    laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nhyperparameters: {units: 4}\n"
    with pytest.raises(SpaceError, match="aliases .* are not allowed"):
        read_space(write_file("laughs.yaml", laughs))


def test_long_values_are_cut_in_messages(cli, write_file, tiny_space, tmp_path):
    path = write_file("long.csv", "t,y\n1,1.0\n2," + "x" * 5000 + "\n3,2.0\n")
    line = assert_one_line_error(
        cli("search", path, "--target", "y", "--space", tiny_space, "--out", tmp_path / "r"),
        "'y' must be numeric",
        "row 2",
        "(5002 characters)",
    )
    assert len(line) < 300
    flag = assert_one_line_error(
        cli(
            "search",
            AIRLINE,
            "--target",
            "Passengers",
            "--space",
            tiny_space,
            "--out",
            tmp_path / "r",
            "--tuner",
            "b" * 3000,
        ),
        "--tuner",
        "characters)",
    )
    assert len(flag) < 300


def test_a_horizon_longer_than_the_data(cli, tiny_space, tmp_path):
    result = cli(
        "search", AIRLINE, "--target", "Passengers", "--space", tiny_space, "--out", tmp_path / "r", "--horizon", "1000"
    )
    assert_one_line_error(result, "144 rows are too few", "horizon 1000")


@pytest.mark.search
def test_an_all_fixed_space_with_the_bayesian_tuner(cli, airline_csv, write_file, tmp_path):
    space = write_file(
        "fixed.yaml",
        "hyperparameters: {lookback: 4, units: 2, learning_rate: 0.01}\n"
        "search: {max_trials: 2, epochs: 1, patience: 1, tuner: bayesian}\n",
    )
    result = cli("search", airline_csv, "--target", "Passengers", "--space", space, "--out", tmp_path / "r", "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "r" / "run.json").read_text())["trials"]["completed"] >= 1


def test_report_on_an_empty_manifest(cli, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    assert_one_line_error(cli("report", tmp_path / "run"), "run.json", "not a run manifest", "no status")


@pytest.mark.search
def test_resume_rebuilds_a_deleted_trial_record_and_refuses_fewer_trials(cli, airline_csv, write_file, tmp_path):
    space = write_file("space.yaml", TINY_SPACE.replace("max_trials: 2", "max_trials: 2, tuner: random"))
    out = tmp_path / "run"
    base = ("search", airline_csv, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", out, "-q")
    assert cli(*base).exit_code == 0
    before = json.loads((out / "history" / "trial_1.json").read_text())
    (out / "history" / "trial_1.json").unlink()

    fewer = cli(*base, "--resume", "--max-trials", "1")
    assert_one_line_error(fewer, "--max-trials must be at least the 2 trials", "got 1")

    again = cli(*base, "--resume", "--max-trials", "3")
    assert again.exit_code == 0, again.stderr
    rebuilt = json.loads((out / "history" / "trial_1.json").read_text())
    assert rebuilt["values"] == before["values"] and rebuilt["status"] == before["status"]
    assert rebuilt["metrics"]["val_mse"] == pytest.approx(before["metrics"]["val_mse"])
    assert "rebuilt" in rebuilt["note"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["trials"]["completed"] + manifest["trials"]["failed"] == 3 and "best" in manifest


def test_a_stop_request_lost_on_its_way_is_raised_at_the_next_batch():
    """A Ctrl-C whose KeyboardInterrupt is swallowed where it lands (here by a bare except, as Python code
    that TensorFlow's C++ calls back while tracing can swallow it) still stops training at the next
    batch; outside the block nothing is left pending and Python's own handler is back."""
    import os
    import signal
    import time

    import keras
    import numpy as np

    from lstmtune.core.interrupts import defer_stops, raise_if_requested, stop_requests
    from lstmtune.tuning.model import RaiseStopRequests

    class Batches(keras.callbacks.Callback):
        seen = 0

        def on_train_batch_end(self, batch, logs=None):
            Batches.seen += 1

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((40, 3), "float32"), np.zeros((40, 1), "float32")
    with stop_requests() as received:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)  # ended by the signal
        except KeyboardInterrupt:
            pass  # lost
        assert received == {"signal": signal.SIGINT}
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[Batches(), RaiseStopRequests()])
    assert Batches.seen == 1
    raise_if_requested()  # nothing raised outside the block
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with stop_requests() as received:  # a new block starts afresh
        assert received == {}
        raise_if_requested()
        defer_stops(True)  # a trial trains: the signal is only remembered, raised at the next safe point
        os.kill(os.getpid(), signal.SIGTERM)
        assert received == {"signal": signal.SIGTERM}
        with pytest.raises(KeyboardInterrupt):
            raise_if_requested()
        defer_stops(False)
    with stop_requests() as received:
        assert received == {}


def test_stop_requests_leave_ignored_signals_ignored_and_end_once_acknowledged():
    """A search started with SIGHUP ignored (nohup) keeps ignoring it; once the search has acknowledged a
    stop (it is writing its last state), a further signal is remembered but interrupts nothing."""
    import os
    import signal

    from lstmtune.core.interrupts import acknowledge, raise_if_requested, stop_requests

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_requests() as received:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)  # ignored: nothing raised, nothing remembered
            assert received == {}
            acknowledge()
            os.kill(os.getpid(), signal.SIGTERM)  # would interrupt before the acknowledgement
            assert received == {"signal": signal.SIGTERM}
            raise_if_requested()  # acknowledged: nothing raised
    finally:
        signal.signal(signal.SIGHUP, previous)
    with stop_requests() as received:  # a new block starts afresh
        assert received == {}


def test_an_interrupt_lost_in_a_finaliser_is_raised_again(monkeypatch, capsys):
    """Ctrl-C landing in a finaliser: Python would print "Exception ignored" and drop it; the CLI raises
    it again a moment later in the main flow, silently."""
    import time

    from lstmtune.cli.common import redeliver_interrupts_from_finalisers

    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)  # restored after the test
    redeliver_interrupts_from_finalisers()

    class Finalised:
        def __del__(self):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Finalised()  # collected at once: __del__ raises into the unraisable hook
        time.sleep(30)  # the interrupt arrives here, in the main flow (a real signal: it ends the sleep)
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_ctrl_c_wrapped_by_tensorflow_is_an_interruption(airline_csv, tiny_space, tmp_path, monkeypatch):
    """Ctrl-C landing in TensorFlow's C++ file calls comes back as pybind11's RuntimeError naming
    KeyboardInterrupt: the search ends interrupted (exit 130 path), not with a traceback."""
    import keras_tuner

    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tuning import search as tuning
    from lstmtune.tuning.events import Reporter

    def wrapped(*args, **kwargs):
        raise RuntimeError(
            "pybind11::error_already_set: MISMATCH of original and normalized active exception types: "
            "ORIGINAL NotFoundError REPLACED BY KeyboardInterrupt: <EMPTY MESSAGE>"
        )

    monkeypatch.setattr(keras_tuner.Tuner, "search", wrapped)
    out = tmp_path / "run"
    request = SearchRequest(airline_csv, tiny_space, out, columns={"target": ("Passengers",)})
    with pytest.raises(tuning.SearchInterrupted):
        tuning.run_search(plan_search(request), Reporter())
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
