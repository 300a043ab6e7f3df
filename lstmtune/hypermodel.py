"""Space + data shape -> a keras_tuner HyperModel that builds, fits and scores one LSTM per trial."""

from __future__ import annotations

import math
from typing import Any

import keras
import keras_tuner
import numpy as np

from lstmtune import metrics
from lstmtune.dataset import ForecastData
from lstmtune.space import Space
from lstmtune.windows import EVAL_BATCH, predict_original, window_dataset

# Ranking and early stopping use the unregularised MSE: val_loss includes the L1/L2 penalties and
# would favour weak regularisation, which is exactly what is being tuned.
OBJECTIVE = "val_mse"


def declare(hp: keras_tuner.HyperParameters, space: Space) -> dict[str, Any]:
    """Register every hyperparameter of the space with keras-tuner and return the values for this trial."""
    for p in space.params.values():
        if p.kind == "fixed":
            hp.Fixed(p.name, p.value)
        elif p.kind == "choice":
            hp.Choice(p.name, list(p.values))
        elif p.kind == "int":
            extra = {"step": int(p.step)} if p.step else {}
            hp.Int(p.name, int(p.low), int(p.high), sampling="log" if p.log else "linear", **extra)
        else:
            hp.Float(p.name, p.low, p.high, step=p.step, sampling="log" if p.log else "linear")
    return {name: hp.get(name) for name in space.params}


def _regularizer(l1: float, l2: float):
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def make_optimizer(values: dict[str, Any]) -> keras.optimizers.Optimizer:
    common: dict[str, Any] = {"learning_rate": values["learning_rate"]}
    if values["clipnorm"]:
        common["clipnorm"] = values["clipnorm"]
    name = values["optimizer"]
    if name == "adamw":
        return keras.optimizers.AdamW(weight_decay=values["weight_decay"], **common)
    if values["weight_decay"]:
        common["weight_decay"] = values["weight_decay"]
    if name == "rmsprop":
        return keras.optimizers.RMSprop(**common)
    return keras.optimizers.Adam(**common)


def build_model(values: dict[str, Any], n_features: int, horizon: int, n_targets: int) -> keras.Model:
    """A stack of (optionally bidirectional) LSTM layers and a dense head predicting (horizon, targets)."""
    inputs = keras.Input(shape=(values["lookback"], n_features), name="window")
    x = inputs
    if values["input_noise"]:
        x = keras.layers.GaussianNoise(values["input_noise"], name="input_noise")(x)
    for i in range(values["layers"]):
        lstm = keras.layers.LSTM(
            values["units"],
            return_sequences=i < values["layers"] - 1,
            dropout=values["dropout"],
            recurrent_dropout=values["recurrent_dropout"],
            kernel_regularizer=_regularizer(values["kernel_l1"], values["kernel_l2"]),
            recurrent_regularizer=_regularizer(values["recurrent_l1"], values["recurrent_l2"]),
            bias_regularizer=_regularizer(values["bias_l1"], values["bias_l2"]),
            activity_regularizer=_regularizer(values["activity_l1"], values["activity_l2"]),
            name=f"lstm_{i + 1}",
        )
        x = keras.layers.Bidirectional(lstm, name=f"bidirectional_{i + 1}")(x) if values["bidirectional"] else lstm(x)
        if values["layer_norm"]:
            x = keras.layers.LayerNormalization(name=f"layer_norm_{i + 1}")(x)
    if values["dense_units"]:
        x = keras.layers.Dense(values["dense_units"], activation="relu", name="dense")(x)
    if values["dense_dropout"]:
        x = keras.layers.Dropout(values["dense_dropout"], name="dense_dropout")(x)
    x = keras.layers.Dense(horizon * n_targets, name="output")(x)
    outputs = keras.layers.Reshape((horizon, n_targets), name="forecast")(x)
    model = keras.Model(inputs, outputs, name="lstmtune_forecaster")
    model.compile(
        optimizer=make_optimizer(values),
        loss="mse",
        metrics=[keras.metrics.MeanSquaredError(name="mse"), keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's current learning rate to each epoch's logs (first in the callback list)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training once the loss is NaN or infinite (Keras' TerminateOnNaN, without printing)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


class ForecastHyperModel(keras_tuner.HyperModel):
    """Builds the model from the space, fits it on windowed data with early stopping, scores it."""

    def __init__(self, space: Space, data: ForecastData, epochs: int, patience: int, seed: int):
        super().__init__(name="lstmtune")
        self.last_scores: dict[str, float] | None = None  # the last fit's scores, for the trial record
        self.space = space
        self.data = data
        self.epochs = epochs
        self.patience = patience
        self.seed = seed

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        values = declare(hp, self.space)
        return build_model(values, self.data.inputs.shape[1], self.data.horizon, len(self.data.target_columns))

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs) -> dict[str, float]:
        self.last_scores = None
        lookback, batch_size = hp.get("lookback"), hp.get("batch_size")
        train_ends = self.data.window_ends("train", lookback)
        val_ends = self.data.window_ends("val", lookback)
        train = window_dataset(self.data, train_ends, lookback, batch_size, shuffle=True, seed=self.seed)
        val = window_dataset(self.data, val_ends, lookback, EVAL_BATCH)
        all_callbacks = [
            LearningRateLogger(),
            *(callbacks or []),
            keras.callbacks.EarlyStopping(
                monitor=OBJECTIVE, mode="min", patience=self.patience, restore_best_weights=True
            ),
            StopOnNonFinite(),
        ]
        history = model.fit(
            train,
            validation_data=val,
            epochs=epochs or self.epochs,
            initial_epoch=initial_epoch,
            callbacks=all_callbacks,
            verbose=0,
            shuffle=False,
        )
        self.last_scores = self.score(model, history.history, lookback, initial_epoch)
        return self.last_scores

    def score(self, model: keras.Model, history: dict[str, list[float]], lookback: int, initial_epoch: int) -> dict[str, float]:
        """Summarise a fitted trial; a non-finite objective makes it a failed trial, not a perfect one."""
        objective = np.asarray(history.get(OBJECTIVE, []), dtype=float)
        losses = np.asarray(history.get("loss", []), dtype=float)
        if not np.isfinite(objective).any():
            broken = ~np.isfinite(losses[: len(objective)]) if len(losses) >= len(objective) else np.zeros(0, bool)
            what = "training loss" if broken.any() else OBJECTIVE
            epoch = initial_epoch + (int(np.argmax(broken)) + 1 if broken.any() else 1)
            raise keras_tuner.errors.FailedTrialError(f"{what} became non-finite at epoch {epoch}")
        best = int(np.nanargmin(np.where(np.isfinite(objective), objective, np.nan)))
        val_ends = self.data.window_ends("val", lookback)
        prediction = predict_original(model, self.data, val_ends, lookback)
        truth = self.data.truth(val_ends)
        if not np.isfinite(prediction).all():
            raise keras_tuner.errors.FailedTrialError("validation predictions are not finite")
        figures = metrics.summarise(truth, prediction, self.data.baseline("persistence", val_ends))
        train_loss, val_loss = float(history["loss"][best]), float(history["val_loss"][best])
        diverged = [i for i, v in enumerate(losses) if not math.isfinite(v)]
        return {
            OBJECTIVE: float(objective[best]),
            "val_rmse": figures["rmse"],
            "val_mae": figures["mae"],
            "skill": figures["skill"],
            "train_loss": train_loss,
            "val_loss": val_loss,
            "train_mse": float(history["mse"][best]),
            "gap": val_loss / train_loss if train_loss > 0 else float("nan"),
            "best_epoch": float(initial_epoch + best + 1),
            "epochs_run": float(initial_epoch + len(objective)),
            "diverged_epoch": float(initial_epoch + diverged[0] + 1) if diverged else 0.0,
        }
