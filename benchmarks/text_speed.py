"""Benchmark: lstmtune's text pipeline on 100,000 tweet-sized texts against keras.layers.TextVectorization,
and the pipeline's share of a trial next to one epoch of a tiny LSTM's fit, in the same run.

Prints figures; asserts nothing (timings on shared machines are noisy). Interleaved repetitions, medians:

  vectorise   texts per second turned into padded token-id arrays:
                lstmtune   what planning does after reading: every text lower-cased, stripped of
                           punctuation and split once, the vocabulary counted and ranked on the training
                           texts (TextEncoder.fit_tokens), every text looked up (encode_tokens)
                keras      TextVectorization(max_tokens, output_sequence_length).adapt(training texts) and
                           a call on every text (same standardisation: lower_and_strip_punctuation)
  planning    the whole `plan_search` of a text search (read, checks, duplicate groups, stratified split,
              vocabulary, token arrays) against pandas.read_csv + the Keras adapt + call above
  trial       per trial, lstmtune builds its datasets from the token arrays (TextKeras.dataset for train
              and val); against one epoch of model.fit of a tiny LSTM (embedding 32, 16 units) on the
              training split. Goal: the pipeline (vectorising + datasets) at most 10% of the trial.

    python benchmarks/text_speed.py [--texts 100000] [--vocabulary 30000] [--reps 3] [--max-tokens 20000]
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "be", "fi", "ho", "ja"]
PUNCTUATION = ["", "", "", "", ",", ".", "!", "?", ":", "'s"]


def make_texts(count: int, vocabulary: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Deterministic tweet-sized texts: 5-30 words drawn from a Zipf(1.1) vocabulary, some capitalised,
    some with punctuation; the label says whether 'positive' words outnumber 'negative' ones."""
    rng = np.random.default_rng(seed)
    words = []
    for i in range(vocabulary):  # distinct pronounceable words from the syllables
        word, n = "", i + len(SYLLABLES)
        while n:
            n, r = divmod(n, len(SYLLABLES))
            word += SYLLABLES[r]
        words.append(word)
    weights = 1.0 / np.arange(1, vocabulary + 1) ** 1.1
    weights /= weights.sum()
    lengths = rng.integers(5, 31, count)
    drawn = rng.choice(vocabulary, size=int(lengths.sum()), p=weights)
    positive, negative = set(range(10, 200, 2)), set(range(11, 200, 2))
    texts, labels, at = [], np.zeros(count, dtype=np.int64), 0
    caps = rng.random(int(lengths.sum())) < 0.05
    marks = rng.integers(0, len(PUNCTUATION), int(lengths.sum()))
    for row, length in enumerate(lengths):
        ids = drawn[at : at + length]
        parts = [
            (words[w].capitalize() if caps[at + k] else words[w]) + PUNCTUATION[marks[at + k]]
            for k, w in enumerate(ids)
        ]
        score = sum(1 for w in ids if w in positive) - sum(1 for w in ids if w in negative)
        labels[row] = int(score > 0 or (score == 0 and row % 2 == 0))
        texts.append(" ".join(parts))
        at += length
    return texts, labels


def median_times(sides: dict, reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(reps):  # interleaved: every side once per repetition
        for name, call in sides.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return times


def show(title: str, times: dict[str, list[float]], items: int, base: str, unit: str = "texts") -> dict[str, float]:
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{title}")
    print(f"{'':58s} {'median':>8s} {unit + '/s':>11s} {'vs first':>10s}   runs")
    for name, value in medians.items():
        print(
            f"{name:58s} {value:7.2f}s {items / value:11,.0f} {medians[base] / value:9.2f}x   "
            + ", ".join(f"{v:.2f}" for v in times[name])
        )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--max-tokens", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64, help="the shipped text space's batch_size")
    parser.add_argument("--skip-fit", action="store_true")
    args = parser.parse_args()

    from lstmtune.tuning.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    import tensorflow as tf

    from lstmtune.plan import SearchRequest, plan_search
    from lstmtune.tasks.text.encoder import TextEncoder, tokenize

    work = Path(tempfile.mkdtemp(prefix="lstmtune-text-"))
    atexit.register(shutil.rmtree, work, True)
    started = time.perf_counter()
    texts, labels = make_texts(args.texts, args.vocabulary)
    csv = work / "texts.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(csv, index=False)
    space = work / "space.yaml"
    space.write_text(
        f"hyperparameters: {{max_tokens: {args.max_tokens}, embedding_dim: 32, units: 16, "
        f"batch_size: {args.batch}}}\nsearch: {{max_trials: 1, epochs: 1, patience: 1}}\n"
    )
    request = SearchRequest(csv, space, None, task="text", columns={"text_col": "text", "target": "label"})
    plan = plan_search(request)
    data = plan.data
    length = data.default_sequence_length
    train_texts = list(data.texts["train"])
    all_texts = [t for split in ("train", "val", "test") for t in data.texts[split]]
    words = np.array([len(t.split()) for t in texts])
    print(
        f"data: {len(texts):,} texts, {words.mean():.1f} words on average ({words.min()}-{words.max()}), "
        f"{len(train_texts):,} training texts, vocabulary {data.encoder.size:,} ids (max_tokens {args.max_tokens}), "
        f"sequence_length {length}; written in {time.perf_counter() - started:.1f} s"
    )

    def lstmtune_vectorise():
        # As planning does it: every text split once, the vocabulary counted on the training texts,
        # every text looked up (lstmtune before fit_tokens existed split the training texts twice).
        words = [tokenize(text) for text in all_texts]
        if hasattr(TextEncoder, "fit_tokens"):
            encoder = TextEncoder.fit_tokens(words[: len(train_texts)], args.max_tokens)
        else:
            encoder = TextEncoder.fit(train_texts, args.max_tokens)
        return encoder.encode_tokens(words, length)

    def keras_vectorise():
        layer = keras.layers.TextVectorization(max_tokens=args.max_tokens, output_sequence_length=length)
        layer.adapt(tf.constant(train_texts), batch_size=1024)
        return layer(tf.constant(all_texts)).numpy()

    # The two vectorise alike where Python and TensorFlow lower-case alike (ASCII here).
    ours, theirs = lstmtune_vectorise(), keras_vectorise()
    print(
        f"token ids identical to TextVectorization's: {np.array_equal(ours, theirs)} "
        f"({(ours == theirs).mean():.4%} of cells)"
    )

    vectorise = show(
        f"vectorise {len(all_texts):,} texts (vocabulary from {len(train_texts):,}), median of {args.reps}",
        median_times(
            {
                "keras TextVectorization adapt + call": keras_vectorise,
                "lstmtune tokenize + TextEncoder fit + encode": lstmtune_vectorise,
            },
            args.reps,
        ),
        len(all_texts),
        "keras TextVectorization adapt + call",
    )

    def plain_planning():
        frame = pd.read_csv(csv)
        layer = keras.layers.TextVectorization(max_tokens=args.max_tokens, output_sequence_length=length)
        layer.adapt(tf.constant(frame["text"].to_numpy(dtype=object)[: len(train_texts)].tolist()), batch_size=1024)
        return layer(tf.constant(frame["text"].tolist())).numpy()

    planning = show(
        f"planning: CSV to token arrays, median of {args.reps}",
        median_times(
            {
                "pandas.read_csv + keras adapt + call": plain_planning,
                "lstmtune plan_search (check)": lambda: plan_search(request),
            },
            args.reps,
        ),
        len(texts),
        "pandas.read_csv + keras adapt + call",
    )

    side = plan.task.keras_side(data)
    values = {"max_tokens": args.max_tokens, "sequence_length": length}

    def datasets():
        train = side.dataset("train", values, args.batch, shuffle=True, seed=0)
        val = side.dataset("val", values, 256)
        return train, val

    def iterate():
        train, _ = datasets()
        for _ in train:
            pass

    per_trial = show(
        f"per trial: the datasets, median of {args.reps}",
        median_times({"build train + val datasets": datasets, "build + iterate one train epoch": iterate}, args.reps),
        len(train_texts),
        "build train + val datasets",
    )
    if args.skip_fit:
        return

    def tiny():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((length,), dtype="int32"),
                keras.layers.Embedding(min(args.max_tokens, data.encoder.size), 32, mask_zero=True),
                keras.layers.LSTM(16),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile("adam", "binary_crossentropy")
        return model

    train_x, train_y = data.inputs("train", values), data.y["train"].astype("float32")
    tiny().fit(train_x[:256], train_y[:256], epochs=1, verbose=0)  # warm-up: TensorFlow's first fit
    fits = []
    for _ in range(args.reps):
        model = tiny()
        train, _val = datasets()
        started = time.perf_counter()
        model.fit(train, epochs=1, verbose=0, shuffle=False)  # the dataset shuffles
        fits.append(time.perf_counter() - started)
    fit = statistics.median(fits)
    pipeline = vectorise["lstmtune tokenize + TextEncoder fit + encode"] + per_trial["build train + val datasets"]
    print(
        f"\none epoch of model.fit, tiny LSTM on {len(train_texts):,} texts, batch {args.batch}: median {fit:.2f} s "
        f"({', '.join(f'{v:.2f}' for v in fits)})"
    )
    print(
        f"text pipeline (vectorise {vectorise['lstmtune tokenize + TextEncoder fit + encode']:.2f} s + datasets "
        f"{per_trial['build train + val datasets']:.3f} s) = {pipeline:.2f} s: {pipeline / (pipeline + fit):.1%} of a "
        f"1-epoch trial (goal <= 10%); whole planning {planning['lstmtune plan_search (check)']:.2f} s: "
        f"{planning['lstmtune plan_search (check)'] / (planning['lstmtune plan_search (check)'] + fit):.1%}"
    )


if __name__ == "__main__":
    main()
