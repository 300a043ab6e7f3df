"""The text task: one text per row, one label per row (reviews, tweets, tickets)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lstmtune.tasks.base import DataRequest, Shape, Task, check_labels
from lstmtune.tasks.text import settings


class TextPredictorEncoder:
    """New rows -> token ids with the run's vocabulary; model outputs -> label and class probabilities."""

    def __init__(self, state: dict[str, Any]):
        from lstmtune.tasks.text.encoder import TextEncoder

        for key in ("text_col", "sequence_length", "vocabulary", "labels"):
            if key not in state:
                raise ValueError(f"it must have {key!r}")
        self.state = state
        self.encoder = TextEncoder.from_state(state)
        length, labels = state["sequence_length"], state["labels"]
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            raise ValueError(f"sequence_length must be a whole number above 0, but got {length!r}")
        check_labels(labels)

    def model_shapes(self) -> dict[str, Shape]:
        """The shapes a model trained with this state reads and writes (batch dimension left out)."""
        n = len(self.state["labels"])
        return {
            "tokens": Shape((self.state["sequence_length"],), "sequence_length"),
            "output": Shape((1 if n == 2 else n,), "labels"),
        }

    def encode_frame(self, frame: pd.DataFrame, source: str = "the data", strict: bool = False):
        from lstmtune.tasks.text.rows import encode_frame

        inputs, kept = encode_frame(self.state, frame, source, strict)
        return inputs, (kept, len(frame))

    def decode(self, outputs, context) -> pd.DataFrame:
        """One row per text predicted, named by its data row (1 = the first row after the header); the rows
        skipped for having no words are listed in the frame's attrs["skipped_rows"]."""
        kept, total = context
        out = self.encoder.decode(outputs)
        out.insert(0, "row", [int(p) + 1 for p in kept])
        out.attrs["skipped_rows"] = sorted(set(range(1, total + 1)) - set(out["row"]))
        return out

    def source_rows(self, context) -> list:
        """The frame row position each output row was read from."""
        return [[int(p)] for p in context[0]]


class TextTask(Task):
    name = "text"
    specs = settings.TEXT_SPECS
    # The inputs are token ids (embedding_dropout, token_dropout and token_replace regularise them instead
    # of noise and numeric augmentation); convolutions would drop the embedding's mask of padded steps.
    excluded = (
        "input_noise",
        "augment_scale",
        "augment_slice",
        "augment_warp",
        "augment_permute",
        "conv_filters",
        "conv_kernel",
        "conv_layers",
        "conv_placement",
    )
    data_rules = settings.DATA_RULES
    fold_kind = "stratified k-fold"
    settings_class = settings.TextSettings
    column_flags = ("target", "text_col", "split_col")
    option_flags = ("encoding", "embeddings", "strict")
    purpose = "Text classification (lstmtune search DATA.csv --task text --text-col TEXT --target LABEL ...)."
    starter_ranges = {
        "max_tokens": {"choice": [5000, 10000, 20000]},
        "embedding_dim": {"choice": [32, 64, 128]},
        "embedding_dropout": {"float": [0.0, 0.5]},
        "bidirectional": {"choice": [False, True]},
    }
    na_is_text = True  # "NA" or "None" in a review is a word
    predict_options = ("strict",)
    references = ("tfidf",)
    reference_advice = (
        "search pooling over time (pooling: max or mean) and bidirectional layers, start from pre-trained word "
        "vectors (--embeddings), or use the reference: on short texts a bag of words is hard to beat"
    )

    def advice_against_reference(self, manifest: Any, table: Any) -> str:
        """The general advice without what the run already searched (pooling, bidirectional layers) or used
        (pre-trained vectors)."""
        searched = {
            name
            for name in ("pooling", "bidirectional")
            if name in table and table[name].dropna().astype(str).nunique() > 1
        }
        parts = []
        if "pooling" not in searched:
            parts.append("search pooling over time (pooling: max or mean)")
        if "bidirectional" not in searched:
            parts.append("search bidirectional layers")
        if not (manifest.data.get("options") or {}).get("embeddings"):
            parts.append("start from pre-trained word vectors (--embeddings)")
        parts.append("or use the reference: on short texts a bag of words is hard to beat")
        return ", ".join(parts)

    def prepare(self, request: DataRequest, space: Any):
        from lstmtune.tasks.text.data import prepare_text

        return prepare_text(request, space)

    def keras_side(self, prepared):
        from lstmtune.tasks.text.keras_io import TextKeras

        return TextKeras(prepared)

    def predictor_encoder(self, state: dict[str, Any]):
        return TextPredictorEncoder(state)

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        from lstmtune.tasks.findings import against_prior

        return against_prior(best, manifest)


TASK = TextTask()
