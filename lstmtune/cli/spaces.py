"""The commands about space files: init, schema, and check (a space file, and a CSV against it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lstmtune.cli.common import fail, stderr, stdout
from lstmtune.cli.options import (
    ClassWeightOpt,
    EmbeddingsOpt,
    EncodingOpt,
    FeaturesOpt,
    FillOpt,
    GroupColOpt,
    HorizonOpt,
    IdColOpt,
    LabelColOpt,
    LookbackOpt,
    MaxLengthOpt,
    NormalOpt,
    ObjectiveOpt,
    OrderColOpt,
    ProblemOpt,
    ScaleOpt,
    SeasonOpt,
    SpaceOpt,
    SpaceTaskOpt,
    SplitColOpt,
    SplitOpt,
    StrictOpt,
    StrideOpt,
    TargetOpt,
    TaskOpt,
    TextColOpt,
    ThresholdPctOpt,
    TimeColOpt,
    TimeFormatOpt,
    TransformOpt,
    WideOpt,
    WindowOpt,
    WindowStrideOpt,
    search_request,
)
from lstmtune.core.names import DEFAULT_TASK
from lstmtune.errors import LstmtuneError


def init(
    file: Annotated[
        Path | None,
        typer.Argument(help="Where to write it. Default: print it.", metavar="[FILE]", show_default=False),
    ] = None,
    task: SpaceTaskOpt = DEFAULT_TASK,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    list_shipped: Annotated[
        bool, typer.Option("--list", help="List the spaces installed with lstmtune (--space NAME) and stop.")
    ] = False,
) -> None:
    """Write a commented starter space file for a task: the main knobs with suggested ranges, every
    other one commented out with its default.

    Example:

        lstmtune init --task text my_space.yaml
    """
    from lstmtune.errors import OptionError
    from lstmtune.run.output import write_output
    from lstmtune.space.shipped import description, shipped_spaces
    from lstmtune.tasks import get_task, starter_text

    if list_shipped:
        spaces = shipped_spaces()
        width = max(map(len, spaces))
        for name, path in spaces.items():
            sys.stdout.write(f"{name:<{width}}  {description(path)}  ({path})\n")
        return
    try:
        text = starter_text(get_task(task).name)
        if file is None:
            sys.stdout.write(text)
            return
        if file.exists() and not force:
            raise OptionError(f"FILE {file}: already exists; pass --force to replace it")
        write_output(text, file, "FILE", kind="yaml")
    except LstmtuneError as error:
        raise fail(error) from None
    stderr().print(
        f"wrote {file}; check it with: lstmtune check --space {file}"
        + ("" if task == DEFAULT_TASK else f" --task {task}"),
        highlight=False,
        markup=False,
    )


def schema(task: SpaceTaskOpt = DEFAULT_TASK) -> None:
    """Print the JSON Schema of a task's space file (for editors that complete and check YAML).

    Example:

        lstmtune schema --task text > lstmtune-text.schema.json
    """
    import json

    from lstmtune.tasks import get_task, json_schema

    try:
        sys.stdout.write(json.dumps(json_schema(get_task(task).name), indent=2) + "\n")
    except LstmtuneError as error:
        raise fail(error) from None


def check(
    ctx: typer.Context,
    space: SpaceOpt,
    target: TargetOpt = None,
    task: TaskOpt = DEFAULT_TASK,
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
    label_col: LabelColOpt = None,
    normal: NormalOpt = None,
    threshold_pct: ThresholdPctOpt = None,
    window: WindowOpt = None,
    window_stride: WindowStrideOpt = None,
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

        lstmtune check --space forecast examples/data/airline.csv --target Passengers

        lstmtune check --space text --task text reviews.csv --text-col text --target label
    """
    from lstmtune.check import check_inputs

    try:
        lines = check_inputs(search_request(ctx.params))
    except LstmtuneError as error:
        raise fail(error) from None
    console = stdout()
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
