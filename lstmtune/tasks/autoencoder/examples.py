"""The sequences a report shows an autoencoder's work on: of each class, the most typical and the most
unusual (the lowest and the highest reconstruction error), step by step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstmtune.tasks.autoencoder.scores import sequence_scores


def extreme_sequences(
    x: np.ndarray,
    outputs: np.ndarray,
    mask: np.ndarray,
    ids: np.ndarray,
    labels: Any,
    normal: np.ndarray,
    channels: list[str],
) -> pd.DataFrame:
    """item, label, score, step, channel, input and reconstruction (scaled units) of the lowest- and the
    highest-scoring sequence of each class (of all sequences, without labels)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    found = sequence_scores(x, outputs, mask)
    groups = [~normal, normal] if labels is not None else [np.ones(len(x), bool)]
    chosen: list[int] = []
    for members in groups:
        positions = np.flatnonzero(members)
        if len(positions):
            order = positions[np.argsort(found[positions], kind="stable")]
            chosen += [int(i) for i in dict.fromkeys([order[0], order[-1]])]
    rows = []
    for i in chosen:
        steps = int(mask[i].sum())
        for channel, name in enumerate(channels):
            rows.append(
                pd.DataFrame(
                    {
                        "item": ids[i],
                        "label": labels[i] if labels is not None else "",
                        "score": found[i],
                        "step": np.arange(steps),
                        "channel": name,
                        "input": x[i, :steps, channel],
                        "reconstruction": outputs[i, :steps, channel],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)
