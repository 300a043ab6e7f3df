"""Text classification's data settings and hyperparameters (no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass

from lstmtune.core.validate import Validator, between, fraction, one_of, split_fractions
from lstmtune.space.settings import CLASS_WEIGHTS
from lstmtune.space.specs import MAX_UNITS, Spec
from lstmtune.tasks.scoring import CLASSIFICATION_OBJECTIVES

OBJECTIVE_NAMES = tuple(CLASSIFICATION_OBJECTIVES)


@dataclass(frozen=True)
class TextSettings:
    """How the CSV's texts and labels become splits, and what trials are ranked on."""

    # train, validation, test fractions of a stratified, seeded split (without --split-col; with one,
    # split[1] / (split[0] + split[1]) of train becomes validation when the column names none).
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    objective: str = "cross_entropy"
    # auto: weight each class n / (K * count) in the training loss (balanced); none: every row 1.
    class_weight: str = "none"


DATA_RULES: dict[str, Validator] = {
    "split": split_fractions,
    "objective": one_of(OBJECTIVE_NAMES),
    "class_weight": one_of(CLASS_WEIGHTS),
}


# A vocabulary beyond two million words or texts beyond 20,000 tokens is a mistake on this scale of model.
MAX_TOKENS = 2_000_000
MAX_SEQUENCE_LENGTH = 20_000

TEXT_SPECS: dict[str, Spec] = {
    "max_tokens": Spec(
        int,
        20000,
        f"2 <= value <= {MAX_TOKENS}",
        between(2, MAX_TOKENS),
        "vocabulary size, padding and out-of-vocabulary ids included (most frequent training words)",
    ),
    "sequence_length": Spec(
        int,
        None,
        f"1 <= value <= {MAX_SEQUENCE_LENGTH}",
        between(1, MAX_SEQUENCE_LENGTH),
        "tokens per text, longer texts cut (default: 95th percentile of training token counts)",
    ),
    "embedding_dim": Spec(int, 64, f"1 <= value <= {MAX_UNITS}", between(1, MAX_UNITS), "width of the word embedding"),
    "embedding_dropout": Spec(
        float, 0.0, "0 <= value < 1", fraction, "spatial dropout on the embedded sequence (whole embedding channels)"
    ),
    "embedding_trainable": Spec(bool, True, help="train the embedding (with --embeddings: fine-tune the vectors)"),
    "token_dropout": Spec(
        float,
        0.0,
        "0 <= value < 1 (0 = off)",
        fraction,
        "while training, each token skipped (masked like padding) with this probability",
    ),
    "token_replace": Spec(
        float,
        0.0,
        "0 <= value < 1 (0 = off)",
        fraction,
        "while training, each token replaced by a random word of the vocabulary with this probability",
    ),
}
