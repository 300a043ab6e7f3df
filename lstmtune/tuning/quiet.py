"""Importing TensorFlow without its C++ start-up lines ("oneDNN custom operations are on", absl's
"All log messages before absl::InitializeLog()..."), which it writes to file descriptor 2 before any
logging setting applies. Python errors raised by the import still reach the user. And the libraries'
routine chatter kept out of a search's progress output.

Light at import: the CLI imports it before TensorFlow loads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings


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


def quiet_library_logs() -> None:
    """Keep routine library chatter out of the progress output."""
    from lstmtune.tuning import kt

    # Every trial's model.predict traces a new function; that is expected, not a problem.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # The Gaussian process often hits its length-scale bounds on few trials; harmless.
    warnings.filterwarnings("ignore", message="The optimal value found for dimension")
    # Weights reloaded from a checkpoint (hyperband's next round, the best model) come without optimizer
    # state, which is rebuilt on the first step; harmless.
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    # keras-tuner takes the best of a metric over epochs with numpy; a metric that is undefined for a trial
    # (the gap without training skill) is NaN at every epoch, which is recorded as such.
    warnings.filterwarnings("ignore", message="All-NaN (slice|axis) encountered", category=RuntimeWarning)
    kt.quiet_failed_trials()  # its reason is kept in the trial's record
