"""The model a trial's values build, for every task, without a search: LstmHyperModel.build on tiny
planned data, with fixed values. No fit; one batch evaluated at most."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import AIRLINE, REVIEWS, SEQUENCE_SPACE, TEXT_SPACE, TINY_SPACE, VOWELS

TASKS = {
    "forecast": (AIRLINE, TINY_SPACE, {"target": ("Passengers",), "time_col": "Date"}),
    "text": (REVIEWS, TEXT_SPACE, {"text_col": "text", "target": "category"}),
    "sequence": (
        VOWELS,
        SEQUENCE_SPACE,
        {"id_col": "case_id", "order_col": "t", "target": "label", "split_col": "split"},
    ),
}
REGULARISERS = {
    f"{part}_{kind}": value
    for (part, kind), value in zip(
        [(p, k) for p in ("kernel", "recurrent", "bias", "activity") for k in ("l1", "l2")],
        (1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4, 8e-4),
    )
}
# Every knob of the shared LSTM body turned on.
RICH = {
    "layers": 2,
    "units": 6,
    "bidirectional": True,
    "layer_norm": True,
    "dropout": 0.1,
    "recurrent_dropout": 0.2,
    **REGULARISERS,
    "dense_units": 5,
    "dense_dropout": 0.3,
    "optimizer": "adamw",
    "weight_decay": 0.01,
    "clipnorm": 1.0,
    "learning_rate": 0.005,
}
# Every knob off.
PLAIN = {
    "layers": 1,
    "units": 3,
    "bidirectional": False,
    "layer_norm": False,
    "dropout": 0.0,
    "recurrent_dropout": 0.0,
    **dict.fromkeys(REGULARISERS, 0.0),
    "dense_units": 0,
    "dense_dropout": 0.0,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "clipnorm": 0.0,
    "learning_rate": 0.01,
}


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The planned tiny search of each task (data read, split and encoded; no run directory)."""
    from lstmtune.plan import SearchRequest, plan_search

    folder = tmp_path_factory.mktemp("spaces")
    planned = {}
    for task, (data, space, columns) in TASKS.items():
        path = folder / f"{task}.yaml"
        path.write_text(space, encoding="utf-8")
        planned[task] = plan_search(SearchRequest(data_path=Path(data), space_path=path, task=task, columns=columns))
    return planned


def build(plan, values):
    """The model LstmHyperModel builds for `values` (the space's other hyperparameters at their defaults)."""
    import keras_tuner

    from lstmtune.tuning.hypermodel import LstmHyperModel

    side = plan.task.keras_side(plan.data)
    hypermodel = LstmHyperModel(plan.space.with_fixed(values), plan.data, side, plan.task.name, 1, 1, 42)
    hp = keras_tuner.HyperParameters()
    return hypermodel.build(hp), hp.values, side


def lstm_layers(model, values):
    """The LSTM layers of the body, in order (both directions of a bidirectional layer)."""
    if not values["bidirectional"]:
        return [[model.get_layer(f"lstm_{i + 1}")] for i in range(values["layers"])]
    pairs = [model.get_layer(f"bidirectional_{i + 1}") for i in range(values["layers"])]
    return [[pair.forward_layer, pair.backward_layer] for pair in pairs]


def regulariser(layer_regulariser):
    return None if layer_regulariser is None else pytest.approx(layer_regulariser.get_config())


@pytest.mark.parametrize("task", TASKS)
def test_every_knob_of_the_body_reaches_the_model(plans, task):
    import keras

    model, values, _ = build(plans[task], RICH)
    assert {k: values[k] for k in RICH} == RICH
    layers = lstm_layers(model, values)
    assert len(layers) == 2
    for depth, directions in enumerate(layers):
        assert len(directions) == 2  # bidirectional
        for lstm in directions:
            assert isinstance(lstm, keras.layers.LSTM)
            assert lstm.units == 6
            assert lstm.return_sequences == (depth == 0)  # inner layers feed sequences to the next
            assert lstm.dropout == pytest.approx(0.1) and lstm.recurrent_dropout == pytest.approx(0.2)
            for part, regularizer in (
                ("kernel", lstm.kernel_regularizer),
                ("recurrent", lstm.recurrent_regularizer),
                ("bias", lstm.bias_regularizer),
                ("activity", lstm.activity_regularizer),
            ):
                expected = {"l1": values[f"{part}_l1"], "l2": values[f"{part}_l2"]}
                assert regulariser(regularizer) == expected, part
        assert isinstance(model.get_layer(f"layer_norm_{depth + 1}"), keras.layers.LayerNormalization)
    dense = model.get_layer("dense")
    assert dense.units == 5 and dense.activation.__name__ == "relu"
    assert model.get_layer("dense_dropout").rate == pytest.approx(0.3)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert optimizer.weight_decay == pytest.approx(0.01) and optimizer.clipnorm == pytest.approx(1.0)
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.005)


@pytest.mark.parametrize("task", TASKS)
def test_a_plain_body_has_no_extra_layers(plans, task):
    import keras

    model, values, _ = build(plans[task], PLAIN)
    [[lstm]] = lstm_layers(model, values)
    assert lstm.units == 3 and not lstm.return_sequences
    assert lstm.dropout == 0 and lstm.recurrent_dropout == 0
    regularizers = (lstm.kernel_regularizer, lstm.recurrent_regularizer, lstm.bias_regularizer)
    assert regularizers == (None, None, None) and lstm.activity_regularizer is None
    names = {layer.name for layer in model.layers}
    assert not names & {"bidirectional_1", "layer_norm_1", "dense", "dense_dropout", "lstm_2"}
    assert type(model.optimizer) is keras.optimizers.Adam and model.optimizer.clipnorm is None


# The output each task's head gives: a forecast of horizon x targets; one sigmoid unit for the two
# review classes; a softmax over the nine speakers of the vowels.
OUTPUTS = {"forecast": (None, 1, 1), "text": (None, 1), "sequence": (None, 9)}


@pytest.mark.parametrize("task", TASKS)
def test_the_head_and_the_compiled_objective(plans, task):
    """The output shape is the task's, and one evaluated batch logs the objective's metric (the trial's
    score is that metric on the validation split)."""
    plan = plans[task]
    model, values, side = build(plan, PLAIN)
    assert tuple(model.output_shape) == OUTPUTS[task]
    inputs, targets = next(iter(side.dataset("val", values, 8)))
    logs = model.test_on_batch(inputs, targets, return_dict=True)
    assert plan.data.objective.name.removeprefix("val_") in logs, (plan.data.objective.name, sorted(logs))
    assert model.predict_on_batch(inputs).shape[1:] == OUTPUTS[task][1:]


@pytest.mark.parametrize("task", TASKS)
def test_a_configuration_too_big_fails_its_trial_with_the_memory_reason(plans, task, monkeypatch):
    import keras_tuner

    from lstmtune.tasks import model_size

    monkeypatch.setattr(model_size, "memory_limit", lambda: 1000)  # bytes: nothing fits
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="the model needs at least .* units=6, layers=2"):
        build(plans[task], RICH)


def test_downsampling_shortens_the_sequences_the_lstm_reads_and_the_saved_model_loads(plans, tmp_path):
    """downsample: 4 puts the layer between the inputs and the LSTM: 29 padded vowel steps become 8, the
    mask follows, and the model saves and loads in safe mode with the same outputs."""
    from lstmtune.predict import load_model

    plan = plans["sequence"]
    model, values, side = build(plan, {**PLAIN, "downsample": 4})
    steps = plan.data.max_length
    assert model.get_layer("downsample").factor == 4
    assert model.get_layer("lstm_1").input[0].shape[1] == -(-steps // 4)  # (values, mask)
    inputs, _ = next(iter(side.dataset("val", values, 8)))
    model.optimizer.build(model.trainable_variables)  # as the search saves its best model
    model.save(tmp_path / "model.keras")
    loaded = load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict_on_batch(inputs), model.predict_on_batch(inputs), rtol=1e-5)
    plain, _, _ = build(plan, PLAIN)
    assert "downsample" not in {layer.name for layer in plain.layers}
    assert plan.data.model_shape({**values, "downsample": 4}).steps == -(-steps // 4)


def test_declare_registers_the_space_with_keras_tuner(plans):
    import keras_tuner

    from lstmtune.tuning.hypermodel import declare

    plan = plans["forecast"]
    hp = keras_tuner.HyperParameters()
    values = declare(hp, plan.space)
    assert set(values) == set(plan.space.params)
    declared = {p.name: p for p in hp.space}
    units = declared["units"]
    assert isinstance(units, keras_tuner.engine.hyperparameters.Int)
    assert (units.min_value, units.max_value, units.step) == (2, 4, 2)
    kernel_l2 = declared["kernel_l2"]
    assert isinstance(kernel_l2, keras_tuner.engine.hyperparameters.Float) and kernel_l2.sampling == "log"
    assert (kernel_l2.min_value, kernel_l2.max_value) == (pytest.approx(1e-5), pytest.approx(1e-3))
    assert isinstance(declared["lookback"], keras_tuner.engine.hyperparameters.Fixed) and values["lookback"] == 4
