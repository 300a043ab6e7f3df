"""The reference models, fitted for real on the shipped CSVs (statsmodels, scikit-learn, MiniRocket), without
training an LSTM: what each fits, how it is scored, how it is chosen, and how planning checks --reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import AIRLINE, GUNPOINT, REVIEWS, SEATTLE, VOWELS

from lstmtune.errors import OptionError
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tasks.reference import Candidate, Reference, best_on_validation, timed
from lstmtune.tasks.sequence import minirocket


def plan(tmp_path, data, space: str, task: str = "forecast", **fields):
    path = tmp_path / "space.yaml"
    path.write_text(space)
    return plan_search(SearchRequest(data_path=data, space_path=path, task=task, **fields))


FORECAST = "hyperparameters: {lookback: 4}\n"
AIRLINE_COLUMNS = {"target": ("Passengers",), "time_col": "Date"}


# --- forecasting ----------------------------------------------------------------------------------


def test_airline_reference_is_the_seasonal_model_best_on_validation_and_beats_the_naive_forecasts(tmp_path):
    data = plan(tmp_path, AIRLINE, FORECAST, columns=AIRLINE_COLUMNS, data_flags={"season": 12}).data
    reference = data.reference("auto")
    assert reference.failed is None
    model = reference.parameters["Passengers"]["model"]
    assert model in ("sarima", "ets")
    val_rmse = {name: figures["val"]["rmse"] for name, figures in reference.candidates.items()}
    assert all(reference.figures["val"]["rmse"] <= rmse for rmse in val_rmse.values())  # chosen on validation
    assert len(val_rmse) == 3  # SARIMA and ETS, each on levels and logs
    baselines = data.baselines()
    for split in ("val", "test"):
        assert reference.figures[split]["rmse"] < baselines[split]["seasonal"]["rmse"]
        assert reference.figures[split]["rmse"] < baselines[split]["persistence"]["rmse"]
    # Scored on exactly the test windows the LSTM is scored on: one prediction per window.
    assert reference.predictions.shape == (len(data.window_ends("test", 1)), 1)
    assert 0 < reference.seconds < 120


def test_multi_step_forecasts_are_statsmodels_own_dynamic_predictions_from_each_origin(tmp_path):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from lstmtune.tasks.forecast.reference import _sarima

    y = np.log(np.loadtxt(AIRLINE, delimiter=",", skiprows=1, usecols=1))
    a, horizon = 100, 3
    ends = {"test": np.array([110, 120, 130])}
    paths, parameters, name = _sarima(y[:a], y, ends, horizon, 12)
    assert name == "SARIMA(0,1,1)(0,1,1)12" and set(parameters) == {"ma.L1", "ma.S.L12", "sigma2"}
    fitted = SARIMAX(y[:a], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False).apply(y)
    for row, end in enumerate(ends["test"]):
        expected = fitted.predict(start=end + 1, end=end + horizon, dynamic=True)
        np.testing.assert_allclose(paths["test"][row], expected, rtol=1e-9)


def test_ar_recursion_is_the_autoregression_applied_to_the_values_before_each_origin():
    from lstmtune.tasks.forecast.reference import _ar

    rng = np.random.RandomState(0)
    y = np.zeros(400)
    for t in range(2, 400):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.randn()
    ends = {"val": np.array([300, 350])}
    paths, parameters, name = _ar(y[:280], y, ends, 2, None)
    c, (p1, p2) = parameters["constant"], parameters["coefficients"][:2]
    assert name == "AR(2)" and parameters["lags"] == [1, 2]
    for row, end in enumerate(ends["val"]):
        first = c + p1 * y[end] + p2 * y[end - 1]
        second = c + p1 * first + p2 * y[end]
        np.testing.assert_allclose(paths["val"][row], [first, second])


def test_without_a_season_the_reference_is_an_autoregression(tmp_path):
    data = plan(tmp_path, SEATTLE, FORECAST, columns={"target": ("temp_max",), "time_col": "date"}).data
    assert data.reference_choices() == ("ar",)
    reference = data.reference("auto")
    assert reference.failed is None and reference.name.startswith("AR(")
    assert reference.parameters["temp_max"]["transform"] in ("levels", "differences")
    assert "targets only (the other input columns are the LSTM's alone)" in reference.note


@pytest.mark.parametrize(
    "choice, message",
    [
        ("sarima", "--reference sarima needs --season M (a seasonal model); for this data it may be off, auto, ar"),
        ("arima", "--reference must be one of off, auto, sarima, ets, ar for --task forecast, but got 'arima'"),
    ],
)
def test_planning_refuses_a_reference_the_data_cannot_have(tmp_path, choice, message):
    with pytest.raises(OptionError) as raised:
        plan(tmp_path, SEATTLE, FORECAST, columns={"target": ("temp_max",)}, search_flags={"reference": choice})
    assert str(raised.value) == message


def test_a_reference_is_named_like_a_setting_and_checked_without_data_too(tmp_path):
    with pytest.raises(OptionError, match="--reference must be a name"):
        plan(tmp_path, None, FORECAST, search_flags={"reference": "SARIMA (0,1,1)"})
    with pytest.raises(OptionError, match=r"one of off, auto, tfidf for --task text, but got 'minirocket'"):
        plan(tmp_path, None, "hyperparameters: {units: 2}\n", task="text", search_flags={"reference": "minirocket"})
    assert plan(tmp_path, None, FORECAST, search_flags={"reference": "OFF"}).search.reference == "off"


def test_a_fit_that_fails_is_recorded_with_its_reason_not_raised():
    def broken() -> Reference:
        raise np.linalg.LinAlgError("Schur decomposition solver error.")

    reference = timed(broken, "SARIMA")
    assert reference.failed == "LinAlgError: Schur decomposition solver error."
    assert reference.to_json() == {"name": "SARIMA", "seconds": round(reference.seconds, 3), "failed": reference.failed}


def test_the_candidate_best_on_validation_wins_in_the_figures_direction():
    def candidate(name, value):
        return Candidate(name, {}, {"val": {"accuracy": value, "rmse": value}})

    candidates = [candidate("a", 0.5), candidate("b", float("nan")), candidate("c", 0.7)]
    assert best_on_validation(candidates, "rmse").name == "a"
    assert best_on_validation(candidates, "accuracy", maximised=True).name == "c"


# --- text and sequences ----------------------------------------------------------------------------


TEXT = "hyperparameters: {units: 2, sequence_length: 16}\n"
SEQUENCE = "hyperparameters: {units: 2}\n"


@pytest.mark.parametrize("objective", ["cross_entropy", "accuracy"])
def test_text_reference_is_tfidf_and_logistic_regression_chosen_on_the_searchs_objective(tmp_path, objective):
    data = plan(
        tmp_path,
        REVIEWS,
        TEXT,
        task="text",
        columns={"target": "category", "text_col": "text"},
        data_flags={"objective": objective},
    ).data
    reference = data.reference("auto")
    assert reference.failed is None and reference.name.startswith("TF-IDF")
    assert reference.parameters["chosen_on"] == f"validation {objective}"
    for split in ("val", "test"):
        figures = reference.figures[split]
        assert set(figures) >= {"accuracy", "macro_f1", "cross_entropy", "skill"}
        assert figures["items"] == len(data.y[split])
    # Better than guessing the majority class on validation, where C was chosen.
    assert reference.figures["val"]["accuracy"] > data.baselines()["val"]["prior"]["accuracy"]
    assert len(reference.predictions) == len(data.y["test"]) and set(reference.predictions) <= set(data.labels)


def test_sequence_reference_is_minirocket_and_a_linear_model(tmp_path):
    data = plan(
        tmp_path,
        GUNPOINT,
        SEQUENCE,
        task="sequence",
        columns={"target": "label", "split_col": "split"},
        options={"wide": True},
    ).data
    reference = data.reference("minirocket")
    assert reference.failed is None and reference.name == "MiniRocket features + logistic regression"
    assert reference.parameters["features"] == 9996
    assert reference.figures["test"]["accuracy"] > data.baselines()["test"]["prior"]["accuracy"]


def test_sequence_regression_reference_is_a_ridge_regression_in_original_units(tmp_path):
    data = plan(
        tmp_path,
        VOWELS,
        SEQUENCE,
        task="sequence",
        columns={"target": "label", "id_col": "case_id", "order_col": "t", "split_col": "split"},
        data_flags={"problem": "regression"},
    ).data
    reference = data.reference("auto")
    assert reference.failed is None and reference.name == "MiniRocket features + ridge regression"
    assert reference.figures["test"]["rmse"] < data.baselines()["test"]["mean"]["rmse"]


def test_minirocket_features_are_proportions_seeded_and_separate_distinct_shapes():
    rng = np.random.RandomState(0)
    t = np.linspace(0, 6, 60)
    sines = np.sin(t)[None, None, :] + 0.1 * rng.randn(20, 1, 60)
    steps = np.sign(np.sin(t))[None, None, :] + 0.1 * rng.randn(20, 1, 60)
    x = np.concatenate([sines, steps]).astype(np.float32)
    kernels = minirocket.fit(x, features=840, seed=1)
    features = minirocket.transform(x, kernels)
    assert features.shape == (40, kernels.n_features) and kernels.n_features == 840
    assert features.min() >= 0 and features.max() <= 1
    assert np.array_equal(features, minirocket.transform(x, minirocket.fit(x, features=840, seed=1)))
    assert not np.array_equal(kernels.biases, minirocket.fit(x, features=840, seed=2).biases)
    between = np.abs(features[:20].mean(axis=0) - features[20:].mean(axis=0)).max()
    within = np.abs(features[:10].mean(axis=0) - features[10:20].mean(axis=0)).max()
    assert between > 3 * within
    with pytest.raises(ValueError, match="at least 9 steps"):
        minirocket.fit(x[:, :, :8])


# --- the best LSTM against the reference, in the report and the gate (no search) --------------------


def a_run_with_a_reference(
    tmp_path, best_test: float, best_val: float, objective=("val_mse", "min"), theirs=20.0, settings=None, lookback=None
):
    from lstmtune.run import manifest as run_manifest
    from lstmtune.run.atomic import write_json
    from lstmtune.run.layout import RunDir

    run = RunDir(tmp_path / "run")
    classification = objective[0] != "val_mse"
    figure = objective[0].removeprefix("val_") if classification else "rmse"
    figures = ["val_accuracy", "val_macro_f1", "val_cross_entropy", "skill"] if classification else None
    run_manifest.save(
        run,
        {
            "task": "text" if classification else "forecast",
            "status": "completed",
            "search": {
                "objective": {"name": objective[0], "direction": objective[1], "label": objective[0]},
                **({"figures": figures} if figures else {}),
            },
            "hyperparameters": {"names": [] if lookback is None else ["lookback"], "tunable": []},
            **({"data": {"settings": settings}} if settings else {}),
            "baselines": {
                "val": {},
                "test": {},
                "reference": {"name": "SARIMA", "val": {figure: theirs}, "test": {figure: theirs}},
            },
            "best": {"trial_id": "0", "values": {}, "val": {figure: best_val}, "test": {figure: best_test}},
        },
    )
    metrics = {objective[0]: 1.0, f"val_{figure}": best_val}
    values = {} if lookback is None else {"lookback": lookback}
    write_json(run.trial_record("0"), {"trial_id": "0", "status": "completed", "values": values, "metrics": metrics})
    return run


@pytest.mark.parametrize("best_test, words", [(15.0, "beats"), (25.0, "does not beat")])
def test_the_verdict_is_the_test_figure_in_the_objectives_direction(tmp_path, best_test, words):
    from lstmtune.report.gate import figures
    from lstmtune.report.model import build_report

    run = a_run_with_a_reference(tmp_path, best_test=best_test, best_val=18.0)
    report = build_report(run)
    difference = "25% lower" if best_test < 20 else "25% higher"
    assert report.comparison.verdict() == (
        f"The best LSTM {words} the reference model (SARIMA) on test: rmse {best_test:g} against 20 ({difference})."
    )
    assert not any("does better than the best trial" in f for f in report.findings)  # 18 < 20 on validation
    found = figures(run)
    assert found["best.beats_reference"] == float(best_test < 20) and found["reference.test_rmse"] == 20.0


def test_a_reference_better_on_validation_is_a_finding_with_the_tasks_advice(tmp_path):
    from lstmtune.report.model import build_report
    from lstmtune.tasks import get_task

    report = build_report(a_run_with_a_reference(tmp_path, best_test=15.0, best_val=22.0))
    finding = next(f for f in report.findings if f.startswith("The reference model (SARIMA) does better"))
    assert (
        "(rmse 20 against 22)" in finding and get_task("forecast").reference_advice.split(", a lookback")[0] in finding
    )
    assert "a lookback of at least one season" in finding


@pytest.mark.parametrize(
    "settings, lookback, said, not_said",
    [
        ({"season": 12, "transform": "sdiff"}, 12, [], ["--transform sdiff", "lookback"]),
        ({"season": 12, "transform": "diff"}, 12, ["--transform sdiff"], ["lookback"]),
        ({"season": 12, "transform": "sdiff"}, 6, ["a lookback of at least one season (12)"], ["--transform"]),
    ],
)
def test_the_forecast_advice_leaves_out_what_the_run_already_did(tmp_path, settings, lookback, said, not_said):
    from lstmtune.report.model import build_report

    run = a_run_with_a_reference(tmp_path, best_test=15.0, best_val=22.0, settings=settings, lookback=lookback)
    finding = next(f for f in build_report(run).findings if f.startswith("The reference model (SARIMA) does better"))
    assert "search more trials and epochs" in finding
    assert all(words in finding for words in said) and not any(words in finding for words in not_said), finding


def test_accuracy_is_compared_in_points_and_higher_is_better(tmp_path):
    from lstmtune.report.model import build_report

    run = a_run_with_a_reference(tmp_path, best_test=0.9, best_val=0.97, objective=("val_accuracy", "max"), theirs=0.95)
    comparison = build_report(run).comparison
    assert comparison.figure == "accuracy" and comparison.maximised
    assert comparison.beats("val") is True and comparison.beats("test") is False
    assert comparison.difference("test") == "0.05 lower"


def test_a_failed_reference_is_a_finding_and_no_comparison(tmp_path):
    from lstmtune.report.model import build_report
    from lstmtune.run import manifest as run_manifest

    run = a_run_with_a_reference(tmp_path, best_test=15.0, best_val=18.0)
    manifest = dict(run_manifest.load(run))
    manifest["baselines"]["reference"] = {"name": "SARIMA", "failed": "LinAlgError: singular"}
    run_manifest.save(run, manifest)
    report = build_report(run)
    assert report.comparison is None
    assert "No reference model: SARIMA could not be fitted (LinAlgError: singular)." in report.findings


def test_the_text_advice_leaves_out_what_the_run_already_searched():
    import pandas as pd

    from lstmtune.run.manifest import Manifest
    from lstmtune.tasks import get_task

    task = get_task("text")
    plain = Manifest({"data": {"options": {}}})
    searched = pd.DataFrame({"pooling": ["max", "last", "mean"], "bidirectional": [True, True, True]})
    advice = task.advice_against_reference(plain, searched)
    assert "pooling" not in advice and "search bidirectional layers" in advice and "--embeddings" in advice
    with_vectors = Manifest({"data": {"options": {"embeddings": "glove.txt"}}})
    assert "--embeddings" not in task.advice_against_reference(with_vectors, pd.DataFrame({"units": [4]}))
    assert "search pooling over time" in task.advice_against_reference(plain, pd.DataFrame({"units": [4]}))
