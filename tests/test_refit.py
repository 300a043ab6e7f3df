"""`lstmtune refit`: the best configuration trained on train + validation for the epochs its trial chose,
scored once on test, used by `predict --model refit` and shown by the report; and `--resume --epochs N`,
which raises the epoch budget of a run's new trials; and `report --watch`, the live page, on the same runs."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, TINY_SPACE, assert_one_line_error

SPACE = TINY_SPACE.replace("epochs: 2, patience: 1", "epochs: 4, patience: 2")
SEARCH = ("--target", "Passengers", "--time-col", "Date")


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> Path:
    """A finished tiny airline search (2 trials, up to 4 epochs), with its own copy of the data."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    base = tmp_path_factory.mktemp("refit")
    (base / "space.yaml").write_text(SPACE)
    shutil.copy(AIRLINE, base / "airline.csv")
    out = base / "run"
    result = CliRunner().invoke(
        app,
        ["search", str(base / "airline.csv"), *SEARCH, "--space", str(base / "space.yaml"), "--out", str(out), "-q"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def run(searched, tmp_path) -> Path:
    """A copy of the finished run, its data beside it as run.json names it."""
    copy = tmp_path / "run"
    shutil.copytree(searched, copy)
    return copy


@pytest.fixture(scope="module")
def refitted(searched, tmp_path_factory) -> tuple[Path, dict, object]:
    """The finished run refitted once by the command line: (run, refit.json, the command's result)."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    run = tmp_path_factory.mktemp("refitted") / "run"
    shutil.copytree(searched, run)
    result = CliRunner().invoke(app, ["refit", str(run)])
    assert result.exit_code == 0, result.output
    return run, json.loads((run / "refit" / "refit.json").read_text()), result


def test_refit_trains_the_best_configuration_on_train_and_validation_for_its_best_epoch(refitted):
    run, refit, result = refitted
    manifest = json.loads((run / "run.json").read_text())
    best = manifest["best"]
    record = json.loads((run / "history" / f"trial_{best['trial_id']}.json").read_text())
    assert refit["trial_id"] == str(best["trial_id"]) and refit["values"] == best["values"]
    assert refit["epochs"] == int(record["metrics"]["best_epoch"])
    windows = manifest["best"]["test"]["windows"]
    assert refit["test"]["windows"] == windows  # the same test windows as the best model
    assert refit["examples"]["train"] == best["train"]["windows"]
    assert refit["examples"]["val"] == best["val"]["windows"]  # validation windows were trained on
    assert refit["best_test"] == best["test"] and refit["figure"] == "rmse"
    assert np.isfinite(refit["test"]["rmse"]) and refit["test"]["rmse"] != best["test"]["rmse"]
    assert f"refit trial {best['trial_id']} on train + validation" in result.stdout
    assert "--model refit" in result.stdout and "wrote" in result.stderr
    state = json.loads((run / "refit" / "preprocessing.json").read_text())
    assert state == json.loads((run / "preprocessing.json").read_text())  # the run's scalers, unchanged


def test_the_mixed_batches_hold_every_training_and_validation_window_once(searched):
    from lstmtune.run.layout import RunDir
    from lstmtune.tuning.refit import refit_plan, train_and_validation

    plan, values, _ = refit_plan(RunDir(searched))
    side = plan.task.keras_side(plan.data)
    seen = np.concatenate([targets.numpy().ravel() for _, targets in train_and_validation(side, values, 7)])
    expected = np.concatenate(
        [targets.numpy().ravel() for split in ("train", "val") for _, targets in side.dataset(split, values, 64)]
    )
    assert len(seen) == len(expected) == len(plan.data.window_ends("train", 4)) + len(plan.data.window_ends("val", 4))
    np.testing.assert_array_equal(np.sort(seen), np.sort(expected))
    assert not np.array_equal(seen, expected)  # shuffled and interleaved, not train then validation


def test_predict_and_report_use_the_refit_model(refitted, cli):
    run, refit, _ = refitted
    best = cli("predict", run, AIRLINE, "--all")
    refit_out = cli("predict", run, AIRLINE, "--all", "--model", "refit")
    assert best.exit_code == 0 and refit_out.exit_code == 0, refit_out.output
    best_frame = pd.read_csv(io.StringIO(best.stdout))
    refit_frame = pd.read_csv(io.StringIO(refit_out.stdout))
    assert list(best_frame.columns) == list(refit_frame.columns) and len(best_frame) == len(refit_frame)
    assert not np.allclose(best_frame["Passengers"], refit_frame["Passengers"])
    markdown = cli("report", run, "--format", "md")
    assert f"refit on train + val (trial {refit['trial_id']}, {refit['epochs']} epochs)" in markdown.stdout
    document = json.loads(cli("report", run, "--format", "json").stdout)
    assert document["refit"]["test"]["rmse"] == pytest.approx(refit["test"]["rmse"])


def test_the_api_refits_and_predicts_with_the_refit_model(run):
    from lstmtune.api import load_run

    loaded = load_run(run)
    result = loaded.refit()
    assert result["trial_id"] == str(loaded.best["trial_id"])
    frame = pd.read_csv(AIRLINE)
    assert len(loaded.predictor(model="refit").predict(frame)) == 1
    from lstmtune.errors import OptionError

    with pytest.raises(OptionError, match="seed must be a whole number of at least 0, but got -1"):
        loaded.refit(seed=-1)


def test_a_refit_of_changed_data_is_refused_before_anything_is_written(run, cli):
    manifest = json.loads((run / "run.json").read_text())
    data = Path(manifest["data"]["path"])
    changed = run.parent / "changed.csv"
    changed.write_text(data.read_text().replace("112", "113", 1))
    assert_one_line_error(cli("refit", run, "--data", changed), "is not the data the run was searched on")
    assert not (run / "refit").exists()
    assert_one_line_error(cli("refit", run, "--data", run.parent / "nowhere.csv"), "nowhere.csv is not there", "--data")
    moved = run.parent / "moved.csv"
    shutil.copy(data, moved)
    assert cli("refit", run, "--data", moved, "-q").exit_code == 0
    assert (run / "refit" / "refit.json").is_file()


def test_a_refit_without_the_best_trials_record_says_it_is_missing(run, cli):
    best_id = json.loads((run / "run.json").read_text())["best"]["trial_id"]
    (run / "history" / f"trial_{best_id}.json").unlink()
    assert_one_line_error(cli("refit", run), f"trial_{best_id}.json", "the best trial's record is missing")
    assert not (run / "refit").exists()


def test_an_interrupted_run_refits_its_best_completed_trial_so_far(run, cli):
    """Interrupted before its final evaluation: no best section, no best model; its best completed trial
    is still usable through refit."""
    manifest = json.loads((run / "run.json").read_text())
    best_id = str(manifest.pop("best")["trial_id"])
    (run / "run.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    for name in ("best_model.keras", "preprocessing.json"):
        (run / name).unlink()
    assert_one_line_error(cli("predict", run, AIRLINE), "no best model yet", f"`lstmtune refit {run}`")
    assert_one_line_error(cli("predict", run, AIRLINE, "--model", "refit"), "no refit model", "lstmtune refit")
    assert cli("refit", run, "-q").exit_code == 0
    refit = json.loads((run / "refit" / "refit.json").read_text())
    assert refit["trial_id"] == best_id and refit["run_status"] == "interrupted" and refit["best_test"] is None
    assert cli("predict", run, AIRLINE, "--model", "refit").exit_code == 0
    assert f"refit on train + val (trial {best_id}," in cli("report", run, "--format", "md").stdout
    # Without a completed trial there is nothing to refit.
    for path in (run / "history").glob("trial_*.json"):
        record = json.loads(path.read_text())
        path.write_text(json.dumps({**record, "status": "interrupted"}))
    assert_one_line_error(cli("refit", run), "no completed trial to refit yet")


def test_model_choices_are_checked(refitted, cli):
    run, _, _ = refitted
    assert_one_line_error(
        cli("predict", run, AIRLINE, "--model", "last"), "--model must be one of best, ensemble, refit"
    )
    assert_one_line_error(
        cli("predict", run, AIRLINE, "--model", "refit", "--ensemble"), "--ensemble and --model refit"
    )


def test_a_changed_or_incomplete_refit_is_refused_by_predict(refitted, cli, tmp_path):
    """The refit's preprocessing.json edited (a scaler's offset: every shape still agrees) is refused by its
    digest in refit.json; a refit without refit.json (cut short, or removed) says so."""
    run, _, _ = refitted
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    state_path = copy / "refit" / "preprocessing.json"
    state = json.loads(state_path.read_text())
    state["input_scaler"]["offset"] = [5.0]
    state_path.write_text(json.dumps(state))
    assert_one_line_error(
        cli("predict", copy, AIRLINE, "--model", "refit"), "refit/preprocessing.json", "refit.json", "changed since"
    )
    listing = copy / "refit" / "refit.json"
    listing.write_text(json.dumps({**json.loads(listing.read_text()), "test": [1]}))
    report = cli("report", copy, "--format", "md").stdout
    assert "refit.json is damaged (it holds no test figures)" in report and "refit on train + val" not in report
    listing.unlink()
    assert_one_line_error(cli("predict", copy, AIRLINE, "--model", "refit"), "refit.json is missing")


def test_resume_raises_the_epoch_budget_of_new_trials_and_never_lowers_it(run, cli):
    data = json.loads((run / "run.json").read_text())["data"]["path"]
    space = run / "space.yaml"
    resumed = cli(
        "search", data, *SEARCH, "--space", space, "--out", run, "--resume", "--max-trials", "3", "--epochs", "6", "-q"
    )
    assert resumed.exit_code == 0, resumed.output
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["search"]["epochs"] == 6
    assert manifest["search"]["epochs_raised"] == [{"from": 4, "to": 6, "after_trials": 2}]
    record = json.loads((run / "history" / "trial_2.json").read_text())  # the one new trial
    assert record["metrics"]["epochs_run"] <= 6
    assert_one_line_error(
        cli("search", data, *SEARCH, "--space", space, "--out", run, "--resume", "--epochs", "3"),
        "--epochs may be raised on --resume, not lowered (was 6, now 3)",
    )


def test_a_refit_of_an_earlier_best_is_refused_by_predict_and_named_by_the_report(run, cli):
    assert cli("refit", run, "-q").exit_code == 0
    listing = run / "refit" / "refit.json"
    refit = json.loads(listing.read_text())
    listing.write_text(json.dumps({**refit, "trial_id": "99"}))  # as after a resume found a new best
    assert_one_line_error(
        cli("predict", run, AIRLINE, "--model", "refit"), "the refit model is trial 99's", "run `lstmtune refit"
    )
    markdown = cli("report", run, "--format", "md").stdout
    assert "The refit model" in markdown and "trial 99's" in markdown and "refit on train + val" not in markdown


def test_watch_rewrites_a_live_page_while_the_run_runs_and_a_last_one_when_it_ends(run, tmp_path):
    """report --watch on a running run: pages that reload themselves, then, once run.json says the run
    ended, one that does not (and is self-contained)."""
    import os
    import socket
    import sys

    from lstmtune.report.watch import watch
    from lstmtune.run.layout import RunDir

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from check_html import check

    manifest_path = run / "run.json"
    finished = json.loads(manifest_path.read_text())
    manifest_path.write_text(
        json.dumps({**finished, "status": "running", "process": {"pid": os.getpid(), "host": socket.gethostname()}})
    )
    page = tmp_path / "live.html"
    seen: list[tuple[bool, str]] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the search ends during the second wait
            manifest_path.write_text(json.dumps(finished))

    def wrote(report, live: bool) -> None:
        seen.append((live, page.read_text(encoding="utf-8")))

    assert watch(RunDir(run), page, 7.0, wrote=wrote, sleep=sleep) == 3
    assert [live for live, _ in seen] == [True, True, False] and waits == [7.0, 7.0]
    assert all(
        '<meta http-equiv="refresh" content="7">' in text and "Live: rewritten every 7 s" in text
        for live, text in seen
        if live
    )
    final = seen[-1][1]
    assert 'http-equiv="refresh"' not in final and "Live:" not in final
    assert check(final).problems == []


def test_watch_needs_an_html_page_and_writes_only_it(refitted, cli, tmp_path):
    run, _, _ = refitted
    assert_one_line_error(cli("report", run, "--watch", "5"), "--watch rewrites an HTML page: give --html FILE")
    assert_one_line_error(
        cli("report", run, "--html", tmp_path / "p.html", "--watch", "5", "--plots", tmp_path / "plots"),
        "--watch writes only the --html page",
    )
    done = cli("report", run, "--html", tmp_path / "p.html", "--watch", "5")  # a finished run: one last page
    assert done.exit_code == 0 and "the run is completed; the page no longer reloads" in done.stderr
    assert "refresh" not in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_compare_tables_several_runs_on_the_html_page(refitted, run, cli, tmp_path):
    """report --compare: this run first, then each other, with status, trials, the best trial's score and
    validation figure, test figures and the reference's; a path that is not a run is named."""
    first, _, _ = refitted
    manifest = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    page = tmp_path / "page.html"
    result = cli("report", first, "--html", page, "--compare", run)
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    section = text.split('<section id="runs">')[1].split("</section>")[0]
    assert "Runs compared (2)" in section and section.index(str(first)) < section.index(str(run))
    assert "interrupted" in section and "val rmse" in section and "test rmse" in section
    best = json.loads((first / "run.json").read_text())["best"]
    assert f'data-sort="{float(best["test"]["rmse"])!r}"' in section
    assert_one_line_error(
        cli("report", first, "--html", page, "--compare", tmp_path / "nowhere"), "--compare", "nowhere"
    )
    assert_one_line_error(cli("report", first, "--compare", run), "--compare adds a table of runs to an HTML page")
