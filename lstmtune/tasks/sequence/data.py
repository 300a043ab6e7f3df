"""A CSV of many short sequences -> checked, split and encoded arrays for the search (numpy / pandas only).

Rules (each broken one is a one-line DataError / OptionError naming the file, flag, column and value):

- the target, split and group columns are constant within a sequence;
- splits are by sequence: from --split-col (train / val / test; with only train and test, validation is
  carved from train), else seeded and stratified by class (plain seeded for regression); a --group-col
  keeps all of one group's sequences in one split;
- the problem is classification when the target holds text or true/false, or integers with at most
  20 distinct values that are either 2 or fewer than half the number of sequences; else regression
  (`targets.problem_rule`); --problem overrides;
- a numeric column that looks like an identifier is never taken as a feature silently
  (`columns.identifier_reason`);
- inputs are scaled per channel on training sequences' real steps (padding excluded); a regression
  target is standardised on training sequences, and figures are in original units.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.data.csv_reader import read_csv
from lstmtune.data.splits import SPLITS, fold_index
from lstmtune.errors import DataError
from lstmtune.tasks import scoring
from lstmtune.tasks.base import DataRequest, Prepared, too_few_items
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.reference import Reference, timed, with_reference
from lstmtune.tasks.sequence.columns import check_columns, choose_features, suspect_columns
from lstmtune.tasks.sequence.encoder import Collected, SequenceEncoder, plain
from lstmtune.tasks.sequence.settings import SequenceSettings
from lstmtune.tasks.sequence.targets import encode_target, read_target, split_sequences


def length_stats(lengths: np.ndarray) -> dict[str, Any]:
    if len(lengths) == 0:
        return {"min": 0, "median": 0.0, "max": 0}
    return {"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())}


def length_span(stats: dict[str, Any]) -> str:
    """'7-29 (median 15)', or '150' when every sequence has the same length."""
    if stats["min"] == stats["max"]:
        return str(stats["min"])
    return f"{stats['min']}-{stats['max']} (median {stats['median']:g})"


class SequenceData(Prepared):
    """The sequences of one CSV, split and encoded: arrays per split for the Keras side, figures in original units.

    x float32 (n, T, F) scaled, zero-padded at the end; mask bool (n, T) true on real steps; y int64
    class ids or float32 standardised targets (n,); ids the sequence ids.
    """

    # Set by prepare_sequences for --folds: the same sequences encoded again for another split, and the
    # classes and groups a fold's blocks are stratified by and keep whole.
    refold: Callable[[dict[str, np.ndarray], str], SequenceData]
    fold_labels: np.ndarray | None = None
    fold_groups: np.ndarray | None = None

    def __init__(
        self,
        *,
        path: Any,
        settings: SequenceSettings,
        roles: dict[str, str],
        encoder: SequenceEncoder,
        objective: Objective,
        problem: str,
        problem_source: str,
        problem_reason: str,
        collected: Collected,
        index: dict[str, np.ndarray],
        x: np.ndarray,
        mask: np.ndarray,
        y: np.ndarray,
        values: np.ndarray | None,
        features: list[str],
        ignored: list[str],
        order_like: list[str],
        split_like: list[str],
        rows: int,
        split_how: str,
        seed: int,
        encoding: str | None = None,
    ):
        self.path = path
        self.encoding = encoding
        self.settings = settings
        self.roles = roles
        self.encoder = encoder
        self.objective = objective
        self.problem = problem
        # What classification skill is computed on (lstmtune.tasks.scoring.skill_basis).
        self.skill_basis = scoring.skill_basis(objective.name.removeprefix("val_"), settings.class_weight == "auto")
        self.features = features
        self.index = index
        self._x = {s: x[i] for s, i in index.items()}
        self._mask = {s: mask[i] for s, i in index.items()}
        self.y = {s: y[i] for s, i in index.items()}
        self.ids = {s: np.array([collected.ids[j] for j in i], dtype=object) for s, i in index.items()}
        # Regression targets in original units (None for classification).
        self.target_values = {s: values[i] for s, i in index.items()} if values is not None else None
        self.labels: list[Any] = list(encoder.labels or [])
        self.prior = scoring.class_prior(self.y["train"], len(self.labels)) if problem == "classification" else None
        lengths = collected.lengths
        self.info: dict[str, Any] = {
            "format": encoder.format,
            "rows": int(rows),
            "sequences": len(collected.ids),
            "target": roles["target"],
            "id_col": roles.get("id_col"),
            "order_col": roles.get("order_col"),
            "order_format": encoder.order_format,
            "split_col": roles.get("split_col"),
            "group_col": roles.get("group_col"),
            "features": list(features),
            "ignored_columns": list(ignored),
            "order_like_columns": list(order_like),
            "split_like_columns": list(split_like),
            "lengths_read": length_stats(collected.lengths_read),
            "lengths_used": length_stats(lengths),
            "stride": settings.stride,
            "max_length": settings.max_length,
            "padded_length": int(encoder.length),
            "truncated": int(collected.truncated),
            "scale": settings.scale,
            "problem": problem,
            "problem_source": problem_source,
            "problem_reason": problem_reason,
            "classes": [plain(v) for v in self.labels],
            "split_counts": {s: int(len(i)) for s, i in index.items()},
            "class_counts": self._class_counts() if problem == "classification" else {},
            "splits_from": split_how,
            "seed": seed,
        }

    def fold(self, number: int, folds: int, space: Any = None) -> SequenceData:
        """Fold `number` of `folds`: fold `folds` is this split; the others cut the training sequences into
        folds - 1 blocks (stratified by class, groups kept whole, seeded), fold k validating on block k and
        training on the rest and on the validation sequences. Scaler and target encoding are fitted on the
        fold's training sequences; the test split is never in a fold."""
        if number == folds:
            return self
        try:
            index = fold_index(self.index, number, folds, self.info["seed"], self.fold_labels, self.fold_groups)
        except ValueError as error:
            raise DataError(f"{self.path}: --folds {folds}: {error}; use fewer folds") from None
        return self.refold(index, f"fold {number} of {folds}: training block {number} of {folds - 1} as validation")

    def _class_counts(self) -> dict[str, dict[str, int]]:
        """Sequences of each class in each split."""
        return {
            s: {str(label): int(c) for label, c in zip(self.labels, np.bincount(self.y[s], minlength=len(self.labels)))}
            for s in SPLITS
        }

    # -- arrays for the Keras side --

    def inputs(self, split: str, values: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x float32 (n, T, F), mask bool (n, T)) of a split."""
        return self._x[split], self._mask[split]

    @property
    def n_features(self) -> int:
        return self.encoder.n_features

    @property
    def max_length(self) -> int:
        """T: the padded length (the longest kept sequence)."""
        return int(self.encoder.length)

    @property
    def figure_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return scoring.CLASSIFICATION_FIGURES if self.problem == "classification" else scoring.REGRESSION_FIGURES

    @property
    def n_classes(self) -> int:
        return len(self.labels) if self.problem == "classification" else 0

    def class_weights(self) -> dict[int, float] | None:
        """Balanced weights n / (K * count) over training sequences when --class-weight auto, else None."""
        if self.problem != "classification" or self.settings.class_weight != "auto":
            return None
        return scoring.balanced_class_weights(self.y["train"], self.n_classes)

    # -- Prepared --

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> pd.DataFrame:
        outputs = np.asarray(outputs, dtype=np.float64)
        frame = pd.DataFrame({"split": split, "item": self.ids[split], "target": self.roles["target"]})
        if self.problem == "classification":
            chosen = scoring.as_probabilities(outputs, self.n_classes).argmax(axis=1)
            frame["truth"] = [self.labels[i] for i in self.y[split]]
            frame["prediction"] = [self.labels[i] for i in chosen]
        else:
            frame["truth"] = self.target_values[split]
            frame["prediction"] = self.encoder.target_scaler.inverse(outputs.reshape(-1, 1)).reshape(-1)
        return with_reference(frame, split, self.fitted_reference)

    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        outputs = (1 if self.n_classes == 2 else self.n_classes) if self.problem == "classification" else 1
        steps = -(-self.max_length // int(values.get("downsample") or 1))
        return ModelShape(steps=steps, width=self.n_features, outputs=outputs)

    def warnings(self, space: Any) -> list[str]:
        return too_few_items(self.path, len(self.y["train"]), "sequence")

    def summary(self) -> str:
        info = self.info
        if info["format"] == "long":
            how = f"long: one row per step, by {info['id_col']!r}, " + (
                f"ordered by {info['order_col']!r}" if info["order_col"] else "in file order"
            )
        else:
            how = "wide: one row per sequence" + (f", ids from {info['id_col']!r}" if info["id_col"] else "")
        parts = [f"{info['sequences']} sequences from {info['rows']} rows ({how})"]
        features = self.features
        shown = ", ".join(features) if len(features) <= 6 else f"{features[0]}, {features[1]} ... {features[-1]}"
        parts.append(
            f"{len(features)} {'step column' if info['format'] == 'wide' else 'feature'}{'s' if len(features) != 1 else ''} {shown}"
        )
        read, used = info["lengths_read"], info["lengths_used"]
        lengths = f"lengths {length_span(read)} steps"
        if info["stride"] != 1 or info["max_length"] is not None:
            done = " and ".join(
                ([f"--stride {info['stride']}"] if info["stride"] != 1 else [])
                + ([f"--max-length {info['max_length']}"] if info["max_length"] is not None else [])
            )
            lengths += f", {length_span(used)} after {done} ({info['truncated']} truncated)"
        parts.append(lengths + f", padded to {info['padded_length']}")
        if self.problem == "classification":
            problem = f"classification, {self.n_classes} classes"
            other = "regression"
        else:
            problem = "regression"
            other = "classification"
        if info["problem_source"] == "auto":
            problem += f" (auto: {info['target']!r} {info['problem_reason']}; --problem {other} to override)"
        parts.append(problem)
        counts = info["split_counts"]
        parts.append(
            f"train {counts['train']} / val {counts['val']} / test {counts['test']} sequences ({info['splits_from']})"
        )
        parts.append(
            f"inputs scaled per channel ({info['scale']}, on train)" if info["scale"] != "none" else "inputs not scaled"
        )
        if info["ignored_columns"]:
            parts.append(f"ignored {', '.join(info['ignored_columns'])}")
        for column in info["order_like_columns"]:
            parts.append(
                f"{column!r} increases within every sequence: pass --order-col {column} if it orders the steps"
            )
        for column in info["split_like_columns"]:
            parts.append(f"{column!r} names splits: pass --split-col {column} to use them")
        return "; ".join(parts)

    def manifest_data(self) -> dict[str, Any]:
        info = self.info
        settings = dataclasses.asdict(self.settings)
        settings["split"] = list(settings["split"])
        out: dict[str, Any] = {
            "format": info["format"],
            "roles": {key: info[key] for key in ("target", "id_col", "order_col", "split_col", "group_col")},
            "features": list(self.features),
            "ignored_columns": info["ignored_columns"],
            "rows": info["rows"],
            "sequences": info["sequences"],
            "problem": self.problem,
            "problem_source": info["problem_source"],
            "labels": info["classes"],
            **({"skill_basis": self.skill_basis} if self.problem == "classification" else {}),
            "splits": {
                s: {
                    "sequences": info["split_counts"][s],
                    **({"classes": info["class_counts"][s]} if info["class_counts"] else {}),
                }
                for s in SPLITS
            },
            "splits_from": info["splits_from"],
            "lengths": {
                "read": info["lengths_read"],
                "used": info["lengths_used"],
                "padded_to": info["padded_length"],
                "truncated": info["truncated"],
            },
            "settings": settings,
        }
        if self.problem == "regression":
            out["train_mean"] = self.encoder.train_mean
        return out

    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for split in ("val", "test"):
            if self.problem == "classification":
                out[split] = {"prior": scoring.prior_figures(self.y[split], self.prior, self.skill_basis)}
            else:
                out[split] = {"mean": scoring.mean_figures(self.target_values[split], self.encoder.train_mean)}
        return out

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Figures of raw model outputs for every sequence of `split`, in order (original units)."""
        outputs = np.asarray(outputs, dtype=np.float64)
        if len(outputs) != len(self.y[split]):
            raise ValueError(f"{len(outputs)} outputs for the {len(self.y[split])} sequences of the {split} split")
        if self.problem == "classification":
            truth = self.y[split]
            figures = scoring.classification_figures(
                truth, scoring.as_probabilities(outputs, self.n_classes), self.prior, self.skill_basis
            )
            figures["majority_accuracy"] = scoring.majority_accuracy(truth, self.prior)
            return figures
        prediction = self.encoder.target_scaler.inverse(outputs.reshape(-1, 1)).reshape(-1)
        return scoring.regression_figures(self.target_values[split], prediction, self.encoder.train_mean)

    def reference_choices(self) -> tuple[str, ...]:
        return ("minirocket",)

    def reference(self, choice: str) -> Reference:
        from lstmtune.tasks.sequence.reference import NAME, fit_reference

        self.fitted_reference = timed(
            lambda: fit_reference(self, self.info["seed"]), NAME.format(model="a linear model")
        )
        return self.fitted_reference

    def state(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**self.encoder.to_state(), "encoding": self.encoding}

    def check_lines(self, space: Any = None) -> list[str]:
        info = self.info
        counts = info["split_counts"]
        lines = [
            f"sequences: train {counts['train']}, val {counts['val']}, test {counts['test']} ({info['splits_from']})"
        ]
        for split in SPLITS:
            if info["class_counts"]:
                lines.append(
                    f"{split} classes: " + ", ".join(f"{label} {c}" for label, c in info["class_counts"][split].items())
                )
        read, used = info["lengths_read"], info["lengths_used"]
        lines.append(
            f"lengths: {length_span(read)} steps read; {length_span(used)} used (--stride {info['stride']}, --max-length {info['max_length'] or 'none'}, "
            f"{info['truncated']} truncated); padded to {info['padded_length']}"
        )
        return lines


def prepare_sequences(request: DataRequest, space: Any = None) -> SequenceData:
    """Read, check, split and encode the CSV of `request` (see the module's rules)."""
    path = request.path
    settings = request.settings if request.settings is not None else SequenceSettings()
    columns = dict(request.columns or {})
    wide = bool((request.options or {}).get("wide", False))
    seed = int(request.seed)

    frame = read_csv(path, encoding=(request.options or {}).get("encoding"))
    frame.columns = [str(c) for c in frame.columns]
    roles = check_columns(path, frame, columns, wide)
    features, ignored = choose_features(path, frame, roles, columns.get("features"), wide)

    def new_encoder() -> SequenceEncoder:
        return SequenceEncoder(
            format="wide" if wide else "long",
            features=features,
            id_col=roles.get("id_col"),
            order_col=roles.get("order_col"),
            stride=settings.stride,
            max_length=settings.max_length,
            scale=settings.scale,
        )

    encoder = new_encoder()
    collected = collect_sequences(encoder, frame, path, settings)
    named = columns.get("features") is not None
    order_like, split_like = suspect_columns(path, frame, roles, features, ignored, collected, wide, named)
    target, groups = read_target(path, frame, roles, settings, collected)
    index, split_how = split_sequences(path, frame, roles, settings, seed, collected, target, groups)

    def encoded(index: dict[str, np.ndarray], how: str, encoder: SequenceEncoder) -> SequenceData:
        """The sequences split by `index`, the scaler and the target's encoding fitted on its training ones."""
        encoder.fit([collected.steps[i] for i in index["train"]], int(collected.lengths.max()))
        y_all = encode_target(encoder, target, index["train"], path)
        x_all, mask_all = encoder.pad(collected.steps)
        data = SequenceData(
            path=path,
            settings=settings,
            roles=roles,
            encoder=encoder,
            objective=target.objective,
            problem=target.problem,
            problem_source=target.source,
            problem_reason=target.reason,
            collected=collected,
            index=index,
            x=x_all,
            mask=mask_all,
            y=y_all,
            values=target.values,
            features=features,
            ignored=ignored,
            order_like=order_like,
            split_like=split_like,
            rows=len(frame),
            split_how=how,
            seed=seed,
            encoding=(request.options or {}).get("encoding"),
        )
        data.refold = lambda fold_index, fold_how: encoded(fold_index, fold_how, new_encoder())
        data.fold_labels, data.fold_groups = target.class_ids, groups
        return data

    return encoded(index, split_how, encoder)


def collect_sequences(
    encoder: SequenceEncoder, frame: pd.DataFrame, path: Any, settings: SequenceSettings
) -> Collected:
    """The sequences of the frame (the encoder learns the order column's format); some must have 2 steps or more."""
    collected = encoder.collect(frame, path)
    encoder.order_format = collected.order_format
    if int(collected.lengths.max()) < 2 and settings.stride == 1:
        raise DataError(
            f"{path}: every sequence has a single step; an LSTM needs steps to read (is --id-col naming "
            "one id per row, or is it a table of one row per item rather than sequences?)"
        )
    if int(collected.lengths.max()) < 2:
        raise DataError(
            f"{path}: --stride {settings.stride} leaves every sequence a single step (the longest has "
            f"{int(collected.lengths_read.max())}); an LSTM needs steps to read: use a smaller --stride"
        )
    return collected
