"""Letting go of what TensorFlow keeps from a finished trial (TensorFlow's private API, like kt.py's
uses of keras-tuner's; checked on an upgrade).

TensorFlow registers every `tf.custom_gradient` it traces in graph mode (Keras' training step traces
some) in its process-wide gradient registry, under a new name ("CustomGradient-N"), and never removes
it. The registered function holds the whole traced training step, so every model trained in a process
leaves about 16,000 Python objects behind, and keras-tuner's `clear_session` + `gc.collect` before each
trial slow down with them (the per-trial cost that grew with the trial count). A trial's traced
functions are never called again once it has ended, so its registrations can go.
"""

from __future__ import annotations

import gc
from typing import Any

PREFIX = "CustomGradient-"


def _registry() -> dict[str, Any] | None:
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):  # pragma: no cover - another TensorFlow layout: nothing to release
        return None
    return registry if isinstance(registry, dict) else None


class GradientRegistrations:
    """The custom-gradient registrations made since it was created, released on request."""

    def __init__(self) -> None:
        self.before = set(_registry() or ())

    def release(self) -> int:
        """Remove the custom gradients registered since; how many were removed."""
        registry = _registry()
        if registry is None:
            return 0
        stale = [name for name in registry if name.startswith(PREFIX) and name not in self.before]
        for name in stale:
            del registry[name]
        return len(stale)


_frozen = False


def freeze_long_lived_objects() -> None:
    """Hide every object alive now from the garbage collector, once per process.

    After TensorFlow, Keras and keras-tuner are imported that is several hundred thousand objects that
    live as long as the process. keras-tuner's `clear_session` + `gc.collect` before each trial, and
    Python's own full collections while a model traces, would walk them all every time (about half a
    second a trial on a small model). Objects created later, a trial's included, stay collectable, so a
    second search in the same process (the API, a notebook) frees the first one's garbage as before.
    """
    global _frozen
    if not _frozen:
        gc.collect()  # what is already garbage is freed, not frozen
        gc.freeze()
        _frozen = True
