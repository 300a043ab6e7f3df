"""Per-trial diagnoses: from hand-written histories, and on planted real searches (made to overfit,
well regularised, with shuffled labels, and airline's smoke search whose validation period is harder)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, TEXT_SPACE

from lstmtune.report.diagnoses import diagnose_trials
from lstmtune.run.layout import RunDir
from lstmtune.run.manifest import Manifest
from lstmtune.run.table import rank_trials

MANIFEST = {"schema_version": 2, "task": "forecast", "status": "completed", "search": {"epochs": 10}}


def _diagnoses(tmp_path: Path, history: dict[str, list[float]], manifest=MANIFEST, **metrics) -> list[dict]:
    run = RunDir(tmp_path)
    run.history.mkdir(parents=True, exist_ok=True)
    with open(run.trial_history("0"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", *history])
        for i, row in enumerate(zip(*history.values()), start=1):
            writer.writerow([i, *row])
    objective = manifest.get("search", {}).get("objective", {}).get("name", "val_mse")
    values = history[objective]
    best = int(np.argmax(values) if objective in ("val_accuracy", "val_macro_f1") else np.argmin(values))
    scores = {objective: values[best], "skill": 0.3, "best_epoch": best + 1, "epochs_run": len(values), **metrics}
    record = {"trial_id": "0", "status": "completed", "metrics": scores, "values": {}}
    table = rank_trials([record], [], objective=None if objective == "val_mse" else _objective(manifest))
    return [d.to_json() for d in diagnose_trials(run, table, Manifest(manifest))]


def _objective(manifest):
    return Manifest(manifest).objective


def test_validation_turning_up_while_training_improves_overfits(tmp_path):
    found = _diagnoses(tmp_path, {"mse": [1.0, 0.6, 0.4, 0.3], "val_mse": [1.0, 0.5, 0.6, 0.7]}, gap=1.8, gap_end=2.5)
    overfits = [d for d in found if d["code"] == "overfits"]
    assert overfits and "rose 40% after its best epoch (2)" in overfits[0]["reason"]
    assert "gap 1.80 at the best epoch, 2.50 at the end" in overfits[0]["reason"]


def test_validation_turning_up_with_training_also_worse_is_not_overfitting(tmp_path):
    found = _diagnoses(tmp_path, {"mse": [1.0, 0.6, 0.7, 0.8], "val_mse": [1.0, 0.5, 0.6, 0.7]})
    assert "overfits" not in {d["code"] for d in found}


def test_a_small_rise_is_noise(tmp_path):
    found = _diagnoses(tmp_path, {"mse": [1.0, 0.6, 0.4, 0.3], "val_mse": [1.0, 0.5, 0.52, 0.54]})
    assert "overfits" not in {d["code"] for d in found}


def test_a_flat_validation_curve_is_not_learning(tmp_path):
    found = _diagnoses(tmp_path, {"mse": [1.0, 0.9, 0.8, 0.7], "val_mse": [1.0, 1.004, 0.998, 1.002]})
    assert any(d["code"] == "not_learning" and "stayed within 1%" in d["reason"] for d in found)
    assert not any("learnt nothing;" in d["reason"] for d in found)  # skill 0.3: it was there after epoch 1
    assert any("its skill (0.300) was there after the first epoch" in d["reason"] for d in found)
    found = _diagnoses(tmp_path, {"mse": [1.0, 0.9, 0.8, 0.7], "val_mse": [1.0, 1.004, 0.998, 1.002]}, skill=0.05)
    assert any(d["code"] == "not_learning" and "the model learnt nothing;" in d["reason"] for d in found)


def test_a_flat_curve_best_at_its_last_epoch_by_a_hair_is_not_learning_only(tmp_path):
    """-0.8 % over 6 epochs, best at the last: not_learning, and not also still_improving (README: one
    cause per trial)."""
    found = _diagnoses(
        tmp_path, {"mse": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], "val_mse": [1.0, 0.999, 0.997, 0.995, 0.994, 0.992]}
    )
    assert {d["code"] for d in found} == {"not_learning"}


def test_a_slow_start_still_improving_is_not_called_learning_nothing(tmp_path):
    """Three epochs, training loss down only 2.4 %, no skill yet, but validation still falling 3 % at the end:
    it learns slowly (still_improving), not "learnt nothing from its training batches"; the same run with
    validation that stopped improving is not_learning."""
    slow = {"mse": [1.01, 1.008, 0.986], "loss": [1.01, 1.008, 0.986], "val_mse": [1.097, 1.081, 1.064]}
    found = _diagnoses(tmp_path, slow, skill=-0.19)
    assert {d["code"] for d in found} == {"still_improving"}
    assert "it learns slowly" in found[0]["reason"]
    stalled = {**slow, "val_mse": [1.097, 1.064, 1.081]}
    found = _diagnoses(tmp_path, stalled, skill=-0.19)
    assert "not_learning" in {d["code"] for d in found} and "still_improving" not in {d["code"] for d in found}


def test_accuracy_falling_after_its_best_epoch_overfits(tmp_path):
    manifest = {
        **MANIFEST,
        "task": "text",
        "search": {"epochs": 10, "objective": {"name": "val_accuracy", "direction": "max", "label": "acc"}},
    }
    found = _diagnoses(tmp_path, {"accuracy": [0.6, 0.8, 0.9], "val_accuracy": [0.6, 0.8, 0.7]}, manifest=manifest)
    assert any(d["code"] == "overfits" and "fell 0.100" in d["reason"] for d in found)


# --- planted real searches -------------------------------------------------------------------------


def _search(cli, tmp_path, name: str, space: str, *flags, data=AIRLINE) -> dict:
    path = tmp_path / f"{name}.yaml"
    path.write_text(space)
    out = tmp_path / name
    base = ("--target", "Passengers", "--time-col", "Date") if data == AIRLINE else ()
    result = cli("search", data, *base, *flags, "--space", path, "--out", out, "-q")
    assert result.exit_code == 0, result.stderr
    return json.loads(cli("report", out, "--format", "json").stdout)


def _codes(report: dict, trial: str | None = None) -> set[str]:
    best = trial or str(report["trials"][0]["trial_id"])
    return {d["code"] for d in report["diagnoses"] if d["trial"] == best}


@pytest.mark.search
def test_a_run_made_to_overfit_is_flagged_and_a_regularised_one_is_not(cli, tmp_path):
    """Two stacked layers of 64 units, no regularisation, 80 epochs without early stopping on airline's
    100 training months overfit; 8 units with dropout, L2 and early stopping do not."""
    common = "  lookback: 12\n  learning_rate: 0.01\n  batch_size: 16\n"
    overfit = _search(
        cli,
        tmp_path,
        "overfit",
        "hyperparameters:\n  layers: 2\n  units: 64\n"
        + common
        + "search: {max_trials: 1, epochs: 80, patience: 80, tuner: random}\n",
    )
    assert "overfits" in _codes(overfit), overfit["diagnoses"]
    best = overfit["trials"][0]
    assert best["gap_end"] > best["gap"] and best["val_rise"] > 0.1  # the last epoch's weights generalise worse
    gate = cli("gate", tmp_path / "overfit", "--require", "best.overfits == 0", "--require", "findings.unstable == 0")
    assert (
        gate.exit_code == 3
        and "FAIL  best.overfits == 0  (found 1)" in gate.stdout
        and "PASS  findings.unstable" in gate.stdout
    )
    regular = _search(
        cli,
        tmp_path,
        "regular",
        "hyperparameters:\n  units: 8\n  dropout: 0.2\n  kernel_l2: 0.001\n"
        + common
        + "search: {max_trials: 1, epochs: 60, patience: 5, tuner: random}\n",
    )
    assert "overfits" not in _codes(regular), regular["diagnoses"]
    assert regular["trials"][0]["skill"] > 0


@pytest.mark.search
def test_shuffled_labels_are_not_learning(cli, tmp_path):
    frame = pd.read_csv(REVIEWS)
    frame["category"] = np.random.default_rng(0).permutation(frame["category"].to_numpy())
    shuffled = tmp_path / "shuffled.csv"
    frame.to_csv(shuffled, index=False)
    report = _search(
        cli,
        tmp_path,
        "shuffled",
        TEXT_SPACE.replace("max_trials: 2, epochs: 2", "max_trials: 2, epochs: 4"),
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "category",
        data=shuffled,
    )
    from lstmtune.report.diagnoses import NO_SKILL

    assert "not_learning" in _codes(report), report["diagnoses"]
    assert report["trials"][0]["skill"] < NO_SKILL


@pytest.mark.search
def test_a_harder_validation_period_is_not_called_overfitting(cli, tmp_path):
    """Airline's later months swing more: the old val_loss / train_loss read 3.55 on this smoke search.
    Each split measured against its own naive forecast, the gap is about 1."""
    from lstmtune.report.findings import GAP_WARNING

    space = (Path(__file__).resolve().parent.parent / "lstmtune" / "spaces" / "smoke.yaml").read_text()
    report = _search(cli, tmp_path, "smoke", space, "--max-trials", "3")
    best = report["trials"][0]
    assert best["gap"] < GAP_WARNING and best["val_loss"] / best["train_loss"] > GAP_WARNING
    assert "overfits" not in _codes(report)
    assert not any("Generalisation gap" in f for f in report["findings"])


@pytest.mark.search
def test_tensorboard_logs_per_trial_with_hparams(cli, tiny_space, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "search", AIRLINE, "--target", "Passengers", "--space", tiny_space, "--out", out, "-q", "--tensorboard"
    )
    assert result.exit_code == 0, result.stderr
    logs = out / "tensorboard"
    trials = sorted(p.name for p in logs.iterdir() if p.is_dir())
    assert len(trials) == 2, trials  # one directory per trial
    events = list(logs.rglob("events.out.tfevents.*"))
    assert any(b"hparams" in path.read_bytes() for path in events), [str(p) for p in events]  # the HParams view


def test_a_loss_out_of_control_is_unstable_and_explains_the_rest(tmp_path):
    """Losses of thousands on scaled targets: unstable, and not also not_learning with other advice."""
    found = _diagnoses(
        tmp_path,
        {
            "loss": [4456.0, 439.0, 428.0, 771.0],
            "mse": [4456.0, 439.0, 428.0, 771.0],
            "val_mse": [30.0, 12.0, 9.0, 14.0],
        },
        skill=-4.0,
    )
    assert [d["code"] for d in found] == ["unstable", "stopped_early"]
    assert "reached 4.46e+03 (epoch 1)" in found[0]["reason"] and "learning rate" in found[0]["reason"]
    jump = _diagnoses(tmp_path, {"loss": [1.0, 0.5, 3.0], "mse": [1.0, 0.5, 3.0], "val_mse": [1.0, 0.6, 0.9]})
    assert any(d["code"] == "unstable" and "jumped 6-fold at epoch 3" in d["reason"] for d in jump)


def test_memorising_is_overfitting_not_not_learning(tmp_path):
    manifest = {
        **MANIFEST,
        "task": "text",
        "search": {"epochs": 10, "objective": {"name": "val_accuracy", "direction": "max", "label": "acc"}},
    }
    found = _diagnoses(
        tmp_path,
        {"accuracy": [0.7, 0.95, 0.99], "val_accuracy": [0.65, 0.62, 0.55]},
        manifest=manifest,
        skill=-0.1,
        gap=1.3,
        gap_end=400.0,
    )
    assert [d["code"] for d in found if d["code"] in ("overfits", "not_learning")] == ["overfits"]
    assert "1.30 at the best epoch, over 100 at the end" in found[0]["reason"]


def test_no_gap_without_training_skill():
    from lstmtune.tuning.hypermodel import generalisation_gap

    assert np.isnan(generalisation_gap(-4.0, -11.2))  # worse than naive even on training data
    assert generalisation_gap(0.4, 0.6) == pytest.approx(1.5)


def test_a_two_value_range_has_no_edge_to_widen():
    from lstmtune.report.findings import range_edges

    space = {"units": {"int": [4, 8], "step": 4}, "dropout": {"float": [0.1, 0.3]}}
    assert range_edges(pd.Series({"units": 4, "dropout": 0.2}), space) == []


def test_batch_norm_is_named_only_where_the_model_had_it_and_jumps_are_read_from_finite_epochs():
    from lstmtune.report.diagnoses import _batch_norm_hint

    curve = [float("nan"), 0.5, 0.9, 0.4]  # a rise of 80% between epochs 2 and 3
    assert _batch_norm_hint(pd.Series({"batch_norm": True, "layers": 1}), curve, False) == ""  # nowhere to sit
    assert _batch_norm_hint(pd.Series({"batch_norm": False, "layers": 2}), curve, False) == ""
    assert "here by up to 80%" in _batch_norm_hint(pd.Series({"batch_norm": True, "layers": 2}), curve, False)
    decoder = pd.Series({"batch_norm": "True", "layers": 1, "decoder_layers": 2})
    assert "jump:" in _batch_norm_hint(decoder, [0.5, float("inf"), 0.4], False)  # no figure from an infinity
    assert "here by up to 0.200" in _batch_norm_hint(pd.Series({"batch_norm": True, "layers": 3}), [0.9, 0.7], True)
