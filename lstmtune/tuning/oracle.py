"""A Bayesian oracle with a batched acquisition: the same GP as keras-tuner's, a cheaper and safer search
of its acquisition.

Why: keras-tuner's `BayesianOptimizationOracle` maximises its acquisition with 50 L-BFGS-B restarts whose
gradients are finite differences, each step one `gp.predict` of one point: 1-7 s of pure Python per trial
at 8-12 tuned hyperparameters, which is as long as a small trial's fit. It also optimises in the
continuous unit cube and rounds the result afterwards (ints, steps, choices), so it scores points that
never run and can propose values already tried. With parallel workers (chief/worker mode, keras-tuner
issues #332, #666: two workers given the same point) keras-tuner 1.4.8 does hallucinate the running
trials, but with the GP of the previous proposal and without checking the rounded result against them.

Here the acquisition (the same lower confidence bound, mu - beta * sigma, with the same beta) is scored
for thousands of candidates in ONE batched `gp.predict`: random points of the unit cube plus local
perturbations of the best observed points, each snapped to a value the trial will really run. The best
few are optionally polished by a few L-BFGS-B steps over the continuous hyperparameters only, and the
best one whose values were never tried wins. Trials still running (other workers) are pending
observations: the GP is refitted with them at its own predicted mean ("kriging believer", kernel kept
fixed), which removes their uncertainty, so the next proposal goes elsewhere.

No new persistent state: `get_state`/`set_state` are the stock oracle's, so a run started with either
oracle resumes with either.

Values are placed in the unit cube and read back by lstmtune.tuning.unit_cube: keras-tuner's embedding
with stepped linear floats placed by rounding, so every value of such a range can be proposed (keras-tuner's
floor division makes 0.45 of `Float(0, 0.5, step=0.05)` unreachable and drops 0.5). Candidates are snapped
exactly to a value's place, whatever the size of a discrete range: per proposal `num_candidates` uniform
points plus `num_best` x `num_local` local ones (2,000 + 500 by default) and `num_polish` polished ones
are scored. Random initial points are still keras-tuner's own sampling, which never draws the top value
of a stepped linear float; the model-driven proposals can.

The overriding `populate_space` reads the stock oracle's private helpers (`_random_populate_space`,
`_nonfixed_space`, `_duplicate`, `_random_state`): a subclass's own business, kept here beside the
algorithm that uses them rather than in lstmtune.tuning.kt.
"""

from __future__ import annotations

from typing import Any

import keras_tuner
import numpy as np
import scipy.optimize
import sklearn.gaussian_process
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine import trial as trial_module

from lstmtune.tuning.unit_cube import Snapper, position, value_at


class FastBayesianOracle(keras_tuner.oracles.BayesianOptimizationOracle):
    """keras-tuner's Bayesian oracle (same GP, same UCB/LCB acquisition, same beta) with a batched,
    duplicate-free, parallel-aware acquisition search.

    Extra arguments (not saved in the oracle's state; a resumed run takes them from the constructor):
        num_candidates: random points of the unit cube scored per proposal.
        num_local: perturbations around each of the `num_best` best observed points.
        polish: L-BFGS-B iterations on the best `num_polish` candidates (0 turns it off).
    """

    def __init__(
        self,
        *args: Any,
        num_candidates: int = 2000,
        num_local: int = 100,
        num_best: int = 5,
        num_polish: int = 5,
        polish: int = 10,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.num_candidates = num_candidates
        self.num_local = num_local
        self.num_best = num_best
        self.num_polish = num_polish
        self.polish = polish

    # -- what the stock oracle's populate_space does, with the acquisition replaced --------------------

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        completed = [t for t in self.trials.values() if t.status == trial_module.TrialStatus.COMPLETED]
        dimensions = len(self.hyperparameters.space)
        num_initial_points = self.num_initial_points or max(3 * dimensions, 3)  # stock's default
        space = self._nonfixed_space()
        if len(completed) < num_initial_points or not space:
            return self._random_populate_space()

        x, y = self._observations(completed, space)
        self.gpr.fit(x, y)  # the stock GP and its hyperparameter fit (20 restarts)
        gp = self._with_pending(self.gpr, x, y, space)
        snap = Snapper(space)

        candidates = snap(self._candidates(x, y, len(space)))
        scores = self._acquisition(gp, candidates)
        order = np.argsort(scores, kind="stable")
        if self.polish and snap.continuous.any():
            polished = [self._polish(gp, candidates[i], snap) for i in order[: self.num_polish]]
            candidates = np.vstack([np.array(polished), candidates[order]])
            scores = np.concatenate([self._acquisition(gp, candidates[: len(polished)]), scores[order]])
            order = np.argsort(scores, kind="stable")

        for index in order:  # the best candidate whose values were never tried (running trials included)
            values = self._vector_to_values(candidates[index])
            if not self._duplicate(values):
                return {"status": trial_module.TrialStatus.RUNNING, "values": values}
        return self._random_populate_space()  # every candidate was tried: the space is nearly exhausted

    # -- pieces ------------------------------------------------------------------------------------

    def _vector(self, trial: trial_module.Trial, space: list) -> list[float]:
        """A trial's values in the unit cube (defaults for hyperparameters a trial does not have, as stock
        `_vectorize_trials` does)."""
        hps = trial.hyperparameters
        return [
            position(hp, hps.values[hp.name] if hps.is_active(hp) and hp.name in hps.values else hp.default)
            for hp in space
        ]

    def _vector_to_values(self, vector) -> dict[str, Any]:
        """Stock `_vector_to_values` (fixed values kept, inactive conditional ones left out), each value read
        back with `unit_cube.value_at`."""
        hps = hp_module.HyperParameters()
        tuned = iter(vector)
        for hp in self.hyperparameters.space:
            hps.merge([hp])
            value = hp.value if isinstance(hp, hp_module.Fixed) else value_at(hp, next(tuned))
            if hps.is_active(hp):
                hps.values[hp.name] = value
        return hps.values

    def _observations(self, completed: list, space: list) -> tuple[np.ndarray, np.ndarray]:
        """Completed trials as (x, y) to minimise; non-finite values replaced as the stock oracle does."""
        x = np.array([self._vector(t, space) for t in completed], dtype=float)
        sign = -1.0 if self.objective.direction == "max" else 1.0
        y = np.array([sign * t.score for t in completed], dtype=float)
        return np.nan_to_num(x, posinf=0, neginf=0), np.nan_to_num(y, posinf=0, neginf=0)

    def _pending(self, space: list) -> np.ndarray:
        """Values of the trials still running on other workers (chief/worker mode)."""
        running = [t for t in self.ongoing_trials.values() if t.hyperparameters.values]
        return np.array([self._vector(t, space) for t in running], dtype=float).reshape(len(running), len(space))

    def _with_pending(self, gpr, x: np.ndarray, y: np.ndarray, space: list):
        """Kriging believer: the GP refitted with each running trial at its predicted mean, the fitted
        kernel kept (no new hyperparameter fit: cheap). Its sigma there drops to ~0, so the acquisition
        stops favouring the points other workers are already training."""
        pending = self._pending(space)
        if not len(pending):
            return gpr
        believer = sklearn.gaussian_process.GaussianProcessRegressor(
            kernel=gpr.kernel_, optimizer=None, normalize_y=True, alpha=self.alpha
        )
        return believer.fit(np.vstack([x, pending]), np.concatenate([y, gpr.predict(pending)]))

    def _candidates(self, x: np.ndarray, y: np.ndarray, dimensions: int) -> np.ndarray:
        """Uniform points of the unit cube, plus Gaussian perturbations (three scales) of the best
        observed points, where the acquisition's minimum most often lies late in a search."""
        rng = self._random_state
        uniform = rng.uniform(size=(self.num_candidates, dimensions))
        best = x[np.argsort(y, kind="stable")[: self.num_best]]
        scales = rng.choice([0.02, 0.1, 0.25], size=(len(best), self.num_local, 1))
        local = best[:, None, :] + scales * rng.normal(size=(len(best), self.num_local, dimensions))
        return np.clip(np.vstack([uniform, local.reshape(-1, dimensions)]), 0.0, 1.0)

    def _acquisition(self, gp, x: np.ndarray) -> np.ndarray:
        """Stock's `_upper_confidence_bound` (to minimise), for many points in one call."""
        mu, sigma = gp.predict(x, return_std=True)
        return np.asarray(mu).ravel() - self.beta * np.asarray(sigma).ravel()

    def _polish(self, gp, start: np.ndarray, snap: Snapper) -> np.ndarray:
        """A few L-BFGS-B steps over the continuous hyperparameters only; discrete ones stay at the
        (snapped) values the candidate already has, so the polished point is one that can run."""
        free = snap.continuous

        def acquisition(z: np.ndarray) -> float:
            point = start.copy()
            point[free] = z
            return float(self._acquisition(gp, point[None, :])[0])

        result = scipy.optimize.minimize(
            acquisition,
            start[free],
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * int(free.sum()),
            options={"maxiter": self.polish},
        )
        point = start.copy()
        point[free] = np.clip(result.x, 0.0, 1.0)
        return snap(point[None, :])[0]


class FastBayesianOptimization(keras_tuner.Tuner):
    """`keras_tuner.BayesianOptimization` with `FastBayesianOracle`: same constructor, same defaults."""

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials=10,
        num_initial_points=None,
        alpha=1e-4,
        beta=2.6,
        seed=None,
        hyperparameters=None,
        tune_new_entries=True,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
        oracle_options=None,
        **kwargs,
    ):
        oracle = FastBayesianOracle(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=num_initial_points,
            alpha=alpha,
            beta=beta,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
            **(oracle_options or {}),
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
