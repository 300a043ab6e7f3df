"""Classification verdicts on what the search optimises: skill, gap and not_learning on the objective's own
figure (macro-F1 when class weights are on), the caption saying which."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from lstmtune.tasks import scoring
from lstmtune.tasks.text.task import TextTask


def test_the_basis_follows_the_objective_and_class_weights():
    assert scoring.skill_basis("cross_entropy", class_weighted=False) == "cross_entropy"
    assert scoring.skill_basis("cross_entropy", class_weighted=True) == "macro_f1"
    assert scoring.skill_basis("accuracy", class_weighted=True) == "accuracy"
    assert scoring.skill_basis("macro_f1", class_weighted=False) == "macro_f1"


@pytest.mark.parametrize("basis", ["cross_entropy", "accuracy", "macro_f1"])
def test_the_naive_baseline_scores_0_and_a_perfect_model_1_on_every_basis(basis):
    labels = np.array([0, 0, 0, 1, 1, 2, 0, 1])
    prior = scoring.class_prior(labels, 3)
    assert scoring.prior_figures(labels, prior, basis)["skill"] == pytest.approx(0.0)
    perfect = np.eye(3)[labels] * (1 - 3e-7) + 1e-7
    assert scoring.classification_figures(labels, perfect, prior, basis)["skill"] == pytest.approx(1.0, abs=1e-5)


def test_a_class_weighted_model_that_learned_has_positive_skill_on_macro_f1():
    """Probabilities flattened toward the rare classes (as class weights make them): cross-entropy worse
    than the prior's, and yet half the items get their class right."""
    rng = np.random.default_rng(0)
    labels = rng.choice(5, size=400, p=[0.55, 0.2, 0.12, 0.08, 0.05])
    prior = scoring.class_prior(labels, 5)
    probabilities = np.full((400, 5), 0.17)
    right = rng.random(400) < 0.5
    guess = np.where(right, labels, rng.integers(0, 5, 400))
    probabilities[np.arange(400), guess] = 0.32
    on_ce = scoring.classification_figures(labels, probabilities, prior, "cross_entropy")
    on_f1 = scoring.classification_figures(labels, probabilities, prior, "macro_f1")
    assert on_ce["skill"] < 0
    majority_f1 = scoring.prior_figures(labels, prior, "macro_f1")["macro_f1"]
    assert on_f1["skill"] == pytest.approx((on_f1["macro_f1"] - majority_f1) / (1 - majority_f1))
    assert on_f1["skill"] > 0.2


def test_old_runs_keep_the_cross_entropy_caption():
    figures = ("val_accuracy", "val_macro_f1", "val_cross_entropy", "skill")
    task = TextTask()
    assert "cross-entropy" in task.presentation(figures, {}).skill
    assert "macro-F1" in task.presentation(figures, {"skill_basis": "macro_f1"}).skill


def topics_csv(path: Path) -> Path:
    """400 short texts in 5 imbalanced topics (55 % one topic); half name their topic with a keyword,
    the others a random topic's."""
    rng = random.Random(3)
    classes = ["sport", "music", "food", "travel", "tech"]
    filler = [f"w{i}" for i in range(60)]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topic"])
        for _ in range(400):
            topic = rng.choices(classes, [0.55, 0.2, 0.12, 0.08, 0.05])[0]
            named = topic if rng.random() < 0.5 else rng.choice(classes)
            words = rng.sample(filler, 5) + [f"{named}{rng.randrange(6)}"] + rng.sample(filler, 3)
            writer.writerow([" ".join(words), topic])
    return path


SPACE = """\
hyperparameters:
  max_tokens: 500
  sequence_length: 12
  embedding_dim: 16
  units: {int: [8, 16], step: 8}
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 2, epochs: 12, patience: 4}
"""


@pytest.mark.search
def test_class_weighted_macro_f1_search_is_judged_on_macro_f1(cli, write_file, tmp_path):
    """The planted case: with --class-weight auto --objective macro_f1 the model's cross-entropy is worse
    than the prior's, so a skill on cross-entropy said "it has not learned" and flagged not_learning,
    although macro-F1 (what the search ranks on) is far above the majority class's."""
    out = tmp_path / "run"
    argv = ["search", topics_csv(tmp_path / "topics.csv"), "--task", "text", "--text-col", "text"]
    argv += ["--target", "topic", "--class-weight", "auto", "--objective", "macro_f1"]
    result = cli(*argv, "--space", write_file("space.yaml", SPACE), "--out", out, "--reference", "off", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["data"]["skill_basis"] == "macro_f1"
    best = document["best"]["val"]
    prior = document["baselines"]["val"]["prior"]
    assert best["accuracy"] < prior["accuracy"]  # class weights trade majority hits for the others'
    assert best["skill"] == pytest.approx((best["macro_f1"] - prior["macro_f1"]) / (1 - prior["macro_f1"]))
    assert best["skill"] > 0.1 and prior["skill"] == 0
    findings = " ".join(document["findings"])
    assert "has not learned" not in findings and "not_learning" not in findings
    assert "beats always predicting the majority class" in findings and "as expected" in findings
    for trial in document["trials"]:
        assert math.isfinite(trial["gap"]) and trial["gap"] > 0
    assert "skill = (macro-F1 - the majority class's)" in cli("report", out).stdout
    # macro-F1's training twin is logged every epoch beside it, as accuracy's and the loss's are.
    import pandas as pd

    history = pd.read_csv(next((out / "history").glob("trial_*.csv")))
    assert {"macro_f1", "val_macro_f1", "accuracy", "val_accuracy"} <= set(history.columns)
    assert history["macro_f1"].between(0, 1).all()


@pytest.mark.parametrize("n_classes", [2, 4])
def test_the_keras_macro_f1_metric_is_the_scoring_figure(n_classes):
    """Summed over batches, the metric Keras logs (macro_f1, val_macro_f1) equals scoring.macro_f1."""
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    from lstmtune.tasks.heads import MacroF1, classification_targets

    rng = np.random.default_rng(n_classes)
    labels = rng.integers(0, n_classes, 300)
    labels[labels == n_classes - 1] = 0  # a class never true, sometimes predicted
    probabilities = rng.dirichlet(np.ones(n_classes), 300)
    outputs = probabilities[:, 1:] if n_classes == 2 else probabilities
    metric = MacroF1(n_classes)
    targets = classification_targets(labels, n_classes)
    for start in range(0, 300, 64):  # batches, as in an epoch
        metric.update_state(targets[start : start + 64], outputs[start : start + 64].astype("float32"))
    predicted = scoring.as_probabilities(outputs, n_classes).argmax(axis=1)
    expected = scoring.macro_f1(scoring.confusion_matrix(labels, predicted, n_classes))
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0
