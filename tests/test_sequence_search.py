"""Real tiny Keras Tuner searches on sequences: japanese_vowels (long format, variable lengths, split
column), gunpoint (wide format) and a small regression set written by the test."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import GUNPOINT, SEQUENCE_SPACE, VOWELS, assert_one_line_error

pytestmark = pytest.mark.search

VOWEL_FLAGS = [
    "--task",
    "sequence",
    "--id-col",
    "case_id",
    "--order-col",
    "t",
    "--target",
    "label",
    "--split-col",
    "split",
]


def read_json(path: Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def sequence_space(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("space") / "sequence.yaml"
    path.write_text(SEQUENCE_SPACE)
    return path


@pytest.fixture(scope="module")
def vowels_run(tmp_path_factory, sequence_space):
    from typer.testing import CliRunner

    from lstmtune.cli import app

    out = tmp_path_factory.mktemp("vowels") / "run"
    result = CliRunner().invoke(
        app,
        ["search", str(VOWELS), *VOWEL_FLAGS, "--space", str(sequence_space), "--out", str(out), "--ensemble", "2"],
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    return out, result


def test_long_format_run(vowels_run):
    out, result = vowels_run
    manifest = read_json(out / "run.json")
    assert manifest["task"] == "sequence" and manifest["status"] == "completed"
    assert manifest["search"]["objective"]["name"] == "val_cross_entropy"
    data = manifest["data"]
    assert data["problem"] == "classification" and data["labels"] == list(range(1, 10))
    # The TEST split named in the file is the test split; validation was carved from TRAIN.
    raw = pd.read_csv(VOWELS)
    named = raw.groupby("case_id")["split"].first()
    counts = {split: data["splits"][split]["sequences"] for split in ("train", "val", "test")}
    assert counts["train"] + counts["val"] == int((named == "TRAIN").sum())
    assert counts["test"] == int((named == "TEST").sum())
    assert manifest["best"]["test"]["items"] == counts["test"]
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    for row in table.itertuples():
        history = pd.read_csv(out / "history" / f"trial_{row.trial_id}.csv")
        assert row.score == pytest.approx(history["val_cross_entropy"].min())
    assert "Test confusion matrix" in result.stdout


def test_sequence_predict_matches_the_search_scoring(vowels_run, cli, tmp_path):
    """preprocessing.json + the model reproduce the test figures from the raw long-format rows,
    whatever the order of the rows in the file."""
    out, _ = vowels_run
    manifest = read_json(out / "run.json")
    raw = pd.read_csv(VOWELS)
    test_rows = raw[raw["split"] == "TEST"].drop(columns=["label", "split"]).sample(frac=1.0, random_state=1)
    path = tmp_path / "new.csv"
    test_rows.to_csv(path, index=False)
    result = cli("predict", out, path)
    assert result.exit_code == 0, result.stderr
    predicted = pd.read_csv(io.StringIO(result.stdout))
    truth = raw.groupby("case_id")["label"].first()
    assert (
        list(predicted.columns[:2]) == ["id", "label"]
        and len(predicted) == manifest["data"]["splits"]["test"]["sequences"]
    )
    accuracy = np.mean(predicted["label"].to_numpy() == truth.loc[predicted["id"]].to_numpy())
    assert accuracy == pytest.approx(manifest["best"]["test"]["accuracy"])
    probabilities = predicted[[f"p_{k}" for k in range(1, 10)]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_the_ensemble_is_the_mean_of_its_members_in_the_search_and_in_predict(vowels_run, cli, tmp_path):
    from lstmtune.predict import Predictor

    out, result = vowels_run
    manifest = read_json(out / "run.json")
    ensemble = manifest["best"]["ensemble"]
    ranked = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})["trial_id"].tolist()
    assert ensemble["candidates"] == ranked[:2] and ensemble["members"][0] == manifest["best"]["trial_id"]
    assert set(ensemble["members"]) <= set(ranked[:2]) and ensemble["selected_on"] == "val cross_entropy"
    label = "ensemble of 2 of the top 2" if len(ensemble["members"]) == 2 else "the best model alone"
    assert {"accuracy", "cross_entropy"} <= set(ensemble["test"]) and label in " ".join(result.stdout.split())
    saved = sorted(p.name for p in (out / "ensemble").glob("*.keras"))
    assert saved == sorted(f"trial_{t}.keras" for t in ensemble["members"])
    assert "ensemble" in pd.read_csv(out / "predictions.csv").columns
    raw = pd.read_csv(VOWELS)
    path = tmp_path / "new.csv"
    raw[raw["split"] == "TEST"].drop(columns=["label", "split"]).to_csv(path, index=False)
    together = cli("predict", out, path, "--ensemble")
    assert together.exit_code == 0, together.stderr
    mean = pd.read_csv(io.StringIO(together.stdout))
    predictor = Predictor.load(out, ensemble=True)
    columns = [f"p_{k}" for k in range(1, 10)]
    singles = [
        Predictor(model, encoder, "sequence", {}).predict(pd.read_csv(path)) for model, encoder in predictor.members
    ]
    expected = np.mean([single[columns].to_numpy() for single in singles], axis=0)
    np.testing.assert_allclose(mean[columns].to_numpy(), expected, atol=1e-6)
    assert_one_line_error(cli("predict", out, path, "--ensemble", "--all"), "--all applies to forecast runs")


def test_wide_format_run(cli, sequence_space, tmp_path):
    out = tmp_path / "gunpoint"
    result = cli(
        "search",
        GUNPOINT,
        "--task",
        "sequence",
        "--wide",
        "--target",
        "label",
        "--split-col",
        "split",
        "--space",
        sequence_space,
        "--out",
        out,
        "--stride",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    manifest = read_json(out / "run.json")
    assert manifest["data"]["format"] == "wide" and manifest["data"]["labels"] == [1, 2]
    state = read_json(out / "preprocessing.json")
    assert state["task"] == "sequence" and state["stride"] == 2 and state["length"] == 75  # 150 steps, every 2nd
    import keras

    model = keras.saving.load_model(out / "best_model.keras")
    assert sorted(map(tuple, model.input_shape)) == [(None, 75), (None, 75, 1)]  # the mask and the steps
    assert manifest["best"]["test"]["confusion_matrix"] and len(manifest["best"]["test"]["confusion_matrix"]) == 2


def test_sequence_regression(cli, sequence_space, tmp_path):
    """A numeric target with many values is regression: skill over the training mean, RMSE in target units."""
    rng = np.random.default_rng(0)
    rows = []
    for case in range(60):
        length = int(rng.integers(5, 12))
        level = rng.normal()
        for t in range(length):
            rows.append({"case": f"c{case}", "t": t, "x": level + 0.1 * rng.normal(), "y": 100 + 10 * level})
    path = tmp_path / "reg.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp_path / "reg"
    result = cli(
        "search",
        path,
        "--task",
        "sequence",
        "--id-col",
        "case",
        "--order-col",
        "t",
        "--target",
        "y",
        "--space",
        sequence_space,
        "--out",
        out,
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    manifest = read_json(out / "run.json")
    assert manifest["data"]["problem"] == "regression"
    assert manifest["search"]["objective"]["name"] == "val_mse"
    assert set(manifest["baselines"]["test"]) == {"mean"} and manifest["baselines"]["test"]["mean"]["rmse"] > 1
    table = pd.read_csv(out / "trials.csv")
    assert list(table.columns[3:8]) == ["score", "score_sd", "val_rmse", "val_mae", "skill"]
    predicted = cli("predict", out, path)
    assert predicted.exit_code == 0, predicted.stderr
    frame = pd.read_csv(io.StringIO(predicted.stdout))
    assert list(frame.columns) == ["id", "value"] and len(frame) == 60
    assert "training mean" in cli("report", out).stdout


def test_sequence_flags_belong_to_the_task(cli, sequence_space, tmp_path):
    assert_one_line_error(
        cli(
            "search",
            VOWELS,
            "--task",
            "sequence",
            "--wide",
            "--order-col",
            "t",
            "--target",
            "label",
            "--space",
            sequence_space,
            "--out",
            tmp_path / "r",
        ),
        "--order-col",
    )
    assert_one_line_error(
        cli("search", VOWELS, *VOWEL_FLAGS, "--time-col", "t", "--space", sequence_space, "--out", tmp_path / "r"),
        "--time-col applies to --task forecast and autoencoder, not to --task sequence",
    )
    assert not (tmp_path / "r").exists()


def test_resume_refuses_a_dropped_column_flag(vowels_run, cli, sequence_space):
    out, _ = vowels_run
    flags = [f for f in VOWEL_FLAGS if f not in ("--split-col", "split")]
    result = cli("search", VOWELS, *flags, "--space", sequence_space, "--out", out, "--resume")
    assert_one_line_error(result, "--split-col changed (was split, now None)")
