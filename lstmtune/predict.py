"""Use a run's best model later: load it with the encoder it was trained with and predict on new rows.

    from lstmtune.predict import Predictor
    predictor = Predictor.load("runs/airline")
    predictor.predict(frame)   # forecast: the next horizon; text / sequence: one row per item

The encoder is rebuilt from preprocessing.json by the run's task: the same columns, vocabulary,
scalers and transforms as the search used. TensorFlow is imported only to load the model.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import clip, suggestion
from lstmtune.errors import DataError, OptionError, RunDirError
from lstmtune.run.atomic import json_digest, read_json
from lstmtune.run.layout import ENSEMBLE_MEMBERS as MEMBERS_FILE
from lstmtune.run.layout import REFIT_FILE, RunDir
from lstmtune.run.manifest import load as load_manifest
from lstmtune.run.table import best_trial
from lstmtune.tasks import TASK_NAMES, get_task


def load_model(path: Path) -> Any:
    """A saved .keras model, loaded in Keras' safe mode: nothing in the file runs as code."""
    if not path.is_file():
        raise RunDirError(f"{path}: the model file is missing; search again (or refit) to rebuild it")
    if not zipfile.is_zipfile(path):  # Keras would say "File not found"
        raise RunDirError(
            f"{path}: damaged model file (not a .keras zip archive; truncated?); search again to rebuild it"
        )
    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()  # without TensorFlow's start-up lines, in the API as on the command line
    import keras

    import lstmtune.tasks.augment  # noqa: F401  (registers the augmentation layers with Keras)
    import lstmtune.tasks.gradient_noise  # noqa: F401  (registers the gradient-noise optimizers with Keras)
    import lstmtune.tasks.heads  # noqa: F401  (registers lstmtune's own metric with Keras)
    import lstmtune.tasks.layers  # noqa: F401  (registers lstmtune's own layers with Keras)

    try:
        with warnings.catch_warnings():
            # A mixed-precision model was saved with its loss-scaling optimizer, which it loads without:
            # that optimizer state is for training, never used to predict.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds for a damaged or unsafe file
        text = " ".join(str(exc).split())
        if "safe_mode" in text or "Lambda" in text:
            raise RunDirError(
                f"{path}: the model holds Python code (a Lambda layer), which lstmtune does not load (Keras safe mode)"
            ) from None
        raise RunDirError(f"{path}: cannot load the model ({type(exc).__name__}: {clip(text, 160)})") from None


# The models of a run predict can use: the best trial's, the ensemble's mean, the refit one.
MODELS = ("best", "ensemble", "refit")


class Predictor:
    """A run's best model (or its ensemble's members) plus the task's encoder (columns, scalers,
    vocabulary, labels) each was trained with."""

    def __init__(
        self, model: Any, encoder: Any, task: str, state: dict[str, Any], members: list[tuple[Any, Any]] | None = None
    ) -> None:
        self.model = model
        self.encoder = encoder
        self.task = task
        self.state = state
        # (model, encoder) of every ensemble member; the best model alone when None.
        self.members = members or [(model, encoder)]

    @classmethod
    def load(cls, run_dir: str | Path, ensemble: bool = False, model: str = "best") -> Predictor:
        """The run's best model; with model="ensemble" (or `ensemble`) the mean of its ensemble's members
        (search --ensemble K); with model="refit" the best configuration trained on train + validation
        (lstmtune refit)."""
        if model not in MODELS:
            raise OptionError(f"--model must be one of {', '.join(MODELS)}, but got {model!r}")
        if ensemble and model not in ("best", "ensemble"):
            raise OptionError(f"--ensemble and --model {model} name different models; give one of them")
        run = RunDir(run_dir)
        if run.root.is_file():
            raise RunDirError(f"{run.root}: is a file, but a run directory (made by lstmtune search) is needed")
        if ensemble or model == "ensemble":
            return cls._ensemble(run)
        if model == "refit":
            return cls._refit(run)
        if not run.best_model.is_file() or not run.preprocessing.is_file():
            raise RunDirError(
                f"{run.root}: no best model yet (best_model.keras and preprocessing.json are written when a search "
                f"completes); `lstmtune refit {run.root}` trains the best completed trial so far, for --model refit"
            )
        state = _state(run.preprocessing, read_json_or_none(run.preprocessing))
        task, encoder = _encoder(run.preprocessing, state)
        _check_against_manifest(run, run.preprocessing, task, state)
        model = load_model(run.best_model)
        check_model(model, run.best_model, encoder, run.preprocessing, task)
        if run.manifest.is_file():  # last: the checks above name what disagrees, this only that something does
            recorded = (load_manifest(run).best or {}).get("preprocessing_sha256")
            _check_digest(run.preprocessing, state, recorded, run.manifest)
        return cls(model, encoder, task, state)

    @classmethod
    def _refit(cls, run: RunDir) -> Predictor:
        listing = run.refit / REFIT_FILE
        if not run.refit_model.is_file() and not listing.is_file():
            raise RunDirError(f"{run.root}: no refit model (`lstmtune refit {run.root}` trains one)")
        for path in (listing, run.refit_model, run.refit_preprocessing):
            if not path.is_file():
                raise RunDirError(
                    f"{path} is missing: the refit is incomplete (cut short, or a file was removed); "
                    f"run `lstmtune refit {run.root}` again"
                )
        refitted = read_json_or_none(listing)
        best_id, _ = best_trial(run, load_manifest(run))
        if not isinstance(refitted, dict) or str(refitted.get("trial_id")) != best_id:
            trial = refitted.get("trial_id") if isinstance(refitted, dict) else None
            raise RunDirError(
                f"{listing}: the refit model is trial {trial}'s, but the run's best is now trial "
                f"{best_id} (the search went on since); run `lstmtune refit {run.root}` again"
            )
        state = _state(run.refit_preprocessing, read_json_or_none(run.refit_preprocessing))
        task, encoder = _encoder(run.refit_preprocessing, state)
        _check_against_manifest(run, run.refit_preprocessing, task, state)
        model = load_model(run.refit_model)
        check_model(model, run.refit_model, encoder, run.refit_preprocessing, task)
        _check_digest(run.refit_preprocessing, state, refitted.get("preprocessing_sha256"), listing)
        return cls(model, encoder, task, state)

    @classmethod
    def _ensemble(cls, run: RunDir) -> Predictor:
        listing = run.ensemble / MEMBERS_FILE
        if not listing.is_file():
            raise RunDirError(f"{run.root}: no ensemble (search with --ensemble K of at least 2 writes one)")
        document = _state(listing, read_json_or_none(listing))
        members, states = [], []
        for member in document.get("members") or []:
            if not isinstance(member, dict) or not isinstance(member.get("preprocessing"), dict):
                raise RunDirError(f"{listing}: unreadable ensemble listing (a member is not an object)")
            state = {"task": document.get("task"), **member["preprocessing"]}
            task, encoder = _encoder(listing, state)
            _check_against_manifest(run, listing, task, state)
            path = run.ensemble / str(member.get("model"))
            model = load_model(path)
            check_model(model, path, encoder, listing, task)
            members.append((model, encoder))
            states.append(state)
        if not members:
            raise RunDirError(f"{listing}: an ensemble needs at least 1 member, but lists none")
        model, encoder = members[0]
        return cls(model, encoder, task, states[0], members)

    def predict(
        self,
        frame: pd.DataFrame,
        source: str = "the data",
        all_windows: bool = False,
        strict: bool = False,
        keep: tuple[str, ...] | list[str] = (),
    ) -> pd.DataFrame:
        """Forecast: the horizon after the last row (every window with all_windows); text and
        sequence: a label and class probabilities (or a value) per text / sequence. An ensemble's
        members' outputs are averaged before they are decoded. Texts without words are skipped and
        listed in the result's attrs["skipped_rows"] (data rows, 1-based); `strict` refuses them. `keep`
        names columns of `frame` carried into the result beside each text's or sequence's prediction.
        Autoencoder: a score per sequence; attrs["reconstruction"] holds the reconstructed steps and, for a
        run searched on windows of one series, attrs["steps"] each time step's score."""
        if not isinstance(frame, pd.DataFrame):
            raise OptionError(f"frame must be a pandas DataFrame of new rows, but got {type(frame).__name__}")
        for name, value in (("all_windows", all_windows), ("strict", strict)):
            if not isinstance(value, bool):
                raise OptionError(f"{name} must be True or False, but got {value!r}")
        keep = [keep] if isinstance(keep, str) else keep
        if not isinstance(keep, (list, tuple)) or not all(isinstance(name, str) for name in keep):
            raise OptionError(f"keep must be a list of column names, but got {keep!r}")
        given = {"all_windows": all_windows, "strict": strict}
        options = {name: given[name] for name in get_task(self.task).predict_options}
        found = []
        for model, encoder in self.members:
            inputs, context = encoder.encode_frame(frame, source, **options)
            found.append((model.predict(inputs, verbose=0), encoder, context))
        # Members may read different lookbacks: their windows all end at the last row, so the last ones agree.
        # Of equally many outputs, min keeps the first member's encoder: the one whose state holds what the
        # ensemble's own validation set (an autoencoder's scores and step weights).
        outputs, encoder, context = min(found, key=lambda item: len(item[0]))
        mean = np.mean([o[len(o) - len(outputs) :] for o, _, _ in found], axis=0)
        result = encoder.decode(mean, context)
        return with_kept_columns(result, frame, list(keep), encoder, context, source) if keep else result


def with_kept_columns(
    result: pd.DataFrame, frame: pd.DataFrame, keep: list[str], encoder: Any, context: Any, source: str
) -> pd.DataFrame:
    """The result with `keep`'s columns of the new rows after its first column (row or id): each output row's
    value, which must be one per sequence. A column named like one of the output's (a true `label` beside
    the predicted one) is kept as <name>_data."""
    if not hasattr(encoder, "source_rows"):
        raise OptionError("--keep applies to text and sequence runs, whose output has a row per text or sequence")
    names = [str(c) for c in frame.columns]
    for name in keep:
        if name not in names:
            raise DataError(
                f"{source}: --keep {name!r} is not a column{suggestion(name, names)}; columns are: "
                f"{clip(', '.join(names), 200)}"
            )
    rows = encoder.source_rows(context)
    out = result.copy()
    out.attrs = dict(result.attrs)  # the notes on what reading left out
    for offset, name in enumerate(keep, start=1):
        column = frame.iloc[:, names.index(name)]
        values = []
        for item, positions in zip(out.iloc[:, 0], rows):
            held = column.iloc[list(positions)]
            distinct = held.drop_duplicates()
            if len(distinct) > 1:
                raise DataError(
                    f"{source}: --keep {name!r} must hold one value per sequence, but sequence {item} holds "
                    f"{distinct.iloc[0]!r} and {distinct.iloc[1]!r}"
                )
            values.append(held.iloc[0] if len(held) else None)
        out.insert(offset, f"{name}_data" if name in result.columns else name, values)
    return out


def skipped_lines(result: pd.DataFrame) -> list[str]:
    """The stderr notes on what reading the new rows cut or left out: texts without words (no prediction),
    sequences cut to the trained length, columns the model does not read."""
    notes = [str(note) for note in result.attrs.get("notes") or []]
    skipped = list(result.attrs.get("skipped_rows") or [])
    if not skipped:
        return notes
    shown = ", ".join(str(row) for row in skipped[:10]) + (", ..." if len(skipped) > 10 else "")
    return [
        *notes,
        f"skipped {len(skipped)} row{'s' if len(skipped) != 1 else ''} without words (data row {shown}): no "
        "prediction for them; --strict refuses such a file",
    ]


def read_json_or_none(path: Path) -> Any:
    try:
        return read_json(path)
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path}: unreadable preprocessing state ({exc})") from None


def _state(path: Path, state: Any) -> dict[str, Any]:
    if not isinstance(state, dict):
        raise RunDirError(f"{path}: unreadable preprocessing state (it must be a JSON object)")
    return state


def _encoder(path: Path, state: dict[str, Any]) -> tuple[str, Any]:
    """(task, encoder) rebuilt from a preprocessing state."""
    try:
        task = state.get("task") or "forecast"  # runs before schema version 2 were forecasts
        if task not in TASK_NAMES:
            raise ValueError(f"unknown task {task!r}")
        return task, get_task(task).predictor_encoder(state)
    except (ValueError, KeyError, TypeError) as exc:
        raise RunDirError(f"{path}: unreadable preprocessing state ({exc})") from None


def _check_digest(path: Path, state: dict[str, Any], recorded: Any, where: Path) -> None:
    """A preprocessing file against the digest recorded when it was written (runs made before digests
    were recorded have none): any edit (a scaler, a vocabulary, a label) is refused."""
    if isinstance(recorded, str) and json_digest(state) != recorded:
        raise RunDirError(
            f"{path}: changed since it was written (its contents no longer match preprocessing_sha256 in {where}); "
            "the model reads its inputs only as that file was: restore it, or search again"
        )


# What a run's data settings (run.json) and a preprocessing state both record, and must agree on.
SHARED_SETTINGS = ("horizon", "season", "stride", "max_length", "scale")


def _check_against_manifest(run: RunDir, path: Path, task: str, state: dict[str, Any]) -> None:
    """The preprocessing state against run.json, when the run has one (a model and its preprocessing.json
    copied elsewhere predict without it): same task, same data settings, same labels."""
    if not run.manifest.is_file():
        return
    manifest = load_manifest(run)  # refuses a newer schema_version, as report and gate do
    if manifest.task != task:
        raise RunDirError(
            f"{path}: task {task}, but {run.manifest.name} says task {manifest.task}; both must come from one search"
        )
    settings = manifest.data.get("settings") or {}
    for key in SHARED_SETTINGS:
        if key == "season" and state.get(key) is None:
            continue  # a forecast's state keeps the season only for a seasonal transform (sdiff)
        if key in state and key in settings and state[key] != settings[key]:
            raise RunDirError(
                f"{path}: {key} is {state[key]!r}, but {run.manifest.name} records {settings[key]!r}; "
                "both must come from one search"
            )
    labels = manifest.data.get("labels")
    if (
        isinstance(labels, list)
        and "labels" in state
        and [str(x) for x in state["labels"] or []] != [str(x) for x in labels]
    ):
        raise RunDirError(
            f"{path}: labels {clip(str(state['labels']), 80)} differ from the {len(labels)} run.json records"
        )


def check_model(model: Any, model_path: Path, encoder: Any, state_path: Path, task: str) -> None:
    """A loaded model against the preprocessing state it is used with: the task it was built for, and the
    shape of every input and of the output; one line naming both files and the fields that disagree."""
    built_for = str(getattr(model, "name", ""))
    if built_for.startswith("lstmtune_") and built_for != f"lstmtune_{task}":
        raise RunDirError(
            f"{model_path}: a model of task {built_for.removeprefix('lstmtune_')}, but {state_path.name} describes "
            f"task {task}; the model and {state_path.name} must come from one search"
        )
    expected = encoder.model_shapes()
    found = {str(t.name): tuple(t.shape)[1:] for t in model.inputs}
    found["output"] = tuple(model.outputs[0].shape)[1:] if len(model.outputs) == 1 else ("several outputs",)
    for name, shape in expected.items():
        got = found.get(name)
        if got is None or not _same_shape(got, shape.dims):
            what = "writes" if name == "output" else f"reads {name!r} as"
            raise RunDirError(
                f"{model_path}: the model {what} {_shown_shape(got)}, but {state_path.name} ({shape.fields}) says "
                f"{_shown_shape(shape.dims)}; the model and {state_path.name} must come from one search"
            )
    extra = sorted(set(found) - set(expected))
    if extra:
        raise RunDirError(
            f"{model_path}: the model reads inputs {', '.join(extra)} that {state_path.name} does not provide"
        )


def _same_shape(got: tuple, want: tuple) -> bool:
    return len(got) == len(want) and all(g is None or w is None or g == w for g, w in zip(got, want))


def _shown_shape(dims: tuple | None) -> str:
    if dims is None:
        return "nothing of that name"
    return "(" + ", ".join("any" if d is None else str(d) for d in dims) + ")"


def backtest_lines(result: Any) -> list[str]:
    """Per forecast step: RMSE and MAE of the forecasts whose truth the data holds (predict --all on a
    forecast run), one line per step; [] for other predictions."""
    import numpy as np

    errors = [str(c) for c in result.columns if str(c).endswith("_error")]
    if not errors or "step" not in (result.index.names or []):
        return []
    lines = []
    for step, part in result.groupby(level="step"):
        cells = []
        for column in errors:
            error = part[column].dropna().to_numpy(dtype=float)
            if len(error):
                cells.append(
                    f"{column.removesuffix('_error')} RMSE {np.sqrt(np.mean(error**2)):.4g}, "
                    f"MAE {np.mean(np.abs(error)):.4g} over {len(error)} windows"
                )
        if cells:
            lines.append(f"backtest step {step}: " + "; ".join(cells))
    return lines
