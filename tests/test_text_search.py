"""Real tiny Keras Tuner searches on texts (a rotten_tomatoes sample) through the CLI and the library."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REVIEWS, TEXT_SPACE, assert_one_line_error

pytestmark = pytest.mark.search


def read_json(path: Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def text_space(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("space") / "text.yaml"
    path.write_text(TEXT_SPACE)
    return path


@pytest.fixture(scope="module")
def text_run(tmp_path_factory, text_space):
    """One finished two-trial text search, shared by the tests that only read it."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    out = tmp_path_factory.mktemp("reviews") / "run"
    result = CliRunner().invoke(
        app,
        [
            "search",
            str(REVIEWS),
            "--task",
            "text",
            "--text-col",
            "text",
            "--target",
            "category",
            "--space",
            str(text_space),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    return out, result


def test_text_run_directory(text_run):
    out, result = text_run
    manifest = read_json(out / "run.json")
    assert manifest["schema_version"] == 2 and manifest["task"] == "text" and manifest["status"] == "completed"
    assert manifest["search"]["objective"] == {
        "name": "val_cross_entropy",
        "direction": "min",
        "label": "validation cross-entropy",
    }
    assert manifest["data"]["labels"] == ["fresh", "rotten"]
    assert manifest["data"]["columns"] == {"target": "category", "text_col": "text"}
    counts = manifest["data"]["class_counts"]
    assert sum(sum(split.values()) for split in counts.values()) == 600
    best = manifest["best"]
    matrix = np.array(best["test"]["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == sum(counts["test"].values())
    assert best["test"]["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    # The prior baseline's accuracy is the majority class's share of the split.
    test_counts = counts["test"]
    assert manifest["baselines"]["test"]["prior"]["accuracy"] == pytest.approx(
        max(test_counts.values()) / sum(test_counts.values())
    )
    assert manifest["baselines"]["val"]["prior"]["skill"] == pytest.approx(0.0)
    state = read_json(out / "preprocessing.json")
    assert state["task"] == "text" and state["sequence_length"] == 24 and state["labels"] == ["fresh", "rotten"]
    assert "Test confusion matrix" in result.stdout and "prior" in result.stdout


def test_text_trials_rank_on_cross_entropy(text_run):
    out, _ = text_run
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert list(table.columns[:9]) == [
        "rank",
        "trial_id",
        "status",
        "score",
        "score_sd",
        "val_accuracy",
        "val_macro_f1",
        "val_cross_entropy",
        "skill",
    ]
    assert table["score"].is_monotonic_increasing
    for row in table.itertuples():
        history = pd.read_csv(out / "history" / f"trial_{row.trial_id}.csv")
        assert {"loss", "val_loss", "val_cross_entropy", "val_accuracy"} <= set(history.columns)
        assert row.score == pytest.approx(history["val_cross_entropy"].min())
        # The recomputed validation cross-entropy of the restored best weights matches Keras' metric.
        assert row.val_cross_entropy == pytest.approx(row.score, rel=1e-3)


def test_text_predict_matches_the_search_scoring(text_run, cli, tmp_path):
    """The saved model + preprocessing.json alone reproduce the test accuracy from raw texts."""
    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.predict import Predictor

    out, _ = text_run
    manifest = read_json(out / "run.json")
    plan = plan_search(
        SearchRequest(REVIEWS, out / "space.yaml", task="text", columns={"text_col": "text", "target": "category"})
    )
    texts, truth = plan.data.texts["test"], plan.data.y["test"]
    predicted = Predictor.load(out).predict(pd.DataFrame({"text": texts}))
    labels = manifest["data"]["labels"]
    assert list(predicted.columns) == ["row", "label", "p_fresh", "p_rotten"]
    assert np.allclose(predicted[["p_fresh", "p_rotten"]].sum(axis=1), 1.0)
    accuracy = np.mean(predicted["label"].map(labels.index).to_numpy() == truth)
    assert accuracy == pytest.approx(manifest["best"]["test"]["accuracy"])

    new = tmp_path / "new.csv"
    pd.DataFrame({"text": list(texts[:3])}).to_csv(new, index=False)
    result = cli("predict", out, new)
    assert result.exit_code == 0, result.stderr
    printed = pd.read_csv(io.StringIO(result.stdout))
    assert len(printed) == 3 and set(printed["label"]) <= set(labels)
    assert list(printed.columns) == ["row", "label", "p_fresh", "p_rotten"]  # no index column

    empty = tmp_path / "empty.csv"
    empty.write_text('text\n"a fine film"\n"   "\n')
    skipped = cli("predict", out, empty)  # the empty row gets no prediction and is named
    assert skipped.exit_code == 0 and pd.read_csv(io.StringIO(skipped.stdout))["row"].tolist() == [1]
    assert "skipped 1 row without words (data row 2)" in skipped.stderr
    assert_one_line_error(cli("predict", out, empty, "--strict"), "row 2", "'text'")
    # "NA" and "None" are words in a text, not missing values.
    words = tmp_path / "words.csv"
    words.write_text("text\nNA\nNone\n")
    result = cli("predict", out, words)
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 2
    assert_one_line_error(cli("predict", out, new, "--all"), f"--all applies to forecast runs, but {out} is a text run")


def test_text_report_and_check(text_run, cli, text_space):
    out, _ = text_run
    report = json.loads(cli("report", out, "--format", "json").stdout)
    assert report["task"] == "text" and report["objective"]["direction"] == "min"
    assert any("class prior" in finding or "class shares" in finding for finding in report["findings"])
    markdown = cli("report", out, "--format", "md").stdout
    assert "| split | model | accuracy | macro_f1 | cross_entropy | skill |" in markdown
    checked = cli(
        "check", "--space", text_space, "--task", "text", REVIEWS, "--text-col", "text", "--target", "category"
    )
    assert checked.exit_code == 0, checked.stderr
    assert "valid for --task text" in checked.stdout and "vocabulary" in checked.stdout


def test_text_accuracy_objective_ranks_highest_first(cli, text_space, tmp_path):
    out = tmp_path / "acc"
    result = cli(
        "search",
        REVIEWS,
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "category",
        "--space",
        text_space,
        "--out",
        out,
        "--objective",
        "macro_f1",
        "--class-weight",
        "auto",
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    manifest = read_json(out / "run.json")
    assert manifest["search"]["objective"]["name"] == "val_macro_f1"
    assert manifest["search"]["objective"]["direction"] == "max"
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert table["score"].is_monotonic_decreasing
    for row in table.itertuples():
        history = pd.read_csv(out / "history" / f"trial_{row.trial_id}.csv")
        assert row.score == pytest.approx(history["val_macro_f1"].max())


def test_pretrained_embeddings(cli, write_file, tmp_path):
    """Vectors from a GloVe-style file start the embedding; its width wins over embedding_dim."""
    words = ["the", "film", "a", "movie", "and", "of", "nothingword"]
    rng = np.random.default_rng(0)

    def write_vectors() -> str:
        return "".join(f"{w} {' '.join(f'{v:.4f}' for v in rng.normal(size=5))}\n" for w in words)

    vectors = write_file("vectors.txt", write_vectors())
    space = write_file("emb.yaml", TEXT_SPACE.replace("embedding_dim: 8", "embedding_trainable: false"))
    out = tmp_path / "emb"
    argv = ["search", REVIEWS, "--task", "text", "--text-col", "text", "--target", "category", "--space", space]
    argv += ["--out", out, "--embeddings", vectors]
    result = cli(*argv, "--max-trials", "1")
    assert result.exit_code == 0, result.stderr
    assert "vocabulary words found" in result.stderr
    manifest = read_json(out / "run.json")
    assert manifest["data"]["embeddings"]["found"] == 6 and manifest["data"]["embeddings"]["dim"] == 5

    import keras

    model = keras.saving.load_model(out / "best_model.keras")
    embedding = model.get_layer("embedding")
    assert not embedding.trainable and embedding.get_weights()[0].shape[1] == 5

    # The same file name with other vectors is another search: --resume refuses it.
    vectors.write_text(write_vectors())
    resumed = cli(*argv, "--max-trials", "2", "--resume")
    assert resumed.exit_code == 2
    assert "--embeddings (the file's contents) changed (was " in resumed.stderr


def test_best_yaml_reproduces_the_best_text_score(text_run, cli, tmp_path):
    out, _ = text_run
    command = (out / "best.yaml").read_text().splitlines()[1]
    assert "--task text" in command and "--text-col text" in command
    best_score = pd.read_csv(out / "trials.csv")["score"][0]
    again = tmp_path / "again"
    result = cli(
        "search",
        REVIEWS,
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "category",
        "--space",
        out / "best.yaml",
        "--out",
        again,
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(again / "trials.csv")["score"][0] == pytest.approx(best_score, rel=1e-6)


def test_multi_class_integer_labels(cli, text_space, tmp_path):
    """Three integer classes: a softmax head, labels kept as integers in run.json and in predictions."""
    reviews = pd.read_csv(REVIEWS)
    reviews["stars"] = np.where(reviews["category"] == "fresh", 5, 1)
    reviews.loc[reviews.index % 3 == 0, "stars"] = 3
    path = tmp_path / "stars.csv"
    reviews[["text", "stars"]].to_csv(path, index=False)
    out = tmp_path / "stars"
    result = cli(
        "search",
        path,
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "stars",
        "--space",
        text_space,
        "--out",
        out,
        "-q",
        "--max-trials",
        "1",
    )
    assert result.exit_code == 0, result.stderr
    manifest = read_json(out / "run.json")
    assert manifest["data"]["labels"] == ["1", "3", "5"] and len(manifest["best"]["test"]["confusion_matrix"]) == 3

    import keras

    assert keras.saving.load_model(out / "best_model.keras").output_shape == (None, 3)
    predicted = cli("predict", out, path)
    frame = pd.read_csv(io.StringIO(predicted.stdout))
    assert list(frame.columns) == ["row", "label", "p_1", "p_3", "p_5"] and set(frame["label"]) <= {1, 3, 5}
