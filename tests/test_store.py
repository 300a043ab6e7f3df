"""Fast tests of lstmtune.run.store, the report model and renderers, and lstmtune.report.findings, on a hand-made
run directory."""

from __future__ import annotations

import io
import json
import os
import socket
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from lstmtune.errors import OptionError, RunDirError
from lstmtune.report import findings as diagnose_module
from lstmtune.report.findings import diagnose
from lstmtune.report.json_view import render_json
from lstmtune.report.markdown import render_markdown
from lstmtune.report.model import SUMMARY_COLUMNS, build_report
from lstmtune.report.render import render
from lstmtune.report.text import render_table
from lstmtune.run import manifest as run_manifest
from lstmtune.run.atomic import write_json
from lstmtune.run.layout import RunDir
from lstmtune.run.manifest import Manifest
from lstmtune.run.records import trial_records
from lstmtune.run.table import LEADING_COLUMNS, METRIC_COLUMNS, rank_trials, to_markdown, trials_table, write_tables

NAMES = ["lookback", "units", "dropout", "learning_rate", "batch_size"]
TUNABLE = ["units", "dropout", "learning_rate"]
SPACE = {
    "lookback": 6,
    "units": {"int": [4, 16], "step": 4},
    "dropout": {"float": [0.0, 0.4]},
    "learning_rate": {"float": [1e-4, 1e-2], "log": True},
    "batch_size": 16,
}
EPOCHS = 20
DEAD_PID = 2**22 + 12345  # above Linux's largest pid_max, so no such process


# --- building a fake run directory -----------------------------------------------------------


def manifest(**overrides: Any) -> dict[str, Any]:
    out = {
        "status": "completed",
        "process": {"pid": DEAD_PID, "host": socket.gethostname()},
        "data": {
            "path": "examples/data/load.csv",
            "targets": ["load"],
            "settings": {"transform": "diff", "horizon": 1},
        },
        "search": {"tuner": "bayesian", "epochs": EPOCHS},
        "hyperparameters": {"names": NAMES, "tunable": TUNABLE, "space": SPACE},
        "baselines": {
            "val": {"persistence": {"rmse": 2.0, "mae": 1.5}},
            "test": {"persistence": {"rmse": 2.5, "mae": 1.75}},
        },
    }
    out.update(overrides)
    return out


def values(**overrides: Any) -> dict[str, Any]:
    return {"lookback": 6, "units": 8, "dropout": 0.2, "learning_rate": 1e-3, "batch_size": 16, **overrides}


def completed(trial_id: str, val_mse: float, **metrics: Any) -> dict[str, Any]:
    scores = {
        "val_mse": val_mse,
        "val_rmse": val_mse**0.5,
        "val_mae": val_mse / 2,
        "skill": 0.25,
        "train_loss": val_mse / 1.2,
        "val_loss": val_mse,
        "gap": 1.2,
        "best_epoch": 6,
        "epochs_run": 9,
    }
    scores.update(metrics)
    record_values = scores.pop("values", None) or values()
    return {"trial_id": trial_id, "status": "completed", "metrics": scores, "values": record_values, "seconds": 1.5}


def failed(trial_id: str, reason: str) -> dict[str, Any]:
    return {"trial_id": trial_id, "status": "failed", "metrics": {}, "values": values(units=16), "reason": reason}


def running(trial_id: str) -> dict[str, Any]:
    return {"trial_id": trial_id, "status": "running", "metrics": {}, "values": values(units=12)}


RECORDS = [
    completed("2", 0.30),
    completed("10", 0.20),
    completed("7", 0.25),
    running("12"),
    running("4"),
    failed("11", "OOM"),
    failed("3", "NaN loss"),
]


def make_run(root: Path, records: list[dict[str, Any]], **manifest_overrides: Any) -> RunDir:
    run_dir = RunDir(root)
    write_json(run_dir.manifest, manifest(**manifest_overrides))
    for record in records:
        write_json(run_dir.trial_record(record["trial_id"]), record)
    return run_dir


@pytest.fixture
def run_dir(tmp_path) -> RunDir:
    return make_run(tmp_path / "run", RECORDS)


@pytest.fixture
def table(run_dir) -> pd.DataFrame:
    return trials_table(run_dir, run_manifest.load(run_dir))


def findings_for(records: list[dict[str, Any]], **manifest_overrides: Any) -> list[str]:
    return diagnose(rank_trials(records, NAMES), Manifest(manifest(**manifest_overrides)))


def diagnoses_for(records: list[dict[str, Any]], run_dir: Path, **manifest_overrides: Any) -> list[dict[str, str]]:
    from lstmtune.report.diagnoses import diagnose_trials

    table = rank_trials(records, NAMES)
    return [d.to_json() for d in diagnose_trials(RunDir(run_dir), table, Manifest(manifest(**manifest_overrides)))]


# --- ranking -------------------------------------------------------------------------------


def test_order_completed_by_score_then_running_then_failed(table):
    assert table["trial_id"].tolist() == ["10", "7", "2", "4", "12", "3", "11"]
    assert table["status"].tolist() == ["completed"] * 3 + ["running"] * 2 + ["failed"] * 2
    assert table["score"].tolist()[:3] == [0.20, 0.25, 0.30]


def test_rank_only_for_completed(table):
    assert table["rank"].tolist()[:3] == [1, 2, 3]
    assert table["rank"].iloc[3:].isna().all()


def test_failed_reason_is_the_note(table):
    notes = dict(zip(table["trial_id"], table["note"]))
    assert notes["3"] == "NaN loss"
    assert notes["11"] == "OOM"
    assert notes["10"] == ""


def test_completed_note_is_kept():
    record = completed("1", 0.1)
    record["note"] = "training loss became non-finite at epoch 4; best weights kept"
    assert rank_trials([record], NAMES)["note"].tolist() == [record["note"]]


def test_ids_sort_as_integers_on_ties():
    records = [completed("10", 0.5), completed("2", 0.5), failed("10a", "x"), failed("9", "x"), failed("11", "x")]
    table = rank_trials(records, NAMES)
    assert table["trial_id"].tolist() == ["2", "10", "9", "11", "10a"]
    assert table["rank"].tolist()[:2] == [1, 2]


def test_trial_records_sorted_by_integer_id(run_dir):
    assert [r["trial_id"] for r in trial_records(run_dir)] == ["2", "3", "4", "7", "10", "11", "12"]


def test_unreadable_record_is_skipped(run_dir):
    run_dir.trial_record("99").write_text("{not json")
    assert len(trials_table(run_dir, run_manifest.load(run_dir))) == len(RECORDS)


def test_columns_metrics_then_note_then_hyperparameters(table):
    columns = list(table.columns)
    assert columns[:3] == ["rank", "trial_id", "status"]
    assert columns[3 : 3 + len(METRIC_COLUMNS)] == METRIC_COLUMNS
    assert columns[-len(NAMES) - 1 :] == ["note", *NAMES]


def test_hyperparameter_columns_follow_manifest_order():
    names = ["units", "batch_size", "lookback"]
    table = rank_trials([completed("1", 0.1)], names)
    assert list(table.columns[-3:]) == names
    assert table.iloc[0][names].tolist() == [8, 16, 6]


def test_metric_values_and_integer_epochs(table):
    best = table.iloc[0]
    assert best["val_rmse"] == pytest.approx(0.20**0.5)
    assert best["gap"] == pytest.approx(1.2)
    assert best["seconds"] == pytest.approx(1.5)
    assert str(table["best_epoch"].dtype) == "Int64"
    assert table["best_epoch"].tolist()[:3] == [6, 6, 6]
    assert table["best_epoch"].iloc[3:].isna().all()


def test_empty_history_gives_empty_table_with_all_columns(tmp_path):
    run_dir = make_run(tmp_path / "run", [])
    table = trials_table(run_dir, run_manifest.load(run_dir))
    assert table.empty
    assert list(table.columns) == LEADING_COLUMNS + METRIC_COLUMNS + ["note"] + NAMES


# --- table files ---------------------------------------------------------------------------


def markdown_rows(text: str) -> list[list[str]]:
    """The rows of the Markdown table in `text` (lines after it, such as its caption, left out)."""
    lines = [line for line in text.strip().splitlines() if line.startswith("|")]
    assert lines[1].startswith("|---")
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in [lines[0], *lines[2:]]]


def test_write_tables_round_trip(run_dir, table):
    write_tables(run_dir, table)

    csv = pd.read_csv(run_dir.table("csv"), dtype={"trial_id": str}, keep_default_na=False)
    assert list(csv.columns) == list(table.columns)
    assert csv["trial_id"].tolist() == table["trial_id"].tolist()
    assert csv["status"].tolist() == table["status"].tolist()
    assert csv["note"].tolist() == table["note"].tolist()
    assert [float(s) for s in csv["score"][:3]] == [0.20, 0.25, 0.30]

    records = json.loads(run_dir.table("json").read_text())
    assert [r["trial_id"] for r in records] == table["trial_id"].tolist()
    assert [r["rank"] for r in records] == [1, 2, 3, None, None, None, None]
    assert records[0]["units"] == 8 and records[0]["learning_rate"] == pytest.approx(1e-3)
    assert records[-1]["note"] == "OOM" and records[-1]["score"] is None

    rows = markdown_rows(run_dir.table("md").read_text())
    assert rows[0] == list(table.columns)
    assert [r[1] for r in rows[1:]] == table["trial_id"].tolist()
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "", "", "", ""]
    assert all(len(r) == len(table.columns) for r in rows)


def test_to_markdown_escapes_pipes_and_newlines():
    table = pd.DataFrame({"trial_id": ["1"], "note": ["a|b\nc"], "score": [0.123456789]})
    text = to_markdown(table)
    assert "a\\|b c" in text
    assert "0.1235" in text and "0.12346" not in text  # 4 significant digits
    body = text.splitlines()[2]
    assert body.replace("\\|", "").count("|") == 4


def test_write_tables_leaves_no_temporary_files(run_dir, table):
    write_tables(run_dir, table)
    assert sorted(p.name for p in run_dir.root.iterdir()) == [
        "history",
        "run.json",
        "trials.csv",
        "trials.json",
        "trials.md",
    ]


# --- manifest ------------------------------------------------------------------------------


def test_load_manifest_missing_directory(tmp_path):
    with pytest.raises(RunDirError, match="does not exist"):
        run_manifest.load(RunDir(tmp_path / "nowhere"))


def test_load_manifest_without_run_json(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match="no run.json"):
        run_manifest.load(RunDir(tmp_path / "empty"))


def test_load_manifest_unreadable(tmp_path):
    run_dir = RunDir(tmp_path)
    run_dir.manifest.write_text("{broken")
    with pytest.raises(RunDirError, match="unreadable manifest"):
        run_manifest.load(run_dir)


def test_load_manifest_reads_it(run_dir):
    assert run_manifest.load(run_dir)["hyperparameters"]["names"] == NAMES


# --- report --------------------------------------------------------------------------------


def test_report_csv_top(run_dir):
    text = render(build_report(run_dir, top=2), "csv", Console(file=io.StringIO()))
    frame = pd.read_csv(io.StringIO(text), dtype={"trial_id": str})
    assert frame["trial_id"].tolist() == ["10", "7"]
    assert frame["rank"].tolist() == [1, 2]


def test_report_json(run_dir):
    text = render(build_report(run_dir, top=3), "json", Console(file=io.StringIO()))
    document = json.loads(text)
    assert document["status"] == "completed"
    assert document["state"] == "completed"
    assert [t["trial_id"] for t in document["trials"]] == ["10", "7", "2"]
    assert document["baselines"]["val"]["persistence"]["rmse"] == 2.0
    assert document["search"]["epochs"] == EPOCHS
    assert any("beats persistence" in f for f in document["findings"])


def test_report_markdown(run_dir):
    text = render(build_report(run_dir, top=2), "md", Console(file=io.StringIO()))
    assert "- status: completed" in text
    assert "- trials: 7" in text
    assert "## Top trials" in text
    top = text.split("## Top trials")[1].split("## Best model")[0]
    rows = markdown_rows(top)
    assert rows[0] == SUMMARY_COLUMNS + ["val_mse by epoch"] + TUNABLE
    assert [r[1] for r in rows[1:]] == ["10", "7"]
    assert "| val | best so far (trial 10) |" in text
    assert "| val | persistence | 2 | 1.5 | 0 |" in text
    assert "## Findings" in text


def test_report_table(run_dir):
    buffer = io.StringIO()
    assert render(build_report(run_dir, top=3), "table", Console(file=buffer, width=200)) is None
    out = buffer.getvalue()
    assert "status: completed" in out
    assert "Top 3 trials" in out
    assert "learning_rate" in out and "dropout" in out
    assert "best so far (trial 10)" in out
    assert "persistence" in out
    assert "(2 failed)" in out
    assert "running" not in out  # the 4th and later trials (running, failed) are cut by --top
    single = io.StringIO()
    render(build_report(run_dir, top=1), "table", Console(file=single, width=200))
    assert "Top 1 trial (" in single.getvalue()


def test_report_table_with_best(tmp_path):
    best = {
        "trial_id": "10",
        "values": values(),
        "val": {"rmse": 1.0, "mae": 0.8, "skill": 0.5},
        "test": {"rmse": 1.25, "mae": 0.9, "skill": 0.5},
    }
    run_dir = make_run(tmp_path / "run", RECORDS, best=best)
    buffer = io.StringIO()
    render(build_report(run_dir), "table", Console(file=buffer, width=200))
    out = buffer.getvalue()
    assert "best model (trial 10)" in out
    assert "best so far" not in out
    assert "best.yaml" in out  # where to find the best configuration


def test_report_table_without_trials(tmp_path):
    buffer = io.StringIO()
    render(build_report(make_run(tmp_path / "run", [])), "table", Console(file=buffer, width=200))
    assert "No trial has finished yet." in buffer.getvalue()


def test_report_top_must_be_positive(run_dir):
    with pytest.raises(OptionError, match="--top"):
        build_report(run_dir, top=0)


def test_running_run_with_dead_process_is_stopped(tmp_path):
    run_dir = make_run(tmp_path / "run", RECORDS, status="running")
    built = build_report(run_dir)
    assert built.state.startswith("stopped")
    assert "--resume" in built.state
    assert json.loads(render_json(built))["state"].startswith("stopped")
    assert "- status: stopped" in render_markdown(built)


def test_running_run_with_live_process_stays_running(tmp_path):
    process = {"pid": os.getpid(), "host": socket.gethostname()}
    run_dir = make_run(tmp_path / "run", RECORDS, status="running", process=process)
    assert build_report(run_dir).state == "running"


def test_running_run_on_another_host_stays_running(tmp_path):
    process = {"pid": DEAD_PID, "host": socket.gethostname() + "-elsewhere"}
    run_dir = make_run(tmp_path / "run", RECORDS, status="running", process=process)
    assert build_report(run_dir).state == "running"


def test_interrupted_run_says_resume(tmp_path):
    run_dir = make_run(tmp_path / "run", RECORDS, status="interrupted")
    assert build_report(run_dir).state == "interrupted (continue it with --resume)"


# --- diagnose ------------------------------------------------------------------------------


def test_no_skill_mentions_persistence():
    findings = findings_for([completed("1", 0.1, skill=0.0), completed("2", 0.2, skill=0.9)])
    assert any("is no better than repeating the last value" in f and "skill 0)" in f for f in findings)


def test_positive_skill_is_reported():
    findings = findings_for([completed("1", 0.1, skill=0.4)])
    assert any("beats persistence" in f and "0.400" in f for f in findings)
    assert not any("does not beat" in f for f in findings)


def test_large_gap_is_named():
    findings = findings_for([completed("1", 0.1, gap=diagnose_module.GAP_WARNING + 0.5, train_skill=0.8)])
    assert any("Generalisation gap 2.00" in f and "training skill 0.800" in f for f in findings)


def test_gap_at_threshold_is_fine():
    findings = findings_for([completed("1", 0.1, gap=diagnose_module.GAP_WARNING)])
    assert not any("Generalisation gap" in f for f in findings)


def test_best_epoch_at_last_epoch_is_still_improving(tmp_path):
    found = diagnoses_for([completed("1", 0.1, best_epoch=EPOCHS, epochs_run=EPOCHS)], tmp_path)
    assert {
        "code": "still_improving",
        "trial": "1",
        "reason": f"best at its last epoch ({EPOCHS}): more epochs might help (--resume --epochs N raises the "
        "budget of new trials)",
    } in found
    stopped = diagnoses_for([completed("1", 0.1, best_epoch=EPOCHS - 4, epochs_run=EPOCHS - 1)], tmp_path)
    assert [d["code"] for d in stopped] == ["stopped_early"]


def test_a_skill_within_the_noise_is_not_called_beating_persistence():
    findings = findings_for([completed("1", 0.1, best_epoch=3, epochs_run=4, skill=0.006)])
    assert any("barely better than persistence on validation (skill 0.006)" in f for f in findings), findings
    assert not any("beats persistence" in f for f in findings)


def test_best_after_first_epoch():
    findings = findings_for([completed("1", 0.1, best_epoch=1, epochs_run=4, skill=-0.1)])
    assert any("best after its first epoch: it learned little" in f for f in findings)


def test_best_after_first_epoch_with_skill_overfits_at_once():
    findings = findings_for([completed("1", 0.1, best_epoch=1, epochs_run=4, skill=0.3)])
    assert any("overfits from the start" in f for f in findings)
    assert not any("learned little" in f for f in findings)


@pytest.mark.parametrize(
    "name, value, edge",
    [("units", 16, "upper"), ("units", 4, "lower"), ("dropout", 0.4, "upper"), ("learning_rate", 1e-4, "lower")],
)
def test_value_at_range_edge(name, value, edge, tmp_path):
    found = diagnoses_for([completed("1", 0.1, values=values(**{name: value}))], tmp_path)
    assert any(d["code"] == "range_edge" and f"{name} = {value:g} at the {edge} end" in d["reason"] for d in found), (
        found
    )


def test_every_range_edge_of_the_best_trial_is_in_its_finding_line(tmp_path):
    from lstmtune.report.diagnoses import diagnosis_lines

    records = [completed("1", 0.1, values=values(units=16, dropout=0.4, learning_rate=1e-4))]
    found = diagnoses_for(records, tmp_path)
    line = next(line for line in diagnosis_lines(found, rank_trials(records, NAMES)) if line.startswith("range_edge"))
    assert all(f"{name} = " in line for name in ("units", "dropout", "learning_rate")), line


@pytest.mark.parametrize("name, value", [("dropout", 0.0), ("layers", 1)])
def test_edge_that_cannot_be_widened_is_not_reported(name, value):
    """dropout cannot go below 0 and layers below 1: no advice to widen."""
    from lstmtune.report.findings import range_edges

    space = {"dropout": {"float": [0.0, 0.4]}, "layers": {"int": [1, 3]}}
    assert range_edges(pd.Series({name: value}), space) == []
    assert range_edges(pd.Series({"dropout": 0.4, "layers": 3}), space) == [
        "dropout = 0.4 at the upper end of [0, 0.4]",
        "layers = 3 at the upper end of [1, 3]",
    ]


def test_values_inside_ranges_have_no_edge_finding():
    findings = findings_for([completed("1", 0.1)])
    assert not any("edge" in f for f in findings)
    # fixed hyperparameters (lookback, batch_size) are never reported
    findings = findings_for([completed("1", 0.1, values=values(lookback=1000, batch_size=1))])
    assert not any("edge" in f for f in findings)


def test_only_the_best_trial_is_checked_for_edges():
    findings = findings_for([completed("1", 0.1), completed("2", 0.2, values=values(units=16))])
    assert not any("edge" in f for f in findings)


def test_no_trial_completed():
    findings = findings_for([failed("1", "OOM"), failed("2", "OOM"), failed("3", "NaN loss")])
    assert findings == ["No trial completed; 3 failed (most often: OOM ×2)."]


def test_failed_trials_are_counted():
    findings = findings_for([completed("1", 0.1), failed("2", "OOM")])
    assert findings[-1] == "1 of 2 trials failed (most often: OOM ×1)."


def test_report_findings_come_from_diagnose(tmp_path):
    records = [completed("1", 0.1, skill=-0.2, gap=3.0, best_epoch=EPOCHS, epochs_run=EPOCHS), failed("2", "OOM")]
    built = build_report(make_run(tmp_path / "run", records))
    text = " ".join(built.findings)
    assert "worse than repeating the last value" in text and "Generalisation gap 3.00" in text
    # Still improving with no skill yet: learning slowly, not "not learning".
    assert "still_improving: 1 of 2 trials (1)" in text and "it learns slowly" in text and "OOM" in text
    assert {d["code"] for d in built.diagnoses} == {"still_improving"}


def test_sparkline_learning_curve():
    from lstmtune.report.lines import sparkline

    assert sparkline([1.0, 2.0, 3.0]) == "▁▅█"
    assert sparkline([2.0, float("nan"), 1.0]) == "█×▁"
    assert sparkline([]) == ""
    long = sparkline([float(i) for i in range(100)], width=10)
    assert len(long) == 10 and long[0] == "▁" and long[-1] == "█"


def test_a_sparkline_of_a_nearly_flat_curve_looks_flat():
    """Scaled to its own range alone, a 0.8 % change and a 45 % drop drew the same shape."""
    from lstmtune.report.lines import sparkline

    assert sparkline([1.0, 0.998, 0.995, 0.992]) == "▁▁▁▁"
    assert sparkline([1.0, 0.8, 0.6, 0.55]) == "█▅▁▁"
    assert sparkline([0.0, 0.0, 0.0]) == "▁▁▁"


def test_seasonal_naive_that_wins_is_reported():
    from lstmtune.report.findings import diagnose

    table = pd.DataFrame([{"trial_id": "1", "status": "completed", "skill": 0.2, "val_rmse": 40.0, "note": ""}])
    manifest = {"data": {"settings": {"season": 12}}, "baselines": {"val": {"seasonal": {"rmse": 31.0}}}}
    assert any("Seasonal naive (period 12) beats the best trial" in f for f in diagnose(table, Manifest(manifest)))
    manifest["baselines"]["val"]["seasonal"]["rmse"] = 45.0
    assert not any("Seasonal naive" in f for f in diagnose(table, Manifest(manifest)))


@pytest.mark.parametrize(
    "lookback, transform, advice",
    [
        (6, "diff", "a lookback of at least 12"),
        (12, "diff", "its lookback (12) already spans a season: try --transform sdiff"),
        (24, "log,sdiff", "its lookback (24) already spans a season: search more trials"),
    ],
)
def test_seasonal_naive_advice_follows_the_best_trials_lookback(lookback, transform, advice):
    from lstmtune.report.findings import diagnose

    table = pd.DataFrame(
        [{"trial_id": "1", "status": "completed", "skill": 0.2, "val_rmse": 40.0, "lookback": lookback, "note": ""}]
    )
    manifest = {
        "data": {"settings": {"season": 12, "transform": transform}},
        "baselines": {"val": {"seasonal": {"rmse": 31.0}}},
    }
    assert any(advice in f for f in diagnose(table, Manifest(manifest)))


def test_few_validation_windows_are_flagged():
    from lstmtune.report.findings import diagnose

    table = pd.DataFrame([{"trial_id": "1", "status": "completed", "skill": 0.2, "note": ""}])
    few = {"data": {"splits": {"val": {"rows": [100, 112]}}}}
    assert any("only 12 windows" in f for f in diagnose(table, Manifest(few)))
    many = {"data": {"splits": {"val": {"rows": [100, 200]}}}}
    assert not any("windows" in f for f in diagnose(table, Manifest(many)))


@pytest.mark.parametrize(
    "fmt, output, expected",
    [
        (None, None, "table"),
        (None, "r.json", "json"),
        (None, "r.MD", "md"),
        (None, "r.txt", "table"),
        (None, "r.html", "html"),
        ("csv", "r.txt", "csv"),
        ("md", "r.markdown", "md"),
    ],
)
def test_format_follows_the_output_extension(fmt, output, expected):
    from lstmtune.report.render import format_for

    assert format_for(fmt, Path(output) if output else None) == expected


def test_a_format_contradicting_the_extension_is_refused():
    from lstmtune.report.render import format_for

    with pytest.raises(OptionError, match="its extension names the json format, but --format is csv"):
        format_for("csv", Path("r.json"))


@pytest.mark.parametrize("width", [80, 90, 100, 140])
def test_ranked_table_never_cuts_a_number(tmp_path, width):
    records = [
        completed("12", 3.7251, skill=-0.004002, gap=3.7123, seconds=123.456),
        {**completed("13", 9.1), "status": "interrupted"},
        failed("14", "training loss became non-finite at epoch 1"),
    ]
    buffer = io.StringIO()
    render_table(build_report(make_run(tmp_path / "run", records)), Console(file=buffer, width=width))
    text = buffer.getvalue()
    assert "…" not in text
    assert "-0.004002" in text and "interrupted" in text


def test_report_on_a_manifest_with_null_sections(tmp_path, cli):
    from lstmtune.run.atomic import write_json

    run = tmp_path / "run"
    write_json(
        run / "run.json",
        {
            "status": "completed",
            "data": None,
            "search": None,
            "baselines": None,
            "hyperparameters": {"names": ["units"], "tunable": ["units"], "space": {}},
        },
    )
    write_json(
        run / "history" / "trial_0.json",
        {
            "trial_id": "0",
            "status": "completed",
            "values": {"units": 4},
            "metrics": {"val_mse": 0.5, "val_rmse": 1.0, "skill": 0.1},
        },
    )
    for fmt in ("table", "json", "md", "csv"):
        result = cli("report", run, "--format", fmt)
        assert result.exit_code == 0, result.stderr


def test_report_on_a_manifest_with_an_unknown_task(tmp_path, cli):
    from conftest import assert_one_line_error

    from lstmtune.run.atomic import write_json

    write_json(tmp_path / "run" / "run.json", {"schema_version": 2, "task": "images", "status": "completed"})
    assert_one_line_error(
        cli("report", tmp_path / "run"), "run.json", "`task` must be one of forecast, text, sequence", "'images'"
    )


@pytest.mark.parametrize(
    "skill, fragment",
    [
        (-0.01, "no better than guessing the training class shares"),
        (0.01, "barely better than guessing the training class shares"),
        (0.3, "beats guessing the training class shares on validation: skill 0.300"),
    ],
)
def test_classification_skill_findings(skill, fragment):
    from lstmtune.report.findings import diagnose

    table = pd.DataFrame([{"trial_id": "1", "status": "completed", "skill": skill, "val_accuracy": 0.8, "note": ""}])
    manifest = {
        "task": "text",
        "baselines": {"val": {"prior": {"accuracy": 0.6, "items": 500}}},
        "data": {"labels": ["a", "b"], "settings": {}},
    }
    findings = diagnose(table, Manifest(manifest))
    assert any(fragment in f for f in findings), findings


def test_majority_class_advice_depends_on_balance_and_flags():
    from lstmtune.report.findings import diagnose

    def advice(majority, accuracy=0.5, **settings):
        table = pd.DataFrame(
            [{"trial_id": "1", "status": "completed", "skill": 0.2, "val_accuracy": accuracy, "note": ""}]
        )
        manifest = {
            "task": "text",
            "baselines": {"val": {"prior": {"accuracy": majority, "items": 500}}},
            "data": {"labels": ["a", "b"], "settings": settings},
        }
        return next(f for f in diagnose(table, Manifest(manifest)) if "majority class" in f)

    assert "try --class-weight auto or --objective macro_f1" in advice(0.9)
    weighted = advice(0.9, class_weight="auto")
    assert "try --objective macro_f1" in weighted and "--class-weight" not in weighted
    assert "does not tell the classes apart" in advice(0.9, class_weight="auto", objective="macro_f1")
    assert "does not tell the classes apart" in advice(0.55)  # two nearly even classes: weights would not help


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"trial_id": "1", "status": "completed", "metrics": "fast", "values": {}}', "its metrics is not an object"),
        ('{"trial_id": [1, 2], "status": "completed"}', "its trial_id is not a name"),
        ('{"trial_id": "1", "status": "done"}', "is not a trial status"),
        ('{"trial_id": "1", "sta', "not readable JSON"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_report_names_a_damaged_trial_record_and_shows_the_rest(cli, tmp_path, content, problem):
    run = tmp_path / "run"
    (run / "history").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"schema_version": 2, "task": "forecast", "status": "completed"}))
    good = {"trial_id": "0", "status": "completed", "metrics": {"val_mse": 0.5}, "values": {}}
    (run / "history" / "trial_0.json").write_text(json.dumps(good))
    (run / "history" / "trial_1.json").write_text(content)
    result = cli("report", run, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [t["trial_id"] for t in report["trials"]] == ["0"]
    assert any("history/trial_1.json" in f and problem in f for f in report["findings"]), report["findings"]


def test_report_outputs_never_replace_the_runs_inputs_or_other_kinds_of_file(cli, tmp_path):
    data = tmp_path / "airline.csv"
    data.write_text("Date,Passengers\n1949-01,112\n")
    run = make_run(tmp_path / "run", RECORDS, data={"path": str(data), "summary": "s"})
    before = data.read_bytes()
    from conftest import assert_one_line_error

    assert_one_line_error(cli("report", run.root, "--html", data), "--html", "is an input of this command")
    assert_one_line_error(cli("report", run.root, "--format", "csv", "--output", data), "--output", "is an input")
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert_one_line_error(cli("report", run.root, "--html", notes), "--html", "exists and is not a html file (.txt)")
    assert data.read_bytes() == before and notes.read_text() == "mine"
    page = tmp_path / "old.html"
    page.write_text("old")
    assert (
        cli("report", run.root, "--html", page).exit_code == 0 and page.read_text() != "old"
    )  # an HTML file is replaced


def test_markdown_links_pictures_relative_to_itself(cli, tmp_path):
    run = make_run(tmp_path / "run", RECORDS)
    (tmp_path / "docs").mkdir()
    result = cli(
        "report", run.root, "--format", "md", "--output", tmp_path / "docs" / "r.md", "--plots", tmp_path / "plots"
    )
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "docs" / "r.md").read_text()
    assert "](../plots/" in text and str(tmp_path) not in text.split("## Pictures")[1]


def test_what_helped_says_when_there_are_too_few_trials(tmp_path):
    built = build_report(make_run(tmp_path / "run", RECORDS), with_importance=True)
    assert built.importance is None
    assert built.helped() == ["needs at least 8 completed trials to say (this run has 3)"]
