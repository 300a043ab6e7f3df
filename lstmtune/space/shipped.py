"""The search spaces installed with lstmtune (`lstmtune/spaces/*.yaml`), usable by name: `--space forecast`.

A value that names an existing file, or looks like a path (a folder separator or a file extension), is a
path; otherwise a shipped space's name is that space's file.
"""

from __future__ import annotations

import os
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "spaces"


def shipped_spaces() -> dict[str, Path]:
    """The shipped spaces by name, sorted."""
    return {path.stem: path for path in sorted(SHIPPED_DIR.glob("*.yaml"))}


def space_file(value: str | Path) -> Path:
    """The space file `value` stands for: the file it names, or the shipped space of that name."""
    path = Path(value)
    text = str(value)
    if path.exists() or path.suffix or os.sep in text or (os.altsep and os.altsep in text):
        return path
    return shipped_spaces().get(text, path)


def description(path: Path) -> str:
    """A shipped space's own summary: its leading comment, up to the first colon or full stop."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    text = " ".join(lines)
    ends = [i for i in (text.find(": "), text.find(". ")) if i >= 0]
    return text[: min(ends)] if ends else text
