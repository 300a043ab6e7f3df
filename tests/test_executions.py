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
    assert "sd" in result.stdout and "means over 3 executions" in result.stdout
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

    def interrupted_in_the_third_execution(self, hp, model, callbacks, epochs, initial_epoch, seed):
        seeds.append(seed)
        if len(seeds) == 3:
            raise KeyboardInterrupt
        return fit_once(self, hp, model, callbacks, epochs, initial_epoch, seed)

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

    def counted(self, hp, model, callbacks, epochs, initial_epoch, seed):
        resumed.append(seed)
        return fit_once(self, hp, model, callbacks, epochs, initial_epoch, seed)

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
def test_executions_run_on_texts_and_sequences(cli, tmp_path, name, data, task, space):
    space = space.replace("max_trials: 2", "max_trials: 1")
    out, _ = search(cli, tmp_path, name, "--executions", "2", "--reference", "off", space=space, data=data, task=task)
    (row,) = pd.read_csv(out / "trials.csv", dtype={"trial_id": str}).itertuples()
    runs = record(out, row.trial_id)["executions"]
    assert len(runs) == 2 and math.isfinite(row.score_sd)


def test_a_changed_number_of_executions_is_refused_on_resume(cli, tmp_path):
    out, _ = search(
        cli, tmp_path, "run", "--executions", "2", space=TINY_SPACE.replace("max_trials: 2", "max_trials: 1")
    )
    space = tmp_path / "run.yaml"
    result = cli("search", AIRLINE, *FORECAST, "--space", space, "--out", out, "--resume", "--executions", "3")
    assert result.exit_code == 2
    assert "--executions changed (was 2, now 3)" in result.stderr


def table_of(*trials: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"trial_id": t, "status": "completed", "score": score, "score_sd": sd} for t, score, sd in trials]
    )


def test_noisy_ranking_says_how_many_executions_would_separate_the_top_two():
    from lstmtune.report.diagnoses import noisy_ranking

    close = table_of(("3", 1.00, 0.10), ("7", 1.05, 0.10))
    reason = noisy_ranking(close, 3)
    # sd of the difference sqrt(0.02) = 0.141; twice its standard error over 3 executions 0.163 > 0.05;
    # 4 * 0.02 / 0.05^2 = 32 executions each would make the difference twice its standard error.
    assert "trials 3 and 7 differ by 0.05" in reason and "about 32 executions" in reason
    assert noisy_ranking(table_of(("3", 1.00, 0.01), ("7", 1.05, 0.01)), 3) is None  # clearly apart
    assert noisy_ranking(close, 1) is None  # one execution: no spread to judge by
    assert "no number of executions" in noisy_ranking(table_of(("3", 1.0, 0.1), ("7", 1.0, 0.1)), 3)
