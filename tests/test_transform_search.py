"""The forecast transform as a searched hyperparameter: one variant of the data per transform, trials ranked
on validation RMSE in original units, and every file of the run decoding as its trial's transform did."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, assert_one_line_error

from lstmtune.plan import SearchRequest, plan_search

SPACE = """\
hyperparameters:
  lookback: 4
  transform: {choice: [diff, logdiff]}
  units: {int: [2, 4], step: 2}
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 4, epochs: 3, patience: 3, tuner: random}
"""

SEASONAL = SPACE.replace("[diff, logdiff]", '["sdiff", "log,sdiff"]')


def airline_argv(space, out, *extra: str) -> list:
    return ["search", AIRLINE, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", out, *extra]


def planned(space, **data_flags):
    request = SearchRequest(
        task="forecast",
        data_path=AIRLINE,
        space_path=space,
        columns={"target": "Passengers", "time_col": "Date"},
        data_flags={"season": 12, **data_flags},
    )
    return plan_search(request)


def test_each_searched_transform_is_a_variant_of_the_data_decoded_as_it_was_encoded(write_file):
    plan = planned(write_file("s.yaml", SEASONAL))
    data = plan.prepared
    assert data.objective.name == "val_rmse"
    assert set(data.variants) == {"sdiff", "log,sdiff"} and data.variants["sdiff"] is data
    logs = data.for_values({"transform": "log,sdiff", "lookback": 4})
    assert logs.transform.name == "log,sdiff" and logs is not data
    assert data.for_values({"transform": "sdiff"}) is data
    # Validation windows are the same for both; a zero output is each one's seasonal random walk.
    ends = data.window_ends("val", 4)
    assert np.array_equal(ends, logs.window_ends("val", 4))
    y = data.levels[:, 0]
    zero = np.zeros((len(ends), 1, 1))
    walk = y[ends] + y[ends + 1 - 12] - y[ends - 12]
    np.testing.assert_allclose(data.decode(zero - data.target_offset / data.target_scale, ends)[:, 0, 0], walk)
    log_walk = np.exp(np.log(y[ends]) + np.log(y[ends + 1 - 12]) - np.log(y[ends - 12]))
    np.testing.assert_allclose(logs.decode(zero - logs.target_offset / logs.target_scale, ends)[:, 0, 0], log_walk)
    # Each variant's scaler is fitted on its own series: the encoded targets differ, the truth does not.
    assert not np.allclose(data.encoded[ends, 0, 0], logs.encoded[ends, 0, 0])
    assert data.state({"transform": "log,sdiff", "lookback": 4})["transform"] == "log,sdiff"
    assert data.output_encoding({"transform": "sdiff"}) != data.output_encoding({"transform": "log,sdiff"})
    assert plan.space.params["transform"].kind == "choice"


def test_a_fixed_transform_is_the_data_settings_and_ranks_on_scaled_mse_unless_asked(write_file):
    plan = planned(write_file("s.yaml", SPACE.replace("  transform: {choice: [diff, logdiff]}\n", "")))
    assert plan.prepared.objective.name == "val_mse" and plan.prepared.variants == {}
    assert plan.prepared.transform.name == "sdiff"  # auto: --season 12 with three seasons of training rows
    fixed = planned(write_file("f.yaml", SPACE.replace("{choice: [diff, logdiff]}", "logdiff")))
    assert fixed.prepared.transform.name == "logdiff" and fixed.prepared.objective.name == "val_mse"
    same = planned(write_file("g.yaml", SPACE.replace("{choice: [diff, logdiff]}", "logdiff")), transform="logdiff")
    assert same.prepared.transform.name == "logdiff"
    asked = planned(write_file("h.yaml", SPACE.replace("{choice: [diff, logdiff]}", "logdiff")), objective="rmse")
    assert asked.prepared.objective.name == "val_rmse"
    # A searched transform writes its objective into the space, so best.yaml (the transform fixed) ranks alike.
    searched = planned(write_file("i.yaml", SPACE))
    assert searched.space.data["objective"] == "rmse"


@pytest.mark.parametrize(
    "choice, flags, fragments",
    [
        ("{choice: [diff, logdiff]}", ("--transform", "diff"), ("--transform diff", "transform", "keep one")),
        ("logdiff", ("--transform", "diff"), ("--transform diff", "hyperparameters.transform (logdiff)")),
        ("{choice: [auto, logdiff]}", (), ("hyperparameters.transform", "auto", "sdiff with --season")),
        ('{choice: ["diff", "log,sdiff"]}', (), ("--transform log,sdiff needs --season M",)),
        ("{choice: [diff, wobble]}", (), ("hyperparameters.transform", "wobble", "log,sdiff")),
        ("{choice: [diff, logdiff]}", ("--objective", "mse"), ("--objective mse", "diff, logdiff", "--objective rmse")),
        ("{choice: [diff, logdiff]}", ("--objective", "mae"), ("--objective", "mse, rmse", "mae")),
    ],
)
def test_contradictory_or_impossible_transform_choices_are_refused(cli, write_file, tmp_path, choice, flags, fragments):
    space = write_file("s.yaml", SPACE.replace("{choice: [diff, logdiff]}", choice))
    result = cli(*airline_argv(space, tmp_path / "run"), *flags)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "run").exists()


def test_a_log_transform_in_the_choice_needs_positive_targets(cli, seattle_csv, write_file, tmp_path):
    space = write_file("s.yaml", SPACE)
    result = cli(
        "search",
        seattle_csv,
        "--target",
        "precipitation",
        "--time-col",
        "date",
        "--space",
        space,
        "--out",
        tmp_path / "r",
    )
    assert_one_line_error(result, "--transform logdiff needs every target value > 0", "'precipitation'")


@pytest.mark.search
def test_a_search_over_transforms_ranks_on_original_units_and_predicts_with_its_best(cli, write_file, tmp_path):
    out = tmp_path / "run"
    result = cli(*airline_argv(write_file("s.yaml", SPACE), out, "--ensemble", "4", "--reference", "off"))
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["search"]["objective"]["name"] == "val_rmse"
    assert manifest["data"]["searched_transforms"] == ["diff", "logdiff"]
    rows = json.loads((out / "trials.json").read_text())
    assert {row["transform"] for row in rows} == {"diff", "logdiff"}, rows
    for row in rows:
        history = pd.read_csv(out / "history" / f"trial_{row['trial_id']}.csv")
        assert row["score"] == pytest.approx(history["val_rmse"].min(), rel=1e-9)
    # The epoch logs' val_rmse at the best epoch is the task's own validation RMSE in original units,
    # computed apart from the logs on the saved best model.
    best = manifest["best"]
    assert rows[0]["score"] == pytest.approx(best["val"]["rmse"], rel=1e-6)
    state = json.loads((out / "preprocessing.json").read_text())
    assert state["transform"] == best["values"]["transform"] == rows[0]["transform"]
    transforms = {row["trial_id"]: row["transform"] for row in rows}
    ensemble = best["ensemble"]
    assert len(ensemble["candidates"]) >= 2, (ensemble, transforms)
    assert {transforms[trial_id] for trial_id in ensemble["candidates"]} == {state["transform"]}
    # predict decodes the best model's outputs as its transform does: the last test row's forecast again.
    tail = pd.read_csv(AIRLINE).iloc[: len(pd.read_csv(AIRLINE)) - 1]
    tail.to_csv(tmp_path / "tail.csv", index=False)
    predicted = cli("predict", out, tmp_path / "tail.csv", "--output", tmp_path / "p.csv")
    assert predicted.exit_code == 0, predicted.stderr
    forecasts = pd.read_csv(out / "predictions.csv")
    last = forecasts[forecasts["split"] == "test"]["prediction"].iloc[-1]
    assert pd.read_csv(tmp_path / "p.csv")["Passengers"].iloc[0] == pytest.approx(last, rel=1e-4)
    # best.yaml fixes the best transform and keeps the objective: it reproduces the best score.
    again = cli(*airline_argv(out / "best.yaml", tmp_path / "again", "--reference", "off"))
    assert again.exit_code == 0, again.stderr
    assert json.loads((tmp_path / "again" / "trials.json").read_text())[0]["score"] == pytest.approx(rows[0]["score"])
    report = cli("report", out)
    assert report.exit_code == 0 and "transform: searched (diff, logdiff)" in report.stdout, report.stdout
    # Ranked in original units, the curves can show persistence's validation RMSE beside them.
    from lstmtune.report.model import build_report
    from lstmtune.report.pictures.canvas import baseline_line
    from lstmtune.run.layout import RunDir

    what, value = baseline_line(build_report(RunDir(out)))
    assert "persistence" in what and value == pytest.approx(manifest["baselines"]["val"]["persistence"]["rmse"])


@pytest.mark.search
def test_a_run_recorded_before_a_knob_existed_resumes_while_a_changed_knob_is_refused(cli, write_file, tmp_path):
    """Hyperparameters the run does not record and the space leaves at their defaults (knobs added since
    the run started) are no change; a value other than the default is one."""
    space = write_file(
        "s.yaml",
        SPACE.replace("  transform: {choice: [diff, logdiff]}\n", "").replace("max_trials: 4", "max_trials: 1"),
    )
    out = tmp_path / "run"
    assert cli(*airline_argv(space, out, "--reference", "off")).exit_code == 0
    manifest = json.loads((out / "run.json").read_text())
    for name in ("transform", "gradient_noise"):
        del manifest["hyperparameters"]["space"][name]
    (out / "run.json").write_text(json.dumps(manifest))
    stale = out / "history" / ".trial_0.json.4242.0a1b2c3d4e5f.tmp"  # a writer killed mid-write
    stale.write_text("{half")
    resumed = cli(*airline_argv(space, out, "--reference", "off", "--resume", "--max-trials", "2"))
    assert resumed.exit_code == 0, resumed.stderr
    assert len(json.loads((out / "trials.json").read_text())) == 2
    assert not stale.exists()  # swept under the run's lock when the search resumed
    changed = write_file("t.yaml", space.read_text().replace("batch_size: 32", "batch_size: 32\n  gradient_noise: 0.1"))
    refused = cli(*airline_argv(changed, out, "--reference", "off", "--resume", "--max-trials", "3"))
    assert_one_line_error(refused, "the hyperparameters")


def test_folds_are_refused_when_a_searched_transform_leaves_one_no_training_window(cli, write_file, tmp_path):
    """--season 40 on 100 training rows: auto is diff (fewer than three seasons), which needs 6 rows before
    a fold at lookback 4; the searched sdiff reaches back a season and a step, 46 rows."""
    space = write_file("s.yaml", SPACE.replace("[diff, logdiff]", "[diff, sdiff]"))
    result = cli(*airline_argv(space, tmp_path / "run", "--season", "40", "--folds", "4"))
    assert_one_line_error(result, "--folds 4 needs 46 training rows", "at most 3 folds fit")
    assert not (tmp_path / "run").exists()
