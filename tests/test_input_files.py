"""Input files are checked before they are parsed: devices, pipes, directories, broken links and
files too large are refused with one line, and nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import AIRLINE, TINY_SPACE, assert_one_line_error

from lstmtune.data import files


def _search(cli, data, space, out):
    return cli("search", data, "--target", "Passengers", "--space", space, "--out", out)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "fifo"])
def test_devices_and_pipes_are_refused_without_reading_them(tiny_space, tmp_path, device):
    """In a subprocess with a timeout: reading /dev/zero or a pipe would never end."""
    if device == "fifo":
        device = str(tmp_path / "pipe.csv")
        os.mkfifo(device)
    if not os.path.exists(device):
        pytest.fail(f"{device} is missing on this machine")
    command = [sys.executable, "-m", "lstmtune", "check", device, "--target", "Passengers", "--space", str(tiny_space)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert device in lines[0] and "is not a regular file" in lines[0]


def test_a_directory_and_a_broken_link_as_the_csv(cli, tiny_space, tmp_path):
    (tmp_path / "folder.csv").mkdir()
    assert_one_line_error(
        _search(cli, tmp_path / "folder.csv", tiny_space, tmp_path / "run"), "folder.csv", "is a directory"
    )
    (tmp_path / "link.csv").symlink_to(tmp_path / "gone.csv")
    assert_one_line_error(
        _search(cli, tmp_path / "link.csv", tiny_space, tmp_path / "run"),
        "link.csv",
        "CSV file not found",
        "symbolic link to a missing file",
    )
    assert not (tmp_path / "run").exists()


def test_a_csv_larger_than_this_machine_can_read(cli, tiny_space, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "memory_limit", lambda: 1000)
    line = assert_one_line_error(
        _search(cli, AIRLINE, tiny_space, tmp_path / "run"),
        "airline.csv",
        "the CSV file holds",
        "more than the 1000 bytes it may hold here",
    )
    assert "KiB" in line  # airline.csv is 2.2 KiB


def test_a_space_file_of_megabytes_is_not_parsed(cli, write_file, tmp_path):
    space = write_file("huge.yaml", TINY_SPACE + "# " + "x" * (1 << 20) + "\n")
    assert_one_line_error(
        _search(cli, AIRLINE, space, tmp_path / "run"),
        "huge.yaml",
        "the space file holds 1.0 MiB",
        "more than the 1.0 MiB",
    )


def test_a_dangling_symlink_as_out(cli, tiny_space, tmp_path):
    (tmp_path / "out").symlink_to(tmp_path / "missing" / "run")
    assert_one_line_error(
        _search(cli, AIRLINE, tiny_space, tmp_path / "out"), "--out", "symbolic link to a missing directory"
    )
    assert not (tmp_path / "missing").exists()


def test_report_on_a_file(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(cli("report", tmp_path / "notes.txt"), "notes.txt", "is a file, but a run directory")
