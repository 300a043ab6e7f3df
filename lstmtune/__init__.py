"""lstmtune: find well-regularised LSTM models for your own CSV data.

    import lstmtune
    run = lstmtune.search(data="data.csv", target="y", time_col="date", space="forecast", out="runs/y")
    lstmtune.load_run("runs/y").trials

`import lstmtune` stays light: TensorFlow is imported only when a search trains or a model is loaded.
"""

import os
from typing import Any

# Keep TensorFlow's C++ start-up chatter off stderr (set before anything imports TensorFlow).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from lstmtune.version import __version__

__all__ = ["search", "load_run", "Run", "Predictor", "LstmtuneError", "__version__"]


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use."""
    if name in ("search", "load_run", "Run"):
        from lstmtune import api

        return getattr(api, name)
    if name == "LstmtuneError":  # every error the API raises for bad input
        from lstmtune.errors import LstmtuneError

        return LstmtuneError
    if name == "Predictor":
        from lstmtune.predict import Predictor

        return Predictor
    raise AttributeError(f"module 'lstmtune' has no attribute {name!r}")
