"""Use a run's best model later: load it with the encoder it was trained with and predict on new rows.

    from lstmtune.predict import Predictor
    predictor = Predictor.load("runs/airline")
    predictor.predict(frame)   # forecast: the next horizon; text / sequence: one row per item

The encoder is rebuilt from preprocessing.json by the run's task: the same columns, vocabulary,
scalers and transforms as the search used. TensorFlow is imported only to load the model.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from lstmtune.core.text import clip
from lstmtune.errors import RunDirError
from lstmtune.run.atomic import read_json
from lstmtune.run.layout import RunDir
from lstmtune.tasks import TASK_NAMES, get_task


def load_model(path: Path) -> Any:
    """A saved .keras model, loaded in Keras' safe mode: nothing in the file runs as code."""
    if not zipfile.is_zipfile(path):  # Keras would say "File not found"
        raise RunDirError(
            f"{path}: damaged model file (not a .keras zip archive; truncated?); search again to rebuild it"
        )
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds for a damaged or unsafe file
        text = " ".join(str(exc).split())
        if "safe_mode" in text or "Lambda" in text:
            raise RunDirError(
                f"{path}: the model holds Python code (a Lambda layer), which lstmtune does not load (Keras safe mode)"
            ) from None
        raise RunDirError(f"{path}: cannot load the model ({type(exc).__name__}: {clip(text, 160)})") from None


class Predictor:
    """A run's best model plus the task's encoder (columns, scalers, vocabulary, labels)."""

    def __init__(self, model: Any, encoder: Any, task: str, state: dict[str, Any]) -> None:
        self.model = model
        self.encoder = encoder
        self.task = task
        self.state = state

    @classmethod
    def load(cls, run_dir: str | Path) -> Predictor:
        run = RunDir(run_dir)
        if run.root.is_file():
            raise RunDirError(f"{run.root}: is a file, but a run directory (made by lstmtune search) is needed")
        if not run.best_model.is_file() or not run.preprocessing.is_file():
            raise RunDirError(
                f"{run.root}: no best model yet (best_model.keras and preprocessing.json are written when a search completes)"
            )
        try:
            state = read_json(run.preprocessing)
            if not isinstance(state, dict):
                raise ValueError("it must be a JSON object")
            task = state.get("task", "forecast")  # runs before schema version 2 were forecasts
            if task not in TASK_NAMES:
                raise ValueError(f"unknown task {task!r}")
            encoder = get_task(task).predictor_encoder(state)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RunDirError(f"{run.preprocessing}: unreadable preprocessing state ({exc})") from None
        return cls(load_model(run.best_model), encoder, task, state)

    def predict(self, frame: pd.DataFrame, source: str = "the data", all_windows: bool = False) -> pd.DataFrame:
        """Forecast: the horizon after the last row (every window with all_windows); text and
        sequence: a label and class probabilities (or a value) per text / sequence."""
        options = {"all_windows": all_windows} if "all_windows" in get_task(self.task).predict_options else {}
        inputs, context = self.encoder.encode_frame(frame, source, **options)
        outputs = self.model.predict(inputs, verbose=0)
        return self.encoder.decode(outputs, context)
