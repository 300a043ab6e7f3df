"""`predict` checks a run directory's files against each other before it predicts: the model against
preprocessing.json (task, every input's shape, the output's), preprocessing.json's own numbers, and both
against run.json. Each tampered run is refused with one line naming the file and the field, exit 2."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, SEQUENCE_SPACE, TEXT_SPACE, TINY_SPACE, VOWELS, assert_one_line_error
from typer.testing import CliRunner

from lstmtune.cli import app

pytestmark = pytest.mark.search

SOURCES = {
    # A season with a transform that does not use it: run.json keeps the season, preprocessing.json not.
    "forecast": (
        AIRLINE,
        TINY_SPACE,
        ["--target", "Passengers", "--time-col", "Date", "--season", "12", "--transform", "diff"],
    ),
    "text": (
        REVIEWS,
        TEXT_SPACE,
        ["--task", "text", "--text-col", "text", "--target", "category"],
    ),
    "sequence": (
        VOWELS,
        SEQUENCE_SPACE,
        ["--task", "sequence", "--id-col", "case_id", "--order-col", "t", "--target", "label"],
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One finished tiny run per task: one trial of one epoch, no reference model (not what is checked here)."""
    root = tmp_path_factory.mktemp("predict_checks")
    made = {}
    for task, (data, space, flags) in SOURCES.items():
        space_file = root / f"{task}.yaml"
        space_file.write_text(space)
        out = root / task
        args = [
            "search",
            str(data),
            *flags,
            "--space",
            str(space_file),
            "--out",
            str(out),
            "--quiet",
            "--reference",
            "off",
            "--max-trials",
            "1",
            "--epochs",
            "1",
        ]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.stderr
        made[task] = out
    return made


def edit(key: str, value) -> Callable[[dict], None]:
    return lambda state: state.__setitem__(key, value)


def edit_scaler(key: str, scale: list[float]) -> Callable[[dict], None]:
    return lambda state: state[key].__setitem__("scale", scale)


def edit_offset(key: str, offset: list[float]) -> Callable[[dict], None]:
    return lambda state: state[key].__setitem__("offset", offset)


def cut_vocabulary(state: dict) -> None:
    state["vocabulary"] = state["vocabulary"][:10]


# (id, task, change to preprocessing.json, model taken from another task's run, change to run.json, expected fragments)
CASES = [
    (
        "forecast-lookback",
        "forecast",
        edit("lookback", 8),
        None,
        None,
        ("best_model.keras", "'window'", "lookback", "(8, 1)"),
    ),
    (
        "forecast-horizon",
        "forecast",
        edit("horizon", 3),
        None,
        None,
        ("preprocessing.json", "horizon is 3", "run.json"),
    ),
    (
        "forecast-inputs",
        "forecast",
        edit("input_columns", ["Passengers", "Other"]),
        None,
        None,
        ("input_scaler", "2 numbers"),
    ),
    ("forecast-scale-0", "forecast", edit_scaler("input_scaler", [0.0]), None, None, ("input_scaler", "above 0")),
    ("forecast-target-scale-nan", "forecast", edit("target_scale", [float("nan")]), None, None, ("target_scale",)),
    (
        "forecast-transform",
        "forecast",
        edit("transform", "sqrt"),
        None,
        None,
        ("preprocessing.json", "transform 'sqrt'", "must be one of"),
    ),
    ("forecast-lookback-zero", "forecast", edit("lookback", 0), None, None, ("lookback", "above 0")),
    ("forecast-model-of-sequence", "forecast", None, "sequence", None, ("a model of task sequence", "task forecast")),
    ("forecast-newer-run-json", "forecast", None, None, edit("schema_version", 99), ("run.json", "schema_version 99")),
    ("forecast-other-task-run-json", "forecast", None, None, edit("task", "text"), ("run.json says task text",)),
    ("text-one-label", "text", edit("labels", ["fresh"]), None, None, ("labels", "two or more")),
    ("text-repeated-label", "text", edit("labels", ["fresh", "fresh"]), None, None, ("labels", "different")),
    ("text-three-labels", "text", edit("labels", ["fresh", "rotten", "meh"]), None, None, ("labels", "run.json")),
    ("text-sequence-length", "text", edit("sequence_length", 48), None, None, ("'tokens'", "sequence_length", "(48)")),
    ("text-model-of-sequence", "text", None, "sequence", None, ("a model of task sequence",)),
    ("sequence-length", "sequence", edit("length", 40), None, None, ("'values'", "length, features", "(40, 12)")),
    ("sequence-features", "sequence", edit("features", ["lpc0", "lpc1"]), None, None, ("scaler", "per channel")),
    ("sequence-stride", "sequence", edit("stride", 2), None, None, ("stride is 2", "run.json records 1")),
    ("sequence-labels", "sequence", edit("labels", [1, 2]), None, None, ("labels", "run.json")),
    ("sequence-scale-0", "sequence", edit_scaler("scaler", [0.0] * 12), None, None, ("scaler", "above 0")),
    ("sequence-problem", "sequence", edit("problem", "ranking"), None, None, ("problem", "ranking")),
    ("sequence-model-of-text", "sequence", None, "text", None, ("a model of task text", "task sequence")),
    # Edits that leave every shape and setting consistent, and would predict otherwise without a word.
    ("forecast-offset", "forecast", edit_offset("input_scaler", [5.0]), None, None, ("changed since it was written",)),
    ("text-vocabulary-cut", "text", cut_vocabulary, None, None, ("preprocessing.json", "preprocessing_sha256")),
]


def tampered(runs: dict[str, Path], tmp_path: Path, task: str, state_edit, model_from, manifest_edit) -> Path:
    run = tmp_path / "run"
    shutil.copytree(runs[task], run)
    for name, change in (("preprocessing.json", state_edit), ("run.json", manifest_edit)):
        if change is not None:
            document = json.loads((run / name).read_text())
            change(document)
            (run / name).write_text(json.dumps(document))
    if model_from:
        shutil.copy(runs[model_from] / "best_model.keras", run / "best_model.keras")
    return run


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_tampered_run_is_refused_before_anything_is_written(runs, tmp_path, cli, case):
    _, task, state_edit, model_from, manifest_edit, fragments = case
    run = tampered(runs, tmp_path, task, state_edit, model_from, manifest_edit)
    output = tmp_path / "predictions.csv"
    result = cli("predict", run, SOURCES[task][0], "--output", output)
    assert_one_line_error(result, *fragments)
    assert not output.exists()


@pytest.mark.parametrize("task", list(SOURCES))
def test_the_untouched_runs_predict_and_a_copied_model_needs_no_run_json(runs, tmp_path, cli, task):
    assert cli("predict", runs[task], SOURCES[task][0]).exit_code == 0
    deployed = tmp_path / "deployed"
    deployed.mkdir()
    for name in ("best_model.keras", "preprocessing.json"):
        shutil.copy(runs[task] / name, deployed / name)
    copied = cli("predict", deployed, SOURCES[task][0])
    assert copied.exit_code == 0, copied.stderr
    assert copied.stdout == cli("predict", runs[task], SOURCES[task][0]).stdout


@pytest.mark.parametrize("where", ["in the last window", "earlier"])
def test_a_repeated_timestamp_is_refused_as_the_search_refuses_it(runs, tmp_path, cli, where):
    """Sorting rows around a repeated month forecast from the wrong window without a word."""
    lines = SOURCES["forecast"][0].read_text().splitlines()
    row = len(lines) - 3 if where == "in the last window" else 10
    data = tmp_path / "repeat.csv"
    data.write_text("\n".join([*lines[: row + 1], lines[row], *lines[row + 1 :]]) + "\n")
    month = lines[row].split(",")[0]
    result = cli("predict", runs["forecast"], data)
    assert_one_line_error(
        result, "repeat.csv", "--time-col 'Date' must not repeat a timestamp", month, f"rows {row} and {row + 1}"
    )


@pytest.mark.parametrize("change", ["dropped", "renamed"])
def test_a_forecast_file_without_the_runs_time_column_is_refused(runs, tmp_path, cli, change):
    """Without its time column the rows would be taken in file order and the forecast left undated."""
    frame = pd.read_csv(SOURCES["forecast"][0])
    frame = frame.drop(columns="Date") if change == "dropped" else frame.rename(columns={"Date": "date"})
    data = tmp_path / "no_time.csv"
    frame.to_csv(data, index=False)
    assert_one_line_error(cli("predict", runs["forecast"], data), "no_time.csv", "must have the time column 'Date'")


def test_a_forecast_file_shorter_than_a_window_says_how_many_rows_it_holds(runs, tmp_path, cli):
    lines = SOURCES["forecast"][0].read_text().splitlines()
    data = tmp_path / "short.csv"
    data.write_text("\n".join(lines[:4]) + "\n")
    assert_one_line_error(
        cli("predict", runs["forecast"], data),
        "short.csv",
        "holds 3 rows, but the model needs at least 5",
        "lookback of 4",
    )


def test_texts_without_words_are_skipped_and_named_unless_strict(runs, tmp_path):
    """One numbering everywhere: the data row, 1 = the first row after the header; a row with no words
    gets no prediction and is named on stderr; --strict refuses the file; other tasks refuse --strict."""
    new = tmp_path / "new.csv"
    new.write_text('text\n"a fine film"\n""\n"..."\n"dull and long"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["predict", str(runs["text"]), str(new)])
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame["row"].tolist() == [1, 4]
    assert result.stderr.strip() == (
        "skipped 2 rows without words (data row 2, 3): no prediction for them; --strict refuses such a file"
    )
    assert_one_line_error(
        runner.invoke(app, ["predict", str(runs["text"]), str(new), "--strict"]),
        "every row needs a text to predict (--strict), but row 2 of column 'text' is empty",
    )
    assert_one_line_error(
        runner.invoke(app, ["predict", str(runs["forecast"]), str(AIRLINE), "--strict"]),
        "--strict applies to text runs",
    )


def test_keep_carries_columns_beside_each_text_and_sequence(runs, tmp_path):
    runner = CliRunner()
    reviews = pd.read_csv(REVIEWS).head(5).assign(ticket=[f"T{i}" for i in range(5)])
    reviews.loc[2, "text"] = ""
    new = tmp_path / "reviews.csv"
    reviews.to_csv(new, index=False)
    result = runner.invoke(app, ["predict", str(runs["text"]), str(new), "--keep", "ticket,category"])
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame.columns.tolist()[:3] == ["row", "ticket", "category"]
    assert frame["ticket"].tolist() == ["T0", "T1", "T3", "T4"]  # the empty text's row skipped with its values
    assert frame["category"].tolist() == reviews["category"].drop(index=2).tolist()
    # A sequence's rows must agree on a kept value; one named like an output column is kept as <name>_data.
    vowels = runner.invoke(app, ["predict", str(runs["sequence"]), str(VOWELS), "--keep", "split", "--keep", "label"])
    assert vowels.exit_code == 0, vowels.stderr
    table = pd.read_csv(io.StringIO(vowels.stdout))
    truth = pd.read_csv(VOWELS).groupby("case_id")[["split", "label"]].first()
    assert table.columns.tolist()[:4] == ["id", "split", "label_data", "label"]
    assert (table.set_index("id")["split"] == truth.loc[table["id"], "split"].to_numpy()).all()
    assert (table["label_data"].to_numpy() == truth.loc[table["id"], "label"].to_numpy()).all()
    assert_one_line_error(
        runner.invoke(app, ["predict", str(runs["sequence"]), str(VOWELS), "--keep", "t"]),
        "--keep 't' must hold one value per sequence, but sequence",
    )
    assert_one_line_error(
        runner.invoke(app, ["predict", str(runs["text"]), str(new), "--keep", "tiket"]),
        "--keep 'tiket' is not a column (did you mean 'ticket'?)",
    )
    assert_one_line_error(
        runner.invoke(app, ["predict", str(runs["forecast"]), str(AIRLINE), "--keep", "Date"]),
        "--keep applies to text and sequence runs",
    )


def test_predict_says_what_it_cut_or_left_out_of_sequences(runs, tmp_path):
    """A sequence longer than the model reads is cut to its first steps, and columns the model does not
    read are left out: both said on stderr, one line each, and the predictions still written."""
    frame = pd.read_csv(VOWELS)
    first = frame["case_id"].iloc[0]
    steps = frame[frame["case_id"] == first]
    longer = pd.concat([steps] * 8, ignore_index=True).assign(t=range(8 * len(steps)))
    new = pd.concat([longer, frame[frame["case_id"] != first]], ignore_index=True).assign(note="x")
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["predict", str(runs["sequence"]), str(path)])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"{path}: 1 of {new['case_id'].nunique()} sequences are longer than the ")
    assert f"(the longest has {len(longer)} steps as read): only their first steps were used" in lines[0]
    assert lines[1].startswith(f"{path}: not read by the model: ") and "note" in lines[1]
    assert len(pd.read_csv(io.StringIO(result.stdout))) == new["case_id"].nunique()
