"""What TensorFlow keeps of a finished trial is let go: its custom-gradient registrations, which hold
every traced training step and made the per-trial cost grow with the number of trials."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from conftest import AIRLINE, TINY_SPACE

from lstmtune.tuning.release import PREFIX, GradientRegistrations, _registry


def custom_gradients() -> set[str]:
    return {name for name in _registry() or () if name.startswith(PREFIX)}


def fit_a_small_lstm() -> None:
    import keras

    keras.backend.clear_session()
    inputs = keras.Input((6, 1))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(4)(inputs)))
    model.compile("adam", "mse")
    x, y = np.random.rand(64, 6, 1).astype("float32"), np.random.rand(64, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)


def test_each_trained_model_leaves_registrations_that_release_removes():
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    registrations = GradientRegistrations()
    before = custom_gradients()
    fit_a_small_lstm()
    fit_a_small_lstm()
    left = custom_gradients() - before
    assert left, "Keras' training step registers custom gradients (if not, release.py has nothing to do)"
    assert registrations.release() == len(left)
    assert custom_gradients() == before
    gc.collect()


@pytest.mark.search
def test_a_search_leaves_no_trials_registrations_behind(cli, write_file, tmp_path):
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    before = custom_gradients()
    space = write_file("space.yaml", TINY_SPACE)
    argv = ["search", AIRLINE, "--target", "Passengers", "--time-col", "Date", "--space", space]
    result = cli(*argv, "--out", tmp_path / "run", "--reference", "off", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert custom_gradients() <= before
