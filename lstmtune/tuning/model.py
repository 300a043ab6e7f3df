"""The shared LSTM body every task feeds (all the regularisation knobs), the optimizer and the
callbacks every trial gets."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from typing import Any

import keras

from lstmtune.core.interrupts import raise_if_requested
from lstmtune.tasks.gradient_noise import NOISY
from lstmtune.tasks.layers import MaskedPooling, activity_regularizer, regularizer
from lstmtune.tasks.model_size import conv_kernels

PLAIN_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "rmsprop": keras.optimizers.RMSprop,
}
MIXED_POLICY = "mixed_float16"  # float16 compute, float32 weights; compile adds loss scaling
COSINE_FLOOR = 0.01  # cosine decay ends at this share of the starting learning rate
PLATEAU_FACTOR = 0.5


def make_optimizer(values: dict[str, Any]) -> keras.optimizers.Optimizer:
    name = values["optimizer"]
    options: dict[str, Any] = {"learning_rate": values["learning_rate"]}
    if values["clipnorm"]:
        options["clipnorm"] = values["clipnorm"]
    if values["weight_decay"] or name == "adamw":
        options["weight_decay"] = values["weight_decay"]
    if values.get("gradient_noise"):
        return NOISY[name](gradient_noise=values["gradient_noise"], **options)
    return PLAIN_OPTIMIZERS[name](**options)


def learning_rate_callbacks(values: dict[str, Any], epochs: int, monitor: str, mode: str, patience: int) -> list:
    """What lr_schedule asks for, as callbacks: none for a constant rate; ReduceLROnPlateau on the ranked
    objective; or a rate set at each epoch's start (cosine over the epoch budget, exponential by lr_decay)."""
    kind = values.get("lr_schedule", "constant")
    start = float(values["learning_rate"])
    if kind == "plateau":
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                mode=mode,
                factor=PLATEAU_FACTOR,
                patience=max(1, patience // 2),  # early stopping waits `patience`: room for one reduction
                min_lr=start * 1e-3,
                verbose=0,
            )
        ]
    if kind == "cosine":
        return [keras.callbacks.LearningRateScheduler(lambda epoch: cosine_rate(start, epoch, epochs))]
    if kind == "exponential":
        decay = float(values["lr_decay"])
        return [keras.callbacks.LearningRateScheduler(lambda epoch: start * decay**epoch)]
    return []


def cosine_rate(start: float, epoch: int, epochs: int) -> float:
    """Cosine decay from `start` at epoch 0 to COSINE_FLOOR * start at the last of `epochs` epochs."""
    progress = min(max(epoch, 0), max(epochs - 1, 1)) / max(epochs - 1, 1)
    return start * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + math.cos(math.pi * progress)))


class ReplayedLearningRates(keras.callbacks.Callback):
    """Sets each epoch's learning rate to the one a trial recorded for that epoch (the last one after)."""

    def __init__(self, rates: list[float]):
        super().__init__()
        self.rates = rates

    def on_epoch_begin(self, epoch, logs=None):
        if self.rates:
            self.model.optimizer.learning_rate = self.rates[min(epoch, len(self.rates) - 1)]


def lstm_body(x, values: dict[str, Any], mask=None):
    """Convolutions (optional), stacked (optionally bidirectional) LSTM layers, pooling over time
    (optional), then the optional dense layer and dropout.

    `mask` marks real steps of padded sequences when the input layer does not carry one itself.
    """
    branch = None
    if values.get("conv_filters"):
        convolved = convolutions(x, values)
        if values.get("conv_placement") == "before":
            x = convolved
        else:  # beside: the LSTM-FCN design
            branch = MaskedPooling("mean", name="conv_pooling")(convolved, mask=mask)
    x = lstm_stack(x, values, mask)
    pooling = values.get("pooling", "last")
    if pooling != "last":
        pool = MaskedPooling(pooling, name=f"{pooling}_pooling")
        x = pool(x, mask=mask) if mask is not None else pool(x)  # a mask the input carries passes by itself
    if branch is not None:
        x = keras.layers.Concatenate(name="lstm_and_convolutions")([x, branch])
    if values.get("dense_units"):
        x = keras.layers.Dense(values["dense_units"], activation="relu", name="dense")(x)
    if values.get("dense_dropout"):
        x = keras.layers.Dropout(values["dense_dropout"], name="dense_dropout")(x)
    return x


def lstm_stack(x, values: dict[str, Any], mask=None):
    """The LSTM layers; the last returns every step's state when they are pooled over time."""
    sequences = values.get("pooling", "last") != "last"
    for i in range(values["layers"]):
        lstm = keras.layers.LSTM(
            values["units"],
            return_sequences=i < values["layers"] - 1 or sequences,
            dropout=values["dropout"],
            recurrent_dropout=values["recurrent_dropout"],
            kernel_regularizer=regularizer(values["kernel_l1"], values["kernel_l2"]),
            recurrent_regularizer=regularizer(values["recurrent_l1"], values["recurrent_l2"]),
            bias_regularizer=regularizer(values["bias_l1"], values["bias_l2"]),
            activity_regularizer=activity_regularizer(values["activity_l1"], values["activity_l2"]),
            name=f"lstm_{i + 1}",
        )
        layer = keras.layers.Bidirectional(lstm, name=f"bidirectional_{i + 1}") if values["bidirectional"] else lstm
        x = layer(x, mask=mask) if mask is not None else layer(x)  # inner layers return sequences: same mask
        if values["layer_norm"]:
            x = keras.layers.LayerNormalization(name=f"layer_norm_{i + 1}")(x)
        if values.get("batch_norm") and i < values["layers"] - 1:
            norm = keras.layers.BatchNormalization(name=f"batch_norm_{i + 1}")
            x = norm(x, mask=mask) if mask is not None else norm(x)  # moments over real steps only
    return x


def convolutions(x, values: dict[str, Any]):
    """1-D convolutions keeping the steps' positions ("same" padding), each with batch norm and ReLU."""
    for i, kernel in enumerate(conv_kernels(values)):
        x = keras.layers.Conv1D(values["conv_filters"], kernel, padding="same", name=f"conv_{i + 1}")(x)
        x = keras.layers.BatchNormalization(name=f"conv_norm_{i + 1}")(x)
        x = keras.layers.Activation("relu", name=f"conv_relu_{i + 1}")(x)
    return x


def build_model(side: Any, values: dict[str, Any], name: str, mixed_precision: bool = False) -> keras.Model:
    """The task's input -> the shared LSTM body -> the task's head, compiled with unregularised metrics.

    With `mixed_precision` the layers compute in float16 and keep float32 weights (output layers, pooling
    and augmentation stay float32), and compile wraps the optimizer in Keras' LossScaleOptimizer."""
    with dtype_policy(MIXED_POLICY if mixed_precision else "float32"):
        inputs, x, mask = side.inputs(values)
        outputs = side.head(lstm_body(x, values, mask), values)
        model = keras.Model(inputs, outputs, name=name)
        model.compile(
            optimizer=make_optimizer(values),
            loss=side.loss(),
            metrics=side.metrics(),
            weighted_metrics=side.weighted_metrics() or None,
        )
    return model


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Keras' global dtype policy set to `name` while a model is built (its layers keep the policy they
    were made with), the caller's restored after."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's current learning rate to each epoch's logs (first in the callback list)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


# A training loss this many times its lowest so far, or above LOSS_CEILING, has exploded: our losses are
# on scaled targets (order 1) or cross-entropies (order log K), so such a trial is no longer learning
# although every number is still finite (a learning rate of 1e6 reaches losses of 1e24).
EXPLOSION_FACTOR = 1e3
LOSS_CEILING = 1e8


def build_for_training(model: keras.Model, dataset: Any) -> None:
    """Create the optimizer's and the compiled metrics' variables from the dataset's element spec before
    `fit`. Without it Keras (TensorFlow backend, no distribution strategy) creates them inside the first
    traced training step, and TensorFlow then traces that step a second time: a second or more per trial
    on a CPU, the same training otherwise (every such variable starts at zero)."""
    build = getattr(model, "_symbolic_build", None)
    if build is None:
        return
    try:
        build(data_batch=dataset.element_spec)
    except Exception:  # Keras builds them itself in fit, as it would have anyway
        return


def trace_predict_once(model: keras.Model, dataset: Any) -> None:
    """Trace the model's predict step once for any batch size, from the dataset's element spec, before its
    first `predict`. Otherwise TensorFlow traces it for the first batch shape and again for the next (the
    shorter last batch, or the next split), each trace costing about as much as predicting a small split."""
    if model.predict_function is not None or model.run_eagerly:
        return
    try:
        model.make_predict_function()
        model.predict_function.get_concrete_function([dataset.element_spec])
    except Exception:  # predict traces as Keras would have
        return


def diverged_at(losses) -> int | None:
    """The 0-based epoch at which the training loss became non-finite or exploded, or None."""
    lowest = math.inf
    for epoch, loss in enumerate(losses):
        loss = float(loss)
        if not math.isfinite(loss) or loss > LOSS_CEILING or (lowest > 0 and loss > EXPLOSION_FACTOR * lowest):
            return epoch
        lowest = min(lowest, loss)
    return None


class StopOnDivergence(keras.callbacks.Callback):
    """Stops training once the loss is non-finite (checked every batch, like Keras' TerminateOnNaN
    without printing) or has exploded by the end of an epoch (see `diverged_at`)."""

    def __init__(self):
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            self.losses.append(float(loss))
            if diverged_at(self.losses) is not None:
                self.model.stop_training = True


class RaiseStopRequests(keras.callbacks.Callback):
    """Raises, at the next batch, a Ctrl-C (or SIGTERM) that arrived while the trial trained (only remembered
    then) or whose KeyboardInterrupt was lost where it landed (see core/interrupts.py)."""

    def on_train_batch_end(self, batch, logs=None):
        raise_if_requested()

    def on_test_batch_end(self, batch, logs=None):  # validation inside fit
        raise_if_requested()

    def on_epoch_end(self, epoch, logs=None):
        raise_if_requested()


class StopAtDeadline(keras.callbacks.Callback):
    """Stops training at the first epoch end past `deadline` (time.monotonic), for --time-budget."""

    def __init__(self, deadline: float | None):
        super().__init__()
        self.deadline = deadline
        self.stopped_epoch = 0  # 1-based; 0 = not stopped

    def on_epoch_end(self, epoch, logs=None):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.model.stop_training = True
            self.stopped_epoch = epoch + 1
