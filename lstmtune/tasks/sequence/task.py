"""The sequence task: many short sequences, one label or value each (sensors, ECG, speech)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lstmtune.tasks.base import DataRequest, Shape, Task, check_labels
from lstmtune.tasks.sequence import settings


def checked_encoder(state: dict[str, Any]) -> Any:
    """A SequenceEncoder rebuilt from preprocessing.json, its lengths and scaler checked (a ValueError
    saying what must hold)."""
    from lstmtune.tasks.sequence.encoder import SequenceEncoder

    encoder = SequenceEncoder.from_state(state)
    for name in ("length", "stride"):
        value = getattr(encoder, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a whole number above 0, but got {value!r}")
    if encoder.scaler is not None and len(encoder.scaler.scale) != encoder.n_features:
        raise ValueError(f"scaler must hold one offset and scale per channel ({encoder.n_features})")
    return encoder


class SequencePredictorEncoder:
    """New rows -> padded, scaled, masked sequences; model outputs -> label and probabilities, or value."""

    def __init__(self, state: dict[str, Any]):
        self.encoder = checked_encoder(state)
        encoder = self.encoder
        if encoder.problem == "classification":
            check_labels(encoder.labels)
        elif encoder.problem != "regression":
            raise ValueError(f"problem must be classification or regression, but got {encoder.problem!r}")

    def model_shapes(self) -> dict[str, Shape]:
        """The shapes a model trained with this state reads and writes (batch dimension left out)."""
        encoder = self.encoder
        n = encoder.n_classes
        return {
            "values": Shape((encoder.length, encoder.n_features), "length, features"),
            "mask": Shape((encoder.length,), "length"),
            "output": Shape((1 if n in (0, 2) else n,), "labels" if n else "problem"),
        }

    def encode_frame(self, frame: pd.DataFrame, source: str = "the data"):
        x, mask, ids, rows, notes = self.encoder.encode_frame_with_notes(frame, source)
        return {"values": x, "mask": mask}, (ids, rows, notes)

    def decode(self, outputs, context) -> pd.DataFrame:
        """One row per sequence; what reading cut or left out is in the frame's attrs["notes"]."""
        out = self.encoder.decode(outputs, context[0])
        out.attrs["notes"] = list(context[2])
        return out

    def source_rows(self, context) -> list:
        """The frame row positions each output row was read from (a sequence's rows)."""
        return list(context[1])


class SequenceTask(Task):
    name = "sequence"
    specs = {"downsample": settings.DOWNSAMPLE_SPEC}
    data_rules = settings.DATA_RULES
    settings_class = settings.SequenceSettings
    column_flags = ("target", "id_col", "order_col", "split_col", "group_col", "features")
    option_flags = ("wide", "encoding")
    fold_kind = "stratified k-fold"
    purpose = "Many short sequences, one label or value each (lstmtune search DATA.csv --task sequence ...)."
    starter_ranges = {
        "input_noise": {"float": [0.0, 0.2]},
        "bidirectional": {"choice": [False, True]},
        "batch_size": {"choice": [8, 16, 32]},
    }
    references = ("minirocket",)
    reference_advice = (
        "search a convolutional front end (conv_filters > 0, the LSTM-FCN design), pooling over time, and a "
        "downsampling that shortens long sequences (downsample: {choice: [1, 2, 4]}); or use the reference"
    )

    def prepare(self, request: DataRequest, space: Any):
        from lstmtune.tasks.sequence.data import prepare_sequences

        return prepare_sequences(request, space)

    def keras_side(self, prepared):
        from lstmtune.tasks.sequence.keras_io import SequenceKeras

        return SequenceKeras(prepared)

    def predictor_encoder(self, state: dict[str, Any]):
        return SequencePredictorEncoder(state)

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        from lstmtune.tasks.findings import against_prior

        return against_prior(best, manifest)


TASK = SequenceTask()
