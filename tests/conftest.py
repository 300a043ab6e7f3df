"""Shared fixtures: small real CSVs shipped in the repository, tiny spaces, the CLI runner."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

# A shell that starts the tests in the background (`cmd &` without job control) hands them SIGINT
# ignored, and every process they start inherits that: the Ctrl-C tests would see no interrupt at all.
# A handler is not inherited across exec, so with this one the commands under test start with the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = ROOT / "examples" / "data" / "airline.csv"
SEATTLE = Path(__file__).resolve().parent / "data" / "seattle_weather_300.csv"
REVIEWS = Path(__file__).resolve().parent / "data" / "rotten_tomatoes_600.csv"
VOWELS = Path(__file__).resolve().parent / "data" / "japanese_vowels_120.csv"
GUNPOINT = Path(__file__).resolve().parent / "data" / "gunpoint_60.csv"

TINY_SPACE = """\
hyperparameters:
  lookback: 4
  units: {int: [2, 4], step: 2}
  dropout: {float: [0.0, 0.2]}
  kernel_l2: {float: [1e-5, 1e-3], log: true}
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 2, epochs: 2, patience: 1}
"""


def airline_search(space: Path, out: Path, *extra: str) -> list[str]:
    """The argv of a real `lstmtune search` process on the airline series (quiet), for tests that start,
    signal or kill searches."""
    return [
        sys.executable,
        "-m",
        "lstmtune",
        "search",
        str(AIRLINE),
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        str(space),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


# Tiny spaces for the other tasks: a few units, one or two epochs.
TEXT_SPACE = """\
hyperparameters:
  max_tokens: {choice: [300, 2000]}
  sequence_length: 24
  embedding_dim: 8
  embedding_dropout: {float: [0.0, 0.3]}
  units: {int: [2, 4], step: 2}
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 2, epochs: 2, patience: 1}
"""

SEQUENCE_SPACE = """\
hyperparameters:
  units: {int: [2, 4], step: 2}
  dropout: {float: [0.0, 0.2]}
  input_noise: {float: [0.0, 0.1]}
  pooling: {choice: [last, attention]}
  conv_filters: {choice: [0, 4]}
  conv_layers: 2
  downsample: {choice: [1, 3]}
  learning_rate: 0.01
  batch_size: 16
search: {max_trials: 2, epochs: 2, patience: 1}
"""


@pytest.fixture
def airline_csv() -> Path:
    return AIRLINE


@pytest.fixture
def seattle_csv() -> Path:
    return SEATTLE


@pytest.fixture
def write_file(tmp_path: Path):
    """Write text to a file under tmp_path and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_space(write_file) -> Path:
    return write_file("tiny.yaml", TINY_SPACE)


@pytest.fixture(scope="module")
def parallel_space(tmp_path_factory) -> Path:
    """The parallel-search tests' tiny space (parallel_helpers.SPACE), as a file."""
    from parallel_helpers import SPACE

    path = tmp_path_factory.mktemp("space") / "space.yaml"
    path.write_text(SPACE)
    return path


@pytest.fixture
def cli():
    """Invoke the real CLI in-process; returns typer's Result (stdout and stderr kept apart)."""
    from lstmtune.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def assert_one_line_error(result, *fragments: str) -> str:
    """Exit code 2, one line on stderr naming what is wrong, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# The longest test files, longest first. `pytest -n 2 --dist loadfile --no-loadscope-reorder` hands files
# to its two processes in collection order (without the flag, xdist puts the files with the most tests
# first), so running these first keeps one long file from running alone at the end. The files that start
# several searching processes at once (kill_resume, worker_failures, workers, signals) alternate with
# in-process ones: two of them side by side put six TensorFlow processes on two cores and each takes
# twice as long.
LONGEST_FIRST = (
    "test_kill_resume.py",
    "test_autoencoder.py",
    "test_search.py",
    "test_predict_checks.py",
    "test_worker_failures.py",
    "test_diagnoses.py",
    "test_workers.py",
    "test_sequence_search.py",
    "test_signals.py",
    "test_api.py",
    "test_full_disk.py",
    "test_text_search.py",
    "test_run_safety.py",
    "test_pruning.py",
    "test_properties.py",
    "test_oracle.py",
    "test_refit.py",
    "test_report_pictures.py",
    "test_gate.py",
    "test_release.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: order for order, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
