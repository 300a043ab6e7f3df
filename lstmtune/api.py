"""The Python API: the command line's operations with keyword arguments and objects.

    import lstmtune
    run = lstmtune.search(data="reviews.csv", task="text", text_col="text", target="label",
                          space="text", out="runs/reviews")
    run.trials            # the ranked table (a DataFrame)
    run.best              # the best trial: values, validation and test figures
    run.findings          # plain-language findings
    run.predictor().predict(new_frame)
    run.gate(["test.skill >= 0.1"])

Errors are the tool's own (lstmtune.errors.LstmtuneError and its kinds), with messages that name the
keyword argument (text_col) rather than the command-line flag. Nothing here exits or redirects stdout;
a search shows its progress (on stderr in a terminal, in the notebook in Jupyter) unless progress=False,
and TensorFlow is imported without its start-up lines, as the command line does.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from lstmtune.core.names import DEFAULT_TASK
from lstmtune.errors import LstmtuneError, OptionError, SpaceError
from lstmtune.plan import (
    COLUMN_ARGUMENTS,
    DATA_ARGUMENTS,
    FIXED_ARGUMENTS,
    OPTION_ARGUMENTS,
    SEARCH_ARGUMENTS,
    SearchPlan,
    SearchRequest,
    plan_search,
)

if TYPE_CHECKING:
    import pandas as pd

    from lstmtune.predict import Predictor
    from lstmtune.report.gate import Outcome

Params = ParamSpec("Params")
Result = TypeVar("Result")

# The command line's flags and the keyword arguments they are here.
ARGUMENT_OF_FLAG = {
    f"--{name.replace('_', '-')}": name
    for name in (
        *COLUMN_ARGUMENTS,
        *OPTION_ARGUMENTS,
        *DATA_ARGUMENTS,
        *SEARCH_ARGUMENTS,
        *FIXED_ARGUMENTS,
        "task",
        "space",
        "out",
        "resume",
        "overwrite",
        "format",
        "top",
        "gpu_fast",
        "mixed_precision",
        "workers",
        "listen",
        "recycle_after",
        "lease",
    )
} | {"--require": "rules", "--model": "model", "--keep": "keep"}
FLAG = re.compile(
    "(?<![\\w/-])(" + "|".join(sorted(map(re.escape, ARGUMENT_OF_FLAG), key=len, reverse=True)) + ")(?![\\w-])"
)


def _python_names(error: LstmtuneError) -> LstmtuneError:
    """The same error, naming keyword arguments (text_col) where the library names flags (--text-col);
    only known flags outside quotes are renamed, so values and paths stay as given."""
    parts = re.split(r"('[^']*')", str(error))  # quoted values (column names, paths) are left alone
    message = "".join(
        part if part.startswith("'") else FLAG.sub(lambda m: ARGUMENT_OF_FLAG[m.group(1)], part) for part in parts
    )
    return type(error)(message)


def _with_python_names(function: Callable[Params, Result]) -> Callable[Params, Result]:
    """Re-raise the tool's errors with argument names; keeps the function's own name and docstring."""

    @functools.wraps(function)
    def wrapper(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return function(*args, **kwargs)
        except LstmtuneError as error:
            raise _python_names(error) from error

    return wrapper


class Run:
    """A run directory, read without TensorFlow: its manifest, ranked trials, best trial and findings."""

    def __init__(self, path: str | Path) -> None:
        from lstmtune.run import manifest as run_manifest
        from lstmtune.run.layout import RunDir

        self.path = _path(path, "path")
        self.run_dir = RunDir(self.path)
        self.manifest = run_manifest.load(self.run_dir)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, task={self.task!r}, status={self.manifest.get('status')!r})"

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def trials(self) -> pd.DataFrame:
        """Every trial, best first (completed ones ranked by the run's objective and direction)."""
        from lstmtune.run.table import trials_table

        return trials_table(self.run_dir, self.manifest)

    @property
    def best(self) -> dict[str, Any] | None:
        """The best trial's id, values, and validation and test figures (None until a search completes)."""
        return self.manifest.get("best")

    @property
    def reference(self) -> dict[str, Any] | None:
        """The reference model (the one a practitioner would fit instead): its name, parameters, seconds,
        and validation and test figures, or why it could not be fitted (None: no reference)."""
        return self.manifest.reference

    @property
    def findings(self) -> list[str]:
        """The report's findings: the best trial against its baselines and the reference, its gap, and
        the diagnoses of the trials."""
        from lstmtune.report.model import build_report

        return build_report(self.run_dir).findings

    @_with_python_names
    def report(self, format: str = "md", top: int = 5) -> str:
        """The report as text: "md", "json" or "csv" (the rich table is the command line's)."""
        from lstmtune.report.model import build_report
        from lstmtune.report.render import render

        if format not in ("md", "json", "csv"):
            raise OptionError(f"--format must be one of md, json, csv, but got {format!r}")
        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise OptionError(f"top must be a whole number of at least 1, but got {top!r}")
        text = render(build_report(self.run_dir, top=top), format, console=None)  # type: ignore[arg-type]
        assert text is not None  # only the table format prints instead
        return text

    @_with_python_names
    def gate(self, rules: list[str] | None = None) -> list[Outcome]:
        """Outcomes of the rules (and of the space file's gate: section): each has .rule, .value, .passed."""
        from lstmtune.report import gate as gates

        if isinstance(rules, str):  # one rule
            rules = [rules]
        if rules is not None and (
            not isinstance(rules, (list, tuple)) or not all(isinstance(rule, str) for rule in rules)
        ):
            raise OptionError(f"rules must be a list of rule strings such as 'test.skill >= 0.1', but got {rules!r}")
        return gates.check(self.run_dir, gates.run_rules(self.run_dir, list(rules or [])))

    @_with_python_names
    def predictor(self, ensemble: bool = False, model: str = "best") -> Predictor:
        """The best model with the preprocessing it was trained with; model="ensemble" (or ensemble=True):
        the mean of the run's ensemble (search with ensemble=K); model="refit": the best configuration
        trained on train + validation (Run.refit()). Imports TensorFlow."""
        from lstmtune.predict import Predictor

        if not isinstance(ensemble, bool):
            raise OptionError(f"ensemble must be True or False, but got {ensemble!r}")
        predictor = Predictor.load(self.path, ensemble=ensemble, model=model)
        predictor.predict = _with_python_names(predictor.predict)  # type: ignore[method-assign]
        return predictor

    @_with_python_names
    def refit(self, data: str | Path | None = None, seed: int | None = None) -> dict[str, Any]:
        """Train the best configuration on training + validation data for the epochs its trial chose and
        score it once on test; saved under RUN_DIR/refit for predictor(model="refit"). `data`: the run's
        data file where it is now, if it moved. Returns what RUN_DIR/refit/refit.json holds."""
        from lstmtune.tuning.quiet import import_tensorflow_quietly

        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise OptionError(f"seed must be a whole number of at least 0, but got {seed!r}")
        import_tensorflow_quietly()
        from lstmtune.tuning.refit import refit

        return refit(self.path, None if data is None else _path(data, "data"), seed)


@_with_python_names
def load_run(path: str | Path) -> Run:
    """A run directory written by `search` (finished, running or interrupted)."""
    return Run(path)


@_with_python_names
def search(
    data: Any,
    *,
    space: str | Path | dict[str, Any],
    out: str | Path,
    task: str = DEFAULT_TASK,
    target: str | list[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    tensorboard: bool = False,
    gpu_fast: bool = False,
    mixed_precision: bool = False,
    workers: int = 0,
    listen: str | None = None,
    recycle_after: int | None = None,
    lease: float | None = None,
    **options: Any,
) -> Run:
    """Search LSTM hyperparameters and return the Run.

    `data` is a CSV path or a pandas DataFrame (written to `<out>.data.csv` beside the run directory, which
    run.json names). `space` is a space file or the same document as a dict. Other keyword arguments are the
    command line's options with underscores: time_col, text_col, id_col, order_col, split_col, group_col,
    label_col, features, wide, encoding, embeddings, strict, horizon, split, scale, transform, fill, season,
    objective, class_weight, problem, max_length, stride, normal, threshold_pct, window, window_stride,
    lookback, tuner, max_trials, epochs, patience, initial_points, seed, time_budget, reference, ensemble,
    prune, prune_warmup_trials, prune_warmup_epochs, executions, folds.
    `gpu_fast=True` keeps recurrent_dropout at 0 (cuDNN's fused kernel on a GPU); `mixed_precision=True` trains
    in float16 with float32 weights (for GPUs with tensor cores). `workers=N` runs trials in
    N worker processes at once (`listen`, `recycle_after`, `lease`: as the command line's)."""
    known = set(COLUMN_ARGUMENTS + OPTION_ARGUMENTS + DATA_ARGUMENTS + SEARCH_ARGUMENTS + FIXED_ARGUMENTS)
    unknown = sorted(set(options) - known)
    if unknown:
        raise OptionError(f"unknown keyword argument {unknown[0]!r}; known: {', '.join(sorted(known | {'target'}))}")
    given = {"workers": workers, "recycle_after": recycle_after, "lease": lease, "resume": resume, "progress": progress}
    given.update(overwrite=overwrite, tensorboard=tensorboard, gpu_fast=gpu_fast, mixed_precision=mixed_precision)
    for name, value in {**options, **given}.items():
        check_type(name, value)
    columns = _columns(target, options)
    out = _path(out, "out").absolute()
    if isinstance(space, dict) and not space:
        raise SpaceError("space: the space is empty; it needs a `hyperparameters:` mapping")
    space = space if isinstance(space, dict) else _path(space, "space")
    data_path, frame = _data_path(data, out)
    request = SearchRequest(
        data_path=data_path,
        space_path=space,
        out=Path(out),
        task=task,
        columns=columns,
        options={name: options.get(name) for name in OPTION_ARGUMENTS},
        data_flags={name: options.get(name) for name in DATA_ARGUMENTS},
        search_flags={name: options.get(name) for name in SEARCH_ARGUMENTS},
        fixed={name: options.get(name) for name in FIXED_ARGUMENTS},
        resume=resume,
        overwrite=overwrite,
        command=("lstmtune.search",),
        tensorboard=tensorboard,
        gpu_fast=bool(gpu_fast),
        mixed_precision=bool(mixed_precision),
        workers=workers,
        listen=listen,
        recycle_after=recycle_after,
        lease=lease,
    )
    try:
        plan = plan_search(request)
        if frame is not None:  # only now, with every input valid, the frame becomes the run's data file
            plan = _keep_frame(plan, data_path, out)
    except LstmtuneError as error:
        if frame is None:
            raise
        # The temporary CSV's name means nothing to the caller: name the argument.
        raise type(error)(str(error).replace(str(data_path), "data (the DataFrame)")) from None
    finally:
        if frame is not None:
            data_path.unlink(missing_ok=True)
    run_planned(plan, progress)
    return Run(out)


# Arguments whose type the command line fixes: a whole number, a number, or True / False (None: not given).
WHOLE_NUMBERS = (
    "horizon", "lookback", "season", "stride", "max_length", "window", "window_stride", "max_trials", "epochs",
    "patience", "initial_points", "seed", "ensemble", "prune_warmup_trials", "prune_warmup_epochs", "executions",
    "folds", "workers", "recycle_after",
)  # fmt: skip
NUMBERS = ("threshold_pct", "lease")
SWITCHES = ("wide", "strict", "resume", "overwrite", "tensorboard", "gpu_fast", "mixed_precision", "progress")


def check_type(name: str, value: Any) -> None:
    """An argument of the wrong type is refused by name, as the command line refuses "2" for an int flag
    ("2" is text here, never quietly read as 2)."""
    if value is None:
        return
    if name in SWITCHES and not isinstance(value, bool):
        raise OptionError(f"{name} must be True or False, but got {value!r}")
    if name in WHOLE_NUMBERS and (isinstance(value, bool) or not isinstance(value, int)):
        raise OptionError(f"{name} must be a whole number, but got {value!r} ({type(value).__name__})")
    if name in NUMBERS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise OptionError(f"{name} must be a number, but got {value!r} ({type(value).__name__})")


def _columns(target: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The column arguments, checked: names (or a DataFrame's integer column names), features as a list."""
    columns = {
        name: _column(options.get(name), name) for name in COLUMN_ARGUMENTS if name not in ("target", "features")
    }
    columns["target"] = _target(target, "target")
    features = options.get("features")
    if isinstance(features, str):  # "a,b" as on the command line
        features = [part.strip() for part in features.split(",") if part.strip()]
    columns["features"] = _target(features, "features") if features else None
    return columns


def run_planned(plan: SearchPlan, progress: bool | None) -> None:
    """Run a validated plan. progress=None: shown in a terminal or a Jupyter notebook, not in a pipe or
    a log file."""
    from rich.console import Console

    from lstmtune.progress import Reporter, reporter_for
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    from lstmtune.tuning.search import run_search

    if progress is None:
        console = Console(stderr=True)
        progress = console.is_terminal or console.is_jupyter
    if progress:
        for notice in getattr(plan, "notices", ()):  # e.g. what gpu_fast fixed, as the command line says it
            Console(stderr=True).print(notice, highlight=False, markup=False, soft_wrap=True)
    reporter = reporter_for(Console(stderr=True), live=not plan.request.workers) if progress else Reporter()
    run_search(plan, reporter)


def _data_path(data: Any, out: Path) -> tuple[Path, Any]:
    """(the CSV to read, the DataFrame or None): a DataFrame is first written to a temporary file."""
    if isinstance(data, (str, Path)):
        return Path(data), None
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise OptionError(f"data must be a CSV path or a pandas DataFrame, but got {type(data).__name__}")
    # In the system's temporary folder: nothing is created beside `out` before the request is valid.
    handle = tempfile.NamedTemporaryFile(
        "w", suffix=".csv", prefix=f".{out.name}.data.", delete=False, encoding="utf-8", newline=""
    )
    with handle:
        data.to_csv(handle, index=False)
    return Path(handle.name), data


def _keep_frame(plan: SearchPlan, temporary: Path, out: Path) -> SearchPlan:
    """Move a DataFrame's CSV to `<out>.data.csv` (the file run.json names; a resumed search finds the
    same contents there) and point the plan at it."""
    import dataclasses
    import shutil

    final = out.parent / f"{out.name}.data.csv"
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(temporary, final)  # across file systems too
    plan.request = dataclasses.replace(plan.request, data_path=final)
    return plan


def _path(value: Any, name: str) -> Path:
    """A path argument: a non-empty str or os.PathLike, else an error naming the argument."""
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        return Path(value)
    if name == "space":
        raise OptionError(
            f"space must be a space file's path, a shipped space's name (lstmtune init --list) or the space as a "
            f"dict, but got {value!r}"
        )
    raise OptionError(f"{name} must be a path (a non-empty str or a pathlib.Path), but got {value!r}")


def _column(value: Any, name: str) -> str | None:
    """A column argument: a name (an int names a DataFrame's integer column, as its CSV header has it)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise OptionError(f"{name} must be a column name, but got {value!r}")


def _target(target: Any, name: str) -> tuple[str, ...] | None:
    """target (or features): a column name or a list of them (ints name a DataFrame's integer columns)."""
    if target is None:
        return None
    names = [target] if isinstance(target, (str, int)) else target
    valid = isinstance(names, (list, tuple)) and bool(names)
    if not valid or not all(isinstance(n, (str, int)) and not isinstance(n, bool) for n in names):
        raise OptionError(f"{name} must be a column name or a list of column names, but got {target!r}")
    return tuple(str(n) for n in names)
