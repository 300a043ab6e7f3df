"""Pruning: the rules on trial records written to a run directory, and real searches that prune."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import airline_search, assert_one_line_error
from parallel_helpers import finish, records, start

from lstmtune.core.objective import Direction, Objective
from lstmtune.run.atomic import write_json
from lstmtune.run.layout import RunDir
from lstmtune.run.records import finished_count
from lstmtune.tuning.pruning import Pruner, PruneRule, _is_rung

LOSS = Objective("val_mse", Direction.MIN, "validation MSE")
ACCURACY = Objective("val_accuracy", Direction.MAX, "validation accuracy")


def finished(run_dir: RunDir, trial_id: str, curve: list[float], status: str = "completed", name: str = "val_mse"):
    """A finished trial's record and per-epoch history, as the recorder writes them."""
    run_dir.history.mkdir(parents=True, exist_ok=True)
    write_json(run_dir.trial_record(trial_id), {"trial_id": trial_id, "status": status, "values": {}, "metrics": {}})
    with open(run_dir.trial_history(trial_id), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "loss", name])
        writer.writerows([[epoch + 1, 1.0, value] for epoch, value in enumerate(curve)])


def feed(pruner: Pruner, trial_id: str, curve: list[float], name: str = "val_mse") -> tuple[int, str | None]:
    """Feed a running trial's epochs one by one; (epoch at which it was pruned or 0, the reason)."""
    pruner.begin(trial_id)
    for epoch, value in enumerate(curve, start=1):
        reason = pruner.observe(trial_id, {name: value})
        if reason:
            return epoch, reason
    return 0, None


def test_median_prunes_a_curve_worse_than_the_completed_trials_median(tmp_path):
    run_dir = RunDir(tmp_path)
    for i, curve in enumerate([[5, 4, 3, 2], [6, 5, 4, 3], [4, 3, 2, 1]]):
        finished(run_dir, str(i), curve)
    pruner = Pruner(run_dir, LOSS, PruneRule("median", warmup_trials=3, warmup_epochs=2))
    # The median best-so-far at epoch 2 is 4: a trial at 4.5 stops there, one at 3.5 goes on.
    assert feed(pruner, "9", [9, 4.5, 1, 1])[0] == 2
    epoch, reason = feed(pruner, "10", [9, 3.5, 2.5, 1.5])
    assert epoch == 0 and reason is None
    # A trial's best so far counts, not its last epoch: a bad epoch after a good one does not prune.
    assert feed(pruner, "11", [3, 9])[0] == 0
    assert "median 4 of 3 completed trials" in feed(pruner, "12", [7, 6])[1]


def test_warm_up_in_trials_and_epochs(tmp_path):
    run_dir = RunDir(tmp_path)
    finished(run_dir, "0", [1, 1, 1])
    finished(run_dir, "1", [1, 1, 1])
    finished(run_dir, "2", [1, 1, 1], status="pruned")  # pruned trials do not end the warm-up
    hopeless = [9, 9, 9, 9]
    assert feed(Pruner(run_dir, LOSS, PruneRule("median", 3, 1)), "9", hopeless)[0] == 0
    assert feed(Pruner(run_dir, LOSS, PruneRule("median", 2, 3)), "9", hopeless)[0] == 3
    assert feed(Pruner(run_dir, LOSS, PruneRule("off", 1, 1)), "9", hopeless)[0] == 0


def test_an_early_stopped_trial_counts_with_its_final_best(tmp_path):
    run_dir = RunDir(tmp_path)
    finished(run_dir, "0", [0.5])  # stopped after one epoch, and good
    finished(run_dir, "1", [0.5])
    finished(run_dir, "2", [3, 3, 3, 3, 3])
    finished(run_dir, "3", [3, 3, 3, 3, 3])
    pruner = Pruner(run_dir, LOSS, PruneRule("median", 4, 5))
    # At epoch 5 the peers' best-so-far are 0.5, 0.5 (carried forward), 3 and 3: median 1.75. Counting only
    # the trials that trained 5 epochs, 2.5 would pass.
    assert feed(pruner, "9", [2.5] * 5)[0] == 5


def test_maximised_objectives_prune_the_low_ones(tmp_path):
    run_dir = RunDir(tmp_path)
    for i, curve in enumerate([[0.6, 0.7], [0.7, 0.8], [0.5, 0.6]]):
        finished(run_dir, str(i), curve, name="val_accuracy")
    pruner = Pruner(run_dir, ACCURACY, PruneRule("median", 3, 1))
    assert feed(pruner, "9", [0.55, 0.65], name="val_accuracy")[0] == 1
    assert feed(pruner, "10", [0.65, 0.9], name="val_accuracy")[0] == 0


def test_halving_decides_at_its_rungs_only(tmp_path):
    assert [e for e in range(1, 30) if _is_rung(e, 2)] == [2, 6, 18]
    assert [e for e in range(1, 30) if _is_rung(e, 1)] == [1, 3, 9, 27]
    run_dir = RunDir(tmp_path)
    for i in range(6):  # best-so-far at epoch 2: 1, 2, ..., 6
        finished(run_dir, str(i), [10, i + 1, i + 1, i + 1, i + 1, i + 1])
    pruner = Pruner(run_dir, LOSS, PruneRule("halving", 3, 2))
    # 7 trials at rung 2 with this one: the best 7 // 3 = 2 go on, i.e. values up to 2.
    epoch, reason = feed(pruner, "9", [10, 2.5, 2.5, 2.5, 2.5, 2.5])
    assert epoch == 2 and "best 1/3 of 7 trials" in reason
    assert feed(pruner, "10", [10, 1.5, 9, 9, 9, 9])[0] == 0  # at rung 6 its best (1.5) is still the best


def test_damaged_peers_are_no_evidence(tmp_path):
    run_dir = RunDir(tmp_path)
    for i in range(3):
        finished(run_dir, str(i), [1, 1])
    run_dir.trial_history("1").write_text("epoch,loss\n1,2\n")  # no objective column
    run_dir.trial_record("2").write_text("{not json")
    pruner = Pruner(run_dir, LOSS, PruneRule("median", 2, 1))
    assert set(pruner.peers()) == {"0"}
    assert feed(pruner, "9", [9, 9])[0] == 0  # one usable peer is fewer than the warm-up's two


SPACE = """\
hyperparameters:
  lookback: 4
  units: {int: [2, 8], step: 2}
  learning_rate: {choice: [0.00001, 0.03]}
  batch_size: 32
search: {max_trials: 6, epochs: 4, patience: 4, tuner: random, prune_warmup_trials: 2, prune_warmup_epochs: 2}
"""


def search(cli, airline_csv, space: Path, out: Path, *extra: str):
    argv = ["search", airline_csv, "--target", "Passengers", "--time-col", "Date", "--space", space]
    return cli(*argv, "--out", out, "--reference", "off", *extra)


@pytest.mark.search
def test_a_real_search_prunes_hopeless_trials(cli, airline_csv, write_file, tmp_path):
    """A learning rate of 1e-5 learns little in 4 epochs: once two trials completed, trials behind their
    median stop early as pruned; they are never the best and the gate counts them."""
    space = write_file("prune.yaml", SPACE)
    out = tmp_path / "pruned"
    result = search(cli, airline_csv, space, out, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads((out / "trials.json").read_text())
    pruned = [row for row in rows if row["status"] == "pruned"]
    assert pruned, rows
    for row in pruned:
        assert row["rank"] is None and row["note"].startswith("pruned at epoch")
        assert row["epochs_run"] < 4 and row["score"] > rows[0]["score"]
    assert rows[0]["status"] == "completed" and rows[0]["rank"] == 1
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["trials"]["pruned"] == len(pruned)
    assert manifest["search"]["prune"] == {"rule": "median", "warmup_trials": 2, "warmup_epochs": 2}
    assert manifest["best"]["trial_id"] == rows[0]["trial_id"]
    assert finished_count(RunDir(out)) == 6  # pruned trials are finished: --resume never runs them again
    assert any("Pruning (median rule) stopped" in finding for finding in json.loads(result.stdout)["findings"])
    gate = cli("gate", out, "--require", f"trials.pruned == {len(pruned)}", "--require", "trials.completed >= 2")
    assert gate.exit_code == 0, gate.stdout + gate.stderr
    report = cli("report", out)
    assert f"{len(pruned)} pruned" in report.stdout

    # Without pruning, the same search up to the first trial pruned above trains every trial to the end.
    first_pruned = min(int(row["trial_id"]) for row in pruned)
    unpruned = tmp_path / "unpruned"
    result = search(cli, airline_csv, space, unpruned, "--prune", "off", "--max-trials", str(first_pruned + 1))
    assert result.exit_code == 0, result.stderr
    rows = json.loads((unpruned / "trials.json").read_text())
    assert len(rows) == first_pruned + 1
    assert {row["status"] for row in rows} == {"completed"} and all(row["epochs_run"] == 4 for row in rows)


def test_prune_flags_are_checked(cli, airline_csv, tiny_space, tmp_path):
    result = search(cli, airline_csv, tiny_space, tmp_path / "a", "--prune", "sometimes")
    assert_one_line_error(result, "--prune", "sometimes", "median")
    result = search(cli, airline_csv, tiny_space, tmp_path / "b", "--prune", "median", "--tuner", "hyperband")
    assert_one_line_error(result, "--prune does not apply to --tuner hyperband")
    result = search(cli, airline_csv, tiny_space, tmp_path / "c", "--prune-warmup-epochs", "0")
    assert_one_line_error(result, "--prune-warmup-epochs")


@pytest.mark.search
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes")
def test_workers_prune_against_trials_they_did_not_run(cli, airline_csv, write_file, tmp_path):
    """Pruning reads finished trials from the run directory, so a worker process weighs its trial against
    trials trained elsewhere: the first trials run here in one process, the rest (every other configuration of the space) on two
    workers."""
    space = write_file("prune.yaml", SPACE.replace("max_trials: 6", "max_trials: 3"))
    out = tmp_path / "run"
    assert search(cli, airline_csv, space, out, "--prune-warmup-trials", "3").exit_code == 0
    first = records(out)
    assert {record["status"] for record in first.values()} == {"completed"} and len(first) == 3
    resumed = airline_search(space, out, "--resume", "--max-trials", "8", "--workers", "2", "--reference", "off")
    code, _, err = finish(start(resumed))
    assert code == 0, err[-3000:]
    later = {tid: record for tid, record in records(out).items() if tid not in first}
    assert len(later) >= 4 and all(record.get("worker") for record in later.values())
    pruned = [record for record in later.values() if record["status"] == "pruned"]
    assert pruned, {tid: (record["status"], record["values"]) for tid, record in later.items()}
    best = min(record["metrics"]["val_mse"] for record in records(out).values() if record["status"] == "completed")
    for record in pruned:
        assert re.search(r"of \d+ completed trials", record["note"]), record["note"]
        assert record["metrics"]["val_mse"] > best
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["trials"]["pruned"] == len(pruned) and manifest["workers"]["count"] == 2
    assert manifest["best"]["trial_id"] not in {record["trial_id"] for record in pruned}
