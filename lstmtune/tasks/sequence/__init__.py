"""Sequences: many short sequences (sensor recordings, heartbeats, spoken vowels), one label or value each.

Long format (one row per step: --id-col, optional --order-col) or wide (--wide: one row per sequence,
UCR style t0 ... tN); classification or regression; variable lengths padded at the end with a mask.
"""
