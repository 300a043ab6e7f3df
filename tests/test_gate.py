"""CI smoke tuning: --time-budget, `lstmtune gate` (rules, exit codes, JUnit, step summary) and the
example GitHub Actions workflow's own commands, run through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import ROOT, TINY_SPACE, assert_one_line_error

from lstmtune.errors import OptionError, SpaceError
from lstmtune.space.rules import parse_rule

WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"


@pytest.mark.parametrize(
    "text",
    [
        "skill > 1",
        "test.skill >> 1",
        "test.skill >= high",
        "",
        "test.skill >= 1 2",
        3,
        "tset.skill > 0",
        "best.gap <= 1e400",
    ],
)
def test_malformed_rules_say_the_form(text):
    with pytest.raises(OptionError) as info:
        parse_rule(text)
    message = str(info.value)
    assert ("must be a rule of the form" in message and "test.skill >= 0.1" in message) or "must be finite" in message


def test_rules_parse():
    rule = parse_rule(" best.gap<=1.5 ")
    assert (rule.scope, rule.figure, rule.op, rule.threshold) == ("best", "gap", "<=", 1.5)
    assert parse_rule("trials.failed == 0").name == "trials.failed == 0"


def test_a_rule_given_twice_is_checked_once(tmp_path):
    """The space's gate: section and --require (or rules= from Python) naming the same rule: one outcome."""
    import shutil

    from lstmtune.report.gate import run_rules
    from lstmtune.run.layout import RunDir

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"schema_version": 2, "task": "forecast", "status": "completed"}))
    shutil.copy(ROOT / "lstmtune" / "spaces" / "smoke.yaml", run / "space.yaml")  # gate: trials.failed == 0, ...
    names = [
        rule.name for rule in run_rules(RunDir(run), ["trials.failed == 0", "test.skill >= 0.1", "test.skill >= 0.1"])
    ]
    assert names == ["run.completed == 1", "trials.failed == 0", "val.skill > -0.5", "test.skill >= 0.1"]


def test_space_gate_section_is_validated(write_file):
    from lstmtune.tasks import read_space

    assert read_space(ROOT / "lstmtune" / "spaces" / "smoke.yaml").gate == ("trials.failed == 0", "val.skill > -0.5")
    with pytest.raises(SpaceError, match="bad.yaml: gate must be a rule"):
        read_space(write_file("bad.yaml", "gate: ['skill >= 1']"))
    with pytest.raises(SpaceError, match="tset.skill"):  # a misspelt scope is caught when the file is read
        read_space(write_file("typo.yaml", "gate: ['tset.skill > 0']"))
    with pytest.raises(SpaceError, match="test.skil is not a figure lstmtune records"):
        read_space(write_file("typo2.yaml", "gate: ['test.skil > 0']"))
    with pytest.raises(SpaceError, match="gate must be a list"):
        read_space(write_file("bad2.yaml", "gate: test.skill >= 1"))


def workflow_steps() -> tuple[dict[str, str], list[str]]:
    """The example workflow's job environment and the shell lines of its `lstmtune` steps."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["smoke"]
    lines = [" ".join(str(step.get("run", "")).split()) for step in job["steps"]]
    return {k: str(v) for k, v in job["env"].items()}, [line for line in lines if line.startswith("lstmtune ")]


@pytest.mark.search
def test_the_example_workflow_end_to_end(tmp_path, monkeypatch):
    """The workflow as written, in a repository that holds only a CSV (outside this checkout, so the
    shipped space comes from the installed package): smoke search within a time budget, gate passing,
    report; then a planted failing rule gives the gate's own exit code, a JUnit file and a step summary."""
    from typer.testing import CliRunner

    from lstmtune.cli import app

    repo = tmp_path / "repo"
    env, lines = workflow_steps()
    (repo / Path(env["DATA"]).parent).mkdir(parents=True)
    airline = (ROOT / "examples" / "data" / "airline.csv").read_text().splitlines()
    (repo / env["DATA"]).write_text("\n".join([f"{env['TIME_COL']},{env['TARGET']}", *airline[1:]]) + "\n")
    summary = tmp_path / "summary.md"
    assert [line.split()[1] for line in lines] == ["search", "gate", "report"] and "--time-budget" in lines[0]
    bin_dir = str(Path(sys.executable).parent)
    environment = {
        **os.environ,
        **env,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": bin_dir + os.pathsep + os.environ["PATH"],
    }
    for line in lines:
        done = subprocess.run(
            ["bash", "-c", line], cwd=repo, env=environment, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    assert sorted(p.name for p in repo.iterdir()) == ["data", "runs"]
    run = repo / "runs" / "smoke"
    passed = ElementTree.parse(run / "gate.xml").getroot()
    assert passed.get("tests") == "4" and passed.get("failures") == "0"  # run.completed, smoke.yaml's two, --require
    assert (run / "report.md").read_text().startswith("# lstmtune run")
    assert "### lstmtune search" in summary.read_text() and "### lstmtune gate passed" in summary.read_text()

    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    runner = CliRunner()
    junit = tmp_path / "fail.xml"
    failing = runner.invoke(app, ["gate", str(run), "--require", "test.skill >= 0.99", "--junit", str(junit)])
    assert failing.exit_code == 3, failing.stderr
    assert "FAIL  test.skill >= 0.99  (found" in failing.stdout and "PASS  trials.failed == 0" in failing.stdout
    assert failing.stderr.strip() == "error: 1 of 4 rules failed: test.skill >= 0.99"
    root = ElementTree.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert root.get("failures") == "1" and [c.find("failure") is not None for c in cases] == [False, False, False, True]
    debug = runner.invoke(app, ["--debug", "gate", str(run), "--require", "test.skill >= 0.99"])
    assert debug.exit_code == 3 and "Traceback" not in debug.stderr
    assert "### lstmtune gate FAILED" in summary.read_text()

    as_json = json.loads(runner.invoke(app, ["gate", str(run), "--require", "best.gap >= 0", "--json"]).stdout)
    assert as_json["passed"] is True and as_json["rules"][-1]["rule"] == "best.gap >= 0"
    assert_one_line_error(
        runner.invoke(app, ["gate", str(run), "--require", "test.accuracy > 0.5"]),
        "test.accuracy is not a figure of this run",
        "known: val.rmse",
    )
    assert runner.invoke(app, ["gate", str(run), "--require", "trials.completed == 2.0000000001"]).exit_code == 0


@pytest.mark.search
def test_time_budget_stops_a_trial_and_the_search(cli, airline_csv, write_file, tmp_path):
    space = write_file(
        "long.yaml",
        TINY_SPACE.replace(
            "search: {max_trials: 2, epochs: 2, patience: 1}", "search: {max_trials: 3, epochs: 2000, patience: 2000}"
        ),
    )
    out = tmp_path / "budget"
    result = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--space",
        space,
        "--out",
        out,
        "--time-budget",
        "2s",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["state"] == "completed (the time budget of 2 s ended the search)"
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["trials"]["completed"] == 1 and manifest["search"]["time_budget"] == 2.0
    record = json.loads(next((out / "history").glob("trial_*.json")).read_text())
    assert "by the time budget" in record["note"] and record["metrics"]["epochs_run"] < 2000
    assert (out / "best_model.keras").is_file()


def test_gate_on_a_run_where_nothing_completed(cli, tmp_path):
    from lstmtune.run.atomic import write_json

    run = tmp_path / "run"
    write_json(run / "run.json", {"status": "failed", "hyperparameters": {"names": [], "tunable": [], "space": {}}})
    write_json(run / "history" / "trial_0.json", {"trial_id": "0", "status": "failed", "reason": "boom"})
    result = cli("gate", run, "--require", "test.skill > 0", "--require", "trials.failed <= 1")
    assert result.exit_code == 3
    assert (
        "FAIL  test.skill > 0  (found missing)" in result.stdout
        and "PASS  trials.failed <= 1  (found 1)" in result.stdout
    )
    assert "FAIL  run.completed == 1  (found 0)" in result.stdout  # a failed run never passes a gate
    # Nor does a running one, even when every rule given holds.
    write_json(run / "run.json", {"status": "running", "hyperparameters": {"names": [], "tunable": [], "space": {}}})
    assert cli("gate", run, "--require", "trials.failed <= 1").exit_code == 3


def test_gate_needs_a_rule(cli, tmp_path):
    from lstmtune.run.atomic import write_json

    write_json(tmp_path / "run" / "run.json", {"status": "completed"})
    assert_one_line_error(cli("gate", tmp_path / "run"), "--require", "at least one rule")
    assert_one_line_error(cli("gate", tmp_path / "run", "--require", "skill > 0"), "must be a rule of the form")


def test_bad_time_budget(cli, airline_csv, tiny_space, tmp_path):
    result = cli(
        "search",
        airline_csv,
        "--target",
        "Passengers",
        "--space",
        tiny_space,
        "--out",
        tmp_path / "r",
        "--time-budget",
        "soon",
    )
    assert_one_line_error(result, "--time-budget must be a duration like 90s, 10m, 1h", "'soon'")
