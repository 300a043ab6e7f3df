"""The Python API, used without the CLI: search, load_run, Run, errors that name keyword arguments."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from conftest import AIRLINE, ROOT

import lstmtune
from lstmtune.errors import OptionError

pytestmark = pytest.mark.search

# TINY_SPACE as a Python dict.
SPACE = {
    "hyperparameters": {
        "lookback": 4,
        "units": {"int": [2, 4], "step": 2},
        "dropout": {"float": [0.0, 0.2]},
        "kernel_l2": {"float": [1e-5, 1e-3], "log": True},
        "learning_rate": 0.01,
        "batch_size": 32,
    },
    "search": {"max_trials": 2, "epochs": 2, "patience": 1},
}
# One trial of one epoch, for the searches that only need a finished run.
ONE_TRIAL = {**SPACE, "search": {"max_trials": 1, "epochs": 1}}


def test_import_lstmtune_is_light():
    code = "import sys, lstmtune; lstmtune.load_run; print(sorted(m for m in ('tensorflow', 'keras', 'keras_tuner') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_search_with_a_dataframe_and_a_space_dict(tmp_path):
    frame = pd.read_csv(AIRLINE)
    run = lstmtune.search(frame, target="Passengers", time_col="Date", space=SPACE, out=tmp_path / "run", season=12)
    assert isinstance(run, lstmtune.Run) and run.task == "forecast" and run.manifest["status"] == "completed"
    assert list(run.trials["rank"]) == [1, 2] and run.trials["score"].is_monotonic_increasing
    assert set(run.best) >= {"trial_id", "values", "val", "test"}
    assert any("persistence" in finding for finding in run.findings)
    assert json.loads(run.report("json"))["best"]["trial_id"] == run.best["trial_id"]
    assert [(o.rule.name, o.passed) for o in run.gate(["trials.completed == 2"])] == [
        ("run.completed == 1", True),
        ("trials.completed == 2", True),
    ]
    # The frame was written to a CSV file of its own, which run.json names.
    data_file = run.manifest["data"]["path"]
    assert data_file == str(tmp_path / "run.data.csv") and pd.read_csv(data_file).equals(frame)
    forecast = run.predictor().predict(frame)
    assert list(forecast.columns) == ["Date", "Passengers"] and len(forecast) == 1
    assert forecast["Date"].iloc[0] == "1961-01"  # the month after the last, as the data writes months
    assert lstmtune.load_run(tmp_path / "run").best == run.best
    # Arguments of the wrong type are refused naming them, on the Run as on search.
    assert [o.rule.name for o in run.gate("trials.completed == 2")][-1] == "trials.completed == 2"  # one rule
    with pytest.raises(OptionError, match="rules must be a list of rule strings"):
        run.gate(["trials.completed == 2", 3])
    with pytest.raises(OptionError, match="top must be a whole number"):
        run.report("md", top="3")
    with pytest.raises(OptionError, match="frame must be a pandas DataFrame"):
        run.predictor().predict(None)
    with pytest.raises(lstmtune.LstmtuneError, match="strict must be True or False"):
        run.predictor().predict(frame, strict="no")
    with pytest.raises(lstmtune.LstmtuneError, match="^model must be one of best, ensemble, refit"):
        run.predictor(model="xx")
    with pytest.raises(OptionError, match="^keep applies to text and sequence runs"):  # not --keep
        run.predictor().predict(frame, keep=["Date"])


def test_integer_column_names_of_a_dataframe(tmp_path):
    frame = pd.read_csv(AIRLINE)
    frame.columns = [0, 1]
    run = lstmtune.search(frame, target=1, time_col=0, space=ONE_TRIAL, out=tmp_path / "run")
    assert run.manifest["status"] == "completed" and run.manifest["data"]["targets"] == ["1"]


@pytest.mark.parametrize(
    "arguments,fragment",
    [
        ({"space": 42}, "space must be a space file's path, a shipped space's name"),
        ({"space": None}, "space must be a space file's path"),
        ({"space": {}}, "space: the space is empty"),
        ({"out": None}, "out must be a path"),
        ({"out": ""}, "out must be a path"),
        ({"target": 1.5}, "target must be a column name"),
        ({"target": []}, "target must be a column name"),
        ({"time_col": ["Date"]}, "time_col must be a column name"),
        ({"features": [True]}, "features must be a column name"),
        ({"max_trials": "2"}, "max_trials must be a whole number, but got '2' (str)"),
        ({"epochs": 2.0}, "epochs must be a whole number"),
        ({"seed": True}, "seed must be a whole number"),
        ({"threshold_pct": "99"}, "threshold_pct must be a number"),
        ({"wide": "yes"}, "wide must be True or False"),
        ({"resume": 1}, "resume must be True or False"),
    ],
)
def test_arguments_of_the_wrong_type_are_named_and_nothing_is_created(tmp_path, arguments, fragment):
    given = {"target": "Passengers", "time_col": "Date", "space": SPACE, "out": tmp_path / "a" / "run", **arguments}
    with pytest.raises(lstmtune.errors.LstmtuneError, match=re.escape(fragment)):
        lstmtune.search(pd.read_csv(AIRLINE), **given)
    assert list(tmp_path.iterdir()) == []


def test_a_dataframe_error_names_the_argument_not_a_temporary_file(tmp_path):
    with pytest.raises(lstmtune.errors.LstmtuneError) as info:
        lstmtune.search(pd.DataFrame(), target="y", time_col="t", space=SPACE, out=tmp_path / "a" / "run")
    assert "data (the DataFrame)" in str(info.value) and ".data." not in str(info.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OptionError, match="path must be a path"):
        lstmtune.load_run(None)


def test_errors_name_keyword_arguments(tmp_path):
    with pytest.raises(OptionError) as info:
        lstmtune.search(AIRLINE, target="Passengers", space=SPACE, out=tmp_path / "r", text_col="x")
    assert str(info.value) == "text_col applies to task text, not to task forecast"
    with pytest.raises(OptionError, match="unknown keyword argument 'epoch'; known: "):
        lstmtune.search(AIRLINE, target="Passengers", space=SPACE, out=tmp_path / "r", epoch=3)
    with pytest.raises(lstmtune.errors.DataError, match="target 'nope' is not a column"):
        lstmtune.search(AIRLINE, target="nope", space=SPACE, out=tmp_path / "r")
    with pytest.raises(OptionError, match="data must be a CSV path or a pandas DataFrame"):
        lstmtune.search([1, 2], target="y", space=SPACE, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    with pytest.raises(lstmtune.errors.RunDirError, match="not a run directory"):
        lstmtune.load_run(tmp_path / "nothing")
    with pytest.raises(lstmtune.errors.DataError) as info:  # flags become argument names; values stay as given
        lstmtune.search(AIRLINE, target="--Passengers", space=SPACE, out=tmp_path / "r")
    assert "target '--Passengers' is not a column" in str(info.value)
    assert "--target" in str(info.value.__cause__)  # the library's own error, kept as the cause


def test_a_refused_dataframe_search_leaves_the_runs_data_alone(tmp_path):
    frame = pd.read_csv(AIRLINE)
    lstmtune.search(frame, target="Passengers", time_col="Date", space=ONE_TRIAL, out=tmp_path / "run")
    data_file = tmp_path / "run.data.csv"
    before = data_file.read_bytes()
    with pytest.raises(lstmtune.errors.RunDirError, match="already exists"):
        lstmtune.search(frame.head(100), target="Passengers", time_col="Date", space=SPACE, out=tmp_path / "run")
    assert data_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.data.csv"]  # no temporary file left


def test_the_readme_example_runs(tmp_path, monkeypatch):
    """The Python block under README's "Python API", run as written (in a folder with the same examples)."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S).group(1)
    for name in ("examples",):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert lstmtune.load_run(tmp_path / "runs" / "api-demo").manifest["status"] == "completed"


@pytest.mark.search
def test_the_api_is_as_quiet_as_the_command_line(tmp_path):
    """In a fresh process (TensorFlow not yet imported), with stderr a file: no TensorFlow start-up lines
    from search or predict, and no progress lines unless progress=True."""
    script = tmp_path / "use.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import pandas as pd
            import lstmtune
            space = {{"hyperparameters": {{"lookback": 4, "units": 2, "batch_size": 32}},
                      "search": {{"max_trials": 1, "epochs": 1}}}}
            progress = sys.argv[1] == "progress"
            run = lstmtune.search({str(AIRLINE)!r}, target="Passengers", time_col="Date", space=space,
                                  out=sys.argv[2], reference="off", progress=True if progress else None)
            run.predictor().predict(pd.read_csv({str(AIRLINE)!r}))
            """
        )
    )
    for mode in ("auto", "progress"):
        done = subprocess.run(
            [sys.executable, str(script), mode, str(tmp_path / mode)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr, done.stderr
        assert ("trial 1/1" in done.stderr) == (mode == "progress"), done.stderr
