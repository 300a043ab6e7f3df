"""lstmtune: find well-regularised LSTM models for your own CSV data."""

import os

# Keep TensorFlow's C++ start-up chatter off stderr (set before anything imports TensorFlow).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
