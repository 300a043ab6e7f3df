"""The commands that use a run directory: report, gate, worker, predict and forecast (refit: cli.refit)."""

from __future__ import annotations

import contextlib
import math
import sys
from io import StringIO
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lstmtune.cli.common import append_step_summary, fail, redeliver_interrupts_from_finalisers, stderr, stdout
from lstmtune.cli.options import QuietOpt
from lstmtune.errors import LstmtuneError

RunDirArg = Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN_DIR", show_default=False)]


PlotsOpt = Annotated[
    Path | None,
    typer.Option(
        "--plots",
        help="Also write the pictures (PNG) to this directory: learning curves, gap, hyperparameters, parallel "
        "coordinates, importance, predictions.",
        show_default=False,
    ),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html",
        help="Also write one self-contained HTML report (pictures inline) to this file.",
        show_default=False,
    ),
]
CompareOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--compare",
        help="Add a table of runs to the --html page: this run and each RUN_DIR given (repeat the flag).",
        metavar="RUN_DIR",
        show_default=False,
    ),
]
WatchOpt = Annotated[
    float | None,
    typer.Option(
        "--watch",
        help="Rewrite the --html page every SECONDS while the search runs; the page reloads itself (a live "
        "view: open it in a browser). Ends when the run does, or on Ctrl-C.",
        metavar="SECONDS",
        show_default=False,
    ),
]


ImportanceOpt = Annotated[
    bool, typer.Option("--importance", help="Rank the hyperparameters' importance (implied by --plots and --html).")
]


def report(
    run_dir: Annotated[
        Path,
        typer.Argument(help="A run directory written by `lstmtune search`.", metavar="RUN_DIR", show_default=False),
    ],
    top: Annotated[int, typer.Option("--top", "-k", help="How many of the best trials to show.")] = 5,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table | csv | md | json. Default: from --output's extension (.html writes the --html page), else table.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file instead of the terminal.")] = None,
    plots: PlotsOpt = None,
    html: HtmlOpt = None,
    with_importance: ImportanceOpt = False,
    watch: WatchOpt = None,
    compare: CompareOpt = None,
) -> None:
    """Show the best configurations of a run and why: score, skill over a naive baseline, gap, best
    epoch, per-trial diagnoses (overfits, not_learning, ...), and what helped.

    Works on finished, running and interrupted runs. Reads files only (no TensorFlow).

    Examples:

        lstmtune report runs/airline --top 3 --format md --output airline.md --plots airline_plots

        lstmtune report runs/airline --html airline.html

        lstmtune report runs/airline --html live.html --watch 10
    """
    from lstmtune.errors import OptionError
    from lstmtune.report.model import build_report
    from lstmtune.report.render import check_outputs, format_for, render, run_inputs, write_pictures
    from lstmtune.run.layout import RunDir
    from lstmtune.run.output import write_output

    try:
        if compare and html is None and not (output and str(output).lower().endswith((".html", ".htm"))):
            raise OptionError("--compare adds a table of runs to an HTML page: give --html FILE")
        if watch is not None:
            _watch(run_dir, html, watch, top, output, plots, fmt, list(compare or []))
            return
        fmt = format_for(fmt, output)
        if fmt == "html":  # --output page.html: the page --html writes
            if html is not None:
                raise OptionError(
                    f"--output {output}: an HTML page, and --html {html} asks for one too; give one of them"
                )
            html, output, fmt = output, None, "html"  # the page --html writes, and nothing on the terminal
        built = build_report(RunDir(run_dir), top=top, with_importance=with_importance or bool(plots or html))
        check_outputs(built, fmt, output, plots, html)
        runs = None
        if compare:
            from lstmtune.report.runs import compare_runs

            runs = compare_runs([Path(run_dir), *compare])
        pictures = write_pictures(built, plots, html, output, runs)
        if plots is not None:
            stderr().print(f"wrote {len(pictures)} pictures to {plots}", highlight=False, markup=False, soft_wrap=True)
        if html is not None:
            stderr().print(f"wrote {html}", highlight=False, markup=False, soft_wrap=True)
        if fmt == "html":  # --output page.html: written like the other formats, without a copy on the terminal
            return
        console = Console(file=StringIO(), width=140, color_system=None) if output and fmt == "table" else stdout()
        text = render(built, fmt, console, pictures)
        if text is None and output:
            text = console.file.getvalue()  # type: ignore[attr-defined]
        if output:
            write_output(text or "", output, kind=fmt, keep=run_inputs(built))
            stderr().print(f"wrote {output}", highlight=False, markup=False, soft_wrap=True)
        elif text is not None:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise fail(error) from None


def _watch(
    run_dir: Path,
    html: Path | None,
    every: float,
    top: int,
    output: Path | None,
    plots: Path | None,
    fmt: str | None,
    compare: list[Path],
) -> None:
    """report --watch: the live HTML page (see lstmtune.report.watch)."""
    from lstmtune.errors import OptionError
    from lstmtune.report.model import build_report
    from lstmtune.report.render import check_outputs
    from lstmtune.report.watch import watch
    from lstmtune.run.layout import RunDir

    if not 1 <= every <= 86400:  # also refuses nan
        raise OptionError(f"--watch must be from 1 to 86400 seconds, but got {every:g}")
    if html is None:
        raise OptionError("--watch rewrites an HTML page: give --html FILE")
    given = [name for name, value in (("--output", output), ("--plots", plots), ("--format", fmt)) if value]
    if given:
        raise OptionError(f"--watch writes only the --html page; run report again without --watch for {given[0]}")
    run = RunDir(run_dir)
    check_outputs(build_report(run, top=top), "table", None, None, html)

    def wrote(report, live: bool) -> None:
        if live:
            best = report.table.iloc[0] if not report.table.empty else None
            lead = f"; best so far trial {best['trial_id']}, score {best['score']:.4g}" if best is not None else ""
            line = f"wrote {html}: {len(report.table)} trials{lead}"
        else:
            line = f"wrote {html}: the run is {report.state}; the page no longer reloads"
        stderr().print(line, highlight=False, markup=False, soft_wrap=True)

    from lstmtune.report.runs import compare_runs

    compare_runs(compare)  # every run to compare is readable before the first page
    watch(run, html, every, top, wrote, compare=compare)


def gate(
    run_dir: RunDirArg,
    require: Annotated[
        list[str] | None,
        typer.Option(
            "--require",
            "-r",
            metavar="RULE",
            help="A rule: '<test|val|best|trials>.<figure> <op> <number>', e.g. 'test.skill >= 0.1'; repeat for several. Added to the space file's gate: section.",
            show_default=False,
        ),
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write the results as JUnit XML to this file (CI test tabs).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON document instead of lines.")
    ] = False,
) -> None:
    """Check a run against rules, for CI: exit 0 when every rule holds, 3 when one does not.

    One line per rule: PASS or FAIL, the rule and the value found. Figures: test.* and val.* (the best
    model: skill, rmse, mae; or accuracy, macro_f1, cross_entropy), best.* (the best trial: gap,
    best_epoch, epochs_run, score ...), trials.* (completed, failed, interrupted, total). Reads files only.

    Example:

        lstmtune gate runs/smoke --require "test.skill >= 0.1" --require "trials.failed == 0" --junit gate.xml
    """
    from lstmtune.report import gate as gates
    from lstmtune.run.layout import RunDir
    from lstmtune.run.output import write_output

    try:
        run = RunDir(run_dir)
        outcomes = gates.check(run, gates.run_rules(run, list(require or [])))
        if junit:
            write_output(gates.as_junit(run, outcomes), junit, "--junit", kind="xml")
    except LstmtuneError as error:
        raise fail(error) from None
    append_step_summary(gates.as_markdown(run, outcomes))
    if json_output:
        sys.stdout.write(gates.as_json(run, outcomes))
    else:
        for outcome in outcomes:
            print(outcome.line())
    failed = [o for o in outcomes if not o.passed]
    if failed:  # a verdict, not an error: exit 3 with one line, with or without --debug
        stderr().print(
            f"error: {len(failed)} of {len(outcomes)} rules failed: {', '.join(o.rule.name for o in failed)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(gates.GateFailed.exit_code)


def worker(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="The run directory of a search started with --workers (on a shared file system).",
            metavar="RUN_DIR",
            show_default=False,
        ),
    ],
    oracle: Annotated[
        str | None,
        typer.Option(
            "--oracle",
            help="HOST:PORT of the search (its --listen). [default: the address in RUN_DIR/run.json]",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The search's data file, where it is on this machine. [default: the path in RUN_DIR/run.json]",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for the search to answer before giving up.")
    ] = 120.0,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", help="CPU threads for training. [default: TensorFlow's, all cores]", show_default=False
        ),
    ] = None,
    worker_id: Annotated[
        str | None,
        typer.Option("--id", help="This worker's name in the search. [default: HOST-PID]", show_default=False),
    ] = None,
    recycle_after: Annotated[
        int | None,
        typer.Option("--recycle-after", help="Exit after this many trials (exit code 75), to be started afresh."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Join a running parallel search and run its trials until it ends.

    Start the search with --workers and --listen on one machine, then on others (with the run directory
    on a shared file system, at the same path or given here):

        lstmtune search data.csv --target y --space space.yaml --out /shared/run --workers 2 --listen 0.0.0.0:8470

        lstmtune worker /shared/run --oracle first-machine:8470
    """
    from lstmtune.progress import reporter_for
    from lstmtune.run.layout import RunDir
    from lstmtune.tuning.parallel.worker import INTERRUPTED_EXIT, run_worker

    try:
        _check_worker_options(wait, threads, recycle_after)
        if oracle is not None:  # its form, before the run directory is looked at
            from lstmtune.plan import parse_address

            parse_address(oracle, "--oracle")
        redeliver_interrupts_from_finalisers()
        with contextlib.redirect_stdout(sys.stderr):
            reporter = reporter_for(stderr(), quiet, live=False)
            code = run_worker(RunDir(run_dir), oracle, worker_id, data, wait, threads, recycle_after, reporter)
    except LstmtuneError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        stderr().print(
            "interrupted: this worker's trial is kept for the search's --resume", highlight=False, markup=False
        )
        raise typer.Exit(INTERRUPTED_EXIT) from None
    raise typer.Exit(code)


MAX_WAIT_S = 7 * 24 * 3600


def _check_worker_options(wait: float, threads: int | None, recycle_after: int | None) -> None:
    from lstmtune.errors import OptionError

    if not math.isfinite(wait) or wait <= 0 or wait > MAX_WAIT_S:
        raise OptionError(f"--wait must be more than 0 and at most {MAX_WAIT_S:g} seconds (a week), but got {wait:g}")
    if threads is not None and threads < 1:
        raise OptionError(f"--threads must be at least 1, but got {threads}")
    if recycle_after is not None and recycle_after < 1:
        raise OptionError(f"--recycle-after must be at least 1 trial, but got {recycle_after}")
