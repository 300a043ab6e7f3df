"""Bad input for the text and sequence tasks through the real CLI: one line naming the culprit,
exit code 2, nothing written. No TensorFlow is reached: every check runs before training."""

from __future__ import annotations

import pytest
from conftest import REVIEWS, SEQUENCE_SPACE, TEXT_SPACE, VOWELS, assert_one_line_error

TEXT = ["--task", "text", "--text-col", "text", "--target", "category"]
VOWEL = ["--task", "sequence", "--id-col", "case_id", "--order-col", "t", "--target", "label", "--split-col", "split"]


@pytest.fixture
def search(cli, write_file, tmp_path):
    """`lstmtune search DATA ... --space S --out OUT`; asserts afterwards that nothing was written."""
    spaces = {"text": write_file("text.yaml", TEXT_SPACE), "sequence": write_file("sequence.yaml", SEQUENCE_SPACE)}
    out = tmp_path / "run"

    def run(data, *flags, space="text"):
        result = cli("search", data, *flags, "--space", spaces[space], "--out", out)
        assert not out.exists()
        return result

    return run


def test_unknown_task(search):
    assert_one_line_error(
        search(REVIEWS, "--task", "images"), "--task must be one of forecast, text, sequence", "'images'"
    )


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--time-col", "movie_name"], "--time-col applies to --task forecast and autoencoder, not to --task text"),
        (["--horizon", "3"], "--horizon applies to --task forecast, not to --task text"),
        (["--lookback", "4"], "--lookback applies to --task forecast, not to --task text"),
        (["--wide"], "--wide applies to --task sequence and autoencoder, not to --task text"),
        (["--stride", "2"], "--stride applies to --task sequence and autoencoder, not to --task text"),
    ],
)
def test_flags_of_another_task_name_their_task(search, flags, fragment):
    assert_one_line_error(search(REVIEWS, *TEXT, *flags), fragment)


def test_text_flags_with_forecasting(search, airline_csv, tiny_space, cli, tmp_path):
    result = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--text-col",
        "Date",
        "--space",
        tiny_space,
        "--out",
        tmp_path / "r",
    )
    assert_one_line_error(result, "--text-col applies to --task text, not to --task forecast")


def test_text_space_with_forecasting(cli, airline_csv, write_file, tmp_path):
    space = write_file("t.yaml", TEXT_SPACE)
    result = cli("search", airline_csv, "--target", "Passengers", "--space", space, "--out", tmp_path / "r")
    assert_one_line_error(result, "t.yaml", "hyperparameters.max_tokens applies to task text, not to task forecast")


def test_text_needs_a_text_column(search):
    assert_one_line_error(search(REVIEWS, "--task", "text", "--target", "category"), "--text-col")


def test_unknown_text_column_suggests_one(search):
    line = assert_one_line_error(
        search(REVIEWS, "--task", "text", "--text-col", "txt", "--target", "category"), "'txt'"
    )
    assert "text" in line


def test_text_takes_one_target(search):
    assert_one_line_error(
        search(REVIEWS, *TEXT, "--target", "movie_name"), "--target names one column", "category, movie_name"
    )


def test_a_label_with_one_class(search, write_file):
    path = write_file("one.csv", "text,label\n" + "".join(f"review number {i},good\n" for i in range(30)))
    assert_one_line_error(
        search(path, "--task", "text", "--text-col", "text", "--target", "label"), "one.csv", "'good'"
    )


def test_bad_objective_value(search):
    assert_one_line_error(
        search(REVIEWS, *TEXT, "--objective", "auc"), "--objective must be one of cross_entropy, accuracy, macro_f1"
    )


def test_undecodable_text_names_the_line_and_suggests_an_encoding(search, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (
            "text,label\n"
            + "".join(f"film {i} was fine,good\nfilm {i} was bad,bad\n" for i in range(10))
            + "caf\u00e9 scene,good\n"
        ).encode("latin-1")
    )
    line = assert_one_line_error(
        search(path, "--task", "text", "--text-col", "text", "--target", "label"), "latin.csv", "--encoding"
    )
    assert "line 22" in line


def test_sequence_long_format_needs_an_id_column(search):
    assert_one_line_error(search(VOWELS, "--task", "sequence", "--target", "label", space="sequence"), "--id-col")


def test_target_that_varies_within_a_sequence(search, write_file):
    path = write_file(
        "vary.csv",
        "id,t,x,y\n"
        + "".join(f"s{i},{t},{t * 0.5},{i % 2 if t < 2 else 1 - i % 2}\n" for i in range(12) for t in range(3)),
    )
    assert_one_line_error(
        search(path, "--task", "sequence", "--id-col", "id", "--order-col", "t", "--target", "y", space="sequence"),
        "vary.csv",
        "'y'",
        "s0",
    )


def test_ragged_wide_rows(search, write_file):
    rows = ["a,b,c,label"] + [f"{i},{i + 1},{i + 2},{i % 2}" for i in range(12)] + ["1,,3,0"]
    path = write_file("ragged.csv", "\n".join(rows) + "\n")
    assert_one_line_error(
        search(path, "--task", "sequence", "--wide", "--target", "label", space="sequence"), "ragged.csv"
    )


def test_regression_objective_on_a_classification(search):
    assert_one_line_error(
        search(VOWELS, *VOWEL, "--objective", "mse", space="sequence"), "--objective", "classification"
    )


def test_order_col_with_wide(search):
    assert_one_line_error(
        search(VOWELS, "--task", "sequence", "--wide", "--target", "label", "--order-col", "t", space="sequence"),
        "--order-col",
    )


def test_check_names_the_task_in_flag_errors(cli, write_file):
    space = write_file("s.yaml", SEQUENCE_SPACE)
    assert_one_line_error(cli("check", "--space", space, "--task", "sequence", "--text-col", "x"), "--text-col")
