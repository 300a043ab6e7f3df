"""lstmtune.tuning.oracle.FastBayesianOracle driven directly (no training), plus one real tiny search with it."""

from __future__ import annotations

import numpy as np
import pytest

keras_tuner = pytest.importorskip("keras_tuner")

from keras_tuner.engine.trial import TrialStatus  # noqa: E402

from lstmtune.tuning.oracle import FastBayesianOptimization, FastBayesianOracle  # noqa: E402

Fixed = keras_tuner.engine.hyperparameters.Fixed
# The GP often hits its length-scale bounds on a handful of points; harmless (lstmtune silences it too).
pytestmark = pytest.mark.filterwarnings("ignore:The optimal value found for dimension")
OPTIMUM = 0.3  # every tuned hyperparameter's best position in the unit cube


def space() -> keras_tuner.HyperParameters:
    """The default forecast space's kinds: a choice, ints with steps, linear and log floats, a fixed value."""
    hp = keras_tuner.HyperParameters()
    hp.Choice("lookback", [12, 24, 48])
    hp.Int("layers", 1, 2)
    hp.Int("units", 16, 96, step=16)
    hp.Float("dropout", 0.0, 0.4)
    hp.Float("kernel_l2", 1e-6, 1e-2, sampling="log")
    hp.Float("learning_rate", 3e-4, 1e-2, sampling="log")
    hp.Float("dense_dropout", 0.0, 0.3, step=0.05)
    hp.Fixed("batch_size", 32)
    return hp


def quadratic(values: dict) -> float:
    """A bowl in the unit cube (each hyperparameter embedded as keras-tuner embeds it)."""
    return float(
        sum((hp.value_to_prob(values[hp.name]) - OPTIMUM) ** 2 for hp in space().space if not isinstance(hp, Fixed))
    )


def make(cls, directory, seed=1, max_trials=20, initial=4, **options):
    oracle = cls(
        objective=keras_tuner.Objective("score", "min"),
        max_trials=max_trials,
        seed=seed,
        hyperparameters=space(),
        num_initial_points=initial,
        **options,
    )
    oracle._set_project_dir(str(directory), "p")
    oracle.verbose = 0
    return oracle


def finish(oracle, trial, score=None) -> None:
    oracle.update_trial(trial.trial_id, {"score": quadratic(trial.hyperparameters.values) if score is None else score})
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)


def run(oracle, trials: int) -> list[float]:
    """`trials` sequential trials; the best score after each."""
    best = []
    for _ in range(trials):
        trial = oracle.create_trial("tuner0")
        assert trial.status == TrialStatus.RUNNING
        finish(oracle, trial)
        best.append(min(best[-1] if best else np.inf, trial.score))
    return best


def hashes(oracle) -> list[str]:
    return [oracle._compute_values_hash(t.hyperparameters.values) for t in oracle.trials.values()]


def test_proposals_stay_in_the_space_and_never_repeat(tmp_path):
    oracle = make(FastBayesianOracle, tmp_path, max_trials=16)
    run(oracle, 16)
    assert len(oracle.trials) == 16
    for trial in oracle.trials.values():
        v = trial.hyperparameters.values
        assert v["lookback"] in (12, 24, 48)
        assert v["layers"] in (1, 2)
        assert 16 <= v["units"] <= 96 and v["units"] % 16 == 0
        assert 0.0 <= v["dropout"] <= 0.4
        assert 1e-6 <= v["kernel_l2"] <= 1e-2 and 3e-4 <= v["learning_rate"] <= 1e-2
        assert (
            0.0 <= v["dense_dropout"] <= 0.3
            and abs(v["dense_dropout"] / 0.05 - round(v["dense_dropout"] / 0.05)) < 1e-6
        )
        assert v["batch_size"] == 32
    assert len(set(hashes(oracle))) == 16


def test_no_duplicates_in_a_small_discrete_space(tmp_path):
    """Stock Bayesian proposes the same rounded point again once the GP has settled; here every
    proposal is new until the space (2 x 3 = 6 points) is exhausted."""
    hp = keras_tuner.HyperParameters()
    hp.Int("layers", 1, 2)
    hp.Choice("lookback", [6, 12, 24])
    oracle = FastBayesianOracle(
        objective=keras_tuner.Objective("score", "min"), max_trials=6, seed=3, hyperparameters=hp, num_initial_points=2
    )
    oracle._set_project_dir(str(tmp_path), "p")
    oracle.verbose = 0
    for _ in range(6):
        trial = oracle.create_trial("tuner0")
        if trial.status != TrialStatus.RUNNING:
            break
        finish(oracle, trial, score=float(trial.hyperparameters.values["lookback"]))
    values = [tuple(sorted(t.hyperparameters.values.items())) for t in oracle.trials.values()]
    assert len(values) == len(set(values)) >= 5


def test_two_workers_get_different_points(tmp_path):
    """Chief/worker mode: a trial is still running (another tuner id) when the next one is proposed."""
    oracle = make(FastBayesianOracle, tmp_path)
    run(oracle, 8)  # past the random start
    first = oracle.create_trial("worker1")
    second = oracle.create_trial("worker2")  # worker1's trial is still running: a pending observation
    assert first.status == second.status == TrialStatus.RUNNING
    assert first.hyperparameters.values != second.hyperparameters.values
    # The kriging believer moves the second proposal away, not just to a neighbouring value.
    tuned = [hp for hp in space().space if not isinstance(hp, Fixed)]
    a = np.array([hp.value_to_prob(first.hyperparameters.values[hp.name]) for hp in tuned])
    b = np.array([hp.value_to_prob(second.hyperparameters.values[hp.name]) for hp in tuned])
    assert np.linalg.norm(a - b) > 0.05
    finish(oracle, second)
    finish(oracle, first)
    assert len(set(hashes(oracle))) == 10


def test_state_round_trips_and_stays_compatible_with_stock(tmp_path):
    oracle = make(FastBayesianOracle, tmp_path, max_trials=12)
    run(oracle, 7)
    oracle.save()
    resumed = make(FastBayesianOracle, tmp_path, max_trials=12)
    resumed.reload()
    assert set(resumed.trials) == set(oracle.trials)
    assert resumed.get_state()["tried_so_far"] and set(resumed.get_state()["tried_so_far"]) == set(
        oracle.get_state()["tried_so_far"]
    )
    run(resumed, 5)
    assert len(resumed.trials) == 12 and len(set(hashes(resumed))) == 12
    assert resumed.create_trial("tuner0").status == TrialStatus.STOPPED
    # The state files are the stock oracle's: a run started with one resumes with the other.
    stock = make(keras_tuner.oracles.BayesianOptimizationOracle, tmp_path, max_trials=12)
    stock.reload()
    assert set(stock.trials) == set(resumed.trials)
    assert set(stock.get_state()) == set(resumed.get_state())


def test_finds_at_least_as_good_a_minimum_as_random_search(tmp_path):
    budget, seeds = 16, (1, 2, 3)
    fast = [run(make(FastBayesianOracle, tmp_path / f"f{s}", seed=s, max_trials=budget), budget)[-1] for s in seeds]
    rand = []
    for s in seeds:
        oracle = keras_tuner.oracles.RandomSearchOracle(
            objective=keras_tuner.Objective("score", "min"), max_trials=budget, seed=s, hyperparameters=space()
        )
        oracle._set_project_dir(str(tmp_path / f"r{s}"), "p")
        oracle.verbose = 0
        rand.append(run(oracle, budget)[-1])
    assert np.median(fast) <= np.median(rand), (fast, rand)
    assert sum(f <= r for f, r in zip(fast, rand)) >= 2, (fast, rand)


def test_a_real_search_runs_with_it(tmp_path, monkeypatch, airline_csv):
    from conftest import ROOT
    from typer.testing import CliRunner

    from lstmtune.cli import app
    from lstmtune.tuning import tuner

    monkeypatch.setitem(tuner.TUNERS, "bayesian", FastBayesianOptimization)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "search",
            str(airline_csv),
            "--target",
            "Passengers",
            "--time-col",
            "Date",
            "--space",
            str(ROOT / "lstmtune" / "spaces" / "smoke.yaml"),
            "--out",
            str(out),
            "--tuner",
            "bayesian",
            "--max-trials",
            "3",
            "--initial-points",
            "2",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    oracle_state = (out / "tuner" / "search" / "oracle.json").read_text()
    assert '"tried_so_far"' in oracle_state
    import json

    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["trials"]["completed"] == 3
