"""Which sequences are normal (--label-col / --normal), and the splits an autoencoder needs (numpy / pandas only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import shown
from lstmtune.data.splits import SPLITS
from lstmtune.errors import DataError
from lstmtune.tasks.autoencoder.settings import AutoencoderSettings
from lstmtune.tasks.autoencoder.windows import as_text
from lstmtune.tasks.sequence.encoder import Collected
from lstmtune.tasks.sequence.targets import per_sequence


def read_labels(
    path: Any, frame: pd.DataFrame, roles: dict[str, str], settings: AutoencoderSettings, collected: Collected
) -> tuple[np.ndarray | None, np.ndarray]:
    """(each sequence's label as text, or None without --label-col; whether it is normal)."""
    column = roles.get("label_col")
    if column is None:
        return None, np.ones(len(collected.ids), dtype=bool)
    values = per_sequence(path, frame, column, "--label-col", collected)
    labels = np.array([as_text(v) for v in values], dtype=object)
    normal = labels == settings.normal
    if not normal.any():
        found = sorted(set(labels.tolist()))
        raise DataError(
            f"{path}: --normal {settings.normal!r} is not a value of --label-col {column!r}; it holds "
            f"{', '.join(shown(v) for v in found[:10])}{' ...' if len(found) > 10 else ''}"
        )
    return labels, normal


def check_splits(
    path: Any, index: dict[str, np.ndarray], normal: np.ndarray, labelled: bool, total: int, how: str
) -> None:
    """Every split needs sequences; train and validation need normal ones."""
    for split in SPLITS:
        if len(index[split]) == 0:
            raise DataError(
                f"{path}: the {split} split has no sequences ({total} sequences, split {how}); "
                f"more sequences, or a larger {split} fraction (--split), are needed"
            )
    if labelled:
        for split in ("train", "val"):
            if not normal[index[split]].any():
                raise DataError(
                    f"{path}: the {split} split has no normal sequence ({how}); an autoencoder learns and is "
                    "chosen on normal sequences: more of them, or a larger --split fraction, are needed"
                )
