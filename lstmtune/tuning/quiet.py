"""Importing TensorFlow without its C++ start-up lines ("oneDNN custom operations are on", absl's
"All log messages before absl::InitializeLog()..."), which it writes to file descriptor 2 before any
logging setting applies. Python errors raised by the import still reach the user."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at the null device for the duration (no-op when stderr has no descriptor)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. stderr captured by a test runner
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)


def import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules:
        return
    import importlib

    with native_stderr_silenced():
        importlib.import_module("tensorflow")  # loaded once, quietly; later imports reuse it
