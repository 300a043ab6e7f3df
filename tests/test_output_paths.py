"""Every output path of `report` and `predict` is checked, all together, before anything is written:
never one of the run's own files or inputs, never one path for two outputs, and the format an --output
extension names is the format written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import AIRLINE, TINY_SPACE, assert_one_line_error
from typer.testing import CliRunner

from lstmtune.cli import app

pytestmark = pytest.mark.search


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("outputs")
    (root / "space.yaml").write_text(TINY_SPACE)
    out = root / "run"
    args = ["search", str(AIRLINE), "--target", "Passengers", "--time-col", "Date", "--space", str(root / "space.yaml")]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--quiet", "--reference", "off"])
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def run(finished, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


def test_an_html_output_is_the_html_page(cli, run, tmp_path):
    page = tmp_path / "r.html"
    result = cli("report", run, "--output", page)
    assert result.exit_code == 0, result.stderr
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert result.stdout == "" and result.stderr.strip() == f"wrote {page}"  # written as other formats are
    assert_one_line_error(
        cli("report", run, "--output", tmp_path / "a.html", "--html", tmp_path / "b.html"), "give one of them"
    )


def test_a_format_that_contradicts_the_extension_is_refused(cli, run, tmp_path):
    assert_one_line_error(
        cli("report", run, "--format", "csv", "--output", tmp_path / "a.md"), "names the md format", "--format is csv"
    )
    assert not (tmp_path / "a.md").exists()
    assert cli("report", run, "--format", "md", "--output", tmp_path / "b.md").exit_code == 0
    assert cli("report", run, "--format", "csv", "--output", tmp_path / "c.txt").exit_code == 0


def test_one_path_for_two_outputs_is_refused_before_anything_is_written(cli, run, tmp_path):
    same = tmp_path / "same"
    assert_one_line_error(cli("report", run, "--html", same, "--output", same), "--html", "also given to --output")
    assert_one_line_error(cli("report", run, "--plots", same, "--output", same), "also given to")
    assert not same.exists()


def test_a_run_file_as_output_writes_no_pictures_first(cli, run, tmp_path):
    before = (run / "run.json").read_text()
    plots = tmp_path / "plots"
    assert_one_line_error(
        cli("report", run, "--plots", plots, "--output", run / "run.json"), "run.json", "run directory"
    )
    assert not plots.exists() and (run / "run.json").read_text() == before
    assert_one_line_error(
        cli("report", run, "--html", tmp_path / "p.html", "--output", run / "trials.csv"), "trials.csv"
    )
    assert not (tmp_path / "p.html").exists()


def test_predictions_never_replace_the_runs_own_data(cli, run, tmp_path):
    data = tmp_path / "training.csv"
    shutil.copy(AIRLINE, data)
    manifest = json.loads((run / "run.json").read_text())
    manifest["data"]["path"] = str(data)  # the run was made from this file
    (run / "run.json").write_text(json.dumps(manifest))
    new = tmp_path / "new.csv"
    shutil.copy(AIRLINE, new)
    before = data.read_bytes()
    assert_one_line_error(cli("predict", run, new, "--output", data), "is an input of this command")
    assert data.read_bytes() == before
    assert cli("predict", run, new, "--output", tmp_path / "predictions.csv").exit_code == 0


def test_a_run_whose_history_was_deleted_reports_its_saved_table(cli, run):
    """trials.json, best.yaml and the model are still there: the report and the gate read the table the
    search last wrote, and say what is missing, instead of "No trial has finished yet"."""
    shutil.rmtree(run / "history")
    result = cli("report", run, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [trial["status"] for trial in document["trials"]] == ["completed", "completed"]
    assert document["trials"][0]["rank"] == 1 and document["trials"][0]["score"] is not None
    assert any("history is missing" in finding and "trials.json" in finding for finding in document["findings"])
    assert "No trial has finished yet" not in cli("report", run).stdout
    gate = cli("gate", run, "--require", "trials.completed == 2", "--require", "best.score > 0")
    assert gate.exit_code == 0, gate.stdout + gate.stderr


def test_report_and_predict_say_which_file_they_wrote(cli, run, tmp_path):
    table = tmp_path / "t.md"
    result = cli("report", run, "--output", table)
    assert result.exit_code == 0 and result.stderr.strip() == f"wrote {table}" and table.is_file()
    predictions = tmp_path / "p.csv"
    result = cli("predict", run, AIRLINE, "--output", predictions)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"wrote {predictions} (1 prediction row)" and result.stdout == ""
