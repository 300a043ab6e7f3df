"""Parallel searches on keras-tuner's chief / worker mode: the chief (`chief`) serves the oracle and
supervises local worker processes; a worker (`worker`, `lstmtune worker`) joins it, also from other machines."""
