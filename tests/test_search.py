"""Real Keras Tuner searches on real CSVs, kept tiny (a few units, 1-2 epochs)."""

from __future__ import annotations

import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_SPACE, assert_one_line_error

pytestmark = pytest.mark.search

TABLE_COLUMNS = [
    "rank",
    "trial_id",
    "status",
    "score",
    "score_sd",
    "val_rmse",
    "val_mae",
    "skill",
    "train_loss",
    "val_loss",
    "train_skill",
    "gap",
    "gap_end",
    "val_rise",
    "best_epoch",
    "epochs_run",
    "seconds",
]


def read_json(path: Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def airline_run(tmp_path_factory, airline_csv_module, tiny_space_module):
    """One finished two-trial search on airline, shared by the tests that only read it."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    out = tmp_path_factory.mktemp("airline") / "run"
    result = CliRunner().invoke(
        app,
        [
            "search",
            str(airline_csv_module),
            "--target",
            "Passengers",
            "--time-col",
            "Date",
            "--space",
            str(tiny_space_module),
            "--out",
            str(out),
            "--season",
            "12",
        ],
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    return out, result


@pytest.fixture(scope="module")
def airline_csv_module():
    from conftest import AIRLINE

    return AIRLINE


@pytest.fixture(scope="module")
def tiny_space_module(tmp_path_factory):
    path = tmp_path_factory.mktemp("space") / "tiny.yaml"
    path.write_text(TINY_SPACE)
    return path


def test_run_directory_contract(airline_run, airline_csv_module):
    out, result = airline_run
    device = read_json(out / "run.json")["device"]
    assert (
        device["kind"] in ("cpu", "gpu")
        and device["cpu_cores"] >= 1
        and (device["kind"] == "gpu") == bool(device["gpus"])
    )
    for name in (
        "run.json",
        "space.yaml",
        "trials.csv",
        "trials.md",
        "trials.json",
        "best.yaml",
        "best_model.keras",
        "preprocessing.json",
    ):
        assert (out / name).is_file(), name
    assert (out / "tuner").is_dir()

    manifest = read_json(out / "run.json")
    assert manifest["status"] == "completed"
    assert set(manifest["versions"]) >= {"lstmtune", "tensorflow", "keras", "keras_tuner"}
    assert manifest["data"]["sha256"] == hashlib.sha256(airline_csv_module.read_bytes()).hexdigest()
    assert manifest["data"]["splits"]["train"]["rows"] == [0, 100]
    assert manifest["data"]["splits"]["val"]["time"] == ["1957-05-01 00:00:00", "1959-01-01 00:00:00"]
    assert manifest["search"]["objective"]["name"] == "val_mse"
    assert manifest["search"]["initial_points"] == 2
    assert manifest["trials"] == {"running": 0, "completed": 2, "pruned": 0, "interrupted": 0, "failed": 0}
    assert {"val", "test"} <= set(manifest["best"]) and "seasonal" in manifest["baselines"]["test"]
    # The run summary went to stdout, progress lines to stderr.
    assert "Best model against naive baselines" in result.stdout
    assert "trial 2/2" in result.stderr


def test_baselines_match_a_hand_computation(airline_run, airline_csv_module):
    out, _ = airline_run
    manifest = read_json(out / "run.json")
    y = pd.read_csv(airline_csv_module)["Passengers"].to_numpy(dtype=float)
    # Validation targets are rows 100..120; persistence predicts the previous row.
    val_errors = y[100:121] - y[99:120]
    assert manifest["baselines"]["val"]["persistence"]["rmse"] == pytest.approx(np.sqrt(np.mean(val_errors**2)))
    test_errors = y[121:144] - y[109:132]  # seasonal naive, season 12, horizon 1
    assert manifest["baselines"]["test"]["seasonal"]["mae"] == pytest.approx(np.mean(np.abs(test_errors)))


def test_the_reference_model_is_fitted_once_and_shown_beside_the_baselines(airline_run, cli):
    out, result = airline_run
    manifest = read_json(out / "run.json")
    reference = manifest["baselines"]["reference"]
    assert reference["name"].startswith(("SARIMA", "ETS")) and manifest["search"]["reference"] == "auto"
    assert reference["val"]["rmse"] < manifest["baselines"]["val"]["persistence"]["rmse"]
    assert reference["test"]["rmse"] < manifest["baselines"]["test"]["persistence"]["rmse"]
    assert manifest["times"]["reference_seconds"] > 0 and "reference: " in result.stderr
    predictions = pd.read_csv(out / "predictions.csv")
    assert predictions["reference"].notna().all() and len(predictions) == manifest["best"]["test"]["windows"]
    # The verdict is the test figures', in the report and the gate.
    beats = manifest["best"]["test"]["rmse"] < reference["test"]["rmse"]
    verdict = "beats" if beats else "does not beat"
    assert f"The best LSTM {verdict} the reference model ({reference['name']}) on test" in result.stdout
    document = json.loads(cli("report", out, "--format", "json").stdout)
    assert document["comparison"]["beats_on_test"] is beats and document["reference"]["name"] == reference["name"]
    gate = cli(
        "gate", out, "--require", f"best.beats_reference == {int(beats)}", "--require", "reference.test_rmse > 0"
    )
    assert gate.exit_code == 0, gate.stdout


def test_ranked_table_and_history(airline_run):
    out, _ = airline_run
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert list(table.columns[: len(TABLE_COLUMNS)]) == TABLE_COLUMNS
    assert {"units", "dropout", "kernel_l2", "lookback"} <= set(table.columns)
    assert list(table["rank"]) == [1, 2]
    assert table["score"].is_monotonic_increasing
    assert json.loads((out / "trials.json").read_text())[0]["trial_id"] == table["trial_id"][0]
    for row in table.itertuples():
        history = pd.read_csv(out / "history" / f"trial_{row.trial_id}.csv")
        assert len(history) == row.epochs_run
        assert {"loss", "val_loss", "val_mse", "learning_rate"} <= set(history.columns)
        # The score is the best epoch's unregularised val_mse, not val_loss.
        assert row.score == pytest.approx(history["val_mse"].min())
        assert row.best_epoch == int(history["val_mse"].idxmin()) + 1


def test_best_yaml_fixes_every_value(airline_run):
    from lstmtune.tasks import read_space

    out, _ = airline_run
    manifest = read_json(out / "run.json")
    best = read_space(out / "best.yaml")
    assert not best.tunable
    for name, value in manifest["best"]["values"].items():
        assert (
            best.params[name].value == pytest.approx(value)
            if isinstance(value, float)
            else best.params[name].value == value
        )


def test_searching_with_best_yaml_reproduces_the_best_score(airline_run, airline_csv_module, cli, tmp_path):
    out, _ = airline_run
    best_score = pd.read_csv(out / "trials.csv")["score"][0]
    again = tmp_path / "again"
    result = cli(
        "search",
        airline_csv_module,
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        out / "best.yaml",
        "--out",
        again,
    )
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(again / "trials.csv")["score"][0] == pytest.approx(best_score, rel=1e-6)


def test_saved_model_reproduces_the_test_score(airline_run, airline_csv_module):
    import keras

    from lstmtune.tasks.forecast import metrics
    from lstmtune.tasks.forecast.data import ForecastData
    from lstmtune.tasks.forecast.keras_io import predict_original
    from lstmtune.tasks.forecast.reader import DataSpec, load_frame
    from lstmtune.tasks.forecast.settings import ForecastSettings as DataSettings

    out, _ = airline_run
    manifest = read_json(out / "run.json")
    state = read_json(out / "preprocessing.json")
    model = keras.saving.load_model(out / "best_model.keras")
    spec = DataSpec(airline_csv_module, ("Passengers",), "Date", settings=DataSettings(season=12))
    data = ForecastData(load_frame(spec), spec)
    assert data.input_scaler.to_json() == state["input_scaler"]
    ends = data.window_ends("test", state["lookback"])
    prediction = predict_original(model, data, ends, state["lookback"])
    rmse = metrics.summarise(data.truth(ends), prediction, data.baseline("persistence", ends))["rmse"]
    assert rmse == pytest.approx(manifest["best"]["test"]["rmse"], rel=1e-5)


def test_report_formats(airline_run, cli, tmp_path):
    out, _ = airline_run
    manifest = read_json(out / "run.json")
    table = cli("report", out)
    assert table.exit_code == 0, table.stderr
    assert "Top 2 trials" in table.stdout and "persistence" in table.stdout

    as_json = cli("report", out, "--format", "json", "--top", "1")
    document = json.loads(as_json.stdout)
    assert document["best"]["trial_id"] == manifest["best"]["trial_id"]
    assert len(document["trials"]) == 1

    target = tmp_path / "report.md"
    assert cli("report", out, "--format", "md", "--output", target).exit_code == 0
    assert target.read_text().startswith("# lstmtune run")


def test_interrupted_search_resumes(cli, airline_csv, tiny_space, tmp_path):
    """Ctrl-C in trial 2: the run is left consistent, report reads it, --resume finishes it."""
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tuning.events import Reporter
    from lstmtune.tuning.search import SearchInterrupted, run_search

    class InterruptSecondTrial(Reporter):
        def trial_begin(self, number, trial_id):
            self.number = number

        def epoch_end(self, epoch, logs):
            if self.number == 2:
                raise KeyboardInterrupt

    out = tmp_path / "run"
    request = SearchRequest(airline_csv, tiny_space, out, columns={"target": ("Passengers",), "time_col": "Date"})
    with pytest.raises(SearchInterrupted):
        run_search(plan_search(request), InterruptSecondTrial())

    assert read_json(out / "run.json")["status"] == "interrupted"
    records = {r["trial_id"]: r for r in map(read_json, (out / "history").glob("trial_*.json"))}
    assert sorted(r["status"] for r in records.values()) == ["completed", "interrupted"]
    first = next(r for r in records.values() if r["status"] == "completed")
    report = cli("report", out)
    assert report.exit_code == 0 and "interrupted" in report.stdout

    resumed = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        tiny_space,
        "--out",
        out,
        "--resume",
    )
    assert resumed.exit_code == 0, resumed.stderr
    manifest = read_json(out / "run.json")
    assert manifest["status"] == "completed" and manifest["trials"]["completed"] == 2
    assert read_json(out / "history" / f"trial_{first['trial_id']}.json") == first  # kept, not re-run

    more = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        tiny_space,
        "--out",
        out,
        "--resume",
        "--max-trials",
        "3",
    )
    assert more.exit_code == 0, more.stderr
    assert len(pd.read_csv(out / "trials.csv")) == 3
    # Growing the budget further keeps the random start chosen for the first budget.
    grown = plan_search(
        SearchRequest(
            airline_csv,
            tiny_space,
            out,
            columns={"target": ("Passengers",), "time_col": "Date"},
            search_flags={"max_trials": 40},
            resume=True,
        )
    )
    assert grown.search.initial_points == 2

    changed = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--space",
        tiny_space,
        "--out",
        out,
        "--resume",
        "--transform",
        "none",
        "--time-col",
        "Date",
    )
    assert changed.exit_code == 2 and "--transform changed (was diff, now none)" in changed.stderr


def test_non_finite_trials_fail_and_rank_last(cli, airline_csv, write_file, tmp_path):
    space = write_file(
        "explode.yaml",
        TINY_SPACE.replace(
            "learning_rate: 0.01", "learning_rate: {choice: [0.01, 10.0]}\n  optimizer: rmsprop\n  dense_units: 64"
        )
        .replace("units: {int: [2, 4], step: 2}", "units: 4")
        .replace("dropout: {float: [0.0, 0.2]}", "dropout: 0")
        .replace("kernel_l2: {float: [1e-5, 1e-3], log: true}", "kernel_l2: 0"),
    )
    out = tmp_path / "run"
    result = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--space",
        space,
        "--out",
        out,
        "--tuner",
        "random",
        "--max-trials",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "trials.csv")
    assert list(table["status"]) == ["completed", "failed"]
    assert table["learning_rate"].tolist() == [0.01, 10.0]
    assert "non-finite" in table["note"][1] or "exploded" in table["note"][1]
    assert math.isnan(table["rank"][1]) and math.isnan(table["score"][1])
    assert read_json(out / "run.json")["trials"]["failed"] == 1
    # Without a time column, each backtest forecast is named by the data row its window ends on.
    every = cli("predict", out, airline_csv, "--all")
    assert every.exit_code == 0, every.stderr
    origins = pd.read_csv(io.StringIO(every.stdout))["origin"]
    from lstmtune.predict import Predictor

    first = Predictor.load(out).encoder.rows_needed  # the rows one window reads (lookback and transform)
    assert origins.iloc[0] == first and origins.iloc[-1] == 144 and (origins.diff().dropna() == 1).all()


def test_multi_target_multi_step(cli, seattle_csv, tiny_space, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "search",
        seattle_csv,
        "--target",
        "temp_max",
        "--target",
        "temp_min",
        "--time-col",
        "date",
        "--features",
        "precipitation,wind",
        "--horizon",
        "3",
        "--space",
        tiny_space,
        "--out",
        out,
        "--max-trials",
        "1",
        "--epochs",
        "1",
        "--tuner",
        "random",
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    manifest = read_json(out / "run.json")
    assert manifest["data"]["inputs"] == ["temp_max", "temp_min", "precipitation", "wind"]
    assert set(manifest["best"]["test"]["by_target"]) == {"temp_max", "temp_min"}
    # Two targets: each in its own units; over both, skill averaged and errors scale-free (never a mean of
    # RMSEs in different units): each target's RMSE over its training rows' root mean square step.
    report = cli("report", out, "--format", "md").stdout
    assert "each target in its own units; all targets: skill averaged, rmse and mae scale-free" in report
    assert "rmse, mae: scale-free over the 2 targets (RMSSE, MASE" in report  # under the trials table too
    best = manifest["best"]["test"]
    frame = pd.read_csv(seattle_csv)
    train_rows = manifest["data"]["splits"]["train"]["rows"]
    steps = frame[["temp_max", "temp_min"]].to_numpy()[train_rows[0] : train_rows[1]]
    rms_step = np.sqrt(np.mean(np.diff(steps, axis=0) ** 2, axis=0))
    by_target = [best["by_target"][name]["rmse"] for name in ("temp_max", "temp_min")]
    assert best["rmse"] == pytest.approx(np.mean(np.divide(by_target, rms_step)), rel=1e-6)
    row = f"| test | best model (trial 0): all targets | {best['rmse']:.4g} | {best['mae']:.4g} | {best['skill']:.4g} |"
    assert row in report, report
    rmse = manifest["best"]["test"]["by_target"]["temp_min"]["rmse"]
    assert f"| test | best model (trial 0): temp_min | {rmse:.4g} |" in report
    import keras

    model = keras.saving.load_model(out / "best_model.keras")
    assert model.output_shape == (None, 3, 2)
    assert model.input_shape == (None, 4, 4)


def test_hyperband(cli, airline_csv, tiny_space, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--space",
        tiny_space,
        "--out",
        out,
        "--tuner",
        "hyperband",
        "--epochs",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "trials.csv")
    assert (table["status"] == "completed").sum() >= 2
    assert not any(column.startswith("tuner/") for column in table.columns)


def test_same_seed_same_trials(cli, airline_csv, tiny_space, tmp_path):
    scores = []
    for name in ("a", "b"):
        result = cli(
            "search",
            airline_csv,
            "--target",
            "Passengers",
            "--space",
            tiny_space,
            "--out",
            tmp_path / name,
            "--max-trials",
            "1",
            "--seed",
            "7",
        )
        assert result.exit_code == 0, result.stderr
        scores.append(pd.read_csv(tmp_path / name / "trials.csv")[["score", "dropout", "kernel_l2"]].to_dict("records"))
    assert scores[0] == scores[1]


def test_predictor_matches_the_search_scoring(airline_run, airline_csv_module, cli, tmp_path):
    """The saved model + preprocessing.json alone reproduce what the search scored, from raw rows."""
    import keras

    from lstmtune.predict import Predictor
    from lstmtune.tasks.forecast.data import ForecastData
    from lstmtune.tasks.forecast.keras_io import predict_original
    from lstmtune.tasks.forecast.reader import DataSpec, load_frame
    from lstmtune.tasks.forecast.settings import ForecastSettings as DataSettings

    out, _ = airline_run
    predictor = Predictor.load(out)
    raw = pd.read_csv(airline_csv_module)
    spec = DataSpec(airline_csv_module, ("Passengers",), "Date", settings=DataSettings(season=12))
    data = ForecastData(load_frame(spec), spec)
    end = int(data.window_ends("test", predictor.encoder.lookback)[5])
    expected = predict_original(
        keras.saving.load_model(out / "best_model.keras"), data, np.array([end]), predictor.encoder.lookback
    )
    got = predictor.predict(raw.iloc[: end + 1])
    assert got["Passengers"].to_numpy() == pytest.approx(expected[0, :, 0], rel=1e-5)

    result = cli("forecast", out, airline_csv_module)
    assert result.exit_code == 0, result.stderr
    printed = pd.read_csv(io.StringIO(result.stdout), index_col="step")
    assert list(printed.index) == [1] and printed["Passengers"][1] == pytest.approx(
        predictor.predict(raw)["Passengers"][1], rel=1e-6
    )
    # Rows out of order are sorted by the run's time column first.
    shuffled = tmp_path / "shuffled.csv"
    raw.sample(frac=1.0, random_state=0).to_csv(shuffled, index=False)
    again = cli("forecast", out, shuffled)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == result.stdout


def test_predict_every_window(airline_run, airline_csv_module, cli):
    """--all forecasts from every window; the last one is the plain forecast, and each window's
    forecast matches the search's own scoring of that window."""
    from lstmtune.predict import Predictor

    out, _ = airline_run
    last = cli("predict", out, airline_csv_module)
    every = cli("predict", out, airline_csv_module, "--all")
    assert last.exit_code == 0 and every.exit_code == 0, every.stderr
    table = pd.read_csv(io.StringIO(every.stdout))
    predictor = Predictor.load(out)
    assert len(table) == 144 - predictor.encoder.rows_needed + 1
    assert table["origin"].iloc[-1] == "1960-12" and list(table["step"].unique()) == [1]
    plain = pd.read_csv(io.StringIO(last.stdout))
    assert table["Passengers"].iloc[-1] == pytest.approx(plain["Passengers"].iloc[0], rel=1e-6)
    manifest = read_json(out / "run.json")
    errors = (
        table.set_index("origin")["Passengers"].shift(1)
        - pd.read_csv(airline_csv_module).set_index("Date")["Passengers"]
    )
    test_rmse = float(np.sqrt(np.mean(errors.iloc[-manifest["best"]["test"]["windows"] :] ** 2)))
    assert test_rmse == pytest.approx(manifest["best"]["test"]["rmse"], rel=1e-5)

    # Each row names the month it forecasts, as the data writes its months, with the truth and the error
    # where the data has it; stderr sums the errors up per step.
    assert list(plain.columns) == ["step", "Date", "Passengers"] and plain["Date"].iloc[0] == "1961-01"
    assert table["Date"].iloc[-2] == "1960-12" and table["Passengers_truth"].iloc[-2] == 432
    assert table["Passengers_error"].iloc[-2] == pytest.approx(table["Passengers"].iloc[-2] - 432)
    assert pd.isna(table["Passengers_truth"].iloc[-1])  # January 1961 is not in the data
    every_error = table["Passengers_error"].dropna()
    rmse = float(np.sqrt(np.mean(every_error**2)))
    assert (
        every.stderr.strip()
        == f"backtest step 1: Passengers RMSE {rmse:.4g}, MAE {every_error.abs().mean():.4g} over {len(every_error)} windows"
    )


def _copy_run(airline_run, tmp_path) -> Path:
    import shutil

    out, _ = airline_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    return copy


def test_a_truncated_model_file_is_named_as_damaged(airline_run, airline_csv_module, cli, tmp_path):
    run = _copy_run(airline_run, tmp_path)
    model = run / "best_model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    assert_one_line_error(
        cli("predict", run, airline_csv_module), "best_model.keras", "damaged model file", "truncated"
    )


def test_a_model_holding_code_is_not_loaded(airline_run, airline_csv_module, cli, tmp_path):
    """Keras' safe mode: a Lambda layer's Python code in a .keras file is never run."""
    import keras

    run = _copy_run(airline_run, tmp_path)
    marker = tmp_path / "ran"
    where = str(marker)
    inputs = keras.Input(shape=(4, 1))
    outputs = keras.layers.Lambda(lambda x: (open(where, "w").close(), x * 2)[1])(inputs)
    marker.unlink()  # building the model ran the code once
    keras.Model(inputs, outputs).save(run / "best_model.keras")
    assert_one_line_error(cli("predict", run, airline_csv_module), "best_model.keras", "Python code", "safe mode")
    assert not marker.exists()


@pytest.mark.search
def test_boolean_choices_stay_booleans_and_reference_off_fits_none(cli, airline_csv, write_file, tmp_path):
    """keras-tuner stores a choice of [false, true] as 0 and 1; records, tables, best.yaml and the report
    say true and false. The search runs with --reference off, checked here too."""
    space = write_file(
        "bools.yaml",
        TINY_SPACE.replace("batch_size: 32", "batch_size: 32\n  bidirectional: {choice: [false, true]}"),
    )
    out = tmp_path / "run"
    argv = ["search", airline_csv, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", out]
    result = cli(*argv, "--reference", "off", "--tuner", "random")
    assert result.exit_code == 0, result.stderr
    # --reference off fits no reference model: none in run.json, predictions.csv or the summary.
    manifest = read_json(out / "run.json")
    assert "reference" not in manifest["baselines"] and manifest["search"]["reference"] == "off"
    assert "reference" not in pd.read_csv(out / "predictions.csv").columns
    assert "Best model against naive baselines" in result.stdout and "reference model" not in result.stdout
    rows = json.loads((out / "trials.json").read_text())
    assert {type(row["bidirectional"]) for row in rows} == {bool}
    for path in (out / "history").glob("trial_*.json"):
        assert isinstance(json.loads(path.read_text())["values"]["bidirectional"], bool)
    assert (
        "bidirectional: true" in (out / "best.yaml").read_text()
        or "bidirectional: false" in (out / "best.yaml").read_text()
    )
    values = cli("report", out).stdout.split("Their tuned hyperparameters")[1]
    line = next(line for line in values.splitlines() if "bidirectional" in line)
    assert ("True" in line or "False" in line) and " 1 " not in line and " 0 " not in line
