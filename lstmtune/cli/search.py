"""`lstmtune search`: plan the search (no TensorFlow until every input is valid), run it, print the report."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

from lstmtune.cli.common import (
    append_step_summary,
    fail,
    redeliver_interrupts_from_finalisers,
    stderr,
    stdout,
)
from lstmtune.cli.options import (
    ClassWeightOpt,
    DataArg,
    EmbeddingsOpt,
    EncodingOpt,
    EnsembleOpt,
    EpochsOpt,
    ExecutionsOpt,
    FeaturesOpt,
    FillOpt,
    FoldsOpt,
    GpuFastOpt,
    GroupColOpt,
    HorizonOpt,
    IdColOpt,
    InitialPointsOpt,
    JsonOpt,
    LabelColOpt,
    LeaseOpt,
    ListenOpt,
    LookbackOpt,
    MaxLengthOpt,
    MaxTrialsOpt,
    MixedPrecisionOpt,
    NormalOpt,
    ObjectiveOpt,
    OrderColOpt,
    OutOpt,
    OverwriteOpt,
    PatienceOpt,
    ProblemOpt,
    PruneOpt,
    PruneWarmupEpochsOpt,
    PruneWarmupTrialsOpt,
    QuietOpt,
    RecycleAfterOpt,
    ReferenceOpt,
    ResumeOpt,
    ScaleOpt,
    SeasonOpt,
    SeedOpt,
    SpaceOpt,
    SplitColOpt,
    SplitOpt,
    StrictOpt,
    StrideOpt,
    TargetOpt,
    TaskOpt,
    TensorboardOpt,
    TextColOpt,
    ThresholdPctOpt,
    TimeBudgetOpt,
    TimeColOpt,
    TimeFormatOpt,
    TransformOpt,
    TunerOpt,
    WideOpt,
    WindowOpt,
    WindowStrideOpt,
    WorkersOpt,
    search_request,
)
from lstmtune.core.interrupts import stop_requests
from lstmtune.core.names import DEFAULT_TASK
from lstmtune.errors import DiskFull, LstmtuneError

if TYPE_CHECKING:
    from lstmtune.plan import SearchPlan, SearchRequest


def search(
    ctx: typer.Context,
    data: DataArg,
    space: SpaceOpt,
    out: OutOpt,
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
    tuner: TunerOpt = None,
    max_trials: MaxTrialsOpt = None,
    epochs: EpochsOpt = None,
    patience: PatienceOpt = None,
    initial_points: InitialPointsOpt = None,
    seed: SeedOpt = None,
    time_budget: TimeBudgetOpt = None,
    reference: ReferenceOpt = None,
    ensemble: EnsembleOpt = None,
    prune: PruneOpt = None,
    prune_warmup_trials: PruneWarmupTrialsOpt = None,
    prune_warmup_epochs: PruneWarmupEpochsOpt = None,
    executions: ExecutionsOpt = None,
    folds: FoldsOpt = None,
    json_output: JsonOpt = False,
    tensorboard: TensorboardOpt = False,
    gpu_fast: GpuFastOpt = False,
    mixed_precision: MixedPrecisionOpt = False,
    workers: WorkersOpt = 0,
    listen: ListenOpt = None,
    recycle_after: RecycleAfterOpt = None,
    lease: LeaseOpt = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Search LSTM hyperparameters for a CSV and write ranked trial tables.

    Options marked [forecast], [text], [sequence] or [autoencoder] apply to that --task only.

    Examples:

        lstmtune search examples/data/airline.csv --target Passengers --time-col Date --space forecast --out runs/airline

        lstmtune search reviews.csv --task text --text-col text --target label --space text --out runs/reviews

        lstmtune search motions.csv --task sequence --id-col case_id --order-col t --target label --space sequence --out runs/motions

        lstmtune search examples/data/ecg200.csv --task autoencoder --wide --label-col label --normal 1 --split-col split --space autoencoder --out runs/ecg200
    """
    # Ctrl-C, SIGTERM and SIGHUP end the search from the start, while its inputs are read too.
    with stop_requests() as received:
        plan = _plan(search_request(ctx.params, command=("lstmtune", *sys.argv[1:])), received)
        _run(plan, quiet=quiet, json_output=json_output, received=received)


def _plan(request: SearchRequest, received: dict[str, int]) -> SearchPlan:
    """The validated plan, its data warnings printed (even with -q), and TensorFlow imported."""
    from lstmtune.plan import plan_search

    try:
        plan = plan_search(request)
        for warning in plan.warnings:  # even with -q: the data is usable, but a person should know
            stderr().print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
        from lstmtune.tuning.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
    except LstmtuneError as error:
        raise fail(error) from None
    except KeyboardInterrupt:  # before anything was written
        _stopped(received, f"nothing was written to {request.out}")
    return plan


def _stopped(received: dict[str, int], what: str) -> NoReturn:
    """End after Ctrl-C (exit 130) or SIGTERM / SIGHUP (128 + its number), saying which and `what`."""
    number = received.get("signal", signal.SIGINT)
    how = "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"
    stderr().print(f"{how}: {what}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(128 + number) from None


def _run(plan: SearchPlan, quiet: bool, json_output: bool, received: dict[str, int]) -> None:
    """Run the planned search with progress on stderr, then print its report on stdout."""
    from lstmtune.progress import reporter_for
    from lstmtune.report.json_view import render_json
    from lstmtune.report.markdown import step_summary
    from lstmtune.report.model import build_report
    from lstmtune.report.text import render_table
    from lstmtune.tuning.search import SearchInterrupted, run_search

    errors = stderr()
    if not quiet:
        errors.print(f"data: {plan.data.summary()}", highlight=False, markup=False, soft_wrap=True)
        for notice in plan.notices:  # e.g. what --gpu-fast fixed
            errors.print(notice, highlight=False, markup=False, soft_wrap=True)

    redeliver_interrupts_from_finalisers()
    try:
        # keras-tuner and Keras callbacks print to stdout, which belongs to the tables.
        with contextlib.redirect_stdout(sys.stderr):
            run_search(plan, reporter_for(errors, quiet, live=not plan.request.workers))
    except (SearchInterrupted, KeyboardInterrupt):
        _stopped(received, f"finished trials are kept in {plan.request.out}; continue with --resume")
    except DiskFull as error:
        fail(error)
        sys.stdout.flush()
        sys.stderr.flush()
        # HDF5 (h5py, which Keras writes checkpoints with) can crash the interpreter at exit after a write
        # that failed for want of space; the run directory is already consistent, so end here.
        os._exit(error.exit_code)
    except LstmtuneError as error:
        raise fail(error) from None
    assert plan.run_dir is not None  # a plan with --out
    built = build_report(plan.run_dir, top=5)
    append_step_summary(step_summary(built))
    if json_output:
        sys.stdout.write(render_json(built))
    else:
        render_table(built, stdout())
