"""`lstmtune refit RUN_DIR`: the best configuration trained on training + validation data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lstmtune.cli.common import fail, stderr, stdout
from lstmtune.cli.options import QuietOpt
from lstmtune.errors import LstmtuneError, OptionError


def refit(
    run_dir: Annotated[Path, typer.Argument(help="A completed run directory.", metavar="RUN_DIR", show_default=False)],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The run's data file where it is now, if it moved (its contents must be the same). "
            "[default: the path in run.json]",
            show_default=False,
            metavar="DATA.csv",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Random seed of the refit. [default: the run's]", show_default=False),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Train the best configuration on training + validation data for the epochs its trial chose, and
    score it once on test beside the best model.

    The run's scalers, vocabulary and transform stay as the search fitted them on the training rows.
    Writes RUN_DIR/refit (model.keras, preprocessing.json, refit.json); `lstmtune predict RUN_DIR DATA.csv
    --model refit` predicts with it, and `lstmtune report` shows its test figures.

    Example:

        lstmtune refit runs/airline
    """
    try:
        if seed is not None and seed < 0:
            raise OptionError(f"--seed must be a whole number of at least 0, but got {seed}")
        from lstmtune.tuning.quiet import import_tensorflow_quietly, quiet_library_logs

        import_tensorflow_quietly()
        quiet_library_logs()
        from lstmtune.tuning.refit import refit as run_refit
        from lstmtune.tuning.refit import summary_lines

        result = run_refit(run_dir, data, seed)
    except LstmtuneError as error:
        raise fail(error) from None
    for line in summary_lines(run_dir, result):
        if not quiet:
            stdout().print(line, highlight=False, markup=False, soft_wrap=True)
    stderr().print(f"wrote {Path(run_dir) / 'refit'}", highlight=False, markup=False, soft_wrap=True)
