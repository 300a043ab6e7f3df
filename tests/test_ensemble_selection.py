"""The ensemble's members: greedy forward selection on validation from the top K trials (no training)."""

from __future__ import annotations

import numpy as np

from lstmtune.report.comparison import ensemble_label
from lstmtune.tuning.ensemble import greedy_selection

TRUTH = np.array([1.0, 0.0, 1.0, 0.0])


def mse_of(outputs: list[np.ndarray]):
    return lambda chosen: float(np.mean((np.mean([outputs[i] for i in chosen], axis=0) - TRUTH) ** 2))


def test_members_that_help_are_added_and_one_that_learned_nothing_is_not():
    best = np.array([0.8, 0.3, 0.7, 0.0])  # errs on items 2 and 3
    complement = np.array([1.0, 0.0, 0.9, 0.3])  # errs where best does not
    flat = np.array([0.5, 0.5, 0.5, 0.5])  # learned nothing
    chosen = greedy_selection(3, mse_of([best, flat, complement]), maximised=False)
    assert chosen == [0, 2]


def test_the_best_alone_when_no_addition_improves_it():
    perfect = TRUTH.copy()
    assert greedy_selection(3, mse_of([perfect, TRUTH * 0.5, 1 - TRUTH]), maximised=False) == [0]


def test_a_figure_to_maximise_is_maximised():
    scores = {(0,): 0.7, (0, 1): 0.75, (0, 2): 0.8, (0, 2, 1): 0.79}
    assert greedy_selection(3, lambda chosen: scores[tuple(chosen)], maximised=True) == [0, 2]


def test_the_report_names_the_choice():
    assert ensemble_label({"members": ["03", "07"], "candidates": ["03", "07", "01"]}) == "ensemble of 2 of the top 3"
    assert ensemble_label({"members": ["03"], "candidates": ["03", "07"]}).endswith("(the best model alone)")
    assert ensemble_label({"members": ["03", "07"]}) == "ensemble of the top 2"  # runs from before selection
