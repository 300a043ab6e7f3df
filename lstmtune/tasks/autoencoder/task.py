"""The autoencoder task: many sequences reconstructed through a bottleneck; each sequence's reconstruction
error is its anomaly score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.autoencoder import settings
from lstmtune.tasks.base import DataRequest, Presentation, Shape, Task

WINDOW_KEYS = ("window", "window_stride", "time_col", "time_format", "features", "label_col")
PRESENTATION = Presentation(
    kind="reconstruction",
    model_column="model",
    skill="skill = 1 - reconstruction MSE / MSE of rebuilding every sequence as the training steps' mean",
    original_units=False,
    baseline_in_objective_units=True,
    predictions="scores",
    predictions_note="",
    summary_prose=True,
)


def _finite_numbers(found: Any, above_zero: bool = False) -> bool:
    """A list of finite numbers >= 0 (> 0 with `above_zero`)."""
    return isinstance(found, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and (v > 0 if above_zero else v >= 0)
        for v in found
    )


def _sorted_scores(state: dict[str, Any], key: str, what: str) -> np.ndarray | None:
    found = state.get(key)
    if found is None:
        return None
    if not found or not _finite_numbers(found):
        raise ValueError(f"{key} must list {what} (numbers >= 0)")
    return np.sort(np.asarray(found, dtype=np.float64))


def _step_weights(state: dict[str, Any], length: int) -> np.ndarray | None:
    """The weights of errors by position in a window (absent from runs that did not weigh them)."""
    found = state.get("val_step_weights")
    if found is None:
        return None
    if not _finite_numbers(found, above_zero=True) or len(found) != length:
        raise ValueError(f"val_step_weights must list {length} numbers > 0, one per step of a window")
    return np.asarray(found, dtype=np.float64)


class AutoencoderPredictorEncoder:
    """New rows -> padded, scaled, masked sequences; reconstructions -> each sequence's score, its
    percentile among the normal validation sequences' scores, and the flag."""

    def __init__(self, state: dict[str, Any]):
        from lstmtune.tasks.sequence.task import checked_encoder

        self.encoder = checked_encoder(state)
        if self.encoder.scaler is None:
            raise ValueError(f"scaler must hold one offset and scale per channel ({self.encoder.n_features})")
        pct = state.get("threshold_pct")
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 50 <= pct <= 100:
            raise ValueError(f"threshold_pct must be a number in [50, 100], but got {pct!r}")
        self.threshold_pct = float(pct)
        self.val_scores = _sorted_scores(state, "val_scores", "the validation sequences' scores")
        self.val_step_scores = _sorted_scores(state, "val_step_scores", "the validation series' step scores")
        window = state.get("window")
        if window is not None:
            if not isinstance(window, dict) or any(k not in window for k in WINDOW_KEYS):
                raise ValueError(f"window must be an object with {', '.join(WINDOW_KEYS)}")
            for key in ("window", "window_stride"):
                if isinstance(window[key], bool) or not isinstance(window[key], int) or window[key] < 1:
                    raise ValueError(f"window.{key} must be a whole number above 0, but got {window[key]!r}")
            if window["window"] != self.encoder.length:
                raise ValueError(f"window.window ({window['window']}) must equal length ({self.encoder.length})")
        self.window = window
        self.val_step_weights = _step_weights(state, self.encoder.length) if window is not None else None

    def model_shapes(self) -> dict[str, Shape]:
        encoder = self.encoder
        return {
            "values": Shape((encoder.length, encoder.n_features), "length, features"),
            "mask": Shape((encoder.length,), "length"),
            "output": Shape((encoder.length, encoder.n_features), "length, features"),
        }

    def encode_frame(self, frame: pd.DataFrame, source: str = "the data"):
        if self.window is not None:  # one series: the same windows the search cut, every one of them
            from lstmtune.tasks.autoencoder.windows import cut_windows

            window = self.window
            columns = {"time_col": window["time_col"], "features": window["features"]}
            frame = frame.copy()
            frame.columns = [str(c) for c in frame.columns]
            missing = [c for c in [window["time_col"], *window["features"]] if c and c not in frame.columns]
            if missing:
                raise DataError(
                    f"{source}: must have the columns the model was trained with; missing: {', '.join(missing)}"
                )
            used = [c for c in frame.columns if c in (window["time_col"], *window["features"])]
            windowed = cut_windows(
                frame[used],
                source,
                columns,
                window["window"],
                window["window_stride"],
                None,
                None,
                window["time_format"],
            )
            x, mask, ids, _, notes = self.encoder.encode_frame_with_notes(windowed.frame, source)
            ignored = [c for c in frame.columns if c not in used]
            notes = [f"{source}: not read by the model: {', '.join(ignored)}"] if ignored else []
            return {"values": x, "mask": mask}, (ids, [], notes, x, mask, windowed.series)
        x, mask, ids, rows, notes = self.encoder.encode_frame_with_notes(frame, source)
        return {"values": x, "mask": mask}, (ids, rows, notes, x, mask, None)

    def decode(self, outputs, context) -> pd.DataFrame:
        """One row per sequence: id, score (its reconstruction error on the scaled inputs), its percentile
        among the normal validation sequences' scores and whether it lies above the threshold. The
        reconstructed steps, in original units, are in attrs["reconstruction"]; for one windowed series,
        each time step's score in attrs["steps"]."""
        from lstmtune.tasks.autoencoder.scores import excess_flags, placed_among, sequence_scores

        ids, _, notes, x, mask, series = context
        outputs = np.asarray(outputs, dtype=np.float64)
        found = sequence_scores(x, outputs, mask)
        out = pd.DataFrame({"id": list(ids), "score": found})
        for name, column in placed_among(found, self.val_scores, self.threshold_pct).items():
            out[name] = column
        out.attrs["notes"] = list(notes) + (
            []
            if self.val_scores is not None
            else ["no validation scores in the preprocessing state (a refit model): scores only, no flag"]
        )
        out.attrs["reconstruction"] = self.reconstruction(outputs, ids, mask)
        if series is not None:
            out.attrs["steps"] = self.steps(x, outputs, ids, series)
        flagged = {"windows" if series is not None else "sequences": out, "steps": out.attrs.get("steps")}
        for what, frame in flagged.items():
            if frame is not None and "flagged" in frame:
                note = excess_flags(frame["flagged"].to_numpy(), self.threshold_pct, what)
                out.attrs["notes"] += [note] if note else []
        return out

    def steps(self, x: np.ndarray, outputs: np.ndarray, ids: Any, series: Any) -> pd.DataFrame:
        """One row per time step of the series: its time, the first feature's value, its score (the error,
        weighed by its position in each window, averaged over the windows holding it), and its percentile
        among the normal validation steps' scores with the flag at the run's --threshold-pct (when the run
        kept those scores)."""
        from lstmtune.tasks.autoencoder.scores import placed_among, step_errors
        from lstmtune.tasks.autoencoder.steps import step_frame, step_scores

        starts = np.array([series.starts[str(item)] for item in ids], dtype=np.int64)
        positions, found = step_scores(starts, step_errors(x, outputs), self.val_step_weights)
        frame = step_frame(series, positions, {"score": found})
        for name, column in placed_among(found, self.val_step_scores, self.threshold_pct).items():
            frame[name] = column
        return frame

    def reconstruction(self, outputs: np.ndarray, ids: Any, mask: np.ndarray) -> pd.DataFrame:
        """The reconstructed real steps in original units: id, step, then one column per feature (long
        format, whatever the input's format)."""
        encoder = self.encoder
        assert encoder.scaler is not None
        names = encoder.features if encoder.format == "long" else ["value"]
        rows = []
        for item, rebuilt, real in zip(ids, outputs, mask):
            steps = rebuilt[real]
            frame = pd.DataFrame(encoder.scaler.inverse(steps), columns=names)
            frame.insert(0, "step", np.arange(len(steps)))
            frame.insert(0, "id", [item] * len(steps))
            rows.append(frame)
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["id", "step", *names])

    def source_rows(self, context) -> list:
        if self.window is not None:
            raise OptionError("--keep applies to files of many sequences; a windowed run reads one series")
        return list(context[1])


class AutoencoderTask(Task):
    name = "autoencoder"
    specs = settings.SPECS
    excluded = settings.EXCLUDED
    data_rules = settings.DATA_RULES
    settings_class = settings.AutoencoderSettings
    column_flags = ("label_col", "id_col", "order_col", "split_col", "group_col", "features", "time_col")
    option_flags = ("wide", "encoding")
    reconstructs = True
    purpose = (
        "Sequences reconstructed through a bottleneck; the reconstruction error scores anomalies "
        "(lstmtune search DATA.csv --task autoencoder --label-col label --normal 1 ...)."
    )
    starter_ranges = {
        "latent_units": {"int": [2, 32]},
        "input_noise": {"float": [0.0, 0.2]},
        "batch_size": {"choice": [8, 16, 32]},
    }
    references = ("pca",)
    reference_advice = (
        "when the best trial rebuilds its training sequences no better (its training skill), search more units, "
        "a wider latent_units range and more epochs; when only validation is worse, more dropout or input noise; "
        "or use the reference"
    )

    def prepare(self, request: DataRequest, space: Any):
        from lstmtune.tasks.autoencoder.data import prepare_autoencoder

        return prepare_autoencoder(request, space)

    def keras_side(self, prepared):
        from lstmtune.tasks.autoencoder.keras_io import AutoencoderKeras

        return AutoencoderKeras(prepared)

    def predictor_encoder(self, state: dict[str, Any]):
        return AutoencoderPredictorEncoder(state)

    def chance_skill(self, row: Any, data: dict[str, Any]) -> float:
        """What an autoencoder keeps of structureless data: a bottleneck of k numbers keeps about k / d of the
        variance of d = steps x channels independent values, and the mean baseline misses by its own
        estimation error, about 1 / n over n training sequences."""
        try:
            steps = int(data["lengths"]["padded_to"])
            channels = 1 if data.get("format") == "wide" else len(data["features"])
            trained = int(data["splits"]["train"]["normal"])
            latent = float(row.get("latent_units"))
        except (KeyError, TypeError, ValueError):
            return 0.0
        if steps < 1 or channels < 1 or trained < 1 or not latent > 0:
            return 0.0
        return min(1.0, latent / (steps * channels)) + 1.0 / trained

    def presentation(self, figures: tuple[str, ...], data: dict[str, Any] | None = None) -> Presentation:
        return PRESENTATION


TASK = AutoencoderTask()
