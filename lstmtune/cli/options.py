"""The options of `search` and `check`, declared once as Annotated types, and the SearchRequest they make.

Options marked [forecast], [text] or [sequence] apply to that --task only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from lstmtune.plan import SearchRequest

# SearchRequest's own fields that a command's parameters of the same name set.
RUN_OPTIONS = (
    "out", "resume", "overwrite", "tensorboard", "gpu_fast", "mixed_precision", "workers", "listen", "recycle_after",
    "lease",
)  # fmt: skip


def _split_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def search_request(params: Mapping[str, Any], **extra: Any) -> SearchRequest:
    """The SearchRequest of a command's parameters, by name; flags the command lacks stay unset."""
    from lstmtune.plan import (
        COLUMN_ARGUMENTS,
        DATA_ARGUMENTS,
        FIXED_ARGUMENTS,
        OPTION_ARGUMENTS,
        SEARCH_ARGUMENTS,
        SearchRequest,
    )

    columns = {k: params.get(k) for k in COLUMN_ARGUMENTS}
    columns["target"] = tuple(columns["target"]) if columns["target"] else None
    columns["features"] = _split_list(columns["features"])
    return SearchRequest(
        data_path=params["data"],
        space_path=params["space"],
        task=params["task"],
        columns=columns,
        options={k: params.get(k) for k in OPTION_ARGUMENTS},
        data_flags={k: params.get(k) for k in DATA_ARGUMENTS},
        search_flags={k: params[k] for k in SEARCH_ARGUMENTS if k in params},
        fixed={k: params.get(k) for k in FIXED_ARGUMENTS},
        **{k: params[k] for k in RUN_OPTIONS if k in params},
        **extra,
    )


# --- shared by search and check (and --task by init and schema) ---------------------------------------

TaskOpt = Annotated[
    str, typer.Option("--task", help="forecast | text | sequence | autoencoder: what kind of data DATA.csv holds.")
]
# init and schema take no data: the task says which hyperparameters and data settings the space has.
SpaceTaskOpt = Annotated[
    str, typer.Option("--task", help="forecast | text | sequence | autoencoder: the kind of data the space is for.")
]
SpaceOpt = Annotated[
    Path,
    typer.Option(
        "--space",
        "-s",
        help="Search-space YAML file, or a shipped space by name: forecast, text, sequence, autoencoder, smoke "
        "(lstmtune init --list).",
        show_default=False,
    ),
]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target", "-t", help="Column to predict (forecast: repeat for several).", metavar="COLUMN", show_default=False
    ),
]
SplitColOpt = Annotated[
    str | None,
    typer.Option(
        "--split-col",
        help="[text, sequence, autoencoder] Column whose values name the split: train, val (valid, validation, dev), test.",
    ),
]
FeaturesOpt = Annotated[
    str | None,
    typer.Option(
        "--features",
        help="[forecast, sequence, autoencoder] Comma-separated input columns. Default: every numeric column.",
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
        help="[text, sequence] cross_entropy | accuracy | macro_f1 (mse for regression). [default: cross_entropy] "
        "[forecast] mse (scaled) | rmse (original units). [default: mse; rmse when the space searches transform]",
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
        help="[forecast, sequence, autoencoder] standard | minmax | none, fitted on training rows. [default: standard]",
        show_default=False,
    ),
]
TimeColOpt = Annotated[
    str | None,
    typer.Option(
        "--time-col",
        help="[forecast, autoencoder] Time column (dates or numbers); rows are sorted by it. Default: row order.",
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
        help="[forecast] auto | diff | sdiff | logdiff | log,sdiff | log | none: what the model predicts: changes "
        "from the last value (diff), from the last value plus last season's change (sdiff, needs --season), "
        "the same of the logs, or levels. [default: auto: sdiff with --season (three seasons of training rows), "
        "else diff]",
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
        help="[text, sequence, autoencoder] Encoding of DATA.csv, e.g. latin-1 or cp1252. [default: utf-8]",
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
    str | None,
    typer.Option("--id-col", help="[sequence, autoencoder] Column naming the sequence of each row (long format)."),
]
OrderColOpt = Annotated[
    str | None,
    typer.Option(
        "--order-col", help="[sequence, autoencoder] Column ordering the steps within a sequence. Default: file order."
    ),
]
GroupColOpt = Annotated[
    str | None,
    typer.Option(
        "--group-col",
        help="[sequence, autoencoder] Column naming a subject / patient / device: each group stays in one split.",
    ),
]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide", help="[sequence, autoencoder] One row per sequence; its numeric columns are the steps (UCR style)."
    ),
]
StrideOpt = Annotated[
    int | None,
    typer.Option("--stride", help="[sequence, autoencoder] Keep every K-th step. [default: 1]", show_default=False),
]
MaxLengthOpt = Annotated[
    int | None,
    typer.Option(
        "--max-length", help="[sequence, autoencoder] Keep at most this many steps per sequence (the first ones)."
    ),
]
LabelColOpt = Annotated[
    str | None,
    typer.Option(
        "--label-col",
        help="[autoencoder] Column labelling each sequence; with --normal, only normal sequences are trained and ranked on, and test reports ROC / PR AUC.",
    ),
]
NormalOpt = Annotated[
    str | None, typer.Option("--normal", help="[autoencoder] The --label-col value of normal sequences, e.g. 1.")
]
ThresholdPctOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold-pct",
        help="[autoencoder] Flag a sequence whose score is above this percentile of the normal validation sequences' scores. [default: 99]",
        show_default=False,
    ),
]
WindowOpt = Annotated[
    int | None,
    typer.Option(
        "--window",
        help="[autoencoder] Cut one series (rows in --time-col order) into windows of W steps, each a sequence to rebuild.",
    ),
]
WindowStrideOpt = Annotated[
    int | None,
    typer.Option(
        "--window-stride", help="[autoencoder] Steps between the starts of windows. [default: 1]", show_default=False
    ),
]
ProblemOpt = Annotated[
    str | None,
    typer.Option("--problem", help="[sequence] classification | regression. Default: from the target's values."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]

# --- search's own ----------------------------------------------------------------------------------------

DataArg = Annotated[
    Path,
    typer.Argument(
        help="CSV file: a series (forecast), one text per row (text), or sequences (sequence).",
        metavar="DATA.csv",
        show_default=False,
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Run directory to write.", show_default=False)]
TunerOpt = Annotated[
    str | None,
    typer.Option("--tuner", help="bayesian | random | hyperband. [default: bayesian]", show_default=False),
]
MaxTrialsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-trials", "-n", help="Trials to run (hyperband sets its own). [default: 20]", show_default=False
    ),
]
EpochsOpt = Annotated[
    int | None, typer.Option("--epochs", "-e", help="Most epochs per trial. [default: 50]", show_default=False)
]
PatienceOpt = Annotated[
    int | None,
    typer.Option("--patience", help="Early-stopping patience in epochs. [default: 5]", show_default=False),
]
InitialPointsOpt = Annotated[
    int | None,
    typer.Option(
        "--initial-points",
        help="Random trials before Bayesian optimisation models the space. [default: a quarter of --max-trials]",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed", help="Seed for the splits, the tuner, weights and shuffling. [default: 42]", show_default=False
    ),
]
TimeBudgetOpt = Annotated[
    str | None,
    typer.Option(
        "--time-budget",
        help="Stop after this long, e.g. 90s, 10m, 1h: no trial starts later and a running one stops at its next epoch end.",
    ),
]
ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        help="The model to compare the LSTM with, fitted once on the training rows: auto (forecast: SARIMA or ETS "
        "with --season, else AR; text: TF-IDF + logistic regression; sequence: MiniRocket + a linear model), off, "
        "or a model's name (sarima, ets, ar, tfidf, minirocket). [default: auto]",
        show_default=False,
    ),
]
EnsembleOpt = Annotated[
    int | None,
    typer.Option(
        "--ensemble",
        help="Also score the mean prediction of the top K trials' models on validation and test, and save them "
        "for `predict --ensemble`. [default: 0, none]",
        show_default=False,
    ),
]
ExecutionsOpt = Annotated[
    int | None,
    typer.Option(
        "--executions",
        help="Train each trial N times with different seeds and rank it on the mean validation score; the "
        "table shows the spread (score_sd). Not with --tuner hyperband. [default: 1]",
        show_default=False,
    ),
]
FoldsOpt = Annotated[
    int | None,
    typer.Option(
        "--folds",
        help="Cross-validate each trial over K folds of training + validation (forecast: rolling origin; text, "
        "sequence: stratified blocks of the training items; the last fold is the validation split) and rank it "
        "on the mean; the table shows the spread over folds (score_sd). Not for autoencoders, not with --tuner "
        "hyperband. [default: 1, the validation split only]",
        show_default=False,
    ),
]
PruneOpt = Annotated[
    str | None,
    typer.Option(
        "--prune",
        help="Stop hopeless trials early: median (a trial whose best validation objective so far is worse than "
        "the completed trials' median at that epoch stops), halving (asynchronous successive halving: at epochs "
        "W, 3W, 9W ... only the best third goes on), or off. Not with --tuner hyperband. [default: median]",
        show_default=False,
    ),
]
PruneWarmupTrialsOpt = Annotated[
    int | None,
    typer.Option(
        "--prune-warmup-trials", help="Trials that complete before any is pruned. [default: 5]", show_default=False
    ),
]
PruneWarmupEpochsOpt = Annotated[
    int | None,
    typer.Option(
        "--prune-warmup-epochs",
        help="Epochs every trial trains before it may be pruned (W, the first rung of halving). [default: 5]",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print the run's report as one JSON document on stdout (progress stays on stderr)."),
]
TensorboardOpt = Annotated[
    bool,
    typer.Option(
        "--tensorboard", help="Write TensorBoard logs per trial, with the HParams view, to RUN_DIR/tensorboard."
    ),
]
GpuFastOpt = Annotated[
    bool,
    typer.Option(
        "--gpu-fast",
        help="Keep recurrent_dropout at 0 in every trial, so that on a GPU the LSTM layers use cuDNN's fast fused kernel. It narrows the search; on a CPU trials get faster too.",
    ),
]
MixedPrecisionOpt = Annotated[
    bool,
    typer.Option(
        "--mixed-precision",
        help="Train in float16 with float32 weights (Keras' mixed_float16 policy, loss scaling included): for GPUs with tensor cores; on a CPU it is not reliably faster.",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        help="Run trials in N worker processes at once (keras-tuner's chief/worker mode), sharing the CPU cores (or one GPU each). 0: in this process.",
    ),
]
ListenOpt = Annotated[
    str | None,
    typer.Option(
        "--listen",
        help="HOST:PORT to serve the search on, so that `lstmtune worker` on other machines can join, e.g. 0.0.0.0:8470. [default: 127.0.0.1, a free port]",
        show_default=False,
    ),
]
RecycleAfterOpt = Annotated[
    int | None,
    typer.Option(
        "--recycle-after",
        help="Replace each worker process by a fresh one after this many trials: bounds the memory TensorFlow keeps growing over many trials.",
    ),
]
LeaseOpt = Annotated[
    float | None,
    typer.Option(
        "--lease",
        help="Seconds a worker holding a trial may go without renewing its heartbeat in the run directory before "
        "that trial is recorded failed and the search goes on (a hung local worker is killed and replaced). "
        "[default: 60]",
        show_default=False,
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the search in an existing RUN_DIR (--max-trials may grow to add trials, --epochs to train "
        "new trials longer).",
    ),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an existing RUN_DIR.")]
