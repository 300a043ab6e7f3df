"""The `lstmtune` command line: parse flags, call one library function, print.

TensorFlow, Keras and keras-tuner are imported only inside `search`, after every input is validated:
`--help`, `check` and `report` answer in well under a second.
"""

from __future__ import annotations

import sys
from io import StringIO
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from lstmtune import __version__
from lstmtune.errors import LstmtuneError

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException


class _OneLineErrors(typer.core.TyperGroup):
    """Print usage errors as one line on stderr (typer prints usage, a hint and the error)."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except ClickException as error:
            context = getattr(error, "ctx", None)
            if type(error).__name__ == "NoArgsIsHelpError" or context is None:
                error.show()
            else:
                sys.stderr.write(f"error: {error.format_message()} (see '{context.command_path} --help')\n")
            sys.exit(error.exit_code)
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="lstmtune",
    cls=_OneLineErrors,
    help="Find well-regularised LSTM models for your own CSV data (Keras Tuner search + honest reports).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _stderr() -> Console:
    return Console(stderr=True)


def _stdout() -> Console:
    """Tables on stdout; wide when piped or captured, so columns are not cut at 80."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def _fail(error: LstmtuneError) -> typer.Exit:
    if _state["debug"]:
        raise error
    _stderr().print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(error.exit_code)


def _version(value: bool) -> None:
    if value:
        print(f"lstmtune {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    _state["debug"] = debug


def _split_list(value: Optional[str]) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


# Options shared by `search` and `check`.
TargetOpt = Annotated[list[str], typer.Option("--target", "-t", help="Column to forecast; repeat for several.", show_default=False)]
TimeColOpt = Annotated[Optional[str], typer.Option("--time-col", help="Time column (dates or numbers); rows are sorted by it. Default: row order.")]
TimeFormatOpt = Annotated[Optional[str], typer.Option("--time-format", help="Date format of --time-col, e.g. %d/%m/%Y. Default: ISO 8601, else guessed from the first row and used for every row.")]
FeaturesOpt = Annotated[Optional[str], typer.Option("--features", help="Comma-separated input columns (the targets are always inputs). Default: every numeric column.")]
HorizonOpt = Annotated[Optional[int], typer.Option("--horizon", help="Steps ahead to predict. [default: 1]", show_default=False)]
LookbackOpt = Annotated[Optional[int], typer.Option("--lookback", help="Fix the window length (overrides the space file).")]
SplitOpt = Annotated[Optional[str], typer.Option("--split", help="Chronological train,validation,test fractions. [default: 0.7,0.15,0.15]", show_default=False)]
ScaleOpt = Annotated[Optional[str], typer.Option("--scale", help="standard | minmax | none, fitted on training rows. [default: standard]", show_default=False)]
TransformOpt = Annotated[Optional[str], typer.Option("--transform", help="diff | logdiff | none: predict changes from the last value, log-ratios, or levels. [default: diff]", show_default=False)]
FillOpt = Annotated[Optional[str], typer.Option("--fill", help="Missing values: ffill | interpolate (uses the next value too) | drop. Default: missing values are an error.")]
SeasonOpt = Annotated[Optional[int], typer.Option("--season", help="Season length M: adds a seasonal-naive baseline.")]
SpaceOpt = Annotated[Path, typer.Option("--space", "-s", help="Search-space YAML file (see search_spaces/).", show_default=False)]


@app.command()
def search(
    data: Annotated[Path, typer.Argument(help="CSV file, one row per time step.", metavar="DATA.csv", show_default=False)],
    target: TargetOpt,
    space: SpaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to write.", show_default=False)],
    time_col: TimeColOpt = None,
    time_format: TimeFormatOpt = None,
    features: FeaturesOpt = None,
    horizon: HorizonOpt = None,
    lookback: LookbackOpt = None,
    split: SplitOpt = None,
    scale: ScaleOpt = None,
    transform: TransformOpt = None,
    fill: FillOpt = None,
    season: SeasonOpt = None,
    tuner: Annotated[Optional[str], typer.Option("--tuner", help="bayesian | random | hyperband. [default: bayesian]", show_default=False)] = None,
    max_trials: Annotated[Optional[int], typer.Option("--max-trials", "-n", help="Trials to run (hyperband sets its own). [default: 20]", show_default=False)] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", "-e", help="Most epochs per trial. [default: 50]", show_default=False)] = None,
    patience: Annotated[Optional[int], typer.Option("--patience", help="Early-stopping patience in epochs. [default: 5]", show_default=False)] = None,
    initial_points: Annotated[Optional[int], typer.Option("--initial-points", help="Random trials before Bayesian optimisation models the space. [default: a quarter of --max-trials]", show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for the tuner, weights and shuffling. [default: 42]", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the search in an existing RUN_DIR.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing RUN_DIR.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Search LSTM hyperparameters for forecasting a CSV column and write ranked trial tables.

    Example:

        lstmtune search examples/data/airline.csv --target Passengers --time-col Date --space search_spaces/forecast.yaml --out runs/airline
    """
    from lstmtune.plan import SearchRequest, plan_search

    request = SearchRequest(
        data_path=data,
        targets=tuple(target),
        space_path=space,
        out=out,
        time_col=time_col,
        time_format=time_format,
        features=_split_list(features),
        data_flags={"horizon": horizon, "split": split, "scale": scale, "transform": transform, "fill": fill, "season": season},
        search_flags={"tuner": tuner, "max_trials": max_trials, "epochs": epochs, "patience": patience,
                      "initial_points": initial_points, "seed": seed},
        lookback=lookback,
        resume=resume,
        overwrite=overwrite,
        command=tuple(["lstmtune", *sys.argv[1:]]),
    )
    try:
        plan = plan_search(request)
    except LstmtuneError as error:
        raise _fail(error) from None

    from lstmtune.dataset import data_summary
    from lstmtune.progress import reporter_for
    from lstmtune.report import build_report, render_table
    from lstmtune.tuning import SearchInterrupted, run_search

    errors = _stderr()
    if not quiet:
        errors.print(f"data: {data_summary(plan.data)}", highlight=False, markup=False, soft_wrap=True)
    try:
        run_search(plan, reporter_for(errors, quiet))
    except SearchInterrupted:
        errors.print(f"interrupted: finished trials are kept in {out}; continue with --resume", highlight=False, markup=False)
        raise typer.Exit(130) from None
    except LstmtuneError as error:
        raise _fail(error) from None
    render_table(build_report(plan.run_dir, top=5), _stdout())


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `lstmtune search`.", metavar="RUN_DIR", show_default=False)],
    top: Annotated[int, typer.Option("--top", "-k", help="How many of the best trials to show.")] = 5,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="table | csv | md | json. Default: from --output's extension, else table.", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="Write to this file instead of the terminal.")] = None,
) -> None:
    """Show the best configurations of a run and why: score, skill over persistence, gap, best epoch.

    Works on finished, running and interrupted runs. Reads files only (no TensorFlow).

    Example:

        lstmtune report runs/airline --top 3 --format md --output airline.md
    """
    from lstmtune.report import build_report, format_for, render, write_output
    from lstmtune.rundir import RunDir

    try:
        fmt = format_for(fmt, output)
        built = build_report(RunDir(run_dir), top=top)
        console = Console(file=StringIO(), width=140, color_system=None) if output and fmt == "table" else _stdout()
        text = render(built, fmt, console)
        if text is None and output:
            text = console.file.getvalue()  # type: ignore[attr-defined]
        if output:
            write_output(text or "", output)
        elif text is not None:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise _fail(error) from None


@app.command()
def check(
    space: SpaceOpt,
    data: Annotated[Optional[Path], typer.Argument(help="Optional CSV to validate with the space.", metavar="[DATA.csv]", show_default=False)] = None,
    target: Annotated[Optional[list[str]], typer.Option("--target", "-t", help="Target column(s), with DATA.")] = None,
    time_col: TimeColOpt = None,
    time_format: TimeFormatOpt = None,
    features: FeaturesOpt = None,
    horizon: HorizonOpt = None,
    lookback: LookbackOpt = None,
    split: SplitOpt = None,
    scale: ScaleOpt = None,
    transform: TransformOpt = None,
    fill: FillOpt = None,
    season: SeasonOpt = None,
) -> None:
    """Validate a space file (and optionally a CSV against it, with the same data flags as search) without training.

    Example:

        lstmtune check --space search_spaces/forecast.yaml examples/data/airline.csv --target Passengers
    """
    from lstmtune.check import check_inputs

    data_flags = {"horizon": horizon, "split": split, "scale": scale, "transform": transform, "fill": fill, "season": season}
    try:
        lines = check_inputs(space, data, tuple(target or ()), time_col, _split_list(features), data_flags, lookback, time_format)
    except LstmtuneError as error:
        raise _fail(error) from None
    console = _stdout()
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def forecast(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN_DIR", show_default=False)],
    data: Annotated[Path, typer.Argument(help="CSV with the model's input columns, the newest rows last (or a --time-col to sort by).", metavar="DATA.csv", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", help="Write the forecast as CSV to this file.")] = None,
) -> None:
    """Forecast the next steps after the last row of DATA.csv with a run's best model.

    Example:

        lstmtune forecast runs/airline examples/data/airline.csv
    """
    from lstmtune.frame import read_csv
    from lstmtune.forecaster import Forecaster
    from lstmtune.report import write_output

    try:
        forecaster = Forecaster.load(run_dir)
        result = forecaster.forecast(read_csv(data), source=str(data))
        text = result.to_csv()
        if output:
            write_output(text, output)
        else:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise _fail(error) from None
