"""Optimizers that add annealed Gaussian noise to every gradient (Neelakantan et al. 2015, "Adding
gradient noise improves learning for very deep networks"): at update t the noise's variance is
eta / (1 + t) ** 0.55, added after gradient clipping so clipping cannot cancel it. Registered with Keras
so a saved model, whose file names its optimizer, loads in safe mode."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

DECAY = 0.55  # the paper's annealing exponent


class GradientNoise:
    """Mixed into a Keras optimizer class: `gradient_noise` is eta (0 = no noise)."""

    def __init__(self, *args: Any, gradient_noise: float = 0.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.gradient_noise = float(gradient_noise)
        self._noise_seed = keras.random.SeedGenerator()

    def _clip_gradients(self, grads: list[Any]) -> list[Any]:
        grads = super()._clip_gradients(grads)  # type: ignore[misc]
        if not self.gradient_noise:
            return grads
        step = ops.cast(self.iterations, "float32")  # type: ignore[attr-defined]
        std = ops.sqrt(self.gradient_noise / ops.power(1.0 + step, DECAY))
        noisy = []
        for grad in grads:
            if grad is None:
                noisy.append(grad)
                continue
            grad = ops.convert_to_tensor(grad)  # an embedding's sparse gradient becomes dense
            noise = keras.random.normal(ops.shape(grad), dtype=grad.dtype, seed=self._noise_seed)
            noisy.append(grad + ops.cast(std, grad.dtype) * noise)
        return noisy

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gradient_noise": self.gradient_noise}  # type: ignore[misc]


@keras.saving.register_keras_serializable(package="lstmtune")
class NoisyAdam(GradientNoise, keras.optimizers.Adam):
    pass


@keras.saving.register_keras_serializable(package="lstmtune")
class NoisyAdamW(GradientNoise, keras.optimizers.AdamW):
    pass


@keras.saving.register_keras_serializable(package="lstmtune")
class NoisyRMSprop(GradientNoise, keras.optimizers.RMSprop):
    pass


NOISY = {"adam": NoisyAdam, "adamw": NoisyAdamW, "rmsprop": NoisyRMSprop}
