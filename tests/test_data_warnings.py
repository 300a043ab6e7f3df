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
    lines = ["time,load"] + [
        f"2024-01-01 {0:02d}:00:00,".replace("2024-01-01 00", f"2024-01-{1 + i // 24:02d} {i % 24:02d}")
        + ("" if i in gone else f"{100 + 10 * np.sin(i / 4):.3f}")
        for i in range(rows)
    ]
    return write_file("hours.csv", "\n".join(lines) + "\n")


def test_fill_drop_leaving_gaps_is_a_warning(cli, write_file, tiny_space):
    path = _gappy_hours(write_file)
    result = cli("check", path, "--target", "load", "--time-col", "time", "--fill", "drop", "--space", tiny_space)
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert (
        len(warning) == 1
        and "--fill drop removed 200 of 300 rows" in warning[0]
        and "gaps inside the series" in warning[0]
    )
    assert "--fill interpolate" in warning[0]


def test_interpolating_leaves_no_gap_warning(cli, write_file, tiny_space):
    path = _gappy_hours(write_file, missing=20)
    result = cli(
        "check", path, "--target", "load", "--time-col", "time", "--fill", "interpolate", "--space", tiny_space
    )
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
    result = cli(
        "search",
        path,
        "--target",
        "load",
        "--time-col",
        "time",
        "--fill",
        "drop",
        "--space",
        tiny_space,
        "--out",
        out,
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()][0].startswith("warning: ")
    warnings = json.loads((out / "run.json").read_text())["data"]["warnings"]
    assert len(warnings) == 1 and "gaps inside the series" in warnings[0]
    report = cli("report", out, "--format", "json")
    assert any("gaps inside the series" in f for f in json.loads(report.stdout)["findings"])


def test_monthly_day_first_dates_on_the_first_are_read_day_first(cli, write_file, tiny_space):
    """01/02/2020 guessed month-first would make monthly data daily; the regular reading wins."""
    rows = "".join(f"01/{i % 12 + 1:02d}/{2010 + i // 12},{100 + i}\n" for i in range(60))
    path = write_file("monthly.csv", "date,y\n" + rows)
    from lstmtune.data.csv_reader import read_csv
    from lstmtune.data.dates import parse_time

    times, used = parse_time(read_csv(path), "date", path, None)
    assert used == "%d/%m/%Y" and str(times.iloc[1].date()) == "2010-02-01"
    us = write_file("us.csv", "date,y\n" + "".join(f"{i % 12 + 1:02d}/01/{2010 + i // 12},{i}\n" for i in range(60)))
    times, used = parse_time(read_csv(us), "date", us, None)
    assert used == "%m/%d/%Y" and str(times.iloc[1].date()) == "2010-02-01"


def test_dates_that_read_both_ways_ask_for_a_format(cli, write_file, tiny_space, tmp_path):
    rows = "".join(f"{i % 3 + 1:02d}/{i % 4 + 1:02d}/{2000 + i},{i}\n" for i in range(40))
    path = write_file("either.csv", "date,y\n" + rows)
    result = cli(
        "search", path, "--target", "y", "--time-col", "date", "--space", tiny_space, "--out", tmp_path / "run"
    )
    assert_one_line_error(result, "either.csv", "--time-col 'date'", "day-first and as month-first", "--time-format")


def test_a_file_of_several_series_is_named_as_such(cli, write_file, tiny_space, tmp_path):
    rows = "".join(f"{tick},2021-01-{d:02d},{d + k}\n" for k, tick in enumerate(("AAPL", "MSFT")) for d in range(1, 29))
    path = write_file("prices.csv", "ticker,day,close\n" + rows)
    result = cli(
        "search", path, "--target", "close", "--time-col", "day", "--space", tiny_space, "--out", tmp_path / "run"
    )
    assert_one_line_error(result, "prices.csv", "must not repeat a timestamp", "2 series, one per value of 'ticker'")
