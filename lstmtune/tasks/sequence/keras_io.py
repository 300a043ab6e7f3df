"""Sequence's Keras side: padded steps plus a mask of real steps -> (input noise, augmentation, downsampling) -> the
shared LSTM body -> a classification or regression head."""

from __future__ import annotations

from typing import Any

import keras

from lstmtune.tasks import heads
from lstmtune.tasks.augment import time_augmented
from lstmtune.tasks.layers import Downsample
from lstmtune.tasks.sequence.data import SequenceData


class SequenceKeras(heads.ItemsKeras):
    def __init__(self, data: SequenceData):
        self.data = data
        self.classify = data.problem == "classification"

    def inputs(self, values: dict[str, Any]):
        steps = keras.Input(shape=(self.data.max_length, self.data.n_features), name="values")
        # An explicit mask: zero padding alone cannot tell padding from a real all-zero step.
        mask = keras.Input(shape=(self.data.max_length,), dtype="bool", name="mask")
        x = steps
        if values["input_noise"]:
            x = keras.layers.GaussianNoise(values["input_noise"], name="input_noise")(x)
        x = time_augmented(x, values, mask)
        real = mask
        if int(values.get("downsample") or 1) > 1:
            x, real = Downsample(int(values["downsample"]), name="downsample")(x, mask)
        return {"values": steps, "mask": mask}, x, real

    def head(self, x, values: dict[str, Any]):
        return heads.classification_head(x, self.data.n_classes) if self.classify else heads.regression_head(x)

    def loss(self):
        return heads.classification_loss(self.data.n_classes) if self.classify else "mse"

    def metrics(self):
        return heads.classification_metrics(self.data.n_classes) if self.classify else heads.regression_metrics()

    def dataset(
        self,
        split: str,
        values: dict[str, Any],
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        with_targets: bool = True,
    ):
        x, mask = self.data.inputs(split, values)
        targets = None
        if with_targets:
            y = self.data.y[split]
            targets = (
                heads.classification_targets(y, self.data.n_classes)
                if self.classify
                else y.astype("float32").reshape(-1, 1)
            )
        return heads.array_dataset({"values": x, "mask": mask}, targets, batch_size, shuffle, seed)
