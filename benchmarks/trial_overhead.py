"""Benchmark: what one lstmtune trial costs against a plain Keras fit of the same model.

Prints figures; asserts nothing (timings on shared machines are noisy). Measured in the same process:

  plain   model.fit on windows materialised with numpy (lookback-times the data in memory)
  built   the same, its optimizer and metric variables built first as lstmtune builds them (otherwise
          TensorFlow traces the training step twice)
  fit     lstmtune's HyperModel.fit: tf.data windows gathered per batch, early-stopping callbacks,
          then scoring on validation in original units
  search  a whole one-trial `run_search`: the above plus keras-tuner bookkeeping, checkpoints,
          per-epoch history, tables, the test evaluation and saving the model

    python benchmarks/trial_overhead.py [--rows 5000] [--lookback 48] [--units 32] [--epochs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_csv(path: Path, rows: int) -> None:
    """A deterministic noisy seasonal series with a trend: no download needed."""
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    y = 50 + 0.01 * t + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 2, rows)
    x = np.cos(2 * np.pi * t / 24) + rng.normal(0, 0.1, rows)
    pd.DataFrame({"t": t, "y": y, "x": x}).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--lookback", type=int, default=48)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    import keras

    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tuning.events import Reporter
    from lstmtune.tuning.hypermodel import LstmHyperModel, declare  # first: it quiets TF's logs
    from lstmtune.tuning.model import build_for_training, build_model
    from lstmtune.tuning.search import run_search

    work = Path(tempfile.mkdtemp(prefix="lstmtune-bench-"))
    csv = work / "series.csv"
    make_csv(csv, args.rows)
    space = work / "space.yaml"
    space.write_text(
        f"hyperparameters: {{lookback: {args.lookback}, units: {args.units}, batch_size: 32}}\n"
        f"search: {{max_trials: 1, epochs: {args.epochs}, patience: {args.epochs + 1}}}\n"
    )
    plan = plan_search(SearchRequest(csv, space, work / "run", columns={"target": ("y",), "time_col": "t"}))
    data, lookback = plan.data, args.lookback

    import keras_tuner

    hp = keras_tuner.HyperParameters()
    values = declare(hp, plan.space)
    side = plan.task.keras_side(data)

    # plain Keras on materialised windows
    train_ends, val_ends = data.window_ends("train", lookback), data.window_ends("val", lookback)
    offsets = np.arange(-lookback + 1, 1)
    x_train, x_val = data.inputs[train_ends[:, None] + offsets], data.inputs[val_ends[:, None] + offsets]
    y_train, y_val = data.encoded[train_ends], data.encoded[val_ends]
    # Warm-up: the first fit in a process pays TensorFlow's start-up; keep it out of both timings.
    build_model(side, values, "warm_up").fit(x_train[:64], y_train[:64], epochs=1, verbose=0)

    import tensorflow as tf

    def plain_fit(build_first: bool) -> float:
        keras.utils.set_random_seed(0)
        model = build_model(side, values, "plain")
        train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
        val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32)
        started = time.perf_counter()
        if build_first:
            build_for_training(model, train)
        model.fit(train, validation_data=val, epochs=args.epochs, verbose=0)
        return time.perf_counter() - started

    plain, built = plain_fit(False), plain_fit(True)

    # lstmtune's fit (windows gathered per batch, callbacks, scoring)
    keras.utils.set_random_seed(0)
    hypermodel = LstmHyperModel(plan.space, data, side, "forecast", args.epochs, args.epochs + 1, seed=0)
    model = hypermodel.build(hp)
    started = time.perf_counter()
    hypermodel.fit(hp, model)
    fitted = time.perf_counter() - started

    # a whole one-trial search
    started = time.perf_counter()
    run_search(plan, Reporter())
    searched = time.perf_counter() - started

    materialised = x_train.nbytes + x_val.nbytes + y_train.nbytes + y_val.nbytes
    held = data.inputs.nbytes + data.encoded.nbytes
    print(
        f"data: {args.rows} rows, lookback {lookback}, {len(train_ends)} train / {len(val_ends)} val windows, "
        f"{args.units} units, {args.epochs} epochs"
    )
    print(f"plain keras fit      {plain:8.2f} s   1.00x")
    print(f"  variables built    {built:8.2f} s   {built / plain:.2f}x")
    print(f"lstmtune fit         {fitted:8.2f} s   {fitted / plain:.2f}x")
    print(f"lstmtune 1-trial run {searched:8.2f} s   {searched / plain:.2f}x")
    print(
        f"window memory: materialised {materialised / 1e6:.2f} MB, lstmtune {held / 1e6:.2f} MB "
        f"({materialised / held:.1f}x less)"
    )


if __name__ == "__main__":
    main()
