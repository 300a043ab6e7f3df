"""MiniRocket features (Dempster, Schmidt & Webb, KDD 2021) in numpy: the sequence task's reference.

84 fixed kernels of length 9 (weights -1, and 2 at three positions) at a range of dilations, over a
random combination of channels each; every kernel's biases are quantiles of its output on a random
training sequence, and each feature is the proportion of positive values (PPV) of the output minus one
bias. With a linear classifier on top, it matches the accuracy of the best time-series classifiers on the
UCR archive at a fraction of their cost. The dilations, quantiles, channel combinations and the
alternation of padding follow the published algorithm (as aeon and sktime implement it), vectorised over
sequences a batch at a time.

`fit(x)` -> Kernels; `transform(x, kernels)` -> (n, features) float32. `x` is (n, channels, steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

KERNEL_LENGTH = 9
# Where each of the 84 kernels weighs 2 (every choice of 3 of its 9 positions); the others weigh -1.
POSITIONS = np.array(list(combinations(range(KERNEL_LENGTH), 3)), dtype=np.int32)
KERNELS = len(POSITIONS)
MAX_DILATIONS = 32
BATCH_VALUES = 20_000_000  # float32 values of the shifted copies held at once (80 MB)


@dataclass(frozen=True)
class Kernels:
    """Fitted MiniRocket parameters."""

    channels_per_kernel: np.ndarray  # (kernels x dilations,) how many channels each combination sums
    channels: np.ndarray  # the channel indices of every combination, concatenated
    dilations: np.ndarray
    features_per_dilation: np.ndarray
    biases: np.ndarray

    @property
    def n_features(self) -> int:
        return int(len(self.biases))


def _dilations(steps: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    per_kernel = features // KERNELS
    count = min(per_kernel, MAX_DILATIONS)
    multiplier = per_kernel / count
    largest = np.log2((steps - 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(np.logspace(0, largest, count, base=2).astype(np.int32), return_counts=True)
    counts = (counts * multiplier).astype(np.int32)
    remainder, i = per_kernel - counts.sum(), 0
    while remainder > 0:
        counts[i] += 1
        remainder -= 1
        i = (i + 1) % len(counts)
    return dilations, counts


def _quantiles(n: int) -> np.ndarray:
    """The low-discrepancy sequence of bias quantiles: fractional parts of k times the golden ratio."""
    return np.array([(k * ((np.sqrt(5) + 1) / 2)) % 1 for k in range(1, n + 1)], dtype=np.float32)


def _shifted(x: np.ndarray, dilation: int) -> np.ndarray:
    """(9, n, channels, steps): copy g holds x[..., t + (g - 4) * dilation], zero beyond the sequence."""
    n, channels, steps = x.shape
    out = np.zeros((KERNEL_LENGTH, n, channels, steps), dtype=np.float32)
    for g in range(KERNEL_LENGTH):
        offset = (g - KERNEL_LENGTH // 2) * dilation
        if offset >= 0:
            out[g, :, :, : steps - offset] = x[:, :, offset:]
        else:
            out[g, :, :, -offset:] = x[:, :, : steps + offset]
    return out


def _outputs(shifted: np.ndarray, minus: np.ndarray, kernel: int, channels: np.ndarray) -> np.ndarray:
    """(n, steps): the kernel's output summed over its channels. `minus` is minus the sum of the nine
    shifted copies (every position weighted -1); three positions then weigh 2, that is 3 more."""
    a, b, c = POSITIONS[kernel]
    picked = shifted[a][:, channels] + shifted[b][:, channels] + shifted[c][:, channels]
    return (minus[:, channels] + 3 * picked).sum(axis=1)


def fit(x: np.ndarray, features: int = 10_000, seed: int = 0) -> Kernels:
    """Dilations, channel combinations and biases from the training sequences `x` (n, channels, steps)."""
    x = np.asarray(x, dtype=np.float32)
    n, channels, steps = x.shape
    if steps < KERNEL_LENGTH:
        raise ValueError(f"MiniRocket needs at least {KERNEL_LENGTH} steps, got {steps}; pad shorter sequences")
    random = np.random.RandomState(seed)
    dilations, per_dilation = _dilations(steps, max(features, KERNELS))
    quantiles = _quantiles(KERNELS * int(per_dilation.sum()))
    combinations_count = KERNELS * len(dilations)
    largest = np.log2(min(channels, KERNEL_LENGTH) + 1)
    per_kernel = (2 ** random.uniform(0, largest, combinations_count)).astype(np.int32)
    chosen = np.concatenate([random.choice(channels, k, replace=False) for k in per_kernel]).astype(np.int32)
    biases = np.zeros(len(quantiles), dtype=np.float32)
    feature = combination = start = 0
    for d, dilation in enumerate(dilations):
        examples = random.randint(n, size=KERNELS)  # one random training sequence per kernel
        shifted = _shifted(x[examples], int(dilation))
        for kernel in range(KERNELS):
            used = chosen[start : start + per_kernel[combination]]
            one = shifted[:, kernel : kernel + 1]
            output = _outputs(one, -one.sum(axis=0), kernel, used)[0]
            count = per_dilation[d]
            biases[feature : feature + count] = np.quantile(output, quantiles[feature : feature + count])
            feature, start, combination = feature + count, start + per_kernel[combination], combination + 1
    return Kernels(per_kernel, chosen, dilations, per_dilation, biases)


def transform(x: np.ndarray, kernels: Kernels) -> np.ndarray:
    """(n, features) float32 PPV features of the sequences `x` (n, channels, steps)."""
    x = np.asarray(x, dtype=np.float32)
    n, channels, steps = x.shape
    out = np.empty((n, kernels.n_features), dtype=np.float32)
    batch = max(1, min(n, BATCH_VALUES // (KERNEL_LENGTH * channels * steps)))
    for low in range(0, n, batch):
        part = x[low : low + batch]
        feature = combination = start = 0
        for d, dilation in enumerate(kernels.dilations):
            padding = (KERNEL_LENGTH // 2) * int(dilation)
            shifted = _shifted(part, int(dilation))
            minus = -shifted.sum(axis=0)
            for kernel in range(KERNELS):
                used = kernels.channels[start : start + kernels.channels_per_kernel[combination]]
                output = _outputs(shifted, minus, kernel, used)
                if (d + kernel) % 2 == 1:
                    output = output[:, padding:-padding]  # every other kernel: only positions without padding
                scale = np.float32(1.0 / output.shape[1])
                for q in range(kernels.features_per_dilation[d]):
                    bias = kernels.biases[feature + q]
                    out[low : low + batch, feature + q] = (output > bias).sum(axis=1, dtype=np.int32) * scale
                feature += kernels.features_per_dilation[d]
                start += kernels.channels_per_kernel[combination]
                combination += 1
    return out
