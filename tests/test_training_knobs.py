"""The regularisation techniques people reach for, as hyperparameters: learning-rate schedules,
augmentation of training batches (never of validation, test or predict), batch normalisation between
LSTM layers and annealed gradient noise. Each changes the built model or the training batches as
documented, runs in real searches of every task, and survives saving, predict and refit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, VOWELS

keras = pytest.importorskip("keras")

SEQUENCES = np.tile(np.arange(10, dtype="float32")[None, :, None], (3, 1, 2))
MASK = np.array([[True] * 10, [True] * 6 + [False] * 4, [True] + [False] * 9])
SEQUENCES = SEQUENCES * MASK[..., None]


def body_values(**overrides):
    from lstmtune.space.specs import COMMON_SPECS

    return {**{name: spec.default for name, spec in COMMON_SPECS.items()}, "units": 4, **overrides}


def augmented(kind: str, strength: float, training: bool = True, copies: int = 1) -> np.ndarray:
    from lstmtune.tasks.augment import TimeAugment

    values, mask = np.tile(SEQUENCES, (copies, 1, 1)), np.tile(MASK, (copies, 1))
    return np.asarray(TimeAugment(kind, strength)(values, mask, training=training))


@pytest.mark.parametrize("kind, strength", [("scale", 0.3), ("slice", 0.3), ("warp", 0.5), ("permute", 3)])
def test_each_time_augmentation_moves_real_steps_only_and_only_while_training(kind, strength):
    # 20 copies of the 3 sequences: a permutation of 3 segments is the identity 1 time in 6 for one
    # sequence, never for 40 at once.
    out = augmented(kind, strength, copies=20)
    several = np.tile(MASK.sum(axis=1) > 1, 20)
    assert not np.allclose(out[several], np.tile(SEQUENCES, (20, 1, 1))[several])  # it did something
    np.testing.assert_array_equal(out[~np.tile(MASK, (20, 1))], 0.0)  # padding stays padding
    np.testing.assert_array_equal(augmented(kind, strength, training=False), SEQUENCES)
    # Drawn afresh for each batch.
    assert not np.array_equal(augmented(kind, strength, copies=20), augmented(kind, strength, copies=20))


def test_what_each_time_augmentation_does_to_a_ramp():
    real = SEQUENCES[1, :6, 0]  # 0 .. 5, then padding
    permuted = augmented("permute", 3)[1, :6, 0]
    assert sorted(permuted) == sorted(real)  # the same steps in segments of 2, reordered
    assert all(abs(permuted[i + 1] - permuted[i]) == 1 for i in (0, 2, 4))  # each segment kept whole
    sliced = augmented("slice", 0.4)[1, :6, 0]
    assert np.all(np.diff(sliced) > 0) and sliced[-1] - sliced[0] == pytest.approx(0.6 * 5, rel=1e-5)
    warped = augmented("warp", 0.5)[1, :6, 0]
    assert np.all(np.diff(warped) >= 0) and (warped[0], warped[-1]) == pytest.approx((0.0, 5.0), abs=1e-4)
    scaled = augmented("scale", 0.3)[0, 1:]
    ratios = scaled / SEQUENCES[0, 1:]
    assert np.allclose(ratios, ratios[0], rtol=1e-5)  # one factor per sequence and channel


def test_token_dropout_masks_words_and_replacement_draws_words_of_the_vocabulary():
    from lstmtune.tasks.augment import TokenAugment

    tokens = np.array([[5, 6, 7, 8, 0, 0]] * 200, dtype="int32")
    dropped = np.asarray(TokenAugment("drop", 0.5)(tokens, training=True))
    assert set(np.unique(dropped)) <= {0, 5, 6, 7, 8} and 0.4 < (dropped[:, :4] == 0).mean() < 0.6
    np.testing.assert_array_equal(dropped[:, 4:], 0)
    replaced = np.asarray(TokenAugment("replace", 0.5, vocabulary=50)(tokens, training=True))
    changed = replaced[:, :4] != tokens[:, :4]
    assert 0.4 < changed.mean() < 0.6 and replaced[:, :4][changed].min() >= 2 and replaced.max() < 50
    np.testing.assert_array_equal(replaced[:, 4:], 0)  # padding is never a word
    np.testing.assert_array_equal(np.asarray(TokenAugment("drop", 0.5)(tokens, training=False)), tokens)


def test_forecast_magnitude_scaling_scales_inputs_and_targets_alike_afresh_every_epoch():
    """The augment-before-cache bug: a training window must not carry the same factor every epoch."""
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tasks.forecast.keras_io import window_dataset

    plan = plan_search(
        SearchRequest(
            data_path=AIRLINE, columns={"target": "Passengers", "time_col": "Date"}, space_path={"hyperparameters": {}}
        )
    )
    data, side = plan.data, plan.task.keras_side(plan.data)
    ends = data.window_ends("train", 12)
    plain = next(iter(window_dataset(data, ends, 12, 256)))
    scaled = window_dataset(data, ends, 12, 256, seed=3, scale=0.5)
    first, second = next(iter(scaled)), next(iter(scaled))  # two epochs: two iterations
    factors = []
    for (x, y), (x0, y0) in ((first, plain), (second, plain)):
        x, x0, y, y0 = (np.asarray(a).reshape(len(a), -1) for a in (x, x0, y, y0))
        both = (np.abs(x0[:, -1]) > 1e-3) & (np.abs(y0[:, 0]) > 1e-3)
        assert both.sum() > 40
        ratio_x = x[both, -1] / x0[both, -1]
        # One factor per window, on its inputs and its targets alike.
        np.testing.assert_allclose(ratio_x, y[both, 0] / y0[both, 0], rtol=1e-3)
        factors.append(ratio_x)
    assert not np.allclose(factors[0], factors[1])
    values = {"lookback": 12, "augment_scale": 0.5}
    for split in ("val", "test"):  # only shuffled (training) batches are scaled
        a = next(iter(side.dataset(split, values, 256)))
        b = next(iter(side.dataset(split, {**values, "augment_scale": 0.0}, 256)))
        np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))


def test_batch_norm_sits_between_lstm_layers_and_is_not_added_to_a_single_layer():
    from lstmtune.tuning.model import lstm_body

    def names(values):
        inputs = keras.Input(shape=(20, 3))
        return [layer.name for layer in keras.Model(inputs, lstm_body(inputs, values)).layers]

    assert names(body_values(layers=3, batch_norm=True))[1:] == [
        "lstm_1",
        "batch_norm_1",
        "lstm_2",
        "batch_norm_2",
        "lstm_3",
    ]
    assert "batch_norm_1" not in names(body_values(layers=1, batch_norm=True))
    assert "batch_norm_1" not in names(body_values(layers=2))


def test_gradient_noise_is_annealed_as_documented_and_saved_with_the_model(tmp_path):
    from lstmtune.tasks.gradient_noise import NoisyAdam, NoisyRMSprop
    from lstmtune.tuning.model import make_optimizer

    values = body_values(gradient_noise=0.3, optimizer="rmsprop")
    assert isinstance(make_optimizer(values), NoisyRMSprop)
    assert type(make_optimizer(body_values())) is keras.optimizers.Adam  # off: the plain optimizer
    optimizer = make_optimizer(body_values(gradient_noise=0.3))
    weights = keras.Variable(np.zeros((200, 200), "float32"))
    optimizer.build([weights])
    zero = np.zeros((200, 200), "float32")
    for step in (0, 99):
        optimizer.iterations.assign(step)
        noise = np.asarray(optimizer._clip_gradients([zero])[0])
        assert noise.std() == pytest.approx(math.sqrt(0.3 / (1 + step) ** 0.55), rel=0.02)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=make_optimizer(body_values(gradient_noise=0.3)), loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.optimizer, NoisyAdam) and loaded.optimizer.gradient_noise == pytest.approx(0.3)


def learning_rates(schedule: str, epochs: int = 5, **values) -> list[float]:
    from lstmtune.tuning.model import LearningRateLogger, learning_rate_callbacks

    values = {"learning_rate": 1e-6 if schedule == "plateau" else 0.01, "lr_schedule": schedule, **values}
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(values["learning_rate"]), loss="mse")
    x = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")
    callbacks = [LearningRateLogger(), *learning_rate_callbacks(values, 10, "loss", "min", patience=2)]
    history = model.fit(x, x[:, :1], epochs=epochs, verbose=0, callbacks=callbacks)
    return history.history["learning_rate"]


def test_learning_rate_schedules_follow_their_definitions():
    assert learning_rates("constant") == pytest.approx([0.01] * 5)
    assert learning_rates("exponential", lr_decay=0.5) == pytest.approx([0.01 * 0.5**e for e in range(5)])
    cosine = learning_rates("cosine", epochs=10)
    assert cosine[0] == pytest.approx(0.01) and cosine[-1] == pytest.approx(0.0001, rel=1e-3)
    assert np.all(np.diff(cosine) < 0)
    # A learning rate too small to improve the loss: halved after each plateau of patience // 2 = 1 epoch.
    plateau = learning_rates("plateau")
    assert plateau[0] == plateau[1] and plateau[2] == pytest.approx(plateau[1] / 2) and plateau[-1] < plateau[2]


KNOBS = """\
hyperparameters:
  lookback: 12
  layers: 2
  units: 4
  batch_norm: true
  augment_scale: 0.1
  augment_slice: 0.2
  augment_warp: 0.2
  augment_permute: 2
  gradient_noise: 0.01
  lr_schedule: {choice: [exponential, plateau]}
  lr_decay: 0.5
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 2, epochs: 3, patience: 2, tuner: random}
"""


@pytest.mark.search
def test_a_forecast_search_with_every_knob_on_predicts_and_refits_with_its_learning_rates(cli, tmp_path):
    space, out = tmp_path / "knobs.yaml", tmp_path / "run"
    space.write_text(KNOBS)
    result = cli("search", AIRLINE, "--target", "Passengers", "--time-col", "Date", "--space", space, "--out", out)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert set(table["status"]) == {"completed"}
    from lstmtune.predict import load_model

    saved = load_model(out / "best_model.keras")  # safe mode: lstmtune's layers and optimizers are registered
    kinds = [layer.get_config().get("kind") for layer in saved.layers if type(layer).__name__ == "TimeAugment"]
    assert kinds == ["slice", "warp", "permute"] and type(saved.optimizer).__name__ == "NoisyAdam"
    predicted = cli("predict", out, AIRLINE)
    assert predicted.exit_code == 0, predicted.stderr
    refit = cli("refit", out)
    assert refit.exit_code == 0, refit.stderr
    refitted = json.loads((out / "refit" / "refit.json").read_text())
    history = pd.read_csv(out / "history" / f"trial_{refitted['trial_id']}.csv")
    # The refit cannot watch validation (a plateau schedule did): it replays the trial's rates.
    assert refitted["learning_rates"] == pytest.approx(history["learning_rate"][: refitted["epochs"]].tolist())
    if refitted["values"]["lr_schedule"] == "exponential":
        assert history["learning_rate"].tolist() == pytest.approx([0.01, 0.005, 0.0025][: len(history)])


@pytest.mark.search
def test_a_text_search_with_token_augmentation_and_gradient_noise(cli, tmp_path):
    """Embedding gradients are sparse; gradient noise must handle them."""
    space, out = tmp_path / "text.yaml", tmp_path / "run"
    space.write_text(
        "hyperparameters:\n  max_tokens: 300\n  sequence_length: 16\n  embedding_dim: 4\n  units: 4\n"
        "  token_dropout: 0.2\n  token_replace: 0.1\n  gradient_noise: 0.01\n  lr_schedule: cosine\n"
        "search: {max_trials: 1, epochs: 2, patience: 1}\n"
    )
    flags = ("--task", "text", "--text-col", "text", "--target", "category")
    result = cli("search", REVIEWS, *flags, "--space", space, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(out / "trials.csv")["status"].tolist() == ["completed"]
    predicted = cli("predict", out, REVIEWS)
    assert predicted.exit_code == 0, predicted.stderr


@pytest.mark.search
def test_a_sequence_search_augments_variable_length_sequences(cli, tmp_path):
    space, out = tmp_path / "sequence.yaml", tmp_path / "run"
    space.write_text(
        "hyperparameters:\n  units: 4\n  layers: 2\n  batch_norm: true\n  augment_scale: 0.1\n"
        "  augment_slice: 0.1\n  augment_warp: 0.1\n  augment_permute: 2\n  downsample: 2\n"
        "search: {max_trials: 1, epochs: 2, patience: 1}\n"
    )
    flags = ("--task", "sequence", "--id-col", "case_id", "--order-col", "t", "--target", "label")
    result = cli("search", VOWELS, *flags, "--split-col", "split", "--space", space, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(out / "trials.csv")["status"].tolist() == ["completed"]


def test_the_new_knobs_belong_to_the_tasks_they_fit(cli, tmp_path):
    from lstmtune.tasks import hyperparameter_specs

    assert {"token_dropout", "token_replace"} & set(hyperparameter_specs("forecast")) == set()
    assert "augment_warp" not in hyperparameter_specs("text")
    assert "augment_slice" not in hyperparameter_specs("autoencoder")
    for task in ("forecast", "sequence", "text", "autoencoder"):
        assert {"lr_schedule", "lr_decay", "gradient_noise", "batch_norm"} <= set(hyperparameter_specs(task))
    space = tmp_path / "bad.yaml"
    space.write_text("hyperparameters:\n  augment_warp: 0.1\n")
    result = cli("check", "--space", space, "--task", "text")
    assert result.exit_code == 2 and "augment_warp" in result.stderr


def last_above_first(n: int, steps: int, seed: int) -> pd.DataFrame:
    """White noise labelled by whether its last step is above its first: only the order tells."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps))
    frame = pd.DataFrame(x, columns=[f"t{i}" for i in range(steps)])
    frame.insert(0, "label", (x[:, -1] > x[:, 0]).astype(int))
    return frame


SEQUENCE_FLAGS = ("--task", "sequence", "--wide", "--target", "label", "--reference", "off")


def planted_report(cli, data: Path, out: Path, space: str, flags: tuple[str, ...]) -> dict:
    """A one-trial search of `data` with the space text `space`; its report as JSON."""
    space_file = out.parent / f"{out.name}.yaml"
    space_file.write_text(space)
    result = cli("search", data, *flags, "--space", space_file, "--out", out)
    assert result.exit_code == 0, result.stderr
    return json.loads(cli("report", out, "--format", "json").stdout)


@pytest.mark.search
def test_heavy_augmentation_that_destroys_the_signal_is_diagnosed_as_not_learning(cli, tmp_path):
    """Learnt within a few epochs; nothing left to learn once every training sequence's steps are
    shuffled (augment_permute: as many segments as steps). The training loss then stays at its first
    epoch's, which the diagnosis reads, and names the augmentation."""
    data = tmp_path / "order.csv"
    last_above_first(400, 12, 1).to_csv(data, index=False)

    def search(permute: int) -> dict:
        space = (
            f"hyperparameters: {{units: 8, learning_rate: 0.02, batch_size: 16, augment_permute: {permute}}}\n"
            "search: {max_trials: 1, epochs: 12, patience: 3}\n"
        )
        return planted_report(cli, data, tmp_path / f"p{permute}", space, SEQUENCE_FLAGS)

    learnt, shuffled = search(0), search(12)
    assert "not_learning" not in {d["code"] for d in learnt["diagnoses"]} and learnt["trials"][0]["skill"] > 0.3
    reason = next(d["reason"] for d in shuffled["diagnoses"] if d["code"] == "not_learning")
    assert "training loss never fell" in reason and "it trained with augment_permute 12" in reason


def keyword_texts(n: int, seed: int) -> pd.DataFrame:
    """Random words of a 40-word vocabulary, labelled by the one keyword each text holds ("great": 1,
    "awful": 0)."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(40)]
    rows = []
    for _ in range(n):
        words = list(rng.choice(vocabulary, int(rng.integers(5, 10))))
        label = int(rng.random() < 0.5)
        words[int(rng.integers(0, len(words)))] = "great" if label else "awful"
        rows.append((" ".join(words), label))
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.mark.search
def test_token_replacement_that_hides_the_keyword_is_diagnosed_as_not_learning(cli, tmp_path):
    """The keyword is learnt within a few epochs; with 95% of the training tokens replaced by random words
    it is almost never seen, and the diagnosis names token_replace."""
    data = tmp_path / "keywords.csv"
    keyword_texts(400, 0).to_csv(data, index=False)

    def search(replace: float) -> dict:
        space = (
            "hyperparameters: {embedding_dim: 8, units: 8, learning_rate: 0.02, batch_size: 16, "
            f"token_replace: {replace}}}\nsearch: {{max_trials: 1, epochs: 8, patience: 3}}\n"
        )
        flags = ("--task", "text", "--text-col", "text", "--target", "label", "--reference", "off")
        return planted_report(cli, data, tmp_path / f"r{replace}", space, flags)

    learnt, hidden = search(0.0), search(0.95)
    assert "not_learning" not in {d["code"] for d in learnt["diagnoses"]} and learnt["trials"][0]["skill"] > 0.5
    reason = next(d["reason"] for d in hidden["diagnoses"] if d["code"] == "not_learning")
    assert "it trained with token_replace 0.95" in reason


@pytest.mark.search
def test_batch_norm_with_one_batch_an_epoch_makes_validation_jump_and_the_diagnosis_names_it(cli, tmp_path):
    """Two stacked layers, the whole training split in one batch: with batch_norm off validation falls
    smoothly (still improving at 40 epochs); with it on, training falls faster while validation, computed
    with running statistics that trail the weights, jumps up and down: the diagnosis names batch_norm and
    the largest jump."""
    data = tmp_path / "order.csv"
    last_above_first(400, 12, 1).to_csv(data, index=False)

    def search(batch_norm: str) -> dict:
        space = (
            "hyperparameters: {units: 8, layers: 2, learning_rate: 0.03, batch_size: 512, "
            f"batch_norm: {batch_norm}}}\nsearch: {{max_trials: 1, epochs: 40, patience: 40}}\n"
        )
        return planted_report(cli, data, tmp_path / batch_norm, space, SEQUENCE_FLAGS)

    plain, normalised = search("false"), search("true")
    assert not {"overfits", "not_learning"} & {d["code"] for d in plain["diagnoses"]}
    reason = next(d["reason"] for d in normalised["diagnoses"] if d["code"] in ("overfits", "not_learning"))
    assert "it trained with batch_norm" in reason and "from one epoch to the next" in reason
    assert not any("batch_norm" in d["reason"] for d in plain["diagnoses"])


@pytest.mark.search
@pytest.mark.parametrize(
    "knob, named",
    [
        ("gradient_noise: 100.0", "it trained with gradient_noise 100"),
        ("lr_schedule: exponential\n  lr_decay: 0.000001", "lr_schedule exponential, lr_decay 1e-06"),
    ],
)
def test_a_perturbation_or_a_schedule_that_stops_learning_is_named_by_the_diagnosis(cli, tmp_path, knob, named):
    """Airline learns with these settings (skill about 0.26 in 15 epochs); gradient noise of variance 100,
    or a learning rate cut a millionfold after the first epoch, leaves it no better than persistence."""
    space, out = tmp_path / "space.yaml", tmp_path / "run"
    space.write_text(
        f"hyperparameters:\n  lookback: 12\n  units: 8\n  learning_rate: 0.01\n  {knob}\n"
        "search: {max_trials: 1, epochs: 15, patience: 5}\n"
    )
    flags = ("--target", "Passengers", "--time-col", "Date", "--reference", "off")
    result = cli("search", AIRLINE, *flags, "--space", space, "--out", out)
    assert result.exit_code == 0, result.stderr
    report = json.loads(cli("report", out, "--format", "json").stdout)
    reason = next(d["reason"] for d in report["diagnoses"] if d["code"] == "not_learning")
    assert named in reason


def test_shipped_schema_and_starter_document_the_new_knobs(cli):
    result = cli("init", "--task", "forecast")
    assert result.exit_code == 0
    for name in ("lr_schedule", "augment_warp", "batch_norm", "gradient_noise"):
        assert f"# {name}:" in result.stdout
    schema = json.loads(cli("schema", "--task", "text").stdout)
    text = json.dumps(schema)
    assert "token_dropout" in text and "augment_warp" not in text
