"""`lstmtune init` writes starter spaces that pass `check`; `lstmtune schema` validates every shipped space."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import ROOT, assert_one_line_error

from lstmtune.space.yaml_reader import read_document

SHIPPED = {
    "forecast.yaml": "forecast",
    "smoke.yaml": "forecast",
    "text.yaml": "text",
    "sequence.yaml": "sequence",
    "autoencoder.yaml": "autoencoder",
}


@pytest.mark.parametrize("task", ["forecast", "text", "sequence", "autoencoder"])
def test_init_writes_a_space_that_check_accepts(cli, tmp_path, task):
    path = tmp_path / f"{task}.yaml"
    result = cli("init", "--task", task, path)
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# lstmtune search space") and "batch_size" in text
    checked = cli("check", "--space", path, "--task", task)
    assert checked.exit_code == 0, checked.stderr
    assert f"valid for --task {task}" in checked.stdout
    assert cli("init", "--task", task).stdout == text  # without FILE it prints the same text


def test_init_keeps_an_existing_file(cli, write_file):
    path = write_file("mine.yaml", "hyperparameters: {units: 4}\n")
    assert_one_line_error(cli("init", path), "mine.yaml", "already exists", "--force")
    assert path.read_text() == "hyperparameters: {units: 4}\n"
    assert cli("init", path, "--force").exit_code == 0 and path.read_text().startswith("# lstmtune")


@pytest.mark.parametrize("name, task", SHIPPED.items())
def test_schema_validates_every_shipped_space(cli, name, task):
    result = cli("schema", "--task", task)
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(read_document((ROOT / "lstmtune" / "spaces" / name).read_text()), schema)


@pytest.mark.parametrize("task", ["forecast", "text", "sequence", "autoencoder"])
def test_schema_validates_init_output_and_refuses_what_check_refuses(cli, task):
    schema = json.loads(cli("schema", "--task", task).stdout)
    jsonschema.validate(read_document(cli("init", "--task", task).stdout), schema)
    for bad in (
        "hyperparameters: {units: 0}",
        "hyperparameters: {dropout: {float: [0, 1.5]}}",
        "hyperparameters: {nope: 1}",
        "search: {tuner: grid}",
        "data: {nope: 1}",
        "gate: ['skill > 1']",
        "colour: blue",
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(read_document(bad), schema)
    other = {
        "forecast": "hyperparameters: {max_tokens: 100}",
        "text": "hyperparameters: {lookback: 4}",
        "sequence": "data: {horizon: 2}",
        "autoencoder": "hyperparameters: {pooling: mean}",
    }[task]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(read_document(other), schema)


@pytest.mark.parametrize("command", ["search", "check", "report", "gate", "predict", "refit", "init", "worker"])
def test_help_shows_no_python_list_types(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "list[" not in result.stdout, result.stdout


def test_help_offers_shell_completion(cli):
    result = cli("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
