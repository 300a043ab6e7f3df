"""`--help`, `report`, `check` and bad-input `search` must not import TensorFlow, Keras or keras-tuner."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import AIRLINE, REVIEWS, ROOT, TEXT_SPACE, TINY_SPACE, VOWELS

HEAVY = ("tensorflow", "keras", "keras_tuner")

PROBE = """
import sys
from typer.testing import CliRunner
from lstmtune.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("EXIT", result.exit_code, "HEAVY", ",".join(heavy) or "none")
"""


def run_cli_in_fresh_interpreter(*args: str, heavy: tuple[str, ...] = HEAVY) -> str:
    code = PROBE.format(heavy=heavy)
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SPACE)
    return path


def test_help_is_light():
    assert run_cli_in_fresh_interpreter("--help") == "EXIT 0 HEAVY none"
    assert run_cli_in_fresh_interpreter("search", "--help") == "EXIT 0 HEAVY none"


def test_check_is_light(space_file):
    line = run_cli_in_fresh_interpreter("check", "--space", space_file, AIRLINE, "--target", "Passengers")
    assert line == "EXIT 0 HEAVY none"


def test_bad_search_input_is_rejected_before_tensorflow(space_file, tmp_path):
    line = run_cli_in_fresh_interpreter(
        "search", AIRLINE, "--target", "nope", "--space", space_file, "--out", tmp_path / "r"
    )
    assert line == "EXIT 2 HEAVY none"


def test_report_is_light(tmp_path):
    from lstmtune.run.atomic import write_json

    run = tmp_path / "run"
    write_json(
        run / "run.json",
        {"status": "completed", "hyperparameters": {"names": ["units"], "tunable": ["units"], "space": {}}},
    )
    write_json(
        run / "history" / "trial_0.json",
        {
            "trial_id": "0",
            "status": "completed",
            "values": {"units": 4},
            "metrics": {"val_mse": 0.5, "val_rmse": 1.0, "skill": 0.1},
        },
    )
    for fmt in ("table", "json", "md", "csv"):
        assert run_cli_in_fresh_interpreter("report", run, "--format", fmt) == "EXIT 0 HEAVY none"
    # Without pictures or importance, not even matplotlib or scikit-learn (each takes most of a second).
    assert run_cli_in_fresh_interpreter("report", run, heavy=("matplotlib", "sklearn")) == "EXIT 0 HEAVY none"
    pictures = run_cli_in_fresh_interpreter("report", run, "--html", tmp_path / "r.html", "--plots", tmp_path / "plots")
    assert pictures == "EXIT 0 HEAVY none" and (tmp_path / "r.html").is_file()


def test_check_is_light_for_every_task(tmp_path):
    space = tmp_path / "text.yaml"
    space.write_text(TEXT_SPACE)
    line = run_cli_in_fresh_interpreter(
        "check", "--space", space, "--task", "text", REVIEWS, "--text-col", "text", "--target", "category"
    )
    assert line == "EXIT 0 HEAVY none"
    line = run_cli_in_fresh_interpreter(
        "check",
        "--space",
        ROOT / "lstmtune" / "spaces" / "sequence.yaml",
        "--task",
        "sequence",
        VOWELS,
        "--id-col",
        "case_id",
        "--order-col",
        "t",
        "--target",
        "label",
        "--split-col",
        "split",
    )
    assert line == "EXIT 0 HEAVY none"


def test_importing_every_task_is_light():
    code = (
        "import sys; from lstmtune.tasks import TASK_NAMES, get_task, hyperparameter_specs; "
        "[hyperparameter_specs(t) for t in TASK_NAMES]; import lstmtune.predict, lstmtune.report.render, lstmtune.plan; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "lstmtune", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("lstmtune ")


def test_gate_is_light(tmp_path):
    from lstmtune.run.atomic import write_json

    run = tmp_path / "run"
    write_json(
        run / "run.json",
        {"status": "completed", "hyperparameters": {"names": ["units"], "tunable": ["units"], "space": {}}},
    )
    write_json(
        run / "history" / "trial_0.json",
        {
            "trial_id": "0",
            "status": "completed",
            "values": {"units": 4},
            "metrics": {"val_mse": 0.5, "val_rmse": 1.0, "skill": 0.1},
        },
    )
    assert run_cli_in_fresh_interpreter("gate", run, "--require", "best.skill > 0") == "EXIT 0 HEAVY none"
