"""The spaces installed with lstmtune, used by name (`--space forecast`) from any directory."""

from __future__ import annotations

import fnmatch

import pytest
from conftest import AIRLINE, ROOT, assert_one_line_error

import lstmtune
from lstmtune.space.shipped import SHIPPED_DIR, description, shipped_spaces, space_file

NAMES = ["autoencoder", "forecast", "sequence", "smoke", "text"]


def test_the_shipped_spaces_are_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    assert list(shipped_spaces()) == NAMES
    assert SHIPPED_DIR == ROOT / "lstmtune" / "spaces"
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["lstmtune"]
    for path in shipped_spaces().values():
        assert any(fnmatch.fnmatch(str(path.relative_to(ROOT / "lstmtune")), glob) for glob in globs), path


def test_a_name_is_a_shipped_space_and_a_path_stays_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert space_file("forecast") == SHIPPED_DIR / "forecast.yaml"
    assert space_file("forecast.yaml") == tmp_path.joinpath("forecast.yaml").relative_to(tmp_path)
    assert str(space_file("spaces/smoke")) == "spaces/smoke"
    (tmp_path / "smoke").write_text("hyperparameters: {units: 8}\n")
    assert str(space_file("smoke")) == "smoke"  # a file of that name in the current directory wins


def test_check_and_search_take_a_name_from_any_directory(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("check", "--space", "forecast", AIRLINE, "--target", "Passengers", "--time-col", "Date")
    assert result.exit_code == 0, result.stderr
    assert str(SHIPPED_DIR / "forecast.yaml") in result.stdout and "valid for --task forecast" in result.stdout
    text = cli("check", "--space", "text", "--task", "text")
    assert text.exit_code == 0 and "valid for --task text" in text.stdout
    help_text = " ".join(cli("search", "--help").stdout.replace("│", " ").split())
    listed = help_text.split("a shipped space by name:")[1].split("(lstmtune init --list)")[0]
    assert all(name in listed for name in NAMES), listed


def test_an_unknown_name_says_which_names_there_are(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = assert_one_line_error(cli("check", "--space", "forcast"), "forcast: space file not found")
    assert "did you mean 'forecast'?" in line and "forecast, sequence, smoke, text" in line
    api = None
    try:
        lstmtune.search(data=AIRLINE, target="Passengers", time_col="Date", space="smok", out=tmp_path / "r")
    except lstmtune.errors.SpaceError as error:
        api = str(error)
    assert api is not None and "did you mean 'smoke'?" in api
    assert not (tmp_path / "r").exists()


def test_init_lists_them(cli):
    result = cli("init", "--list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    for line, path in zip(lines, shipped_spaces().values()):
        assert line.endswith(f"({path})") and description(path) in line and description(path)
    assert "Tiny and fast" in lines[NAMES.index("smoke")]
