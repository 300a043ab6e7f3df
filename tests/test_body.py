"""The shared body's options without a search: pooling over time that ignores padded steps, and the
convolutional front end (beside the LSTM, as LSTM-FCN, or before it); what they cost in memory."""

from __future__ import annotations

import numpy as np
import pytest

from lstmtune.tasks.model_size import ModelShape, weight_count

keras = pytest.importorskip("keras")


def pool(kind: str, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from lstmtune.tasks.layers import MaskedPooling

    layer = MaskedPooling(kind)
    return np.asarray(layer(values.astype("float32"), mask=mask))


SEQUENCES = np.array([[[1.0, -5.0], [3.0, -1.0], [0.0, 0.0]], [[2.0, -2.0], [0.0, 0.0], [0.0, 0.0]]])
MASK = np.array([[True, True, False], [True, False, False]])


def test_mean_and_max_pooling_read_the_real_steps_only():
    np.testing.assert_allclose(pool("mean", SEQUENCES, MASK), [[2.0, -3.0], [2.0, -2.0]])
    np.testing.assert_allclose(pool("max", SEQUENCES, MASK), [[3.0, -1.0], [2.0, -2.0]])  # not the padding's 0
    np.testing.assert_allclose(pool("mean", SEQUENCES, np.ones((2, 3), bool)), SEQUENCES.mean(axis=1), rtol=1e-6)


def test_attention_pooling_weights_real_steps_only_and_sums_them():
    out = pool("attention", SEQUENCES, MASK)
    assert np.allclose(out[1], [2.0, -2.0])  # one real step: all the weight on it
    low, high = SEQUENCES[0, :2].min(axis=0), SEQUENCES[0, :2].max(axis=0)
    assert np.all(out[0] >= low - 1e-6) and np.all(out[0] <= high + 1e-6)  # a weighted mean of real steps


def test_an_unknown_pooling_is_refused():
    from lstmtune.tasks.layers import MaskedPooling

    with pytest.raises(ValueError, match="pooling must be one of mean, max, attention"):
        MaskedPooling("median")


def test_downsampling_averages_real_steps_and_keeps_a_step_real_when_any_of_its_run_is():
    from lstmtune.tasks.layers import Downsample

    values = np.arange(2 * 5 * 2, dtype="float32").reshape(2, 5, 2)
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    pooled, real = Downsample(2)(values, mask)
    pooled, real = np.asarray(pooled), np.asarray(real)
    assert pooled.shape == (2, 3, 2)  # 5 steps in runs of 2: the last run is one step long
    np.testing.assert_allclose(pooled[0], [values[0, :2].mean(0), values[0, 2:4].mean(0), values[0, 4]])
    np.testing.assert_allclose(pooled[1, 1], values[1, 2])  # its run's second step is padding: not in the mean
    np.testing.assert_allclose(pooled[1, 2], 0.0)  # a run of padding only
    assert real.tolist() == [[True, True, True], [True, True, False]]


def test_downsampling_by_one_step_changes_nothing_and_a_bad_factor_is_refused():
    from lstmtune.tasks.layers import Downsample

    pooled, real = Downsample(1)(SEQUENCES.astype("float32"), MASK)
    np.testing.assert_allclose(np.asarray(pooled), SEQUENCES * MASK[..., None])
    assert np.asarray(real).tolist() == MASK.tolist()
    with pytest.raises(ValueError, match="factor must be a whole number above 0, but got 0"):
        Downsample(0)


def body_values(**overrides):
    from lstmtune.space.specs import COMMON_SPECS

    return {**{name: spec.default for name, spec in COMMON_SPECS.items()}, "units": 4, **overrides}


def layer_names(values) -> list[str]:
    from lstmtune.tuning.model import lstm_body

    inputs = keras.Input(shape=(20, 3))
    model = keras.Model(inputs, lstm_body(inputs, values))
    return [layer.name for layer in model.layers]


def test_the_default_body_is_the_lstm_and_its_last_state():
    names = layer_names(body_values())
    assert [n for n in names if not n.startswith("input")] == ["lstm_1"]


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_pooling_follows_the_last_lstm_layer(pooling):
    names = layer_names(body_values(pooling=pooling, layers=2))
    assert names[-3:] == ["lstm_1", "lstm_2", f"{pooling}_pooling"]


def test_convolutions_beside_the_lstm_are_pooled_and_joined_to_it():
    names = layer_names(body_values(conv_filters=8, conv_layers=3, conv_kernel=8))
    assert {"conv_1", "conv_norm_1", "conv_relu_1", "conv_3", "conv_pooling", "lstm_and_convolutions"} <= set(names)


def test_convolutions_before_the_lstm_feed_it():
    from lstmtune.tasks.model_size import conv_kernels
    from lstmtune.tuning.model import lstm_body

    values = body_values(conv_filters=8, conv_layers=3, conv_kernel=8, conv_placement="before")
    inputs = keras.Input(shape=(20, 3))
    model = keras.Model(inputs, lstm_body(inputs, values))
    assert model.get_layer("lstm_1").input.shape[-1] == 8  # the LSTM reads the convolutions' filters
    assert conv_kernels(values) == [8, 5, 3]  # the LSTM-FCN's kernels
    assert "lstm_and_convolutions" not in [layer.name for layer in model.layers]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"conv_filters": 8, "conv_layers": 2, "conv_kernel": 5},
        {"conv_filters": 8, "conv_placement": "before", "conv_layers": 1},
        {"pooling": "attention", "dense_units": 6},
    ],
)
def test_the_memory_estimate_counts_the_weights_keras_builds(overrides):
    from lstmtune.tuning.model import lstm_body

    values = body_values(**overrides)
    inputs = keras.Input(shape=(20, 3))
    x = lstm_body(inputs, values)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    estimate = weight_count(values, ModelShape(steps=20, width=3, outputs=2))
    attention = 4 if values["pooling"] == "attention" else 0  # the scoring vector, left out of the estimate
    assert estimate == model.count_params() - attention
