"""A CSV of many sequences -> scaled, padded arrays to reconstruct, and which of them are normal (numpy /
pandas only).

Sequences are read exactly as the sequence task reads them (long or wide, ids, order, strides, splits by
sequence, groups kept whole). With --label-col and --normal, only normal training sequences are trained on
and only normal validation sequences are scored for choosing a model; the other sequences' labels are read
for the test figures alone. Inputs are scaled per channel on the normal training sequences' real steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.text import plural
from lstmtune.data.csv_reader import read_csv
from lstmtune.data.splits import SPLITS
from lstmtune.errors import OptionError
from lstmtune.tasks.autoencoder import scores
from lstmtune.tasks.autoencoder.examples import extreme_sequences
from lstmtune.tasks.autoencoder.labels import check_splits, read_labels
from lstmtune.tasks.autoencoder.settings import OBJECTIVE, AutoencoderSettings, latent_range
from lstmtune.tasks.autoencoder.steps import (
    SeriesSteps,
    normal_step_scores,
    position_weights,
    step_figures,
    step_frame,
    step_scores,
)
from lstmtune.tasks.autoencoder.windows import Windowed, check_window_flags, cut_windows
from lstmtune.tasks.base import DataRequest, Prepared, too_few_items
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.reference import Reference, timed, with_reference
from lstmtune.tasks.sequence.columns import check_columns, choose_features, suspect_columns
from lstmtune.tasks.sequence.data import collect_sequences, length_span, length_stats
from lstmtune.tasks.sequence.encoder import Collected, SequenceEncoder, plain
from lstmtune.tasks.sequence.targets import assign_split_names, per_sequence

PROBLEM = "reconstruction"


class AutoencoderData(Prepared):
    """The sequences of one CSV to reconstruct, per split: x float32 (n, T, F) scaled and zero-padded,
    mask bool (n, T) true on real steps, `normal` bool (n,) (all true without labels).

    The train split holds the normal training sequences only; val and test hold all of theirs, and the
    figures (and the Keras metric the search ranks on) weigh only the normal ones' steps.
    """

    objective = OBJECTIVE

    def __init__(
        self,
        *,
        path: Any,
        settings: AutoencoderSettings,
        roles: dict[str, str],
        encoder: SequenceEncoder,
        collected: Collected,
        index: dict[str, np.ndarray],
        x: np.ndarray,
        mask: np.ndarray,
        labels: np.ndarray | None,
        normal: np.ndarray,
        features: list[str],
        rows: int,
        split_how: str,
        seed: int,
        train_sequences: int,
        window: dict[str, Any] | None = None,
        series: SeriesSteps | None = None,
        encoding: str | None = None,
    ):
        self.path = path
        self.window = window
        self.series = series
        self.settings = settings
        self.roles = roles
        self.encoder = encoder
        self.features = features
        self.encoding = encoding
        self.labelled = labels is not None
        self.index = index
        self._x = {s: x[i] for s, i in index.items()}
        self._mask = {s: mask[i] for s, i in index.items()}
        self.normal = {s: normal[i] for s, i in index.items()}
        self.labels = {s: (labels[i] if labels is not None else None) for s, i in index.items()}
        self.ids = {s: np.array([collected.ids[j] for j in i], dtype=object) for s, i in index.items()}
        self.means = scores.step_means(self._x["train"], self._mask["train"])
        # A windowed series: where each split's windows start in it; the reference's test reconstructions.
        self.starts = {s: np.array([series.starts[str(i)] for i in self.ids[s]]) for s in SPLITS} if series else {}
        self.reference_outputs: np.ndarray | None = None
        self.reference_weights: np.ndarray | None = None  # its errors' weights by position in a window
        self.mean_weights = self.step_weights(self._mean_outputs("val")) if series else None
        # The latest validation scores of normal sequences, by the values they were computed for: the test
        # figures' threshold and predict's percentiles come from the same model's validation scores.
        self._val_scores: tuple[int, dict[str, Any], np.ndarray] | None = None
        self._val_step_scores: np.ndarray | None = None  # of the same model, along a windowed series
        self._val_step_weights: np.ndarray | None = None  # its errors' weights by position in a window
        self.latent_median = 8
        self.info: dict[str, Any] = {
            "format": encoder.format,
            "rows": int(rows),
            "sequences": len(collected.ids),
            # The user's column (windows of a series carry its value in a column of their own).
            "label_col": (window or {}).get("label_col") or roles.get("label_col"),
            "normal": settings.normal,
            "lengths_read": length_stats(collected.lengths_read),
            "lengths_used": length_stats(collected.lengths),
            "padded_length": int(encoder.length or 0),
            "truncated": int(collected.truncated),
            # Sequences per split as assigned (the train split keeps only its normal ones).
            "split_counts": {**{s: int(len(i)) for s, i in index.items()}, "train": int(train_sequences)},
            "normal_counts": {s: int(self.normal[s].sum()) for s in SPLITS},
            "splits_from": split_how,
            "seed": seed,
        }

    @property
    def figure_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        """With labels, how well each trial's scores tell anomalies apart on validation: a figure to read,
        never what the search ranks on."""
        ranking = ("val_roc_auc", "val_pr_auc") if self.labelled else ()
        return ("val_recon_mse", *ranking, "skill")

    # -- arrays for the Keras side --

    def inputs(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return self._x[split], self._mask[split]

    def weights(self, split: str) -> np.ndarray:
        """(n, T) float32: 1 on the real steps of the split's normal sequences, else 0 (what the loss and
        the ranked metric count)."""
        return (self._mask[split] & self.normal[split][:, None]).astype(np.float32)

    @property
    def n_features(self) -> int:
        return self.encoder.n_features

    @property
    def max_length(self) -> int:
        return int(self.encoder.length or 0)

    # -- figures --

    def figures_of(
        self, split: str, outputs: np.ndarray, threshold: float | None, step_weights: np.ndarray | None = None
    ) -> dict[str, Any]:
        x, mask, normal = self._x[split], self._mask[split], self.normal[split]
        outputs = np.asarray(outputs, dtype=np.float64)
        if outputs.shape != x.shape:
            raise ValueError(f"outputs of shape {outputs.shape} for the {split} split's inputs of shape {x.shape}")
        weights = self.weights(split)
        mse = scores.weighted_mse(x, outputs, weights)
        naive = scores.weighted_mse(x, np.broadcast_to(self.means, x.shape), weights)
        figures: dict[str, Any] = {
            "recon_mse": mse,
            "skill": 1.0 - mse / naive if naive > 0 else float("nan"),
            "items": int(normal.sum()),
        }
        per_sequence_scores = scores.sequence_scores(x, outputs, mask)
        anomalous = ~normal if self.labelled else None
        if anomalous is not None and split != "train":
            figures.update(scores.ranking_figures(per_sequence_scores, anomalous))
        if split == "test" and threshold is not None:
            figures.update(scores.flag_figures(per_sequence_scores, threshold, anomalous))
        if split == "test" and self.series is not None:
            positions, found = step_scores(self.starts[split], scores.step_errors(x, outputs), step_weights)
            figures["steps"] = {**step_figures(self.series, positions, found), "weighed": step_weights is not None}
        return figures

    def series_scores(self, split: str, outputs: np.ndarray) -> pd.DataFrame | None:
        """A windowed series' per-step scores on `split`: the model's last evaluated on validation (the
        best's), the mean's and the reference's, each weighed by its own validation windows' errors."""
        if self.series is None:
            return None
        x, starts = self._x[split], self.starts[split]
        models = {"score": (outputs, self._val_step_weights), "mean": (self._mean_outputs(split), self.mean_weights)}
        if split == "test" and self.reference_outputs is not None:
            models["reference"] = (self.reference_outputs, self.reference_weights)
        found = {name: step_scores(starts, scores.step_errors(x, out), w) for name, (out, w) in models.items()}
        return step_frame(self.series, found["score"][0], {name: values for name, (_, values) in found.items()})

    def _val_threshold(self, val_scores: np.ndarray) -> float:
        return scores.threshold_at(val_scores, self.settings.threshold_pct)

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Reconstruction MSE and skill on the split's normal sequences; on validation the threshold its
        normal sequences' scores set; on test the anomaly figures (ROC / PR AUC with labels, and what the
        threshold of the same model's validation scores flags)."""
        values = values or {}
        threshold, weights = None, None
        if split == "test":
            threshold = self.threshold_for(values)
            weights = self._val_step_weights if threshold is not None else None
        if split == "val" and self.series is not None:
            weights = self._val_step_weights = self.step_weights(outputs)
        figures = self.figures_of(split, outputs, threshold, weights)
        if split == "val":
            x, mask = self._x["val"], self._mask["val"]
            val_scores = scores.sequence_scores(x, np.asarray(outputs, dtype=np.float64), mask)[self.normal["val"]]
            self._val_scores = (id(values), dict(values), np.sort(val_scores))
            if self.series is not None:
                errors = scores.step_errors(x, np.asarray(outputs, dtype=np.float64))
                self._val_step_scores = normal_step_scores(self.series, self.starts["val"], errors, weights)
            figures["threshold"] = self._val_threshold(val_scores)
        return figures

    def step_weights(self, val_outputs: np.ndarray) -> np.ndarray:
        """The weights of a model's errors by their position in a window, from its reconstructions of the
        normal validation windows (see steps.py)."""
        errors = scores.step_errors(self._x["val"], np.asarray(val_outputs, dtype=np.float64))
        return position_weights(errors[self.normal["val"]])

    def _mean_outputs(self, split: str) -> np.ndarray:
        return np.broadcast_to(self.means, self._x[split].shape)

    def val_scores_for(self, values: dict[str, Any]) -> np.ndarray | None:
        """The normal validation sequences' scores (sorted) of the model last evaluated on validation with
        these values, or None."""
        if self._val_scores is None:
            return None
        key, seen, found = self._val_scores
        return found if key == id(values) and seen == dict(values) else None

    def threshold_for(self, values: dict[str, Any]) -> float | None:
        found = self.val_scores_for(values)
        return self._val_threshold(found) if found is not None and len(found) else None

    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The per-step, per-channel training mean reconstructs every sequence (skill 0); its scores are the
        distance to the mean sequence, a naive anomaly score of its own."""
        outputs = {s: self._mean_outputs(s) for s in ("val", "test")}
        val_scores = scores.sequence_scores(self._x["val"], outputs["val"], self._mask["val"])[self.normal["val"]]
        threshold = self._val_threshold(val_scores)
        return {
            "val": {"mean": {**self.figures_of("val", outputs["val"], None), "threshold": threshold}},
            "test": {"mean": self.figures_of("test", outputs["test"], threshold, self.mean_weights)},
        }

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> pd.DataFrame:
        """One row per sequence: its label (truth), score (prediction) and whether the threshold flags it."""
        x, mask = self._x[split], self._mask[split]
        found = scores.sequence_scores(x, np.asarray(outputs, dtype=np.float64), mask)
        labels = self.labels[split]
        frame = pd.DataFrame(
            {
                "split": split,
                "item": self.ids[split],
                "target": "reconstruction error",
                "truth": labels if labels is not None else "",
                "prediction": found,
            }
        )
        threshold = self.threshold_for(values or {})
        if threshold is not None:
            frame["flagged"] = found > threshold
        return with_reference(frame, split, self.fitted_reference)

    def examples(self, split: str, outputs: np.ndarray) -> pd.DataFrame:
        """The split's most typical and most unusual sequences of each class (see examples.py)."""
        names = self.features if self.encoder.format == "long" else ["value"]
        labels, normal = self.labels[split], self.normal[split]
        return extreme_sequences(self._x[split], outputs, self._mask[split], self.ids[split], labels, normal, names)

    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        # The decoder runs over every step too: its activations count as more steps of the same width.
        layers = int(values.get("layers") or 1)
        steps = -(-self.max_length * (layers + int(values.get("decoder_layers") or 1)) // layers)
        return ModelShape(steps=steps, width=self.n_features, outputs=self.n_features)

    def warnings(self, space: Any) -> list[str]:
        found = too_few_items(self.path, len(self.normal["train"]), "normal sequence" if self.labelled else "sequence")
        latent, values = latent_range(space), self.max_length * self.n_features
        if latent is not None and latent[2] >= values:
            found.append(
                f"latent_units reaches {latent[2]}, as many numbers as a sequence holds ({self.max_length} steps x "
                f"{plural(self.n_features, 'channel')} = {values}): a bottleneck that wide can copy its input without "
                f"learning its shape (such trials are called not_learning); keep latent_units below {values}"
            )
        return found

    def fix_defaults(self, space: Any) -> Any:
        """Remembers the middle of latent_units' range: the reference's number of components."""
        latent = latent_range(space)
        if latent is not None:
            self.latent_median = latent[1]
        return space

    # -- words and records --

    def summary(self) -> str:
        info = self.info
        if info["format"] == "long":
            how = f"long: one row per step, by {self.roles.get('id_col')!r}, " + (
                f"ordered by {self.roles['order_col']!r}" if self.roles.get("order_col") else "in file order"
            )
        else:
            how = "wide: one row per sequence"
        parts = [f"{info['sequences']} sequences from {info['rows']} rows ({how})"]
        if self.window is not None:
            ordered = f"ordered by {self.window['time_col']!r}" if self.window["time_col"] else "in file order"
            parts = [
                f"{info['sequences']} windows of {self.window['window']} steps every {self.window['window_stride']} "
                f"from one series of {info['rows']} rows ({ordered})"
            ]
        features = self.features
        shown_features = (
            ", ".join(features) if len(features) <= 6 else f"{features[0]}, {features[1]} ... {features[-1]}"
        )
        kind = "step column" if info["format"] == "wide" else "feature column"
        parts.append(f"{len(features)} {kind}{'s' if len(features) != 1 else ''} {shown_features}")
        if self.window is None:
            parts.append(f"lengths {length_span(info['lengths_read'])} steps, padded to {info['padded_length']}")
        counts, normal = info["split_counts"], info["normal_counts"]
        if self.labelled:
            parts.append(
                f"normal = {info['label_col']!r} {info['normal']}: trained on {normal['train']} of {counts['train']} "
                f"training sequences, ranked on {normal['val']} of {counts['val']} validation sequences, "
                f"test {counts['test']} ({counts['test'] - normal['test']} anomalous)"
            )
        else:
            parts.append(f"train {counts['train']} / val {counts['val']} / test {counts['test']} sequences (no labels)")
        parts.append(f"splits {info['splits_from']}")
        parts.append(
            f"inputs scaled per channel ({self.settings.scale}, on {'normal ' if self.labelled else ''}training sequences)"
            if self.settings.scale != "none"
            else "inputs not scaled"
        )
        parts.append(f"flag above the {self.settings.threshold_pct:g}th percentile of normal validation scores")
        return "; ".join(parts)

    def manifest_data(self) -> dict[str, Any]:
        info = self.info
        settings = dataclasses.asdict(self.settings)
        settings["split"] = list(settings["split"])
        return {
            "format": info["format"],
            "roles": {
                **{key: self.roles.get(key) for key in ("id_col", "order_col", "split_col", "group_col")},
                "label_col": self.info["label_col"],
            },
            "features": list(self.features),
            "rows": info["rows"],
            "sequences": info["sequences"],
            "problem": PROBLEM,
            # The confusion matrix's classes (the report draws it as a classification's).
            **({"labels": list(scores.CLASSES)} if self.labelled else {}),
            "normal": self.settings.normal,
            **({"window": self.window} if self.window is not None else {}),
            "splits": {s: {"sequences": info["split_counts"][s], "normal": info["normal_counts"][s]} for s in SPLITS},
            "splits_from": info["splits_from"],
            "lengths": {
                "read": info["lengths_read"],
                "used": info["lengths_used"],
                "padded_to": info["padded_length"],
                "truncated": info["truncated"],
            },
            "settings": settings,
        }

    def check_lines(self, space: Any = None) -> list[str]:
        info = self.info
        counts, normal = info["split_counts"], info["normal_counts"]
        return [
            "sequences: "
            + ", ".join(f"{s} {counts[s]}" + (f" ({normal[s]} normal)" if self.labelled else "") for s in SPLITS)
            + f" ({info['splits_from']})",
            f"lengths: {length_span(info['lengths_read'])} steps read; padded to {info['padded_length']}",
        ]

    def state(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The encoder, and the normal validation scores predict places new sequences' scores among (of the
        model with these values: none for another)."""
        found = self.val_scores_for(values or {})

        def listed(kept: np.ndarray | None) -> list[float] | None:
            return [float(v) for v in kept] if found is not None and kept is not None else None

        return {
            **self.encoder.to_state(),
            "labels": list(scores.CLASSES) if self.labelled else None,  # as run.json records them
            "window": self.window,
            "encoding": self.encoding,
            "threshold_pct": self.settings.threshold_pct,
            "val_scores": listed(found),
            "val_step_scores": listed(self._val_step_scores),
            "val_step_weights": listed(self._val_step_weights),
        }

    def reference_choices(self) -> tuple[str, ...]:
        return ("pca",)

    def reference(self, choice: str) -> Reference:
        from lstmtune.tasks.autoencoder.reference import fit_reference

        self.fitted_reference = timed(lambda: fit_reference(self, self.latent_median), "PCA reconstruction")
        return self.fitted_reference


def prepare_autoencoder(request: DataRequest, space: Any = None) -> AutoencoderData:
    """Read, check, split and encode the sequences of `request` (see the module's rules)."""
    path = request.path
    settings = request.settings if request.settings is not None else AutoencoderSettings()
    columns = dict(request.columns or {})
    options = request.options or {}
    wide = bool(options.get("wide", False))
    seed = int(request.seed)
    if settings.normal is not None and not columns.get("label_col"):
        raise OptionError("--normal names the normal sequences' value of --label-col, which is not given")
    if columns.get("label_col") and settings.normal is None:
        raise OptionError(
            f"--label-col {columns['label_col']!r} needs --normal VALUE: the label of the sequences to learn from"
        )

    frame = read_csv(path, encoding=options.get("encoding"))
    frame.columns = [str(c) for c in frame.columns]
    windowed = None
    if settings.window is not None:
        check_window_flags(columns, wide)
        windowed = cut_windows(
            frame, path, columns, settings.window, settings.window_stride, settings.split, settings.normal
        )
        frame, columns = windowed.frame, windowed.columns
    elif columns.get("time_col") is not None:
        raise OptionError("--time-col orders one series to cut into windows: it needs --window W")
    roles = check_columns(path, frame, columns, wide, needs_target=False)
    features, ignored = choose_features(path, frame, roles, columns.get("features"), wide)
    encoder = SequenceEncoder(
        format="wide" if wide else "long",
        features=features,
        id_col=roles.get("id_col"),
        order_col=roles.get("order_col"),
        stride=settings.stride,
        max_length=settings.max_length,
        scale=settings.scale,
        problem=PROBLEM,
    )
    collected = collect_sequences(encoder, frame, path, settings)
    suspect_columns(path, frame, roles, features, ignored, collected, wide, columns.get("features") is not None)
    labels, normal = read_labels(path, frame, roles, settings, collected)
    groups = None
    if roles.get("group_col"):
        groups = np.array(
            [plain(v) for v in per_sequence(path, frame, roles["group_col"], "--group-col", collected)], dtype=object
        )
    strata = normal.astype(np.int64) if labels is not None else None
    names, how = assign_split_names(path, frame, roles, settings, seed, collected, strata, groups)
    if strata is not None:
        how = how.replace("stratified by class", "stratified by normal / anomalous")
    if windowed is not None:
        how = windowed.how
    index = {s: np.flatnonzero(names == s) for s in SPLITS}
    check_splits(path, index, normal, labels is not None, len(collected.ids), how)

    train = index["train"][normal[index["train"]]]
    encoder.fit([collected.steps[i] for i in train], int(collected.lengths.max()))
    x_all, mask_all = encoder.pad(collected.steps)
    train_sequences = len(index["train"])
    index = {**index, "train": train}
    return AutoencoderData(
        path=path,
        settings=settings,
        roles=roles,
        encoder=encoder,
        collected=collected,
        index=index,
        x=x_all,
        mask=mask_all,
        labels=labels,
        normal=normal,
        features=features,
        rows=windowed.rows if windowed is not None else len(frame),
        split_how=how,
        seed=seed,
        train_sequences=train_sequences,
        window=_window_state(windowed, settings, request.columns or {}),
        series=windowed.series if windowed is not None else None,
        encoding=options.get("encoding"),
    )


def _window_state(windowed: Windowed | None, settings: AutoencoderSettings, columns: dict[str, Any]) -> dict | None:
    """What predict needs to cut a new series into the same windows (None: many sequences)."""
    if windowed is None:
        return None
    return {
        "window": settings.window,
        "window_stride": settings.window_stride,
        "time_col": columns.get("time_col"),
        "time_format": windowed.time_format,
        "features": list(windowed.columns["features"]),
        "label_col": columns.get("label_col"),
    }
