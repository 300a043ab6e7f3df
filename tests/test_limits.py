"""What a model can hold: bounds on sizes and floats, configurations too big to train, and trials
whose loss explodes while staying finite."""

from __future__ import annotations

import json

import pytest
from conftest import AIRLINE, TINY_SPACE, assert_one_line_error

from lstmtune.tasks import model_size
from lstmtune.tasks.model_size import ModelShape, too_big, training_bytes, weight_count

BASE = {"units": 32, "layers": 1, "bidirectional": False, "dense_units": 0, "batch_size": 32}


@pytest.mark.parametrize(
    "hyperparameter, fragments",
    [
        ("units: 200000", ("hyperparameters.units", "1 <= value <= 4096 must hold", "value=200000")),
        ("units: {int: [1, 10000000000]}", ("hyperparameters.units", "1 <= value <= 4096", "hi=10000000000")),
        (
            "learning_rate: {float: [1e-300, 1e300], log: true}",
            ("hyperparameters.learning_rate", "1e-10 <= value <= 10", "lo=1e-300"),
        ),
        ("layers: 100", ("hyperparameters.layers", "1 <= value <= 16")),
        ("batch_size: {choice: [32, 1000000]}", ("hyperparameters.batch_size", "1 <= value <= 65536")),
        ("kernel_l2: 1e30", ("hyperparameters.kernel_l2", "0 <= value <= 1000")),
        ("clipnorm: 1e300", ("hyperparameters.clipnorm", "0 <= value <= 1e+06")),
        ("lookback: 1000000", ("hyperparameters.lookback", "1 <= value <= 100000")),
    ],
)
def test_sizes_and_floats_beyond_what_a_model_holds(cli, write_file, tmp_path, hyperparameter, fragments):
    space = write_file("big.yaml", f"hyperparameters:\n  {hyperparameter}\n")
    result = cli("search", AIRLINE, "--target", "Passengers", "--space", space, "--out", tmp_path / "run")
    assert_one_line_error(result, "big.yaml", *fragments)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "flag, value, fragment",
    [
        ("--max-trials", "100000000000000000000", "in [1, 10000]"),
        ("--epochs", "1000000", "in [1, 100000]"),
        ("--lookback", "999999", "in [1, 100000]"),
    ],
)
def test_flags_beyond_their_bounds(cli, tiny_space, tmp_path, flag, value, fragment):
    result = cli(
        "search", AIRLINE, "--target", "Passengers", "--space", tiny_space, "--out", tmp_path / "run", flag, value
    )
    assert_one_line_error(result, flag, fragment)


def test_weight_count_matches_keras():
    import keras

    from lstmtune.tuning.model import lstm_body

    values = {
        **BASE,
        "units": 5,
        "layers": 2,
        "bidirectional": True,
        "dense_units": 3,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "layer_norm": False,
        "dense_dropout": 0.0,
        **{f"{p}_{k}": 0.0 for p in ("kernel", "recurrent", "bias", "activity") for k in ("l1", "l2")},
    }
    inputs = keras.Input(shape=(7, 4))
    model = keras.Model(inputs, keras.layers.Dense(2, name="output")(lstm_body(inputs, values)))
    assert weight_count(values, ModelShape(steps=7, width=4, outputs=2)) == model.count_params()


def test_a_configuration_too_big_for_the_machine_is_named():
    shape = ModelShape(steps=100, width=3, outputs=1)
    huge = {**BASE, "units": 4096, "layers": 16, "bidirectional": True}
    reason = too_big(huge, shape, limit=8 * 2**30)
    assert reason and "units=4096" in reason and "layers=16" in reason and "8.0 GiB" in reason
    assert too_big(BASE, shape, limit=8 * 2**30) is None
    assert training_bytes({**BASE, "batch_size": 64}, shape) > training_bytes(BASE, shape)


def test_a_space_whose_smallest_model_cannot_be_trained_is_refused(cli, write_file, monkeypatch):
    monkeypatch.setattr(model_size, "memory_limit", lambda: 1000)  # bytes: nothing fits
    space = write_file("space.yaml", TINY_SPACE)
    result = cli("check", AIRLINE, "--target", "Passengers", "--space", space)
    assert_one_line_error(result, "space.yaml", "even the smallest configuration cannot be trained", "units=2")


@pytest.mark.search
def test_a_model_too_big_to_build_is_a_failed_trial(airline_csv, write_file, tmp_path, monkeypatch):
    """Trials whose model would not fit fail with the reason; the others complete and the search ends."""
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tuning.events import Reporter
    from lstmtune.tuning.search import run_search

    values = {**BASE, "batch_size": 32}
    shape = ModelShape(steps=4, width=1, outputs=1)
    small, large = (training_bytes({**values, "units": u}, shape) for u in (2, 64))
    monkeypatch.setattr(model_size, "memory_limit", lambda: (small + large) // 2)
    space = write_file(
        "space.yaml",
        "hyperparameters: {lookback: 4, units: {choice: [2, 64]}, learning_rate: 0.01}\n"
        "search: {max_trials: 4, epochs: 1, patience: 1, tuner: random}\n",
    )
    out = tmp_path / "run"
    request = SearchRequest(airline_csv, space, out, columns={"target": ("Passengers",), "time_col": "Date"})
    run_search(plan_search(request), Reporter())
    records = [json.loads(p.read_text()) for p in sorted((out / "history").glob("trial_*.json"))]
    by_units = {r["values"]["units"]: r for r in records}
    assert by_units[64]["status"] == "failed" and "the model needs at least" in by_units[64]["reason"]
    assert by_units[2]["status"] == "completed"
    assert json.loads((out / "run.json").read_text())["best"]["values"]["units"] == 2


def test_exploding_losses_are_divergence():
    from lstmtune.tuning.model import diverged_at

    assert diverged_at([1.0, 0.5, 0.4]) is None
    assert diverged_at([1.0, 0.5, 600.0]) == 2  # over a thousand times its lowest
    assert diverged_at([3e8]) == 0  # beyond any loss of scaled targets
    assert diverged_at([1.0, float("nan")]) == 1
    assert diverged_at([0.0, 0.0]) is None  # a perfect fit is not an explosion


@pytest.mark.search
def test_a_trial_whose_loss_explodes_from_the_start_fails(cli, write_file, tmp_path):
    space = write_file(
        "hot.yaml",
        "hyperparameters: {lookback: 4, units: 8, dense_units: 64, learning_rate: 10.0, optimizer: rmsprop,"
        " batch_size: 8}\nsearch: {max_trials: 1, epochs: 3, patience: 3, tuner: random}\n",
    )
    result = cli(
        "search",
        AIRLINE,
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        space,
        "--out",
        tmp_path / "run",
        "-q",
    )
    record = json.loads((tmp_path / "run" / "history" / "trial_0.json").read_text())
    assert record["status"] == "failed", record
    assert "exploded" in record["reason"] or "non-finite" in record["reason"]
    assert result.exit_code == 1 and "Traceback" not in result.stderr
