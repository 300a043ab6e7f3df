"""`lstmtune predict` / `forecast`: a run's best model (or its refit or ensemble) on new rows."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lstmtune.cli.common import fail, stderr
from lstmtune.cli.runs import RunDirArg
from lstmtune.errors import LstmtuneError

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
EnsembleOpt = Annotated[
    bool,
    typer.Option(
        "--ensemble",
        help="Predict with the mean of the run's ensemble (search --ensemble K) instead of its best model.",
    ),
]
ReconstructionOpt = Annotated[
    Path | None,
    typer.Option(
        "--reconstruction",
        help="[autoencoder] Also write the reconstructed sequences (id, step, one column per feature, original units) as CSV to this file.",
    ),
]
StepsOpt = Annotated[
    Path | None,
    typer.Option(
        "--steps",
        help="[autoencoder, --window runs] Also write one row per time step of the series as CSV to this file: "
        "time, value, score (the error, weighed by its position in each window, averaged over the windows that hold "
        "the step), its percentile among the validation steps' scores and whether it is flagged.",
    ),
]
KeepOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--keep",
        help="[text, sequence] Carry these columns of DATA.csv into the output, beside each prediction "
        "(repeat, or separate with commas); one named like an output column is kept as <name>_data.",
        metavar="COLUMN",
        show_default=False,
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="[text] Refuse a file with a row that has no words (by default such rows are skipped and named on stderr).",
    ),
]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="Which of the run's models predicts: best (the best trial's), ensemble (search --ensemble K) or "
        "refit (the best configuration trained on train + validation by lstmtune refit).",
        metavar="best|ensemble|refit",
    ),
]
PredictEncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding", help="Encoding of DATA.csv. [default: the run's --encoding, else utf-8]", show_default=False
    ),
]


def predict(
    run_dir: RunDirArg,
    data: PredictDataArg,
    output: OutputOpt = None,
    all_windows: AllOpt = False,
    encoding: PredictEncodingOpt = None,
    ensemble: EnsembleOpt = False,
    model: ModelOpt = "best",
    strict: StrictOpt = False,
    keep: KeepOpt = None,
    reconstruction: ReconstructionOpt = None,
    steps: StepsOpt = None,
) -> None:
    """Predict with a run's best model and the preprocessing it was trained with.

    Forecast: the next steps after the last row of DATA.csv (every window with --all). Text and
    sequence: one row per text / sequence with the predicted label and class probabilities (or value).
    Autoencoder: one row per sequence with its score (reconstruction error), its percentile among the
    normal validation sequences' scores, and whether it is flagged (per window of a windowed run; --steps
    for each time step).

    Example:

        lstmtune predict runs/airline examples/data/airline.csv
    """
    kept = tuple(part.strip() for value in keep or () for part in value.split(",") if part.strip())
    extras = {"--reconstruction": reconstruction, "--steps": steps}
    _predict(run_dir, data, output, all_windows, encoding, ensemble, model, strict, kept, extras)


def forecast(
    run_dir: RunDirArg,
    data: PredictDataArg,
    output: OutputOpt = None,
    all_windows: AllOpt = False,
    encoding: PredictEncodingOpt = None,
    ensemble: EnsembleOpt = False,
    model: ModelOpt = "best",
) -> None:
    """Forecast the next steps after the last row of DATA.csv with a run's best model (alias of predict).

    Example:

        lstmtune forecast runs/airline examples/data/airline.csv
    """
    _predict(run_dir, data, output, all_windows, encoding, ensemble, model, False, ())


def _predict(
    run_dir: Path,
    data: Path,
    output: Path | None,
    all_windows: bool,
    encoding: str | None,
    ensemble: bool,
    model: str,
    strict: bool,
    keep: tuple[str, ...],
    extras: dict[str, Path | None] | None = None,
) -> None:
    """`extras`: the autoencoder's further outputs by flag (--reconstruction, --steps), None where not asked."""
    from lstmtune.data.csv_reader import read_csv
    from lstmtune.errors import OptionError
    from lstmtune.predict import Predictor, backtest_lines, skipped_lines
    from lstmtune.run.output import check_output, distinct_outputs, write_output
    from lstmtune.tasks import get_task

    try:
        from lstmtune.tuning.quiet import import_tensorflow_quietly, quiet_library_logs

        import_tensorflow_quietly()
        quiet_library_logs()
        predictor = Predictor.load(run_dir, ensemble=ensemble, model=model)
        task = get_task(predictor.task)
        if all_windows and "all_windows" not in task.predict_options:
            raise OptionError(f"--all applies to forecast runs, but {run_dir} is a {task.name} run")
        if strict and "strict" not in task.predict_options:
            raise OptionError(f"--strict applies to text runs, but {run_dir} is a {task.name} run")
        asked = {flag: path for flag, path in (extras or {}).items() if path is not None}
        if asked and not task.reconstructs:
            raise OptionError(f"{next(iter(asked))} applies to autoencoder runs, but {run_dir} is a {task.name} run")
        if "--steps" in asked and not predictor.state.get("window"):
            raise OptionError(
                f"--steps applies to runs searched on windows of one series (--window), but {run_dir} was not"
            )
        if asked:
            distinct_outputs({"--output": output, **asked})
            for flag, path in asked.items():
                check_output(path, flag, "csv", (data, *_run_data(run_dir)))
        # The run's encoding is the default for its new files.
        frame = read_csv(data, encoding=encoding or predictor.state.get("encoding"), empty_only=task.na_is_text)
        result = predictor.predict(frame, source=str(data), all_windows=all_windows, strict=strict, keep=keep)
        for line in [
            *backtest_lines(result),
            *skipped_lines(result),
        ]:  # --all on a forecast run: how the forecasts did, per step
            stderr().print(line, highlight=False, markup=False, soft_wrap=True)
        text = result.to_csv(index=task.indexed_predictions)
        for flag, path in asked.items():
            written, what = EXTRAS[flag]
            table = result.attrs[written]
            write_output(table.to_csv(index=False), path, flag, "csv", (data, *_run_data(run_dir)))
            stderr().print(f"wrote {path} ({len(table)} {what})", highlight=False, markup=False, soft_wrap=True)
        if output:
            write_output(text, output, kind="csv", keep=(data, *_run_data(run_dir)))
            rows = len(result)
            stderr().print(
                f"wrote {output} ({rows} prediction row{'s' if rows != 1 else ''})",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        else:
            sys.stdout.write(text)
    except LstmtuneError as error:
        raise fail(error) from None


# The autoencoder's further outputs: the result's attribute each flag writes, and what its rows are.
EXTRAS = {"--reconstruction": ("reconstruction", "reconstructed steps"), "--steps": ("steps", "steps scored")}


def _run_data(run_dir: Path) -> tuple[str, ...]:
    """The data file a run was made from (run.json), which predictions must not replace."""
    from lstmtune.run.atomic import read_json
    from lstmtune.run.layout import RunDir

    try:
        path = read_json(RunDir(run_dir).manifest)["data"]["path"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    return (path,) if isinstance(path, str) else ()
