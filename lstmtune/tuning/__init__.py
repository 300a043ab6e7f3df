"""Running a planned search: the LSTM model (and lstmtune's own layers) and hypermodel, the oracle, the
keras-tuner tuner and its trial recorder, the reference model fitted at the start, the best model's
evaluation and the ensemble, and parallel searches (chief and workers). With each
task's keras_io and predict.py, the only importers of TensorFlow, Keras and keras-tuner.

The package imports nothing itself; `events`, `quiet` and `parallel.worker` are light to import (the
CLI imports them before TensorFlow loads). Every use of keras-tuner's private API is in `kt`."""
