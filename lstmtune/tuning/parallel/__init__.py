"""Parallel searches on keras-tuner's chief / worker mode: the chief serves the oracle and supervises
local worker processes; `lstmtune worker` joins from other machines."""
