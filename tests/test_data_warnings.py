"""Usable data a person should still hear about: a warning line that -q does not hide, kept in run.json
and repeated by report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import AIRLINE, assert_one_line_error


def _gappy_hours(write_file, missing: int = 200, rows: int = 300):
    rng = np.random.default_rng(0)
    gone = set(rng.choice(np.arange(5, rows - 5), size=missing, replace=False).tolist())
    lines = ["time,load"] + [f"2024-01-01 {0:02d}:00:00,".replace("2024-01-01 00", f"2024-01-{1 + i // 24:02d} {i % 24:02d}")
                             + ("" if i in gone else f"{100 + 10 * np.sin(i / 4):.3f}") for i in range(rows)]
    return write_file("hours.csv", "\n".join(lines) + "\n")


def test_fill_drop_leaving_gaps_is_a_warning(cli, write_file, tiny_space):
    path = _gappy_hours(write_file)
    result = cli("check", path, "--target", "load", "--time-col", "time", "--fill", "drop", "--space", tiny_space)
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1 and "--fill drop removed 200 of 300 rows" in warning[0] and "gaps inside the series" in warning[0]
    assert "--fill interpolate" in warning[0]


def test_interpolating_leaves_no_gap_warning(cli, write_file, tiny_space):
    path = _gappy_hours(write_file, missing=20)
    result = cli("check", path, "--target", "load", "--time-col", "time", "--fill", "interpolate", "--space", tiny_space)
    assert result.exit_code == 0 and "warning" not in result.stdout


def test_a_lookback_leaving_few_training_windows(cli, tiny_space):
    result = cli("check", AIRLINE, "--target", "Passengers", "--lookback", "98", "--space", tiny_space)
    assert result.exit_code == 0, result.stderr
    assert "warning: " in result.stdout and "only 1 training window at lookback 98" in result.stdout


def test_an_all_empty_target_is_named(cli, write_file, tiny_space, tmp_path):
    path = write_file("empty_target.csv", "t,y,x\n" + "".join(f"{i},,{i}\n" for i in range(40)))
    result = cli("search", path, "--target", "y", "--fill", "ffill", "--space", tiny_space, "--out", tmp_path / "run")
    assert_one_line_error(result, "empty_target.csv", "column 'y' is empty on every row")
    assert not (tmp_path / "run").exists()


@pytest.mark.search
def test_the_warning_survives_quiet_and_reaches_the_report(cli, write_file, tiny_space, tmp_path):
    path = _gappy_hours(write_file)
    out = tmp_path / "run"
    result = cli("search", path, "--target", "load", "--time-col", "time", "--fill", "drop", "--space", tiny_space,
                 "--out", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()][0].startswith("warning: ")
    warnings = json.loads((out / "run.json").read_text())["data"]["warnings"]
    assert len(warnings) == 1 and "gaps inside the series" in warnings[0]
    report = cli("report", out, "--format", "json")
    assert any("gaps inside the series" in f for f in json.loads(report.stdout)["findings"])
