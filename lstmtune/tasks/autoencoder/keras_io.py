"""The autoencoder's Keras side: padded steps plus a mask of real steps -> (input noise) -> the shared
LSTM body as the encoder (its last state) -> the bottleneck -> repeated over every step -> the decoder
LSTM stack -> each step's channels. Padded steps and anomalous sequences carry no weight in the loss or
the ranked metric."""

from __future__ import annotations

from typing import Any

import keras

from lstmtune.tasks import heads
from lstmtune.tasks.autoencoder.data import AutoencoderData
from lstmtune.tasks.base import KerasSide
from lstmtune.tasks.layers import activity_regularizer, output_dense, regularizer


class AutoencoderKeras(KerasSide):
    def __init__(self, data: AutoencoderData):
        self.data = data

    def inputs(self, values: dict[str, Any]):
        steps = keras.Input(shape=(self.data.max_length, self.data.n_features), name="values")
        mask = keras.Input(shape=(self.data.max_length,), dtype="bool", name="mask")
        x = steps
        if values["input_noise"]:  # a denoising autoencoder: it must rebuild the clean steps
            x = keras.layers.GaussianNoise(values["input_noise"], name="input_noise")(x)
        return {"values": steps, "mask": mask}, x, mask

    def head(self, x, values: dict[str, Any]):
        z = keras.layers.Dense(
            values["latent_units"],
            kernel_regularizer=regularizer(values["kernel_l1"], values["kernel_l2"]),
            name="latent",
        )(x)
        x = keras.layers.RepeatVector(self.data.max_length, name="repeat_latent")(z)
        for i in range(values["decoder_layers"]):
            x = keras.layers.LSTM(
                values["units"],
                return_sequences=True,
                dropout=values["dropout"],
                recurrent_dropout=values["recurrent_dropout"],
                kernel_regularizer=regularizer(values["kernel_l1"], values["kernel_l2"]),
                recurrent_regularizer=regularizer(values["recurrent_l1"], values["recurrent_l2"]),
                bias_regularizer=regularizer(values["bias_l1"], values["bias_l2"]),
                activity_regularizer=activity_regularizer(values["activity_l1"], values["activity_l2"]),
                name=f"decoder_lstm_{i + 1}",
            )(x)
            if values["layer_norm"]:
                x = keras.layers.LayerNormalization(name=f"decoder_layer_norm_{i + 1}")(x)
            if values.get("batch_norm") and i < values["decoder_layers"] - 1:
                x = keras.layers.BatchNormalization(name=f"decoder_batch_norm_{i + 1}")(x)
        return output_dense(self.data.n_features, "reconstruction")(x)

    def loss(self):
        return "mse"

    def metrics(self):
        return []

    def weighted_metrics(self):
        # Weighted by each step's sample weight: the mean over normal sequences' real steps only.
        return [keras.metrics.MeanSquaredError(name="recon_mse")]

    def dataset(
        self,
        split: str,
        values: dict[str, Any],
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        with_targets: bool = True,
    ):
        x, mask = self.data.inputs(split)
        targets, weights = (x, self.data.weights(split)) if with_targets else (None, None)
        return heads.array_dataset({"values": x, "mask": mask}, targets, batch_size, shuffle, seed, weights)
