"""--executions N: each trial trained N times from different seeds, ranked on the mean, with its spread
in the table and each execution kept (an interrupted trial skips the executions it finished)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, TEXT_SPACE, TINY_SPACE, VOWELS

pytestmark = pytest.mark.search

FORECAST = ("--target", "Passengers", "--time-col", "Date", "--reference", "off")


def search(cli, tmp_path, name: str, *flags: str, space: str = TINY_SPACE, data=AIRLINE, task=FORECAST):
    space_file, out = tmp_path / f"{name}.yaml", tmp_path / name
    space_file.write_text(space)
    result = cli("search", data, *task, "--space", space_file, "--out", out, *flags)
    assert result.exit_code == 0, result.stderr
    return out, result


def record(out, trial_id: str) -> dict:
    return json.loads((out / "history" / f"trial_{trial_id}.json").read_text())


def test_trials_are_ranked_on_the_mean_of_their_executions_and_keep_each_one(cli, tmp_path):
    plain, _ = search(cli, tmp_path, "plain")
    out, result = search(cli, tmp_path, "three", "--executions", "3")
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert "sd" in result.stdout and "means over 3 executions" in " ".join(result.stdout.split())
    for row in table.itertuples():
        runs = record(out, row.trial_id)["executions"]
        assert [run["seed"] for run in runs] == [42, 43, 44] and [run["execution"] for run in runs] == [1, 2, 3]
        scores = [run["metrics"]["val_mse"] for run in runs]
        assert len(set(scores)) == 3  # three seeds, three different fits
        assert row.score == pytest.approx(np.mean(scores)) and row.score_sd == pytest.approx(np.std(scores, ddof=1))
        assert row.skill == pytest.approx(np.mean([run["metrics"]["skill"] for run in runs]))
        # Epochs, curves and the kept model are the first execution's: the trial as without the flag.
        assert row.best_epoch == runs[0]["metrics"]["best_epoch"]
        history = pd.read_csv(out / "history" / f"trial_{row.trial_id}.csv")
        assert history["val_mse"].min() == pytest.approx(scores[0])
        alone = record(plain, row.trial_id)
        assert alone["values"] == record(out, row.trial_id)["values"]  # the same proposals (random tuner's seed)
        assert alone["metrics"]["val_mse"] == pytest.approx(scores[0], rel=1e-5)
    assert pd.read_csv(plain / "trials.csv")["score_sd"].isna().all()  # one execution: no spread
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["search"]["executions"] == 3
    report = json.loads(cli("report", out, "--format", "json").stdout)
    assert report["trials"][0]["score_sd"] == pytest.approx(table["score_sd"].iloc[0])
    html = tmp_path / "page.html"
    assert cli("report", out, "--html", html).exit_code == 0
    page = html.read_text()
    assert "<th>sd</th>" in page and "means over 3 executions; sd: the score&#x27;s standard deviation" in page


def test_an_interrupted_trial_keeps_the_executions_it_finished(cli, tmp_path, monkeypatch):
    """Ctrl-C in trial 0's third execution: its first two stay on disk, and the resumed search trains only
    the third before going on."""
    from lstmtune.tuning.hypermodel import LstmHyperModel

    fit_once, seeds = LstmHyperModel.fit_once, []

    def interrupted_in_the_third_execution(self, *args):
        seeds.append(args[5])  # hp, model, callbacks, epochs, initial_epoch, seed, fold's data...
        if len(seeds) == 3:
            raise KeyboardInterrupt
        return fit_once(self, *args)

    space, out = tmp_path / "space.yaml", tmp_path / "run"
    space.write_text(TINY_SPACE)
    argv = ("search", AIRLINE, *FORECAST, "--space", space, "--out", out, "--quiet", "--executions", "3")
    monkeypatch.setattr(LstmHyperModel, "fit_once", interrupted_in_the_third_execution)
    result = cli(*argv)
    assert result.exit_code == 130, result.stderr
    kept = json.loads((out / "history" / "executions_0.json").read_text())["executions"]
    assert [run["seed"] for run in kept] == [42, 43]
    history = (out / "history" / "trial_0.csv").read_text()
    monkeypatch.undo()

    resumed: list[int] = []

    def counted(self, *args):
        resumed.append(args[5])
        return fit_once(self, *args)

    monkeypatch.setattr(LstmHyperModel, "fit_once", counted)
    result = cli(*argv, "--resume")
    assert result.exit_code == 0, result.stderr
    assert resumed == [44, 42, 43, 44]  # trial 0's third execution, then trial 1's three
    done = record(out, "0")
    assert done["status"] == "completed" and done["executions"][:2] == kept
    assert (out / "history" / "trial_0.csv").read_text() == history  # the first execution's curve, kept
    scores = [run["metrics"]["val_mse"] for run in done["executions"]]
    assert done["metrics"]["val_mse"] == pytest.approx(np.mean(scores))


@pytest.mark.parametrize(
    "name, data, task, space",
    [
        ("text", REVIEWS, ("--task", "text", "--text-col", "text", "--target", "category"), TEXT_SPACE),
        (
            "sequence",
            VOWELS,
            ("--task", "sequence", "--id-col", "case_id", "--order-col", "t", "--target", "label"),
            "hyperparameters: {units: 4}\nsearch: {max_trials: 1, epochs: 1, patience: 1}\n",
        ),
    ],
)
def test_folds_and_executions_run_on_texts_and_sequences(cli, tmp_path, name, data, task, space):
    space = space.replace("max_trials: 2", "max_trials: 1")
    flags = ("--executions", "2", "--folds", "3", "--reference", "off")
    out, _ = search(cli, tmp_path, name, *flags, space=space, data=data, task=task)
    (row,) = pd.read_csv(out / "trials.csv", dtype={"trial_id": str}).itertuples()
    runs = record(out, row.trial_id)["executions"]
    assert [(run["fold"], run["execution"]) for run in runs] == [(3, 1), (3, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert math.isfinite(row.score_sd)


def test_a_changed_number_of_executions_is_refused_on_resume(cli, tmp_path):
    out, _ = search(
        cli, tmp_path, "run", "--executions", "2", space=TINY_SPACE.replace("max_trials: 2", "max_trials: 1")
    )
    space = tmp_path / "run.yaml"
    result = cli("search", AIRLINE, *FORECAST, "--space", space, "--out", out, "--resume", "--executions", "3")
    assert result.exit_code == 2
    assert "--executions changed (was 2, now 3)" in result.stderr


def test_noisy_ranking_compares_the_top_two_fold_by_fold_and_says_how_many_would_separate_them():
    from lstmtune.report.diagnoses import noisy_ranking

    # Differences 0.05, -0.03, 0.10: mean 0.04, sd 0.0656, standard error 0.0379 (> 0.02): noise;
    # 4 * 0.0656^2 / 0.04^2 = 10.75: 11 folds would make the difference twice its standard error.
    reason = noisy_ranking(["3", "7"], [1.05, 0.97, 1.10], [1.0, 1.0, 1.0], "folds")
    assert "trials 3 and 7 differ by 0.04" in reason and "about 11 folds" in reason
    # A shared fold effect cancels out in pairs: the same trials 0.05 apart on every fold are apart.
    assert noisy_ranking(["3", "7"], [1.05, 2.05, 0.55], [1.0, 2.0, 0.5], "folds") is None
    assert noisy_ranking(["3", "7"], [1.0], [1.1], "executions") is None  # one sample: no spread
    assert "no number of executions" in noisy_ranking(["3", "7"], [1.0, 1.1], [1.1, 1.0], "executions")


def airline_plan(**search_flags):
    from lstmtune.plan import SearchRequest, plan_search

    request = SearchRequest(
        data_path=AIRLINE,
        columns={"target": "Passengers", "time_col": "Date"},
        space_path={"hyperparameters": {"lookback": 12}},
        search_flags=search_flags,
    )
    return plan_search(request)


def test_rolling_origin_folds_end_one_validation_block_apart_each_fitted_on_its_own_rows():
    plan = airline_plan()
    data, space = plan.data, plan.space
    length = data.b - data.a
    assert data.fold(3, 3, space) is data  # the last fold is the validation split itself
    for number in (1, 2):
        fold = data.fold(number, 3, space)
        assert (fold.a, fold.b) == (data.a - (3 - number) * length, data.b - (3 - number) * length)
        # Scaled on its own training rows: there they have mean 0 and sd 1 (standard scaling), and the
        # validation block's windows are the ones whose targets lie in it.
        train = fold.inputs[fold.first_row : fold.a, 0]
        assert abs(train.mean()) < 1e-5 and train.std() == pytest.approx(1.0, rel=1e-4)
        assert not np.allclose(fold.inputs[: fold.a], data.inputs[: fold.a])  # not the search's scaler
        ends = fold.window_ends("val", 12)
        assert len(ends) == length and ends.min() + 1 == fold.a
        assert fold.baselines()["val"]["persistence"]["rmse"] != data.baselines()["val"]["persistence"]["rmse"]


def test_folds_that_leave_too_few_training_rows_and_tasks_without_folds_are_refused(cli, tmp_path):
    from lstmtune.errors import DataError

    # 100 training rows, validation 21: fold 1 of 5 keeps 100 - 4 * 21 = 16 >= 1 + 12 + 1; of 6, none.
    assert airline_plan(folds=5).search.folds == 5
    with pytest.raises(
        DataError, match=r"--folds 7 needs 14 training rows .* but only 0 are left; at most 5 folds fit"
    ):
        airline_plan(folds=7)
    space = tmp_path / "autoencoder.yaml"
    space.write_text("hyperparameters: {units: 4}\n")
    ecg = AIRLINE.parent / "ecg200.csv"
    flags = ("--task", "autoencoder", "--wide", "--label-col", "label", "--normal", "1", "--split-col", "split")
    result = cli("search", ecg, *flags, "--space", space, "--out", tmp_path / "run", "--folds", "3")
    assert result.exit_code == 2 and "--folds does not apply to --task autoencoder" in result.stderr


def test_a_cross_validated_search_ranks_trials_on_their_mean_over_folds(cli, tmp_path):
    out, result = search(cli, tmp_path, "folds", "--folds", "3", "--executions", "2")
    caption = " ".join(result.stdout.split())
    assert "means over 3 folds × 2 executions; sd: the score's standard deviation over folds" in caption
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    for row in table.itertuples():
        runs = record(out, row.trial_id)["executions"]
        assert [(run["fold"], run["seed"]) for run in runs] == [(3, 42), (3, 43), (1, 42), (1, 43), (2, 42), (2, 43)]
        by_fold = [np.mean([r["metrics"]["val_mse"] for r in runs if r["fold"] == f]) for f in (1, 2, 3)]
        assert row.score == pytest.approx(np.mean(by_fold)) and row.score_sd == pytest.approx(np.std(by_fold, ddof=1))
    assert json.loads((out / "run.json").read_text())["search"]["folds"] == 3
    page = tmp_path / "page.html"
    assert cli("report", out, "--html", page).exit_code == 0
    assert "seed 42, 3 folds, 2 executions" in page.read_text()
    # The refit trains for the median of the best trial's six fits' best epochs.
    best = json.loads((out / "run.json").read_text())["best"]["trial_id"]
    chosen = [run["metrics"]["best_epoch"] for run in record(out, best)["executions"]]
    assert cli("refit", out).exit_code == 0
    refit = json.loads((out / "refit" / "refit.json").read_text())
    assert refit["epochs"] == int(np.floor(np.median(chosen) + 0.5)), chosen


def test_refit_epochs_are_the_median_of_the_fits_best_epochs():
    from lstmtune.tuning.refit import chosen_epochs

    def fits(*epochs):
        return [{"metrics": {"best_epoch": e}} for e in epochs]

    assert chosen_epochs({"metrics": {"best_epoch": 7.0}}) == 7
    assert chosen_epochs({"metrics": {"best_epoch": 7.0}, "executions": fits(7, 3, 12)}) == 7
    assert chosen_epochs({"metrics": {"best_epoch": 3.0}, "executions": fits(3, 12)}) == 8  # 7.5 rounds up
    assert chosen_epochs({"metrics": {"best_epoch": 4.0}, "executions": fits(4, None, float("nan"))}) == 4
    assert chosen_epochs({"metrics": {}}) is None and chosen_epochs({}) is None


def vowels_plan():
    from lstmtune.plan import SearchRequest, plan_search

    columns = {"target": "label", "id_col": "case_id", "order_col": "t", "split_col": "split"}
    return plan_search(
        SearchRequest(data_path=VOWELS, space_path={"hyperparameters": {}}, task="sequence", columns=columns)
    )


def test_sequence_folds_cut_training_sequences_into_stratified_blocks_each_scaled_on_its_own():
    data = vowels_plan().data
    train, val, test = (set(data.ids[s]) for s in ("train", "val", "test"))
    blocks = []
    for number in (1, 2, 3):
        fold = data.fold(number, 4)
        blocks.append(set(fold.ids["val"]))
        assert set(fold.ids["train"]) == (train | val) - blocks[-1] and set(fold.ids["test"]) == test
        assert set(np.unique(fold.y["val"])) == set(range(9))  # stratified: every class in every block
        x, mask = fold.inputs("train")
        assert abs(x[mask].mean()) < 1e-4  # scaled on the fold's own training sequences
    assert set().union(*blocks) == train and sum(map(len, blocks)) == len(train)  # a partition of train
    assert data.fold(4, 4) is data


def test_text_folds_keep_identical_texts_in_one_block_and_fit_their_own_vocabulary(tmp_path):
    from lstmtune.plan import SearchRequest, plan_search

    frame = pd.read_csv(REVIEWS)
    frame = pd.concat([frame, frame.head(40)], ignore_index=True)  # 40 texts twice
    path = tmp_path / "twice.csv"
    frame.to_csv(path, index=False)
    plan = plan_search(
        SearchRequest(
            data_path=path,
            space_path={"hyperparameters": {"max_tokens": 300}},
            task="text",
            columns={"text_col": "text", "target": "category"},
        )
    )
    data = plan.data
    for number in (1, 2):
        fold = data.fold(number, 3)
        assert not set(fold.texts["val"]) & set(fold.texts["train"])  # no text on both sides
        assert set(fold.texts["test"]) == set(data.texts["test"])
        assert fold.encoder.vocabulary != data.encoder.vocabulary  # from the fold's training texts
        assert fold.sequence_cap == data.sequence_cap


def test_a_trial_s_figures_are_means_over_folds_of_means_over_executions():
    from lstmtune.tuning.executions import combined, schedule

    assert schedule(3, 2) == [(3, 1), (3, 2), (1, 1), (1, 2), (2, 1), (2, 2)]

    def fit(fold, score, best_epoch=4, stopped=0.0):
        metrics = {"val_mse": score, "skill": 1 - score, "best_epoch": best_epoch, "budget_stopped_epoch": stopped}
        return {"fold": fold, "metrics": metrics}

    runs = [fit(2, 1.0, best_epoch=7), fit(2, 3.0, best_epoch=9), fit(1, 4.0, stopped=2.0)]
    out = combined(runs, "val_mse")
    assert out["val_mse"] == pytest.approx(3.0)  # folds 2.0 and 4.0; not the mean of the three fits, 2.67
    assert out["skill"] == pytest.approx(-2.0) and out["score_sd"] == pytest.approx(np.std([2.0, 4.0], ddof=1))
    assert out["best_epoch"] == 7 and out["folds"] == 2 and out["executions"] == 2
    assert out["budget_stopped_epoch"] == 2.0  # the time budget stopped the last fit: the trial's note says so
    one_fold = combined([fit(1, 1.0), fit(1, 2.0), fit(1, 6.0)], "val_mse")
    assert one_fold["val_mse"] == pytest.approx(3.0) and one_fold["score_sd"] == pytest.approx(
        np.std([1, 2, 6], ddof=1)
    )


def test_the_paired_fold_test_prunes_only_a_trial_worse_on_every_fold_so_far():
    from lstmtune.tuning.fold_pruning import worse_p_value

    assert worse_p_value([0.1, 0.2, 0.05, 0.3]) == pytest.approx(1 / 16)  # worse on all 4: the smallest p
    assert worse_p_value([0.1, 0.2, 0.05]) == pytest.approx(1 / 8)  # 3 folds can never reach 0.1
    assert worse_p_value([0.1, -0.2, 0.05, 0.3]) > 0.1  # better on one fold
    assert worse_p_value([0.0, 0.0]) == 1.0


def test_a_cross_validated_trial_worse_than_the_best_on_its_folds_so_far_stops(cli, tmp_path, monkeypatch):
    """With the test's threshold above any p-value every trial after the first stops after its second fold
    (the first fold only checks nothing: one pair): the wiring (which trial, when, its status, note, score
    and the report's count) is real."""
    import lstmtune.tuning.fold_pruning as fold_pruning

    monkeypatch.setattr(fold_pruning, "P_VALUE", 1.01)
    space = TINY_SPACE.replace("max_trials: 2", "max_trials: 3")
    flags = ("--folds", "4", "--prune", "median", "--prune-warmup-trials", "1", "--tuner", "random")
    out, _ = search(cli, tmp_path, "pruned", *flags, space=space)
    table = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    first = record(out, "0")
    assert first["status"] == "completed" and len(first["executions"]) == 4
    assert table.set_index("trial_id")["status"].to_dict() == {"0": "completed", "1": "pruned", "2": "pruned"}
    for trial_id in ("1", "2"):
        done = record(out, trial_id)
        assert [run["fold"] for run in done["executions"]] == [4, 1]
        assert done["note"].startswith("pruned after 2 folds: worse than trial 0 on the same folds")
        row = table[table["trial_id"] == trial_id].iloc[0]
        assert row["score"] == pytest.approx(np.mean([run["metrics"]["val_mse"] for run in done["executions"]]))
    findings = json.loads(cli("report", out, "--format", "json").stdout)["findings"]
    assert any("2 of 3 trials stopped before their last fold" in f and "4 of the run's 12 folds" in f for f in findings)


def test_a_search_killed_between_fold_fits_resumes_without_training_them_again(tmp_path):
    """SIGKILL a real search process once trial 0 has written 2 of its 3 fold fits, then --resume: the
    fits on disk are kept as they were (the first fit's history too), the trial finishes with 3."""
    import os
    import signal
    import subprocess
    import time

    from conftest import ROOT, airline_search

    space, out = tmp_path / "space.yaml", tmp_path / "run"
    space.write_text(TINY_SPACE.replace("max_trials: 2", "max_trials: 1"))
    argv = airline_search(space, out, "--folds", "3", "--reference", "off")
    fits = out / "history" / "executions_0.json"

    def written() -> list:
        try:
            return json.loads(fits.read_text())["executions"]
        except (OSError, ValueError):
            return []

    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(written()) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    kept = written()
    assert len(kept) >= 2, "the search ended before its second fold fit"
    history = (out / "history" / "trial_0.csv").read_text()
    result = subprocess.run([*argv, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    done = record(out, "0")
    assert done["status"] == "completed" and len(done["executions"]) == 3
    assert done["executions"][: len(kept)] == kept  # not trained again
    assert (out / "history" / "trial_0.csv").read_text() == history


def test_check_says_how_many_times_each_trial_is_fitted(cli, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("hyperparameters: {units: 4}\nsearch: {executions: 3, folds: 2}\n")
    result = cli("check", "--space", space, "--task", "text")
    assert result.exit_code == 0 and "patience 5, each on 2 folds × 3 executions" in result.stdout
    init = cli("init", "--task", "sequence")
    assert "# executions: 1" in init.stdout
