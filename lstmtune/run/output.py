"""Files a command writes besides the run directory (reports, JUnit, predictions, starter spaces): atomic,
and never over a file of a run, an input of the command, or an existing file of another kind."""

from __future__ import annotations

from pathlib import Path

from lstmtune.errors import OptionError
from lstmtune.run.atomic import write_text
from lstmtune.run.layout import owning_run

# What an existing file may be called to be replaced by each kind of output.
SUFFIXES = {
    "table": (".txt", ".log", ""),
    "csv": (".csv",),
    "md": (".md", ".markdown"),
    "json": (".json",),
    "html": (".html", ".htm"),
    "xml": (".xml",),
    "yaml": (".yaml", ".yml"),
}


def write_output(
    text: str, output: Path, flag: str = "--output", kind: str | None = None, keep: tuple[Path | str | None, ...] = ()
) -> None:
    """Write an output file atomically. Never over a file of the run, an input named in `keep` (the
    data a run was made from, the CSV being predicted), or an existing file of another kind."""
    check_output(output, flag, kind, keep)
    try:
        write_text(output, text)
    except OSError as exc:
        raise OptionError(f"{flag} {output}: cannot write it ({exc.strerror or exc})") from None


def distinct_outputs(outputs: dict[str, Path | None]) -> None:
    """A command's output paths (by flag) must differ: one file written over by another is lost."""
    seen: dict[Path, str] = {}
    for flag, path in outputs.items():
        if path is None:
            continue
        resolved = path.resolve()
        if resolved in seen:
            raise OptionError(f"{flag} {path}: is also given to {seen[resolved]}; give each output its own path")
        seen[resolved] = flag


def check_output(
    output: Path, flag: str = "--output", kind: str | None = None, keep: tuple[Path | str | None, ...] = ()
) -> None:
    """What `write_output` checks, for checking every output of a command before any is written."""
    if output.is_dir():
        raise OptionError(f"{flag} {output}: is a directory; give a file path")
    for path in keep:
        if path is not None and Path(path).exists() and output.exists() and output.resolve() == Path(path).resolve():
            raise OptionError(f"{flag} {output}: is an input of this command ({path}); give another name")
    if kind is not None and output.is_file() and output.suffix.lower() not in SUFFIXES[kind]:
        raise OptionError(
            f"{flag} {output}: exists and is not a {kind} file ({output.suffix or 'no extension'}); "
            f"give a new name ending in {SUFFIXES[kind][0] or 'no extension'}, or remove the file first"
        )
    run = owning_run(output)
    if run is not None:
        example = {"csv": "predictions.csv", "html": "report.html", "json": "report.json", "xml": "gate.xml"}
        raise OptionError(
            f"{flag} {output}: is a file of the run directory {run} (written by the search); "
            f"give a name outside it, such as {example.get(kind or '', 'report.md')}"
        )
