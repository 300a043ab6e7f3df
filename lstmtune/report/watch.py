"""A live view of a search: `lstmtune report RUN_DIR --html page.html --watch SECONDS` rewrites the page
every SECONDS while the search runs, and the page reloads itself as often (open it in a browser and leave
it); once the run ends (or on Ctrl-C) the page is written a last time without reloading."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lstmtune.report.model import Report, build_report
from lstmtune.report.render import run_inputs
from lstmtune.run.layout import RunDir
from lstmtune.run.output import write_output


def running(report: Report) -> bool:
    """Whether the search is still writing the run: running, with its process alive (or on another host)."""
    return report.state == "running"


def write_page(report: Report, html: Path, refresh: float | None, compare: list[Path] = ()) -> None:
    from lstmtune.report.html import render_html
    from lstmtune.report.pictures import render_plots
    from lstmtune.report.runs import compare_runs

    runs = compare_runs([report.run_dir.root, *compare]) if compare else None
    page = render_html(report, render_plots(report), refresh=refresh, runs=runs)
    write_output(page, html, "--html", kind="html", keep=run_inputs(report))


def watch(
    run_dir: RunDir,
    html: Path,
    every: float,
    top: int = 5,
    wrote: Callable[[Report, bool], None] = lambda report, live: None,
    sleep: Callable[[float], None] = time.sleep,
    compare: list[Path] = (),
) -> int:
    """Rewrite `html` every `every` seconds while the run is running; the last page does not reload.
    `wrote(report, live)` is told of each page; `compare`: other runs tabled beside it. Returns the number
    of pages written."""
    pages = 0
    report = build_report(run_dir, top=top, with_importance=True)
    try:
        while running(report):
            write_page(report, html, refresh=every, compare=compare)
            pages += 1
            wrote(report, True)
            sleep(every)
            report = build_report(run_dir, top=top, with_importance=True)
    except KeyboardInterrupt:  # the usual way to stop watching: the page stops reloading
        report = build_report(run_dir, top=top, with_importance=True)
    write_page(report, html, refresh=None, compare=compare)
    wrote(report, False)
    return pages + 1
