"""The `lstmtune` command line: parse flags, call one library function, print.

TensorFlow, Keras and keras-tuner are imported only inside `search`, after every input is validated:
`--help`, `check` and `report` answer in well under a second.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import signal
import sys
import threading
import warnings
from io import StringIO
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

# How the parameters of `search` and `check` become one SearchRequest (see lstmtune.plan): the same
# groups as the Python API's keyword arguments.
from lstmtune.api import COLUMN_ARGUMENTS as COLUMN_FLAGS
from lstmtune.api import DATA_ARGUMENTS as DATA_FLAGS
from lstmtune.api import FIXED_ARGUMENTS as FIXED_FLAGS
from lstmtune.api import OPTION_ARGUMENTS as OPTION_FLAGS
from lstmtune.api import SEARCH_ARGUMENTS as SEARCH_FLAGS
from lstmtune.errors import LstmtuneError
from lstmtune.version import __version__

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException


class _OneLineErrors(typer.core.TyperGroup):
    """Print usage errors as one line on stderr (typer prints usage, a hint and the error)."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        # numpy's RuntimeWarnings (an empty slice, an overflow in a cast) would print above the one
        # line that says what is wrong with the input; every such case is checked and named instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)

    def _main(self, *args, standalone_mode: bool = True, **kwargs):
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
    add_completion=True,
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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _split_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _request(args: dict, **extra):
    """One SearchRequest from a command's parameters (by name); unset flags stay None."""
    from lstmtune.plan import SearchRequest

    columns = {k: args.get(k) for k in COLUMN_FLAGS}
    columns["target"] = tuple(columns["target"]) if columns["target"] else None
    columns["features"] = _split_list(columns["features"])
    return SearchRequest(
        data_path=args["data"],
        space_path=args["space"],
        task=args["task"],
        columns=columns,
        options={k: args.get(k) for k in OPTION_FLAGS},
        data_flags={k: args.get(k) for k in DATA_FLAGS},
        search_flags={k: args.get(k) for k in SEARCH_FLAGS if k in args},
        fixed={k: args.get(k) for k in FIXED_FLAGS},
        **extra,
    )


# Options shared by `search` and `check`, grouped by the task they apply to.
TaskOpt = Annotated[str, typer.Option("--task", help="forecast | text | sequence: what kind of data DATA.csv holds.")]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option("--target", "-t", help="Column to predict (forecast: repeat for several).", show_default=False),
]
SplitColOpt = Annotated[
    str | None,
    typer.Option(
        "--split-col",
        help="[text, sequence] Column whose values name the split: train, val (valid, validation, dev), test.",
    ),
]
FeaturesOpt = Annotated[
    str | None,
    typer.Option(
        "--features", help="[forecast, sequence] Comma-separated input columns. Default: every numeric column."
    ),
]
SplitOpt = Annotated[
    str | None,
    typer.Option(
        "--split",
        help="Train,validation,test fractions (chronological for forecast, stratified otherwise). [default: 0.7,0.15,0.15]",
        show_default=False,
    ),
]
ObjectiveOpt = Annotated[
    str | None,
    typer.Option(
        "--objective",
        help="[text, sequence] cross_entropy | accuracy | macro_f1 (mse for regression). [default: cross_entropy]",
        show_default=False,
    ),
]
ClassWeightOpt = Annotated[
    str | None,
    typer.Option(
        "--class-weight",
        help="[text, sequence] none | auto (balance imbalanced classes). [default: none]",
        show_default=False,
    ),
]
ScaleOpt = Annotated[
    str | None,
    typer.Option(
        "--scale",
        help="[forecast, sequence] standard | minmax | none, fitted on training rows. [default: standard]",
        show_default=False,
    ),
]
TimeColOpt = Annotated[
    str | None,
    typer.Option(
        "--time-col", help="[forecast] Time column (dates or numbers); rows are sorted by it. Default: row order."
    ),
]
TimeFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--time-format",
        help="[forecast] Date format of --time-col, e.g. %d/%m/%Y. Default: ISO 8601, else guessed from the first row and used for every row.",
    ),
]
HorizonOpt = Annotated[
    int | None, typer.Option("--horizon", help="[forecast] Steps ahead to predict. [default: 1]", show_default=False)
]
LookbackOpt = Annotated[
    int | None, typer.Option("--lookback", help="[forecast] Fix the window length (overrides the space file).")
]
TransformOpt = Annotated[
    str | None,
    typer.Option(
        "--transform",
        help="[forecast] diff | logdiff | none: predict changes from the last value, log-ratios, or levels. [default: diff]",
        show_default=False,
    ),
]
FillOpt = Annotated[
    str | None,
    typer.Option(
        "--fill",
        help="[forecast] Missing values: ffill | interpolate (uses the next value too) | drop. Default: missing values are an error.",
    ),
]
SeasonOpt = Annotated[
    int | None, typer.Option("--season", help="[forecast] Season length M: adds a seasonal-naive baseline.")
]
TextColOpt = Annotated[str | None, typer.Option("--text-col", help="[text] Column holding the texts.")]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="[text, sequence] Encoding of DATA.csv, e.g. latin-1 or cp1252. [default: utf-8]",
        show_default=False,
    ),
]
EmbeddingsOpt = Annotated[
    Path | None,
    typer.Option(
        "--embeddings", help="[text] Pre-trained word vectors (GloVe / word2vec .txt) to start the embedding from."
    ),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="[text] Empty texts or missing labels are an error instead of being dropped.")
]
IdColOpt = Annotated[
    str | None, typer.Option("--id-col", help="[sequence] Column naming the sequence of each row (long format).")
]
OrderColOpt = Annotated[
    str | None,
    typer.Option("--order-col", help="[sequence] Column ordering the steps within a sequence. Default: file order."),
]
GroupColOpt = Annotated[
    str | None,
    typer.Option(
        "--group-col", help="[sequence] Column naming a subject / patient / device: each group stays in one split."
    ),
]
WideOpt = Annotated[
    bool, typer.Option("--wide", help="[sequence] One row per sequence; its numeric columns are the steps (UCR style).")
]
StrideOpt = Annotated[
    int | None, typer.Option("--stride", help="[sequence] Keep every K-th step. [default: 1]", show_default=False)
]
MaxLengthOpt = Annotated[
    int | None,
    typer.Option("--max-length", help="[sequence] Keep at most this many steps per sequence (the first ones)."),
]
ProblemOpt = Annotated[
    str | None,
    typer.Option("--problem", help="[sequence] classification | regression. Default: from the target's values."),
]
SpaceOpt = Annotated[
    Path, typer.Option("--space", "-s", help="Search-space YAML file (see search_spaces/).", show_default=False)
]


def _data_options(
    target: TargetOpt = None,
    task: TaskOpt = "forecast",
    split: SplitOpt = None,
    split_col: SplitColOpt = None,
    features: FeaturesOpt = None,
    objective: ObjectiveOpt = None,
    class_weight: ClassWeightOpt = None,
    scale: ScaleOpt = None,
    time_col: TimeColOpt = None,
    time_format: TimeFormatOpt = None,
    horizon: HorizonOpt = None,
    lookback: LookbackOpt = None,
    transform: TransformOpt = None,
    fill: FillOpt = None,
    season: SeasonOpt = None,
    text_col: TextColOpt = None,
    encoding: EncodingOpt = None,
    embeddings: EmbeddingsOpt = None,
    strict: StrictOpt = False,
    id_col: IdColOpt = None,
    order_col: OrderColOpt = None,
    group_col: GroupColOpt = None,
    wide: WideOpt = False,
    stride: StrideOpt = None,
    max_length: MaxLengthOpt = None,
    problem: ProblemOpt = None,
) -> None:
    """The data options `search` and `check` share, declared once (see with_data_options)."""


def with_data_options(command):
    """Give a command the shared data options after its own required parameters; it receives them
    as one dict, `data_options`."""
    shared = list(inspect.signature(_data_options, eval_str=True).parameters.values())
    names = {p.name for p in shared}
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "data_options"]
    required = [p for p in own if p.default is inspect.Parameter.empty]
    optional = [p for p in own if p.default is not inspect.Parameter.empty]

    @functools.wraps(command)
    def wrapper(**kwargs):
        data_options = {name: kwargs.pop(name) for name in list(kwargs) if name in names}
        return command(data_options=data_options, **kwargs)

    wrapper.__signature__ = inspect.Signature(required + shared + optional)  # type: ignore[attr-defined]
    return wrapper


@app.command()
@with_data_options
def search(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV file: a series (forecast), one text per row (text), or sequences (sequence).",
            metavar="DATA.csv",
            show_default=False,
        ),
    ],
    space: SpaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to write.", show_default=False)],
    data_options: dict,
    tuner: Annotated[
        str | None,
        typer.Option("--tuner", help="bayesian | random | hyperband. [default: bayesian]", show_default=False),
    ] = None,
    max_trials: Annotated[
        int | None,
        typer.Option(
            "--max-trials", "-n", help="Trials to run (hyperband sets its own). [default: 20]", show_default=False
        ),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", "-e", help="Most epochs per trial. [default: 50]", show_default=False)
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option("--patience", help="Early-stopping patience in epochs. [default: 5]", show_default=False),
    ] = None,
    initial_points: Annotated[
        int | None,
        typer.Option(
            "--initial-points",
            help="Random trials before Bayesian optimisation models the space. [default: a quarter of --max-trials]",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Seed for the splits, the tuner, weights and shuffling. [default: 42]", show_default=False
        ),
    ] = None,
    time_budget: Annotated[
        str | None,
        typer.Option(
            "--time-budget",
            help="Stop after this long, e.g. 90s, 10m, 1h: no trial starts later and a running one stops at its next epoch end.",
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the run's report as one JSON document on stdout (progress stays on stderr)."
        ),
    ] = False,
    tensorboard: Annotated[
        bool,
        typer.Option(
            "--tensorboard", help="Write TensorBoard logs per trial, with the HParams view, to RUN_DIR/tensorboard."
        ),
    ] = False,
    gpu_fast: Annotated[
        bool,
        typer.Option(
            "--gpu-fast",
            help="Keep recurrent_dropout at 0 in every trial, so that on a GPU the LSTM layers use cuDNN's fast fused kernel. Harmless on a CPU, where it only narrows the search.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            help="Run trials in N worker processes at once (keras-tuner's chief/worker mode), sharing the CPU cores (or one GPU each). 0: in this process.",
        ),
    ] = 0,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen",
            help="HOST:PORT to serve the search on, so that `lstmtune worker` on other machines can join, e.g. 0.0.0.0:8470. [default: 127.0.0.1, a free port]",
            show_default=False,
        ),
    ] = None,
    recycle_after: Annotated[
        int | None,
        typer.Option(
            "--recycle-after",
            help="Replace each worker process by a fresh one after this many trials: bounds the memory TensorFlow keeps growing over many trials.",
        ),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the search in an existing RUN_DIR.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing RUN_DIR.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Search LSTM hyperparameters for a CSV and write ranked trial tables.

    Options marked [forecast], [text] or [sequence] apply to that --task only.

    Examples:

        lstmtune search examples/data/airline.csv --target Passengers --time-col Date --space search_spaces/forecast.yaml --out runs/airline

        lstmtune search reviews.csv --task text --text-col text --target label --space search_spaces/text.yaml --out runs/reviews

        lstmtune search motions.csv --task sequence --id-col case_id --order-col t --target label --space search_spaces/sequence.yaml --out runs/motions
    """
    from lstmtune.plan import plan_search

    search_flags = {
        "tuner": tuner,
        "max_trials": max_trials,
        "epochs": epochs,
        "patience": patience,
        "initial_points": initial_points,
        "seed": seed,
        "time_budget": time_budget,
    }
    request = _request(
        {"data": data, "space": space, **data_options, **search_flags},
        out=out,
        resume=resume,
        overwrite=overwrite,
        command=tuple(["lstmtune", *sys.argv[1:]]),
        tensorboard=tensorboard,
        gpu_fast=gpu_fast,
        workers=workers,
        listen=listen,
        recycle_after=recycle_after,
    )
    try:
        plan = plan_search(request)
        for warning in plan.warnings:  # even with -q: the data is usable, but a person should know
            _stderr().print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
        from lstmtune.tuning.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
    except LstmtuneError as error:
        raise _fail(error) from None
    except KeyboardInterrupt:  # before anything was written
        _stderr().print(f"interrupted: nothing was written to {out}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(130) from None
    from lstmtune.progress import reporter_for
    from lstmtune.report.build import build_report, render_json, render_table, step_summary
    from lstmtune.tuning.search import SearchInterrupted, run_search

    errors = _stderr()
    if not quiet:
        errors.print(f"data: {plan.data.summary()}", highlight=False, markup=False, soft_wrap=True)
        for notice in plan.notices:  # e.g. what --gpu-fast fixed
            errors.print(notice, highlight=False, markup=False, soft_wrap=True)

    _redeliver_interrupts_from_finalisers()
    try:
        # keras-tuner and Keras callbacks print to stdout, which belongs to the tables.
        with contextlib.redirect_stdout(sys.stderr):
            run_search(plan, reporter_for(errors, quiet, live=not workers))
    except (SearchInterrupted, KeyboardInterrupt):
        errors.print(
            f"interrupted: finished trials are kept in {out}; continue with --resume",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    except LstmtuneError as error:
        raise _fail(error) from None
    built = build_report(plan.run_dir, top=5)
    _append_step_summary(step_summary(built))
    if json_output:
        sys.stdout.write(render_json(built))
    else:
        render_table(built, _stdout())


def _redeliver_interrupts_from_finalisers() -> None:
    """A Ctrl-C that lands while Python runs a finaliser (a weakref callback during garbage collection)
    is printed as "Exception ignored ... KeyboardInterrupt" and dropped; raise it again in the main flow.

    Not from inside the hook (the interrupt would fire in the hook itself): a moment later, from a thread.
    """
    default = sys.unraisablehook

    def hook(unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
            return
        default(unraisable)

    sys.unraisablehook = hook


def _append_step_summary(markdown: str) -> None:
    """On GitHub Actions (GITHUB_STEP_SUMMARY set), add a short Markdown summary to the job's page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        _stderr().print(
            f"warning: cannot append to GITHUB_STEP_SUMMARY {path} ({exc.strerror or exc})",
            highlight=False,
            markup=False,
        )


@app.command()
def gate(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN_DIR", show_default=False)],
    require: Annotated[
        list[str] | None,
        typer.Option(
            "--require",
            "-r",
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
        raise _fail(error) from None
    _append_step_summary(gates.as_markdown(run, outcomes))
    if json_output:
        sys.stdout.write(gates.as_json(run, outcomes))
    else:
        for outcome in outcomes:
            print(outcome.line())
    failed = [o for o in outcomes if not o.passed]
    if failed:  # a verdict, not an error: exit 3 with one line, with or without --debug
        _stderr().print(
            f"error: {len(failed)} of {len(outcomes)} rules failed: {', '.join(o.rule.name for o in failed)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(gates.GateFailed.exit_code)


@app.command()
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
            help="table | csv | md | json. Default: from --output's extension, else table.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file instead of the terminal.")] = None,
    plots: Annotated[
        Path | None,
        typer.Option(
            "--plots",
            help="Also write the pictures (PNG) to this directory: learning curves, gap, hyperparameters, importance, predictions.",
            show_default=False,
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Also write one self-contained HTML report (pictures inline) to this file.",
            show_default=False,
        ),
    ] = None,
    with_importance: Annotated[
        bool, typer.Option("--importance", help="Rank the hyperparameters' importance (implied by --plots and --html).")
    ] = False,
) -> None:
    """Show the best configurations of a run and why: score, skill over a naive baseline, gap, best
    epoch, per-trial diagnoses (overfits, not_learning, ...), and what helped.

    Works on finished, running and interrupted runs. Reads files only (no TensorFlow).

    Examples:

        lstmtune report runs/airline --top 3 --format md --output airline.md --plots airline_plots

        lstmtune report runs/airline --html airline.html
    """
    from lstmtune.report.build import build_report, format_for, render, run_inputs, write_pictures
    from lstmtune.run.layout import RunDir
    from lstmtune.run.output import write_output

    try:
        fmt = format_for(fmt, output)
        built = build_report(RunDir(run_dir), top=top, with_importance=with_importance or bool(plots or html))
        pictures = write_pictures(built, plots, html, output)
        if plots is not None:
            _stderr().print(f"wrote {len(pictures)} pictures to {plots}", highlight=False, markup=False, soft_wrap=True)
        if html is not None:
            _stderr().print(f"wrote {html}", highlight=False, markup=False, soft_wrap=True)
        console = Console(file=StringIO(), width=140, color_system=None) if output and fmt == "table" else _stdout()
        text = render(built, fmt, console, pictures)
        if text is None and output:
            text = console.file.getvalue()  # type: ignore[attr-defined]
        if output:
            write_output(text or "", output, kind=fmt, keep=run_inputs(built))
        elif text is not None:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise _fail(error) from None


@app.command()
@with_data_options
def check(
    space: SpaceOpt,
    data_options: dict,
    data: Annotated[
        Path | None,
        typer.Argument(help="Optional CSV to validate with the space.", metavar="[DATA.csv]", show_default=False),
    ] = None,
    gpu_fast: Annotated[
        bool,
        typer.Option("--gpu-fast", help="Check the space as search --gpu-fast runs it (recurrent_dropout fixed at 0)."),
    ] = False,
) -> None:
    """Validate a space file (and optionally a CSV against it, with the same flags as search) without training.

    Examples:

        lstmtune check --space search_spaces/forecast.yaml examples/data/airline.csv --target Passengers

        lstmtune check --space search_spaces/text.yaml --task text reviews.csv --text-col text --target label
    """
    from lstmtune.check import check_inputs

    try:
        lines = check_inputs(_request({"data": data, "space": space, **data_options}, gpu_fast=gpu_fast))
    except LstmtuneError as error:
        raise _fail(error) from None
    console = _stdout()
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def _predict(run_dir: Path, data: Path, output: Path | None, all_windows: bool, encoding: str | None) -> None:
    from lstmtune.data.csv_reader import read_csv
    from lstmtune.errors import OptionError
    from lstmtune.predict import Predictor
    from lstmtune.run.output import write_output

    try:
        from lstmtune.tuning.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
        predictor = Predictor.load(run_dir)
        if all_windows and predictor.task != "forecast":
            raise OptionError(f"--all applies to forecast runs, but {run_dir} is a {predictor.task} run")
        # Texts keep "NA" or "None" as words; the run's encoding is the default for its new files.
        frame = read_csv(
            data, encoding=encoding or predictor.state.get("encoding"), empty_only=predictor.task == "text"
        )
        result = predictor.predict(frame, source=str(data), all_windows=all_windows)
        text = result.to_csv(index=predictor.task == "forecast")
        if output:
            write_output(text, output, kind="csv", keep=(data,))
        else:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise _fail(error) from None


@app.command()
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Join a running parallel search and run its trials until it ends.

    Start the search with --workers and --listen on one machine, then on others (with the run directory
    on a shared file system, at the same path or given here):

        lstmtune search data.csv --target y --space space.yaml --out /shared/run --workers 2 --listen 0.0.0.0:8470

        lstmtune worker /shared/run --oracle first-machine:8470
    """
    from lstmtune.errors import OptionError
    from lstmtune.progress import reporter_for
    from lstmtune.run.layout import RunDir
    from lstmtune.tuning.parallel.workers import run_worker

    try:
        if wait <= 0:
            raise OptionError(f"--wait must be more than 0 seconds, but got {wait:g}")
        if threads is not None and threads < 1:
            raise OptionError(f"--threads must be at least 1, but got {threads}")
        if recycle_after is not None and recycle_after < 1:
            raise OptionError(f"--recycle-after must be at least 1 trial, but got {recycle_after}")
        _redeliver_interrupts_from_finalisers()
        with contextlib.redirect_stdout(sys.stderr):
            code = run_worker(
                RunDir(run_dir),
                oracle,
                worker_id,
                data,
                wait,
                threads,
                recycle_after,
                reporter_for(_stderr(), quiet, live=False),
            )
    except LstmtuneError as error:
        raise _fail(error) from None
    except KeyboardInterrupt:
        _stderr().print(
            "interrupted: this worker's trial is kept for the search's --resume", highlight=False, markup=False
        )
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@app.command()
def init(
    file: Annotated[
        Path | None,
        typer.Argument(help="Where to write it. Default: print it.", metavar="[FILE]", show_default=False),
    ] = None,
    task: TaskOpt = "forecast",
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a commented starter space file for a task: the main knobs with suggested ranges, every
    other one commented out with its default.

    Example:

        lstmtune init --task text my_space.yaml
    """
    from lstmtune.errors import OptionError
    from lstmtune.run.output import write_output
    from lstmtune.tasks import DEFAULT_TASK, get_task, starter_text

    try:
        text = starter_text(get_task(task).name)
        if file is None:
            sys.stdout.write(text)
            return
        if file.exists() and not force:
            raise OptionError(f"FILE {file}: already exists; pass --force to replace it")
        write_output(text, file, "FILE", kind="yaml")
    except LstmtuneError as error:
        raise _fail(error) from None
    _stderr().print(
        f"wrote {file}; check it with: lstmtune check --space {file}"
        + ("" if task == DEFAULT_TASK else f" --task {task}"),
        highlight=False,
        markup=False,
    )


@app.command()
def schema(task: TaskOpt = "forecast") -> None:
    """Print the JSON Schema of a task's space file (for editors that complete and check YAML).

    Example:

        lstmtune schema --task text > lstmtune-text.schema.json
    """
    import json

    from lstmtune.tasks import get_task, json_schema

    try:
        sys.stdout.write(json.dumps(json_schema(get_task(task).name), indent=2) + "\n")
    except LstmtuneError as error:
        raise _fail(error) from None


RunDirArg = Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN_DIR", show_default=False)]
PredictDataArg = Annotated[
    Path,
    typer.Argument(
        help="CSV with the columns the run was trained on (the target is not needed).",
        metavar="DATA.csv",
        show_default=False,
    ),
]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="Write the predictions as CSV to this file.")]
AllOpt = Annotated[
    bool, typer.Option("--all", help="[forecast] Forecast from every window of DATA.csv, not only the last.")
]
PredictEncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding", help="Encoding of DATA.csv. [default: the run's --encoding, else utf-8]", show_default=False
    ),
]


@app.command()
def predict(
    run_dir: RunDirArg,
    data: PredictDataArg,
    output: OutputOpt = None,
    all_windows: AllOpt = False,
    encoding: PredictEncodingOpt = None,
) -> None:
    """Predict with a run's best model and the preprocessing it was trained with.

    Forecast: the next steps after the last row of DATA.csv (every window with --all). Text and
    sequence: one row per text / sequence with the predicted label and class probabilities (or value).

    Example:

        lstmtune predict runs/airline examples/data/airline.csv
    """
    _predict(run_dir, data, output, all_windows, encoding)


@app.command()
def forecast(
    run_dir: RunDirArg,
    data: PredictDataArg,
    output: OutputOpt = None,
    all_windows: AllOpt = False,
    encoding: PredictEncodingOpt = None,
) -> None:
    """Forecast the next steps after the last row of DATA.csv with a run's best model (alias of predict).

    Example:

        lstmtune forecast runs/airline examples/data/airline.csv
    """
    _predict(run_dir, data, output, all_windows, encoding)
