"""--gpu-fast (recurrent_dropout kept at 0 so a GPU can use cuDNN's fused LSTM kernel) and the report's
GPU section, which names the trials that could not use cuDNN and how much slower they were."""

from __future__ import annotations

import csv
import html
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from conftest import AIRLINE, REVIEWS, VOWELS, assert_one_line_error
from rich.console import Console
from typer.testing import CliRunner

from lstmtune.cli import app
from lstmtune.run.atomic import read_json, write_json
from lstmtune.run.layout import RunDir

AIRLINE_FLAGS = ["--target", "Passengers", "--time-col", "Date"]
# recurrent_dropout is searched away from 0: without --gpu-fast no trial could use cuDNN.
GPU_SPACE = """\
hyperparameters:
  lookback: 4
  units: {int: [2, 4], step: 2}
  recurrent_dropout: {float: [0.1, 0.3]}
  learning_rate: 0.01
  batch_size: 32
search: {max_trials: 2, epochs: 1, patience: 1}
"""


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpu_fast")
    space = folder / "space.yaml"
    space.write_text(GPU_SPACE, encoding="utf-8")
    out = folder / "run"
    result = invoke(
        "search",
        AIRLINE,
        *AIRLINE_FLAGS,
        "--space",
        space,
        "--out",
        out,
        "--max-trials",
        "2",
        "--epochs",
        "1",
        "--gpu-fast",
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    return out, space, result


# --- --gpu-fast ------------------------------------------------------------------------------------


def test_gpu_fast_keeps_recurrent_dropout_at_zero_in_every_trial(fast_run):
    out, _, result = fast_run
    records = [read_json(path) for path in sorted((out / "history").glob("trial_*.json"))]
    assert len(records) == 2
    for record in records:
        assert record["status"] == "completed", record
        assert record["values"]["recurrent_dropout"] == 0, record["values"]
    manifest = read_json(out / "run.json")
    assert manifest["search"]["gpu_fast"] is True
    assert manifest["hyperparameters"]["space"]["recurrent_dropout"] == 0
    assert "recurrent_dropout" not in manifest["hyperparameters"]["tunable"]
    # One line on stderr at the start says what the flag did, and what the space file had asked for.
    lines = [line for line in result.stderr.splitlines() if line.startswith("gpu-fast:")]
    assert len(lines) == 1, result.stderr
    assert "recurrent_dropout fixed at 0" in lines[0] and "[0.1, 0.3]" in lines[0] and "cuDNN" in lines[0]


def test_gpu_fast_and_mixed_precision_help_say_what_they_do_on_a_cpu():
    result = invoke("search", "--help")
    text = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", result.stdout))
    assert "--gpu-fast" in text and "cuDNN" in text and "on a CPU trials get faster too" in text
    assert "--mixed-precision" in text and "mixed_float16" in text and "not reliably faster" in text


def test_resuming_with_another_gpu_fast_is_refused(fast_run):
    out, space, _ = fast_run
    result = invoke(
        "search",
        AIRLINE,
        *AIRLINE_FLAGS,
        "--space",
        space,
        "--out",
        out,
        "--resume",
        "--max-trials",
        "2",
        "--epochs",
        "1",
    )
    assert_one_line_error(result, "the run started with --gpu-fast; resume with the same data, space and flags")


def test_a_space_fixing_recurrent_dropout_contradicts_gpu_fast(tmp_path):
    space = tmp_path / "fixed.yaml"
    space.write_text(GPU_SPACE.replace("{float: [0.1, 0.3]}", "0.2"), encoding="utf-8")
    out = tmp_path / "run"
    result = invoke("search", AIRLINE, *AIRLINE_FLAGS, "--space", space, "--out", out, "--gpu-fast")
    assert_one_line_error(result, "--gpu-fast", "recurrent_dropout", "0.2", str(space))
    assert not out.exists()
    # Without the flag the same space is fine (planning only: `check`).
    assert invoke("check", "--space", space, AIRLINE, *AIRLINE_FLAGS).exit_code == 0


def test_check_takes_gpu_fast_and_says_what_it_fixes(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(GPU_SPACE, encoding="utf-8")
    plain = invoke("check", "--space", space, AIRLINE, *AIRLINE_FLAGS)
    fast = invoke("check", "--space", space, AIRLINE, *AIRLINE_FLAGS, "--gpu-fast")
    assert plain.exit_code == fast.exit_code == 0, fast.output
    assert "2 tunable hyperparameters (units, recurrent_dropout)" in plain.output and "gpu-fast" not in plain.output
    assert "1 tunable hyperparameter (units)" in fast.output
    assert "gpu-fast: recurrent_dropout fixed at 0 in every trial (the space file searched [0.1, 0.3])" in fast.output
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(GPU_SPACE.replace("{float: [0.1, 0.3]}", "0.2"), encoding="utf-8")
    assert_one_line_error(invoke("check", "--space", fixed, "--gpu-fast"), "--gpu-fast", "recurrent_dropout", "0.2")


def test_gpu_fast_with_a_zero_recurrent_dropout_is_accepted():
    from lstmtune.plan import SearchRequest, plan_search

    space = {"hyperparameters": {"lookback": 4, "units": 2, "recurrent_dropout": 0}}
    plan = plan_search(SearchRequest(data_path=None, space_path=space, gpu_fast=True))
    assert plan.space.params["recurrent_dropout"].value == 0
    assert plan.notices and "narrows the search" in plan.notices[0]


@pytest.mark.parametrize(
    "task, data, columns, space",
    [
        (
            "text",
            REVIEWS,
            {"text_col": "text", "target": ("category",)},
            {"max_tokens": 300, "sequence_length": 16, "embedding_dim": 4, "units": 2},
        ),
        (
            "sequence",
            VOWELS,
            {"id_col": "case_id", "order_col": "t", "target": ("label",), "split_col": "split"},
            {"units": 2},
        ),
    ],
)
def test_gpu_fast_applies_to_every_task(task, data, columns, space):
    from lstmtune.plan import SearchRequest, plan_search

    document = {"hyperparameters": {**space, "recurrent_dropout": {"choice": [0.1, 0.25]}}}
    request = SearchRequest(data_path=Path(data), space_path=document, task=task, columns=columns, gpu_fast=True)
    plan = plan_search(request)
    assert plan.space.params["recurrent_dropout"].kind == "fixed"
    assert plan.space.params["recurrent_dropout"].value == 0
    assert "recurrent_dropout" not in [p.name for p in plan.space.tunable]
    assert "0.1, 0.25" in plan.notices[0]
    without = plan_search(SearchRequest(data_path=Path(data), space_path=document, task=task, columns=columns))
    assert without.space.params["recurrent_dropout"].tunable and without.notices == ()


def test_python_api_takes_gpu_fast(tmp_path):
    import lstmtune
    from lstmtune.errors import OptionError

    space = {"hyperparameters": {"lookback": 4, "units": 2, "recurrent_dropout": 0.2}}
    with pytest.raises(OptionError, match=r"^gpu_fast keeps recurrent_dropout at 0"):
        lstmtune.search(AIRLINE, space=space, out=tmp_path / "run", target="Passengers", time_col="Date", gpu_fast=True)
    assert not (tmp_path / "run").exists()


# --- the report's GPU section ------------------------------------------------------------------------

OBJECTIVE = {"name": "val_mse", "direction": "min", "label": "validation MSE"}
# (recurrent_dropout, seconds, epochs run): eligible trials take 1.0, 1.2, 1.4 s an epoch (median 1.2);
# the others 6.0, 6.6, 7.2 s (median 6.6): 5.5x the time.
TRIALS = [(0.0, 10.0, 10), (0.2, 60.0, 10), (0.0, 6.0, 5), (0.1, 33.0, 5), (0.0, 14.0, 10), (0.3, 72.0, 10)]


def synthetic_run(root: Path, kind: str, trials=TRIALS) -> Path:
    """A run directory as a search writes it: run.json, trial records and per-epoch histories."""
    space = {"units": {"int": [4, 64]}, "recurrent_dropout": {"float": [0.0, 0.3]}}
    write_json(
        root / "run.json",
        {
            "schema_version": 2,
            "task": "forecast",
            "status": "completed",
            "device": {"kind": kind, "gpus": ["/physical_device:GPU:0"] if kind == "gpu" else [], "cpu_cores": 2},
            "search": {"epochs": 10, "objective": OBJECTIVE},
            "hyperparameters": {"names": list(space), "tunable": list(space), "space": space},
            "data": {"summary": "synthetic", "targets": ["y"]},
            "trials": {"completed": len(trials)},
        },
    )
    for number, (dropout, seconds, epochs) in enumerate(trials):
        loss = 1.0 / (number + 1)
        metrics = {
            "val_mse": loss,
            "val_rmse": loss**0.5,
            "val_mae": loss / 2,
            "skill": 0.1,
            "train_loss": loss,
            "val_loss": loss,
            "train_skill": 0.2,
            "gap": 1.1,
            "best_epoch": epochs,
            "epochs_run": epochs,
        }
        write_json(
            root / "history" / f"trial_{number}.json",
            {
                "trial_id": str(number),
                "status": "completed",
                "values": {"units": 8, "recurrent_dropout": dropout},
                "metrics": metrics,
                "seconds": seconds,
            },
        )
        with open(root / "history" / f"trial_{number}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["epoch", "loss", "val_loss", "val_mse"])
            for epoch in range(epochs):
                writer.writerow([epoch + 1, loss, loss, loss])
    return root


def rendered(root: Path) -> dict[str, str]:
    from lstmtune.report.html import render_html
    from lstmtune.report.json_view import render_json
    from lstmtune.report.markdown import render_markdown
    from lstmtune.report.model import build_report
    from lstmtune.report.text import render_table

    report = build_report(RunDir(root))
    console = Console(file=StringIO(), width=300, color_system=None)
    render_table(report, console)
    return {
        "table": console.file.getvalue(),
        "md": render_markdown(report),
        "json": render_json(report),
        "html": render_html(report, {}),
    }


def test_report_names_the_trials_off_cudnn_and_their_slowdown(tmp_path):
    out = rendered(synthetic_run(tmp_path / "gpu", "gpu"))
    cudnn = json.loads(out["json"])["cudnn"]
    assert cudnn["not_eligible"] == ["1", "3", "5"] and cudnn["eligible"] == 3
    assert cudnn["timed_trials"] == {"not_eligible": 3, "eligible": 3}
    assert cudnn["median_epoch_seconds"]["eligible"] == pytest.approx(1.2)
    assert cudnn["median_epoch_seconds"]["not_eligible"] == pytest.approx(6.6)
    assert cudnn["ratio"] == pytest.approx(5.5)
    assert cudnn["suggest_gpu_fast"] is True
    for fmt in ("table", "md", "html"):
        text = out[fmt]
        assert "3 of 6 completed trials could not use cuDNN" in text, fmt
        assert (
            "(recurrent_dropout &gt; 0): 1, 3, 5." in text
            if fmt == "html"
            else "(recurrent_dropout > 0): 1, 3, 5." in text
        )
        assert "6.6 s for them (3 trials) vs 1.2 s for the 3 cuDNN-eligible trials: 5.5x the time per epoch" in text, (
            fmt
        )
        assert "--gpu-fast" in text, fmt
    assert "## GPU: cuDNN" in out["md"] and "GPU (cuDNN): " in out["table"] and 'id="cudnn"' in out["html"]


def test_report_gpu_section_without_a_large_slowdown_does_not_suggest_gpu_fast(tmp_path):
    trials = [(0.0, 10.0, 10), (0.2, 11.0, 10), (0.0, 10.0, 10)]
    out = rendered(synthetic_run(tmp_path / "gpu", "gpu", trials))
    cudnn = json.loads(out["json"])["cudnn"]
    assert cudnn["not_eligible"] == ["1"] and cudnn["ratio"] == pytest.approx(1.1) and not cudnn["suggest_gpu_fast"]
    assert "1 of 3 completed trials could not use cuDNN" in out["md"] and "--gpu-fast" not in out["md"]


def test_report_with_no_cudnn_trial_cannot_measure_but_suggests_gpu_fast(tmp_path):
    out = rendered(synthetic_run(tmp_path / "gpu", "gpu", [(0.2, 10.0, 10), (0.1, 10.0, 10)]))
    cudnn = json.loads(out["json"])["cudnn"]
    assert cudnn["eligible"] == 0 and cudnn["ratio"] is None and cudnn["suggest_gpu_fast"]
    assert "No trial used cuDNN" in out["md"] and "--gpu-fast" in out["md"]


def test_report_on_a_cpu_run_says_what_recurrent_dropout_cost_without_speaking_of_cudnn(tmp_path):
    out = rendered(synthetic_run(tmp_path / "cpu", "cpu"))
    document = json.loads(out["json"])
    cost = document["recurrent_dropout_cost"]
    assert document["cudnn"] is None and cost["device"] == "cpu"
    assert cost["ratio"] == pytest.approx(5.5) and cost["suggest_gpu_fast"] is True
    assert cost["best_trial_recurrent_dropout"] == pytest.approx(0.3)  # trial 5 has the lowest loss
    for fmt in ("table", "md", "html"):
        text = html.unescape(out[fmt]) if fmt == "html" else out[fmt]
        assert "cuDNN" not in text, fmt
        assert "3 of 6 completed trials used recurrent dropout" in text, fmt
        assert "vs 1.2 s for the 3 trials without it: 5.5x the time per epoch" in text, fmt
        assert "--gpu-fast to keep recurrent_dropout at 0, which trains faster on a CPU too" in text, fmt
        assert "The best trial used recurrent_dropout 0.3." in text, fmt
        assert "still regularise) and weigh the time saved against the best trial's use of it." in text, fmt
    assert "## CPU: recurrent dropout" in out["md"] and "CPU (recurrent dropout): " in out["table"]
    assert 'id="recurrent-dropout"' in out["html"]


@pytest.mark.parametrize(
    "trials",
    [
        [(0.2, 10.0, 10), (0.1, 10.0, 10)],  # no trial without recurrent dropout: nothing to compare with
        [(0.0, 10.0, 10), (0.2, 11.0, 10), (0.0, 10.0, 10)],  # 1.1x: not worth a word
    ],
)
def test_report_on_a_cpu_run_says_nothing_of_recurrent_dropout_it_cannot_show_was_costly(tmp_path, trials):
    out = rendered(synthetic_run(tmp_path / "cpu", "cpu", trials))
    assert not json.loads(out["json"])["recurrent_dropout_cost"]["suggest_gpu_fast"]
    for fmt in ("table", "md", "html"):
        assert "--gpu-fast" not in out[fmt], fmt
    assert ("recurrent dropout" in out["md"]) == (len(trials) == 3)  # the 1.1x is still reported


def test_report_of_a_gpu_fast_run_on_a_gpu_shows_no_section(fast_run, tmp_path):
    """A real --gpu-fast run, as if it had trained on a GPU: every trial could use cuDNN."""
    import shutil

    out, _, _ = fast_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("tuner", "*.keras"))
    manifest = read_json(copy / "run.json")
    manifest["device"] = {"kind": "gpu", "gpus": ["/physical_device:GPU:0"], "cpu_cores": 2}
    write_json(copy / "run.json", manifest)
    result = invoke("report", copy, "--format", "json")
    assert result.exit_code == 0, result.stderr
    cudnn = json.loads(result.stdout)["cudnn"]
    assert cudnn["not_eligible"] == [] and cudnn["eligible"] == 2 and not cudnn["suggest_gpu_fast"]
    assert "cuDNN" not in invoke("report", copy, "--format", "md").stdout
    assert "cuDNN" not in invoke("report", copy).stdout
    html = rendered(copy)["html"]
    assert 'id="cudnn"' not in html and "gpu-fast (recurrent_dropout 0)" in html  # the run's facts name the flag


@pytest.mark.parametrize(
    "kind, expected",
    [("gpu", "device: 1 GPU (/physical_device:GPU:0)"), ("cpu", "device: CPU (2 cores), no GPU seen by TensorFlow")],
)
def test_every_report_names_the_device(tmp_path, kind, expected):
    out = rendered(synthetic_run(tmp_path / kind, kind))
    assert expected in out["table"] and expected in out["md"]
    assert expected.removeprefix("device: ") in out["html"]
    assert json.loads(out["json"])["device"]["kind"] == kind


def test_the_documented_gpu_install_brings_a_gpu_capable_tensorflow():
    """The gpu extra asks for TensorFlow's CUDA libraries, and the base install for the full tensorflow wheel
    (tensorflow-cpu could never see a GPU and would clash with it)."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("tensorflow-cpu") for d in project["dependencies"])
    assert any(d.startswith("tensorflow>=") for d in project["dependencies"])
    assert any(d.startswith("tensorflow[and-cuda]") for d in project["optional-dependencies"]["gpu"])
