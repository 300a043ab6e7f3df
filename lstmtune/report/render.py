"""Which renderer a `report` command asks for, and the files beside the text: --plots pictures, --html page."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from lstmtune.errors import OptionError
from lstmtune.report.json_view import render_json
from lstmtune.report.markdown import render_markdown
from lstmtune.report.model import Report
from lstmtune.report.text import render_table
from lstmtune.run.layout import owning_run
from lstmtune.run.output import check_output, distinct_outputs, write_output

FORMATS = ("table", "csv", "md", "json")
# The formats an --output file's extension names; .html is the page --html writes.
EXTENSIONS = {".csv": "csv", ".md": "md", ".markdown": "md", ".json": "json", ".html": "html", ".htm": "html"}


def format_for(fmt: str | None, output: Path | None) -> str:
    """--format, or the one --output's extension names ("html": the --html page), or table. A --format
    that contradicts the extension is an error."""
    named = EXTENSIONS.get(output.suffix.lower()) if output else None
    if fmt is None:
        return named or "table"
    if fmt not in FORMATS:
        raise OptionError(f"--format must be one of {', '.join(FORMATS)}, but got {fmt!r}")
    if named is not None and named != fmt:
        raise OptionError(
            f"--output {output}: its extension names the {named} format, but --format is {fmt}; "
            "drop --format, or give the file a matching extension"
        )
    return fmt


def render(report: Report, fmt: str, console: Console, pictures: dict[str, str] | None = None) -> str | None:
    """Text for csv / md / json; the table format prints straight to the console. `pictures`: the
    --plots files Markdown links to."""
    if fmt == "table":
        render_table(report, console)
        return None
    if fmt == "csv":
        return report.top.to_csv(index=False)
    if fmt == "md":
        return render_markdown(report, pictures)
    return render_json(report)


def run_inputs(report: Report) -> tuple[str | None, ...]:
    """The files a run was made from (its data and space file): no report output may replace them."""
    data = report.manifest.data.get("path")
    command = report.manifest.get("command") or []
    space = next((command[i + 1] for i, arg in enumerate(command[:-1]) if arg in ("--space", "-s")), None)
    return (data if isinstance(data, str) else None, space if isinstance(space, str) else None)


def check_outputs(report: Report, fmt: str, output: Path | None, plots: Path | None, html: Path | None) -> None:
    """Every output path of `report`, checked together before anything is written."""
    distinct_outputs({"--output": output, "--html": html, "--plots": plots})
    check_picture_paths(plots, html)
    if output is not None:
        check_output(output, "--output", fmt, run_inputs(report))
    if html is not None:
        check_output(html, "--html", "html", run_inputs(report))


def check_picture_paths(plots: Path | None, html: Path | None) -> None:
    """--plots must name a directory and --html a file, neither inside a run directory's own files."""
    for flag, path in (("--plots", plots), ("--html", html)):
        if path is not None and owning_run(path / "x" if flag == "--plots" else path) is not None:
            raise OptionError(f"{flag} {path}: is inside the run directory's own files; choose another path")
    if plots is not None and plots.exists() and not plots.is_dir():
        raise OptionError(f"--plots {plots}: is a file, but a directory for the pictures is needed")
    if html is not None and html.is_dir():
        raise OptionError(f"--html {html}: is a directory; give a file path like report.html")


def write_pictures(
    report: Report, plots: Path | None, html: Path | None, output: Path | None, runs: list[dict] | None = None
) -> dict[str, str]:
    """Write --plots PNGs and the --html page (paths checked by `check_outputs` first); {picture: path as
    the Markdown should reference it}."""
    if plots is None and html is None:
        return {}
    # matplotlib, and the HTML renderer, only when pictures are asked for
    from lstmtune.report.pictures import render_plots, write_plots

    rendered = render_plots(report)
    referenced: dict[str, str] = {}
    if plots is not None:
        try:
            written = write_plots(report, plots, rendered)
        except OSError as exc:
            raise OptionError(f"--plots {plots}: cannot write the pictures ({exc.strerror or exc})") from None
        base = (output.parent if output else Path.cwd()).resolve()
        for name, path in written.items():  # relative to the Markdown file, so the folder can move with it
            referenced[name] = os.path.relpath(Path(path).resolve(), base)
    if html is not None:
        from lstmtune.report.html import render_html

        write_output(render_html(report, rendered, runs=runs), html, "--html", kind="html", keep=run_inputs(report))
    return referenced
