"""--mixed-precision: layers compute in float16 with float32 weights; outputs, losses, pooling and
augmentation stay float32; the run, its workers, predict and refit all know it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, VOWELS, assert_one_line_error
from test_training_knobs import KNOBS

import lstmtune
from lstmtune.run.atomic import read_json
from lstmtune.run.layout import RunDir

AIRLINE_FLAGS = ("--target", "Passengers", "--time-col", "Date")
FLOAT32_LAYERS = {"TimeAugment", "MaskedPooling", "InputLayer", "Reshape"}  # Reshape: the forecast head's last


def policies(model) -> dict[str, set[str]]:
    """Layer class -> the dtype policies its layers were built with."""
    found: dict[str, set[str]] = {}
    for layer in model.layers:
        found.setdefault(type(layer).__name__, set()).add(layer.dtype_policy.name)
    return found


def assert_mixed(model, output_layer: str) -> None:
    found = policies(model)
    assert found["LSTM"] == {"mixed_float16"}, found
    assert model.get_layer(output_layer).dtype_policy.name == "float32"
    for name in FLOAT32_LAYERS & set(found):
        assert found[name] == {"float32"}, (name, found)
    assert all(str(tensor.dtype) == "float32" for tensor in model.outputs), model.outputs


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    from typer.testing import CliRunner

    from lstmtune.cli import app

    folder = tmp_path_factory.mktemp("mixed")
    space, out = folder / "knobs.yaml", folder / "run"
    space.write_text(KNOBS)
    args = ["search", AIRLINE, *AIRLINE_FLAGS, "--space", space, "--out", out, "--mixed-precision"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr + result.stdout
    return out, space, result


@pytest.mark.search
def test_a_mixed_precision_search_trains_in_float16_and_keeps_outputs_in_float32(mixed_run):
    out, _, result = mixed_run
    assert [line for line in result.stderr.splitlines() if line.startswith("mixed precision:")], result.stderr
    table = pd.read_csv(out / "trials.csv")
    assert set(table["status"]) == {"completed"} and np.isfinite(table["val_rmse"]).all()
    assert read_json(out / "run.json")["search"]["mixed_precision"] is True
    from lstmtune.predict import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading it warns of nothing
        model = load_model(out / "best_model.keras")
    assert_mixed(model, "output")
    assert keras.config.dtype_policy().name == "float32"  # the process's policy is left as it was


@pytest.mark.search
def test_predict_refit_report_and_workers_of_a_mixed_precision_run(mixed_run, cli):
    out, _, _ = mixed_run
    predicted = cli("predict", out, AIRLINE)
    assert predicted.exit_code == 0, predicted.stderr
    forecast = pd.read_csv(pd.io.common.StringIO(predicted.stdout))
    assert np.isfinite(forecast.select_dtypes("number").to_numpy()).all() and "Warning" not in predicted.stderr
    refit = cli("refit", out)
    assert refit.exit_code == 0, refit.stderr
    from lstmtune.predict import load_model

    assert_mixed(load_model(out / "refit" / "model.keras"), "output")
    report = json.loads(cli("report", out, "--format", "json").stdout)
    assert report["device"]["kind"] == "cpu"
    assert "mixed precision (float16 compute)" in cli("report", out).stdout
    from lstmtune.tuning.parallel.worker import worker_plan

    run_dir = RunDir(out)
    assert worker_plan(run_dir, read_json(run_dir.manifest), None).request.mixed_precision is True


def test_resume_must_keep_the_precision_the_run_started_with(mixed_run, cli, tmp_path):
    import shutil

    out, space, _ = mixed_run
    result = cli("search", AIRLINE, *AIRLINE_FLAGS, "--space", space, "--out", out, "--resume")
    assert_one_line_error(result, "--mixed-precision")
    # A run from before the flag existed trained in float32: it resumes in float32 only.
    older = tmp_path / "older"
    shutil.copytree(out, older)
    manifest = read_json(older / "run.json")
    del manifest["search"]["mixed_precision"]
    (older / "run.json").write_text(json.dumps(manifest))
    result = cli("search", AIRLINE, *AIRLINE_FLAGS, "--space", space, "--out", older, "--resume", "--mixed-precision")
    assert_one_line_error(result, "--mixed-precision")


@pytest.mark.search
def test_a_mixed_precision_sequence_search_with_attention_conv_and_augmentation_through_the_api(tmp_path):
    """The sequence model holds every layer of lstmtune's own: masked attention pooling (its -1e9 does not
    fit float16), time augmentation, downsampling, a convolutional branch with batch norm, gradient noise."""
    space = {
        "hyperparameters": {
            "units": 4,
            "layers": 2,
            "batch_norm": True,
            "pooling": "attention",
            "conv_filters": 4,
            "downsample": 2,
            "augment_scale": 0.1,
            "augment_warp": 0.1,
            "gradient_noise": 0.01,
            "activity_l1": 1e-3,  # a penalty on float16 outputs: computed in float32
            "activity_l2": 1e-3,
        },
        "search": {"max_trials": 1, "epochs": 2, "patience": 1},
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = search_vowels(space, tmp_path)
    # Nothing of keras-tuner's bookkeeping reaches the caller (a gap undefined at every epoch is NaN).
    assert not [w for w in caught if "All-NaN" in str(w.message)], [str(w.message) for w in caught]
    table = pd.read_csv(tmp_path / "run" / "trials.csv")
    assert table["status"].tolist() == ["completed"] and np.isfinite(table["val_cross_entropy"]).all()
    from lstmtune.predict import load_model

    model = load_model(tmp_path / "run" / "best_model.keras")
    assert_mixed(model, "output")
    assert {"TimeAugment", "MaskedPooling", "Conv1D"} <= set(policies(model))
    assert run.predictor().predict(pd.read_csv(VOWELS))["label"].notna().all()


ECG = Path(__file__).resolve().parent.parent / "examples" / "data" / "ecg200.csv"
OTHER_TASKS = {
    "text": (
        REVIEWS,
        ("--task", "text", "--text-col", "text", "--target", "category"),
        "max_tokens: 300\n  sequence_length: 16\n  embedding_dim: 8\n  units: 4\n  token_dropout: 0.1\n"
        "  pooling: mean\n  activity_l1: 0.001",
        "output",
    ),
    "autoencoder": (
        ECG,
        ("--task", "autoencoder", "--wide", "--label-col", "label", "--normal", "1", "--split-col", "split"),
        "units: 4\n  latent_units: 2\n  decoder_layers: 2\n  activity_l2: 0.001",
        "reconstruction",
    ),
}


@pytest.mark.search
@pytest.mark.parametrize("task", sorted(OTHER_TASKS))
def test_mixed_precision_texts_and_autoencoders_train_and_predict(cli, tmp_path, task):
    data, flags, values, output = OTHER_TASKS[task]
    space, out = tmp_path / "space.yaml", tmp_path / "run"
    space.write_text(f"hyperparameters:\n  {values}\nsearch: {{max_trials: 1, epochs: 2, patience: 1}}\n")
    result = cli("search", data, *flags, "--space", space, "--out", out, "--mixed-precision")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "trials.csv")
    assert table["status"].tolist() == ["completed"] and np.isfinite(table["score"]).all()
    from lstmtune.predict import load_model

    assert_mixed(load_model(out / "best_model.keras"), output)
    predicted = cli("predict", out, data)
    assert predicted.exit_code == 0, predicted.stderr


def search_vowels(space: dict, tmp_path):
    return lstmtune.search(
        VOWELS,
        space=space,
        out=tmp_path / "run",
        task="sequence",
        id_col="case_id",
        order_col="t",
        target="label",
        split_col="split",
        mixed_precision=True,
        progress=False,
    )


def test_activity_penalties_are_float32_sums_that_do_not_overflow():
    from lstmtune.tasks.layers import activity_regularizer

    outputs = keras.ops.ones((64, 500, 128), dtype="float16") * 4.0
    penalty = activity_regularizer(1e-3, 1e-3)(outputs)
    assert keras.backend.standardize_dtype(penalty.dtype) == "float32" and np.isfinite(float(penalty))
    assert float(penalty) == pytest.approx(64 * 500 * 128 * (1e-3 * 4 + 1e-3 * 16), rel=1e-4)
    assert activity_regularizer(0.0, 0.0) is None


def test_models_are_float32_unless_asked_whatever_the_global_policy(monkeypatch):
    """lstmtune decides the precision: a caller's global policy neither leaks into a trial's model nor
    is lost, even when building fails."""
    from lstmtune.tuning.model import build_model, dtype_policy

    keras.config.set_dtype_policy("mixed_float16")
    try:
        with pytest.raises(RuntimeError):
            with dtype_policy("float32"):
                assert keras.config.dtype_policy().name == "float32"
                raise RuntimeError("building failed")
        assert keras.config.dtype_policy().name == "mixed_float16"

        class Side:
            def inputs(self, values):
                x = keras.Input((3, 1))
                return x, x, None

            def head(self, x, values):
                return keras.layers.Dense(1, name="output", dtype="float32")(x)

            loss, metrics, weighted_metrics = (lambda self: "mse"), (lambda self: []), (lambda self: [])

        values = {
            "units": 2, "layers": 1, "dropout": 0.0, "recurrent_dropout": 0.0, "optimizer": "adam",
            "learning_rate": 0.01, "clipnorm": 0.0, "weight_decay": 0.0,
        }  # fmt: skip
        from lstmtune.space.specs import COMMON_SPECS

        values = {name: spec.default for name, spec in COMMON_SPECS.items()} | values
        plain, mixed = build_model(Side(), values, "plain"), build_model(Side(), values, "mixed", True)
        assert policies(plain)["LSTM"] == {"float32"} and type(plain.optimizer).__name__ != "LossScaleOptimizer"
        assert policies(mixed)["LSTM"] == {"mixed_float16"}
        assert type(mixed.optimizer).__name__ == "LossScaleOptimizer"
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy("float32")
