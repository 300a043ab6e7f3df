"""The autoencoder task on the shipped ECG200 beats: real tiny searches, the run directory, predict, the
report's pictures, gate figures, and that test labels never reach training or the choice of a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, assert_one_line_error

ECG = ROOT / "examples" / "data" / "ecg200.csv"
SPACE = """\
hyperparameters:
  units: 4
  latent_units: {int: [2, 4]}
  dropout: {float: [0.0, 0.2]}
  learning_rate: 0.01
  batch_size: 16
search: {max_trials: 2, epochs: 2, patience: 1}
"""
# The first 48 steps of each beat keep the searches small.
FLAGS = ("--task", "autoencoder", "--wide", "--label-col", "label", "--normal", "1", "--split-col", "split")
FLAGS += ("--max-length", "48")


def search(cli, data: Path, space: Path, out: Path, *extra: str):
    result = cli("search", data, "--space", space, "--out", out, "--quiet", *FLAGS, *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads((out / "run.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One search on ECG200 and one on the same file with every test label flipped (1 <-> -1)."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    def cli(*args):
        return CliRunner().invoke(app, [str(a) for a in args])

    root = tmp_path_factory.mktemp("autoencoder")
    space = root / "space.yaml"
    space.write_text(SPACE)
    frame = pd.read_csv(ECG)
    flipped = frame.copy()
    test = flipped["split"] == "test"
    flipped.loc[test, "label"] = -flipped.loc[test, "label"]
    flipped_csv = root / "ecg200_flipped.csv"
    flipped.to_csv(flipped_csv, index=False)
    return {
        "cli": cli,
        "space": space,
        "root": root,
        "run": root / "run",
        "manifest": search(cli, ECG, space, root / "run"),
        "flipped": search(cli, flipped_csv, space, root / "flipped"),
        "flipped_run": root / "flipped",
    }


def test_the_run_reports_reconstruction_and_anomaly_figures_against_the_mean_and_pca(runs):
    manifest = runs["manifest"]
    assert manifest["task"] == "autoencoder"
    data = manifest["data"]
    assert data["splits"]["train"] == {"sequences": 83, "normal": 57}  # anomalous training beats are not trained on
    assert data["splits"]["test"] == {"sequences": 100, "normal": 64}
    assert data["lengths"]["padded_to"] == 48
    best = manifest["best"]
    test = best["test"]
    assert 0.0 <= test["roc_auc"] <= 1.0 and 0.0 <= test["pr_auc"] <= 1.0
    assert test["items"] == 64 and test["recon_mse"] > 0
    matrix = np.asarray(test["confusion_matrix"])
    assert matrix.sum() == 100 and matrix[0].sum() == 64 and matrix[1].sum() == 36
    assert test["threshold"] == pytest.approx(best["val"]["threshold"])
    baseline = manifest["baselines"]["test"]["mean"]
    assert baseline["skill"] == 0.0 and baseline["recon_mse"] > 0
    # The skill is 1 - MSE / the mean's MSE on the same steps.
    assert test["skill"] == pytest.approx(1 - test["recon_mse"] / baseline["recon_mse"])
    reference = manifest["baselines"]["reference"]
    assert reference["name"].startswith("PCA reconstruction (3 components)")  # the middle of latent_units [2, 4]
    assert 0.5 < reference["test"]["roc_auc"] <= 1.0
    predictions = pd.read_csv(runs["run"] / "predictions.csv")
    assert len(predictions) == 100 and set(predictions["truth"]) == {1, -1}
    assert (predictions["flagged"] == (predictions["prediction"] > test["threshold"])).all()
    examples = pd.read_csv(runs["run"] / "reconstructions.csv")
    assert set(examples["label"]) == {1, -1} and examples["step"].max() == 47
    assert set(examples["split"]) == {"val", "test"}  # each class's best and worst rebuilt, on both splits
    for _, split in examples.groupby("split"):
        assert split.groupby("label")["item"].nunique().to_dict() == {-1: 2, 1: 2}


def test_test_labels_reach_neither_training_nor_the_choice(runs):
    """Every test label flipped: the same trials with the same validation scores, the same best trial; only
    the test figures, which read the labels, change."""
    first, flipped = runs["manifest"], runs["flipped"]
    ours = pd.read_csv(runs["run"] / "trials.csv")
    theirs = pd.read_csv(runs["flipped_run"] / "trials.csv")
    assert ours["trial_id"].tolist() == theirs["trial_id"].tolist()
    assert ours["score"].tolist() == theirs["score"].tolist()
    assert first["best"]["trial_id"] == flipped["best"]["trial_id"]
    assert first["best"]["val"] == flipped["best"]["val"]
    assert flipped["best"]["test"]["roc_auc"] != first["best"]["test"]["roc_auc"]


def test_a_worker_plans_the_data_its_search_trained_on(runs):
    """`lstmtune worker` rebuilds the search's data from run.json and the run's space file: the same
    normal-only training split, the same sequences, threshold percentile and length as the search's.
    (Real worker processes: test_workers.py; the autoencoder's trials are not otherwise different.)"""
    from lstmtune.run.layout import RunDir
    from lstmtune.tuning.parallel.worker import worker_plan

    manifest = runs["manifest"]
    data = worker_plan(RunDir(runs["run"]), manifest, None).data
    recorded = manifest["data"]
    assert {
        s: {"sequences": data.info["split_counts"][s], "normal": data.info["normal_counts"][s]} for s in data.index
    } == (recorded["splits"])
    assert data.normal["train"].all() and len(data.normal["train"]) == recorded["splits"]["train"]["normal"] == 57
    assert data.settings.threshold_pct == recorded["settings"]["threshold_pct"] and data.max_length == 48
    assert str(data.settings.normal) == recorded["normal"]


def test_predict_scores_new_sequences_as_the_search_did(runs, tmp_path):
    cli = runs["cli"]
    frame = pd.read_csv(ECG)
    new = tmp_path / "test_beats.csv"
    frame[frame["split"] == "test"].drop(columns=["split", "label"]).to_csv(new, index=False)
    out, rebuilt = tmp_path / "scores.csv", tmp_path / "rebuilt.csv"
    result = cli("predict", runs["run"], new, "--output", out, "--reconstruction", rebuilt)
    assert result.exit_code == 0, result.stderr
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["id", "score", "percentile", "flagged"]
    searched = pd.read_csv(runs["run"] / "predictions.csv")
    np.testing.assert_allclose(scores["score"], searched["prediction"], rtol=1e-4)
    assert (scores["flagged"] == searched["flagged"]).all()
    assert scores["percentile"].between(0, 100).all()
    steps = pd.read_csv(rebuilt)
    assert list(steps.columns) == ["id", "step", "value"] and len(steps) == 100 * 48
    # In original units: near the beats' own values, not the scaled ones.
    assert abs(steps["value"].mean() - frame[[f"t{i}" for i in range(48)]].to_numpy().mean()) < 1.0
    refused = cli("predict", runs["run"], new, "--output", out, "--reconstruction", out)
    assert_one_line_error(refused, "--reconstruction", "is also given to --output")
    refused = cli("predict", runs["run"], new, "--steps", tmp_path / "steps.csv")
    assert_one_line_error(refused, "--steps applies to runs searched on windows of one series (--window)")
    assert not (tmp_path / "steps.csv").exists()


def test_the_report_draws_scores_and_reconstructions_and_gate_reads_the_auc(runs, tmp_path):
    cli = runs["cli"]
    html = tmp_path / "report.html"
    result = cli("report", runs["run"], "--html", html, "--plots", tmp_path / "plots")
    assert result.exit_code == 0, result.stderr
    pictures = {path.stem for path in (tmp_path / "plots").glob("*.png")}
    assert {"scores", "reconstructions", "confusion", "curves"} <= pictures
    page = html.read_text()
    assert "ROC curve" in page and "roc_auc" in page
    rules = ("test.roc_auc > 0.5", "reference.test_roc_auc > 0.5", "test.recon_mse > 0")
    passed = cli("gate", runs["run"], *[part for rule in rules for part in ("--require", rule)])
    assert passed.exit_code == 0, passed.stdout + passed.stderr
    failed = cli("gate", runs["run"], "--require", "test.roc_auc > 1")
    assert failed.exit_code == 3 and "FAIL  test.roc_auc > 1" in failed.stdout


@pytest.mark.parametrize(
    "flags, fragments",
    [
        (("--normal", "1"), ("--normal", "--label-col", "not given")),
        (("--label-col", "label"), ("--label-col 'label' needs --normal",)),
        (
            ("--label-col", "label", "--normal", "2"),
            ("--normal '2' is not a value of --label-col 'label'", "it holds '-1', '1'"),
        ),
        (("--label-col", "nope", "--normal", "1"), ("--label-col", "nope")),
        (("--label-col", "label", "--normal", "1", "--threshold-pct", "120"), ("--threshold-pct", "[50, 100]")),
        (("--label-col", "label", "--normal", "1", "--target", "label"), ("--target applies to --task",)),
    ],
)
def test_bad_autoencoder_flags_are_one_line_errors(cli, flags, fragments):
    result = cli(
        "check", ECG, "--task", "autoencoder", "--wide", "--split-col", "split", "--space", "autoencoder", *flags
    )
    assert_one_line_error(result, *fragments)


def test_autoencoder_flags_are_refused_for_other_tasks(cli):
    result = cli(
        "check", ECG, "--task", "sequence", "--wide", "--target", "label", "--space", "sequence", "--normal", "1"
    )
    assert_one_line_error(result, "--normal applies to --task autoencoder, not to --task sequence")


def test_long_sequences_are_read_as_the_sequence_task_reads_them(cli):
    vowels = ROOT / "tests" / "data" / "japanese_vowels_120.csv"
    flags = ("--id-col", "case_id", "--order-col", "t", "--split-col", "split", "--label-col", "label")
    result = cli("check", vowels, "--task", "autoencoder", "--space", "autoencoder", *flags, "--normal", "1")
    assert result.exit_code == 0, result.stderr
    assert "12 feature columns" in result.stdout and "normal = 'label' 1" in result.stdout


def planted_search(cli, tmp_path: Path, name: str, frame: pd.DataFrame, space: str, *extra: str) -> dict:
    data, space_file, out = tmp_path / f"{name}.csv", tmp_path / f"{name}.yaml", tmp_path / name
    frame.to_csv(data, index=False)
    space_file.write_text(space)
    result = cli("search", data, "--task", "autoencoder", "--wide", "--space", space_file, "--out", out, *extra)
    assert result.exit_code == 0, result.stderr
    report = cli("report", out, "--format", "json")
    assert report.exit_code == 0, report.stderr
    return json.loads(report.stdout)


def codes(report: dict) -> set[str]:
    return {d["code"] for d in report["diagnoses"]}


SMALL = """\
hyperparameters: {units: 8, latent_units: 2, learning_rate: 0.02, batch_size: 16}
search: {max_trials: 1, epochs: 12, patience: 4}
"""


def test_waves_with_their_steps_shuffled_are_not_learning_and_the_waves_themselves_are_learnt(cli, tmp_path):
    """Shuffling each sequence's steps leaves nothing to learn: a bottleneck of 2 numbers then keeps only about
    2 / 24 of the variance by chance, which the diagnosis counts, so the shuffled run is `not_learning`
    although its skill is above the plain 0.02 floor; the same waves in order are learnt."""
    rng = np.random.default_rng(0)
    n, steps = 60, 24
    t = np.arange(steps)
    waves = rng.uniform(0.5, 2, n)[:, None] * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi, n)[:, None])
    waves += 0.05 * rng.standard_normal((n, steps))
    columns = [f"t{i}" for i in range(steps)]
    shuffled = np.array([rng.permutation(row) for row in waves])
    learnt = planted_search(cli, tmp_path, "waves", pd.DataFrame(waves, columns=columns), SMALL)
    noise = planted_search(cli, tmp_path, "shuffled", pd.DataFrame(shuffled, columns=columns), SMALL)
    assert "not_learning" in codes(noise) and "not_learning" not in codes(learnt)
    assert learnt["best"]["val"]["skill"] > 0.2  # the floor: 0.02 + 2 / 24 + 1 / 42 = 0.13
    reason = next(d["reason"] for d in noise["diagnoses"] if d["code"] == "not_learning")
    assert "by chance" in reason


def test_a_large_model_on_a_few_random_walks_overfits(cli, tmp_path):
    rng = np.random.default_rng(1)
    steps = 24
    walks = pd.DataFrame(np.cumsum(rng.standard_normal((80, steps)), axis=1), columns=[f"t{i}" for i in range(steps)])
    walks.insert(0, "split", ["train"] * 6 + ["val"] * 30 + ["test"] * 44)
    big = """\
hyperparameters: {units: 64, latent_units: 16, learning_rate: 0.02, batch_size: 4}
search: {max_trials: 1, epochs: 80, patience: 80}
"""
    report = planted_search(cli, tmp_path, "walks", walks, big, "--split-col", "split")
    assert "overfits" in codes(report), report["diagnoses"]


BLEEDING = ROOT / "examples" / "data" / "internal_bleeding16.csv"
WINDOWS = ("--task", "autoencoder", "--time-col", "timestamp", "--label-col", "is_anomaly", "--normal", "0")
WINDOWS += ("--window", "32", "--window-stride", "8", "--split", "0.16,0.04,0.8")


def test_windows_of_one_series_split_in_time_and_the_reference_finds_the_marked_anomaly(cli, tmp_path):
    """InternalBleeding16: the first 1,200 steps train (the archive's split), one anomaly at steps 4187-4198.
    No window crosses a split; the PCA reference's highest test score lies on the anomaly; predict cuts a
    new series into the same windows, named by the time of their first step."""
    space = tmp_path / "space.yaml"
    space.write_text(SMALL.replace("epochs: 12", "epochs: 1"))
    out = tmp_path / "run"
    result = cli("search", BLEEDING, "--space", space, "--out", out, "--quiet", *WINDOWS)
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "run.json").read_text())["data"]
    # Rows 1-1200 train, 1201-1500 validate: (1200 - 32) // 8 + 1 windows, (300 - 32) // 8 + 1, and the rest.
    assert data["splits"]["train"] == {"sequences": 147, "normal": 147}
    assert data["splits"]["val"]["sequences"] == 34
    assert data["window"]["time_col"] == "timestamp" and data["roles"]["label_col"] == "is_anomaly"
    predictions = pd.read_csv(out / "predictions.csv")
    assert predictions["item"].min() >= 1500  # test windows start in the test rows
    anomalous = predictions[predictions["truth"] == 1]
    assert ((anomalous["item"] + 31 >= 4187) & (anomalous["item"] <= 4198)).all() and len(anomalous) == 6
    top = int(predictions.loc[predictions["reference"].idxmax(), "item"])
    assert top <= 4198 and top + 31 >= 4187, top
    # Per-step scores: every test step once, each model's highest step and its distance to the anomaly.
    steps = pd.read_csv(out / "step_scores.csv")
    assert list(steps.columns) == ["time", "anomalous", "value", "score", "mean", "reference"]
    assert steps["time"].tolist() == list(range(1500, 1500 + len(steps))) and len(steps) == 6000
    assert steps["anomalous"].sum() == 12 and steps.loc[steps["anomalous"], "time"].tolist() == list(range(4187, 4199))
    manifest = json.loads((out / "run.json").read_text())
    ours, theirs = manifest["best"]["test"]["steps"], manifest["baselines"]["reference"]["test"]["steps"]
    assert ours["top"] == str(int(steps.loc[steps["score"].idxmax(), "time"])) and ours["anomalous_steps"] == 12
    assert 0.0 <= ours["roc_auc"] <= 1.0 and isinstance(ours["top_distance"], int)
    assert ours["weighed"] is True and theirs["weighed"] is True  # by position in the window, each its own
    assert theirs["top_distance"] <= 2 and theirs["roc_auc"] > 0.9, theirs
    report = cli("report", out, "--plots", tmp_path / "plots")
    assert report.exit_code == 0 and "Per-step test scores (6000 steps" in report.stdout
    assert "weighed by its position in each window" in report.stdout
    assert (tmp_path / "plots" / "steps.png").stat().st_size > 10_000
    scores = tmp_path / "scores.csv"
    assert cli("predict", out, BLEEDING, "--output", scores).exit_code == 0
    found = pd.read_csv(scores)
    assert len(found) == (7501 - 32) // 8 + 1 and found["id"].iloc[1] == 8
    # The test rows alone are cut into the search's own test windows: predict's step scores are the search's.
    test_rows, step_file = tmp_path / "test_rows.csv", tmp_path / "steps.csv"
    pd.read_csv(BLEEDING).iloc[1500:].drop(columns=["is_anomaly"]).to_csv(test_rows, index=False)
    result = cli("predict", out, test_rows, "--output", scores, "--steps", step_file)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {step_file} (6000 steps scored)" in result.stderr
    predicted = pd.read_csv(step_file)
    assert list(predicted.columns) == ["time", "value", "score", "percentile", "flagged"]
    assert predicted["time"].tolist() == steps["time"].tolist()
    np.testing.assert_allclose(predicted["score"], steps["score"], rtol=1e-4)
    np.testing.assert_allclose(predicted["value"], steps["value"])
    assert predicted["percentile"].between(0, 100).all() and predicted["flagged"].dtype == bool
    # The flag is the validation steps' --threshold-pct (99) percentile: about 1% of normal test steps, and
    # predict says so when it flags far more.
    assert predicted["flagged"].mean() < 0.5
    share = predicted["flagged"].mean()
    assert (f"flags {share:.1%} of these steps, against 1% of those" in result.stderr) == (share >= 0.05)
    shifted = tmp_path / "shifted.csv"
    pd.read_csv(test_rows).assign(value=lambda frame: frame["value"] * 1.5).to_csv(shifted, index=False)
    result = cli("predict", out, shifted, "--output", scores, "--steps", step_file)
    assert result.exit_code == 0 and "of these steps, against 1% of those" in result.stderr, result.stderr
    assert "of these windows, against 1% of those: they score higher" in result.stderr


def test_an_ensemble_of_windowed_autoencoders_flags_and_scores_steps_with_its_own_validation(cli, tmp_path):
    """predict --ensemble decodes the members' mean with the ensemble's own validation scores and step
    weights: it flags exactly the test windows the search's ensemble figures flagged, and its highest step
    is theirs."""
    space = tmp_path / "space.yaml"
    space.write_text(
        "hyperparameters: {units: {choice: [4, 8]}, latent_units: 2, learning_rate: {choice: [0.01, 0.02]}, "
        "batch_size: 16}\nsearch: {max_trials: 3, epochs: 2, patience: 2, tuner: random}\n"
    )
    out = tmp_path / "run"
    result = cli("search", BLEEDING, "--space", space, "--out", out, "--quiet", "--ensemble", "3", *WINDOWS)
    assert result.exit_code == 0, result.stderr
    ensemble = json.loads((out / "run.json").read_text())["best"]["ensemble"]
    assert len(ensemble["members"]) >= 2, ensemble  # the mean of several models, not the best alone
    first = json.loads((out / "ensemble" / "members.json").read_text())["members"][0]["preprocessing"]
    assert first["val_step_weights"] and first["val_scores"]
    assert np.percentile(first["val_scores"], 99) == pytest.approx(ensemble["val"]["threshold"])
    test_rows, scores, step_file = tmp_path / "test_rows.csv", tmp_path / "scores.csv", tmp_path / "steps.csv"
    pd.read_csv(BLEEDING).iloc[1500:].drop(columns=["is_anomaly"]).to_csv(test_rows, index=False)
    result = cli("predict", out, test_rows, "--ensemble", "--output", scores, "--steps", step_file)
    assert result.exit_code == 0, result.stderr
    windows = pd.read_csv(scores)
    assert windows["flagged"].mean() == pytest.approx(ensemble["test"]["flagged_share"])
    steps = pd.read_csv(step_file)
    assert str(int(steps.loc[steps["score"].idxmax(), "time"])) == ensemble["test"]["steps"]["top"]


@pytest.mark.parametrize(
    "flags, fragments",
    [
        (("--window", "32", "--wide"), ("--wide is for files of many sequences",)),
        (("--window", "32", "--id-col", "timestamp"), ("--id-col is for files of many sequences",)),
        (("--time-col", "timestamp"), ("--time-col", "needs --window W")),
        (("--window", "400", "--split", "0.16,0.04,0.8"), ("the val split holds 300 rows", "window of 400 steps")),
        (
            (
                "--window",
                "1",
            ),
            ("--window", "integer >= 2"),
        ),
        (("--window", "32", "--time-col", "value", "--features", "timestamp"), ("--time-col 'value' must not repeat",)),
    ],
)
def test_bad_window_flags_are_one_line_errors(cli, flags, fragments):
    result = cli("check", BLEEDING, "--task", "autoencoder", "--space", "autoencoder", *flags)
    assert_one_line_error(result, *fragments)


def test_an_interrupted_search_resumes_and_keeps_its_finished_trials(cli, tmp_path, monkeypatch):
    """Interrupted in its second trial (as Ctrl-C would), then --resume: the finished trial is kept as it
    was and the run completes its budget. (Killed searches: test_kill_resume.py, on every task's path.)"""
    from lstmtune.tuning.hypermodel import LstmHyperModel

    fit, fits = LstmHyperModel.fit, []

    def interrupted_in_the_second_trial(self, *args, **kwargs):
        fits.append(1)
        if len(fits) == 2:
            raise KeyboardInterrupt
        return fit(self, *args, **kwargs)

    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    out = tmp_path / "run"
    argv = ["search", str(ECG), "--space", str(space), "--out", str(out), "--quiet", *FLAGS]
    monkeypatch.setattr(LstmHyperModel, "fit", interrupted_in_the_second_trial)
    result = cli(*argv)
    assert result.exit_code == 130, result.stderr
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    first = json.loads((out / "history" / "trial_0.json").read_text())
    assert first["status"] == "completed"
    monkeypatch.undo()
    result = cli(*argv, "--resume")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == 2 and (table["status"] == "completed").all()
    kept = table[table["trial_id"].astype(str) == "0"].iloc[0]
    assert kept["score"] == pytest.approx(first["metrics"]["val_recon_mse"])
    assert json.loads((out / "history" / "trial_0.json").read_text()) == first  # kept, not trained again
    assert json.loads((out / "run.json").read_text())["best"]["test"]["roc_auc"] > 0


def test_a_threshold_that_flags_far_more_than_on_validation_is_noted():
    from lstmtune.tasks.autoencoder.scores import excess_flags

    flags = np.zeros(100, dtype=bool)
    assert excess_flags(flags, 99.0, "steps") is None
    flags[:4] = True  # 4 %: within what noise gives around 1 %
    assert excess_flags(flags, 99.0, "steps") is None
    flags[:12] = True
    note = excess_flags(flags, 99.0, "steps")
    assert note and "flags 12.0% of these steps, against 1% of those" in note
    assert excess_flags(flags[:10], 99.0, "steps") is None  # too few to say
    # At --threshold-pct 95 (5 % expected) a note from three times that on: 4 of 30 (13 %) no, 6 of 30 yes.
    assert excess_flags(np.arange(30) < 4, 95.0, "windows") is None
    assert "flags 20.0% of these windows, against 5% of those" in str(excess_flags(np.arange(30) < 6, 95.0, "windows"))


def test_a_step_score_is_its_error_averaged_over_the_windows_that_hold_it():
    from lstmtune.tasks.autoencoder.steps import SeriesSteps, step_figures, step_scores

    # Windows of 3 starting at 10, 11 and 13: step 13 is held by the last two windows.
    starts = np.array([10, 11, 13])
    errors = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    positions, found = step_scores(starts, errors)
    assert positions.tolist() == [10, 11, 12, 13, 14, 15]
    assert found.tolist() == [1.0, 3.0, 4.0, 6.5, 8.0, 9.0]  # 11: (2 + 4) / 2; 13: (6 + 7) / 2
    anomalous = np.zeros(20, dtype=bool)
    anomalous[[12, 13]] = True
    series = SeriesSteps([f"t{i}" for i in range(20)], np.zeros((20, 1)), anomalous, {})
    figures = step_figures(series, positions, found)
    assert figures["top"] == "t15" and figures["top_distance"] == 2 and figures["anomalous_steps"] == 2
    assert figures["roc_auc"] == pytest.approx(0.5)  # 4.0 and 6.5 against 1, 3, 8, 9


def test_step_errors_are_weighed_by_their_position_in_the_window_so_edges_do_not_outscore_an_anomaly():
    """Every window rebuilds its first steps worst (errors 10, 4, 2, then 1); step 50 is anomalous (+3 in
    each window holding it). Averaged as they are, the steps that open windows score highest; weighed by
    the normal windows' errors at each position, every normal step scores alike and the anomaly tops."""
    from lstmtune.tasks.autoencoder.steps import position_weights, step_scores

    profile = np.array([10.0, 4.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    starts = np.arange(0, 93, 4)
    normal = np.tile(profile, (len(starts), 1))
    errors = normal.copy()
    held = (starts[:, None] + np.arange(8)[None, :]) == 50
    errors[held] += 3.0
    weights = position_weights(normal)
    assert weights == pytest.approx(profile.mean() / profile)
    positions, plain = step_scores(starts, errors)
    assert positions[np.argmax(plain)] % 4 == 0 and positions[np.argmax(plain)] != 50  # a window's first step
    positions, weighed = step_scores(starts, errors, weights)
    assert positions[np.argmax(weighed)] == 50
    assert np.ptp(np.delete(weighed, 50)) == pytest.approx(0.0)  # every normal step alike
    assert position_weights(np.zeros((3, 8))).tolist() == [1.0] * 8  # a perfect model: nothing to weigh


def test_a_bottleneck_as_wide_as_a_sequence_is_a_warning(cli, tmp_path):
    """48 steps x 1 channel: latent_units up to 64 could copy a beat whole; up to 16 is a bottleneck."""
    wide, narrow = tmp_path / "wide.yaml", tmp_path / "narrow.yaml"
    wide.write_text(SPACE.replace("latent_units: {int: [2, 4]}", "latent_units: {int: [2, 64]}"))
    narrow.write_text(SPACE.replace("latent_units: {int: [2, 4]}", "latent_units: {int: [2, 16]}"))
    result = cli("check", ECG, "--space", wide, *FLAGS)
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stdout.splitlines() if "latent_units reaches 64" in line]
    assert len(warning) == 1 and "(48 steps x 1 channel = 48)" in warning[0], result.stdout
    quiet = cli("check", ECG, "--space", narrow, *FLAGS)
    assert quiet.exit_code == 0 and "latent_units reaches" not in quiet.stdout, quiet.stdout
