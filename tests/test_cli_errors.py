"""Bad input through the real CLI: one line naming the file / column / key / flag, exit code 2.

None of these reach TensorFlow: every input is validated before any import of it or any write.
"""

from __future__ import annotations

import pytest
from conftest import TINY_SPACE, assert_one_line_error


@pytest.fixture
def search(cli, airline_csv, tiny_space, tmp_path):
    """`lstmtune search` on airline with the tiny space; extra args override or add flags."""

    def run(*extra: str, data=airline_csv, space=tiny_space, out=None, target="Passengers"):
        args = ["search", data, "--space", space, "--out", out or tmp_path / "run"]
        if target:
            args += ["--target", target]
        return cli(*args, *extra)

    return run


# --- the CSV -------------------------------------------------------------------------------


def test_missing_csv(search, tmp_path):
    assert_one_line_error(search(data=tmp_path / "nope.csv"), "nope.csv", "file not found")


def test_empty_csv(search, write_file):
    assert_one_line_error(search(data=write_file("empty.csv", "")), "empty.csv", "empty")


def test_header_only_csv(search, write_file):
    assert_one_line_error(search(data=write_file("head.csv", "a,b\n")), "head.csv", "no data rows")


def test_unknown_target_lists_columns(search):
    line = assert_one_line_error(search(target="Pasengers"), "airline.csv", "--target 'Pasengers'")
    assert "did you mean 'Passengers'" in line and "columns are: Date, Passengers" in line


def test_non_numeric_target(search, write_file):
    path = write_file("bad.csv", "t,y\n1,1.0\n2,oops\n3,2.0\n")
    assert_one_line_error(search(data=path, target="y"), "bad.csv", "'y' must be numeric", "row 2", "'oops'")


def test_unknown_feature(search):
    assert_one_line_error(search("--features", "Passengers,wind"), "--features 'wind'", "columns are")


def test_bad_time_column(search, write_file):
    path = write_file("time.csv", "when,y\n2020-01-01,1\nyesterday,2\n")
    assert_one_line_error(
        search("--time-col", "when", data=path, target="y"), "--time-col 'when'", "row 2", "'yesterday'"
    )


def test_duplicate_timestamps(search, write_file):
    rows = "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 20)) + "2020-01-05,99\n"
    path = write_file("dup.csv", "day,y\n" + rows)
    assert_one_line_error(search("--time-col", "day", data=path, target="y"), "must not repeat", "rows 5 and 20")


def test_missing_values_without_fill(search, write_file):
    rows = "".join(f"{i},{'' if i in (7, 9) else i}\n" for i in range(60))
    path = write_file("gaps.csv", "t,y\n" + rows)
    assert_one_line_error(search(data=path, target="y"), "2 missing values", "column 'y'", "row 8", "--fill")


def test_too_few_rows_says_how_many_are_needed(search, write_file):
    path = write_file("short.csv", "y\n" + "".join(f"{i}\n" for i in range(8)))
    line = assert_one_line_error(search(data=path, target="y"), "8 rows are too few", "lookback 4")
    needed = int(line.split("at least ")[1].split()[0])
    assert needed > 8


# --- the space file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("hyperparameters:\n  units: [1, 2\n", ("malformed YAML", "line ")),
        ("hyperparameters:\n  dropuot: 0.1\n", ("unknown hyperparameter 'dropuot'", "did you mean 'dropout'")),
        (
            "hyperparameters:\n  units: {int: [64, 16]}\n",
            ("hyperparameters.units", "lo <= hi must hold", "lo=64, hi=16"),
        ),
        ("hyperparameters:\n  kernel_l2: {float: [0, 1e-2], log: true}\n", ("kernel_l2", "log scale needs lo > 0")),
        ("hyperparameters:\n  dropout: {float: [0.0, 1.0]}\n", ("hyperparameters.dropout", "0 <= value < 1")),
        ("hyperparameters:\n  units: sixteen\n", ("hyperparameters.units", "must be an integer", "'sixteen'")),
        ("search:\n  epochs: 0\n", ("search.epochs", "integer in [1, 100000]", "got 0")),
    ],
)
def test_bad_space_file(search, write_file, text, fragments):
    space = write_file("bad.yaml", text)
    assert_one_line_error(search(space=space), "bad.yaml", *fragments)


def test_missing_space_file(search, tmp_path):
    assert_one_line_error(search(space=tmp_path / "none.yaml"), "none.yaml", "not found")


# --- flags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags, fragments",
    [
        (["--split", "0.5,0.6"], ("--split", "sum", "'0.5,0.6'")),
        (["--tuner", "grid"], ("--tuner", "bayesian, random, hyperband", "'grid'")),
        (["--epochs", "0"], ("--epochs", "in [1, 100000]", "got 0")),
        (["--transform", "sqrt"], ("--transform", "auto, diff, sdiff, logdiff, log,sdiff, log, none", "'sqrt'")),
        (["--transform", "sdiff"], ("--transform sdiff needs --season M",)),
        (
            ["--transform", "log,sdiff", "--season", "2", "--horizon", "3"],
            ("--horizon must be at most --season (2), but got 3",),
        ),
        (["--scale", "robust"], ("--scale",)),
        (["--fill", "zero"], ("--fill",)),
        (["--season", "1"], ("--season", "in [2, 100000]")),
        (["--lookback", "0"], ("--lookback", "in [1, 100000]")),
        (["--epochs", "many"], ("--epochs",)),
        (["--resume", "--overwrite"], ("--resume and --overwrite",)),
    ],
)
def test_bad_flag_values(search, flags, fragments):
    assert_one_line_error(search(*flags), *fragments)


def test_missing_required_flag(search):
    assert_one_line_error(search(target=None), "--target")


def test_resume_needs_a_run(search, tmp_path):
    assert_one_line_error(search("--resume", out=tmp_path / "empty"), "nothing to resume")


def test_existing_run_dir_is_left_untouched(search, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text('{"keep": true}')
    assert_one_line_error(search(out=out), "already exists", "--resume", "--overwrite")
    # A bad input with --overwrite fails before anything is deleted.
    assert_one_line_error(search("--overwrite", "--epochs", "0", out=out), "--epochs")
    assert (out / "run.json").read_text() == '{"keep": true}'


def test_debug_shows_the_traceback(cli, tmp_path, tiny_space):
    result = cli(
        "--debug", "search", tmp_path / "nope.csv", "--target", "y", "--space", tiny_space, "--out", tmp_path / "r"
    )
    assert result.exit_code != 0
    assert "file not found" in str(result.exception)


# --- report and check ----------------------------------------------------------------------


def test_report_on_missing_run(cli, tmp_path):
    assert_one_line_error(cli("report", tmp_path / "nothing"), "not a run directory")


def test_report_bad_format(cli, tmp_path):
    assert_one_line_error(cli("report", tmp_path, "--format", "xml"), "--format", "table, csv, md, json", "'xml'")


def test_check_valid_space_and_data(cli, tiny_space, airline_csv):
    result = cli("check", "--space", tiny_space, airline_csv, "--target", "Passengers", "--time-col", "Date")
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout and "144 rows" in result.stdout
    assert "windows at lookback 4" in result.stdout


def test_check_bad_space(cli, write_file):
    space = write_file("bad.yaml", TINY_SPACE.replace("batch_size: 32", "batch_size: 0"))
    assert_one_line_error(cli("check", "--space", space), "bad.yaml", "batch_size", "1 <= value <= 65536")


# --- nothing that is not a run directory is ever deleted --------------------------------------


def test_overwrite_refuses_a_directory_that_is_not_a_run(search, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert_one_line_error(search("--overwrite", out=out), "replaces run directories only")
    assert (out / "notes.txt").read_text() == "keep me"


def test_overwrite_refuses_a_run_dir_holding_the_data(search, tmp_path, airline_csv):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("{}")
    data = out / "airline.csv"
    data.write_bytes(airline_csv.read_bytes())
    assert_one_line_error(search("--overwrite", data=data, out=out), "would delete the data file")
    assert data.is_file()


def test_overwrite_refuses_the_current_directory(search, tmp_path, monkeypatch):
    out = tmp_path / "run"
    (out / "inner").mkdir(parents=True)
    (out / "run.json").write_text("{}")
    monkeypatch.chdir(out / "inner")
    assert_one_line_error(search("--overwrite", out=out), "would delete the current directory")
    assert (out / "run.json").is_file()


def test_a_run_with_a_live_search_is_not_touched(search, tmp_path):
    import os
    import socket

    out = tmp_path / "run"
    out.mkdir()
    manifest = {"status": "running", "process": {"pid": os.getpid(), "host": socket.gethostname()}}
    (out / "run.json").write_text(__import__("json").dumps(manifest))
    assert_one_line_error(search("--overwrite", out=out), "a search is still running in it")


def test_resume_needs_the_tuner_state(search, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("{}")
    (out / "history").mkdir()  # a finished trial that keras-tuner's missing state would lose
    (out / "history" / "trial_0.json").write_text('{"trial_id": "0", "status": "completed", "metrics": {}}')
    assert_one_line_error(search("--resume", out=out), "tuner/search/oracle.json", "missing")


def test_out_that_cannot_be_created(search, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(search(out=blocker / "run"), "cannot be created", "is a file")


def test_report_output_to_a_directory(cli, tmp_path):
    from lstmtune.run.atomic import write_json

    write_json(tmp_path / "run" / "run.json", {"status": "completed"})
    assert_one_line_error(
        cli("report", tmp_path / "run", "--format", "md", "--output", tmp_path), "--output", "is a directory"
    )


def test_report_on_a_manifest_that_is_not_an_object(cli, tmp_path):
    (tmp_path / "run.json").write_text("[1, 2]")
    assert_one_line_error(cli("report", tmp_path), "run.json", "not a run manifest")


# --- more data problems --------------------------------------------------------------------


def test_infinite_values(search, write_file):
    rows = "".join(f"{i},{'inf' if i == 30 else i}\n" for i in range(60))
    assert_one_line_error(
        search(data=write_file("inf.csv", "t,y\n" + rows), target="y"), "'y' must be finite", "row 31"
    )


def test_semicolon_separated_file(search, write_file):
    path = write_file("semi.csv", "Date;Passengers\n1949-01;112\n1949-02;118\n")
    assert_one_line_error(search(data=path, target="Passengers"), "separated by semicolons", "comma-separated")


def test_mixed_time_zones(search, write_file):
    rows = "".join(f"2020-01-{d:02d}T00:00:00+00:00,{d}\n" for d in range(1, 29))
    rows += "2020-01-29T00:00:00+02:00,29\n"
    path = write_file("tz.csv", "when,y\n" + rows)
    assert_one_line_error(search("--time-col", "when", data=path, target="y"), "--time-col 'when'", "time zone")


def test_saved_pandas_index_is_not_an_input(cli, write_file, tiny_space):
    rows = "".join(f"{i},{i % 7}.5\n" for i in range(80))
    path = write_file("indexed.csv", ",y\n" + rows)
    result = cli("check", "--space", tiny_space, path, "--target", "y")
    assert result.exit_code == 0, result.stderr
    assert "inputs y;" in result.stdout


def test_check_uses_the_data_flags_of_search(cli, tiny_space, airline_csv):
    assert_one_line_error(
        cli("check", "--space", tiny_space, airline_csv, "--target", "Passengers", "--horizon", "30"),
        "horizon 30",
        "rows are needed",
    )
    assert_one_line_error(
        cli("check", "--space", tiny_space, "--horizon", "3"), "--horizon", "only apply with the DATA argument"
    )


def test_forecast_needs_a_finished_run(cli, tmp_path, airline_csv):
    assert_one_line_error(cli("forecast", tmp_path, airline_csv), "no best model yet")


def test_brackets_in_messages_are_printed_as_written(search, write_file):
    """Rich must not read '[lo, hi]' or '[bold]' in a message as markup."""
    space = write_file("list.yaml", "hyperparameters:\n  units: [bold]\n")
    assert_one_line_error(search(space=space), "{choice: ['bold']}", "{int|float: [lo, hi]}")


def test_forecast_with_a_damaged_run(cli, tmp_path, airline_csv):
    (tmp_path / "best_model.keras").write_text("not a model")
    (tmp_path / "preprocessing.json").write_text("[]")
    assert_one_line_error(cli("forecast", tmp_path, airline_csv), "preprocessing.json", "unreadable")


def test_check_time_format_needs_data(cli, tiny_space):
    assert_one_line_error(cli("check", "--space", tiny_space, "--time-format", "%Y"), "--time-format", "DATA")


def test_mixed_time_zones_without_pandas_advice(search, write_file):
    path = write_file(
        "tz.csv", "date,y\n2020-01-01T00:00:00+01:00,1\n2020-01-02T00:00:00+05:00,2\n2020-01-03T00:00:00Z,3\n"
    )
    line = assert_one_line_error(
        search("--time-col", "date", data=path, target="y"),
        "tz.csv",
        "--time-col 'date'",
        "one format and time zone",
        "Mixed timezones detected",
    )
    assert "utc=True" not in line and "to_datetime" not in line
