"""The sequence task's reference: MiniRocket features and a linear model (lstmtune.tasks.sequence.minirocket).

Kernels and biases are fitted on the training sequences (scaled and zero-padded as the LSTM sees them;
sequences shorter than the kernel are padded to it); a logistic regression (classification) or a ridge
regression (regression) on the standardised features is fitted on the training sequences, at most
MAX_FIT_ITEMS of them, its regularisation chosen on validation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lstmtune.tasks.linear import SPLITS, classifier, regressor
from lstmtune.tasks.reference import Reference, quiet_fit
from lstmtune.tasks.sequence import minirocket

if TYPE_CHECKING:
    from lstmtune.tasks.sequence.data import SequenceData

NAME = "MiniRocket features + {model}"
MAX_FIT_ITEMS = 3_000  # a linear fit on 10,000 features grows steeply with more items
C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


def fit_reference(data: SequenceData, seed: int) -> Reference:
    from sklearn.preprocessing import StandardScaler

    sequences = {split: _channels_first(data.inputs(split)[0]) for split in SPLITS}
    chosen = np.arange(len(sequences["train"]))
    note = ""
    if len(chosen) > MAX_FIT_ITEMS:
        chosen = np.sort(np.random.RandomState(seed).choice(len(chosen), MAX_FIT_ITEMS, replace=False))
        note = f"fitted on {MAX_FIT_ITEMS:,} of the {len(sequences['train']):,} training sequences, drawn at random"
    with quiet_fit():
        kernels = minirocket.fit(sequences["train"][chosen], seed=seed)
        features = {
            split: minirocket.transform(x if split != "train" else x[chosen], kernels) for split, x in sequences.items()
        }
        scaler = StandardScaler(with_mean=False).fit(features["train"])
        features = {split: scaler.transform(f) for split, f in features.items()}
        if data.problem == "classification":
            labels = {**data.y, "train": data.y["train"][chosen]}
            name = NAME.format(model="logistic regression")
            fitted = classifier(
                name, features, labels, data.prior, data.objective, data.settings.class_weight == "auto", C_GRID
            )
            predictions = [data.labels[i] for i in fitted.predictions]
        else:
            assert data.target_values is not None
            targets = {**data.target_values, "train": data.target_values["train"][chosen]}
            fitted = regressor(NAME.format(model="ridge regression"), features, targets, data.encoder.train_mean)
            predictions = list(fitted.predictions)
    parameters = {**fitted.parameters, "features": kernels.n_features, "seed": seed}
    return Reference(
        name=fitted.name, figures=fitted.figures, parameters=parameters, note=note, predictions=predictions
    )


def _channels_first(x: np.ndarray) -> np.ndarray:
    """(n, steps, channels) -> (n, channels, steps), zero-padded to the kernel's length at least."""
    out = np.transpose(np.asarray(x, dtype=np.float32), (0, 2, 1))
    if out.shape[2] < minirocket.KERNEL_LENGTH:
        out = np.pad(out, ((0, 0), (0, 0), (0, minirocket.KERNEL_LENGTH - out.shape[2])))
    return np.ascontiguousarray(out)
