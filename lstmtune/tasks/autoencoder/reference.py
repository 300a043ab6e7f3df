"""The autoencoder's reference: PCA reconstruction of the flattened sequences (scikit-learn), with as
many components as the middle of latent_units' range, fitted on the normal training sequences."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmtune.tasks.reference import Reference, quiet_fit

NAME = "PCA reconstruction ({k} components)"


def fit_reference(data: Any, components: int) -> Reference:
    """Fit PCA on the training sequences (steps x channels flattened, padding as zeros) and score its
    reconstructions as the LSTM's are scored, its threshold from its own validation scores."""
    from sklearn.decomposition import PCA

    from lstmtune.tasks.autoencoder import scores

    x_train = data.inputs("train")[0]
    flat = x_train.reshape(len(x_train), -1)
    k = max(1, min(int(components), flat.shape[0], flat.shape[1]))
    with quiet_fit():
        pca = PCA(n_components=k, random_state=0).fit(flat)
    reconstructed = {}
    for split in ("val", "test"):
        x, mask = data.inputs(split)
        rebuilt = pca.inverse_transform(pca.transform(x.reshape(len(x), -1))).reshape(x.shape)
        reconstructed[split] = rebuilt * mask[..., None]  # padding is not reconstructed
    val_scores = scores.sequence_scores(data.inputs("val")[0], reconstructed["val"], data.inputs("val")[1])
    threshold = scores.threshold_at(val_scores[data.normal["val"]], data.settings.threshold_pct)
    weights = data.step_weights(reconstructed["val"]) if data.series is not None else None
    figures = {
        "val": {**data.figures_of("val", reconstructed["val"], None), "threshold": threshold},
        "test": data.figures_of("test", reconstructed["test"], threshold, weights),
    }
    test_x, test_mask = data.inputs("test")
    data.reference_outputs, data.reference_weights = reconstructed["test"], weights
    return Reference(
        name=NAME.format(k=k),
        figures=figures,
        parameters={"components": k, "explained_variance": float(np.sum(pca.explained_variance_ratio_))},
        note="fitted on the normal training sequences, flattened (steps x channels)",
        predictions=scores.sequence_scores(test_x, reconstructed["test"], test_mask),
    )
