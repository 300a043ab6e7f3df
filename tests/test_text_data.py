"""Fast tests of the text task's data layer: tokenizer, vocabulary, labels, splits, errors, embeddings (no TensorFlow)."""

from __future__ import annotations

import csv
import json
import math
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmtune.data.csv_reader import read_csv
from lstmtune.errors import DataError, OptionError
from lstmtune.space.params import Param, Space
from lstmtune.tasks.base import DataRequest
from lstmtune.tasks.scoring import CLASSIFICATION_OBJECTIVES, classification_figures
from lstmtune.tasks.text import settings as text_settings
from lstmtune.tasks.text.data import TextData, prepare_text
from lstmtune.tasks.text.embeddings import read_vectors
from lstmtune.tasks.text.encoder import TextEncoder, tokenize
from lstmtune.tasks.text.rows import encode_frame
from lstmtune.tasks.text.settings import DATA_RULES, TEXT_SPECS, TextSettings

ROTTEN = Path(__file__).resolve().parent / "data" / "rotten_tomatoes_600.csv"


# --- helpers ---------------------------------------------------------------------------------


def make_space(max_tokens=20000, sequence_length=None) -> Space:
    """A space with the text hyperparameters only: ints are fixed, (lo, hi) tuples int ranges."""

    def param(name, value):
        if isinstance(value, tuple):
            return Param(name, "int", low=value[0], high=value[1])
        return Param(name, "fixed", value=value)

    return Space(
        params={
            "max_tokens": param("max_tokens", max_tokens),
            "sequence_length": param("sequence_length", sequence_length),
        }
    )


def write_rows(tmp_path: Path, header: list[str], rows: list[list], name: str = "data.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def prepare(
    path: Path,
    target="label",
    text_col="text",
    split_col=None,
    space=None,
    seed=42,
    strict=False,
    embeddings=None,
    encoding=None,
    **settings,
) -> TextData:
    columns = {"target": target, "text_col": text_col}
    if split_col is not None:
        columns["split_col"] = split_col
    options = {"strict": strict, "embeddings": embeddings}
    if encoding is not None:
        options["encoding"] = encoding
    request = DataRequest(path=path, columns=columns, options=options, settings=TextSettings(**settings), seed=seed)
    return prepare_text(request, space or make_space())


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        prepare(path, **kwargs)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def balanced_rows(n_per_class: int = 20, classes=("neg", "pos")) -> list[list]:
    """Distinct texts whose words say their class."""
    rows = []
    for label in classes:
        for i in range(n_per_class):
            rows.append([f"text {label} number {i} word{i % 5}", label])
    return rows


# --- tokenizer and vocabulary ----------------------------------------------------------------


def test_standardisation_matches_keras_default():
    assert tokenize("Hello, World!  It's a TEST-case.\n(Great)") == ["hello", "world", "its", "a", "testcase", "great"]
    assert tokenize(string.punctuation) == []  # Keras' strip regex covers all ASCII punctuation
    assert tokenize("École — naïve “quoted”") == ["école", "—", "naïve", "“quoted”"]  # only ASCII punctuation stripped
    assert tokenize("   ") == []


def test_vocabulary_by_frequency_then_alphabet_and_capped():
    encoder = TextEncoder.fit(["b a c", "a b", "a d", "Zed zed"], max_tokens=100)
    assert encoder.vocabulary == ["", "[UNK]", "a", "b", "zed", "c", "d"]
    small = TextEncoder.fit(["b a c", "a b", "a d", "Zed zed"], max_tokens=4)
    assert small.vocabulary == ["", "[UNK]", "a", "b"] and small.size == 4
    with pytest.raises(ValueError):
        TextEncoder.fit(["a"], max_tokens=1)


def test_encode_truncates_pads_at_end_and_maps_unknown_and_rare_ids():
    encoder = TextEncoder.fit(["one two three", "one two", "one"], max_tokens=10)  # one=2, two=3, three=4
    out = encoder.encode(["one two three four", "two", "", "Three!"], sequence_length=3)
    assert out.dtype == np.int32 and out.shape == (4, 3)
    assert out.tolist() == [[2, 3, 4], [3, 0, 0], [0, 0, 0], [4, 0, 0]]
    assert encoder.encode(["four one"], 3).tolist() == [[1, 2, 0]]  # unseen word -> OOV 1
    assert encoder.encode(["one two three"], 3, max_tokens=4).tolist() == [[2, 3, 1]]  # id 4 >= max_tokens
    assert encoder.token_counts(["a b, c", "", "!!"]).tolist() == [3, 0, 0]


def test_state_round_trip_through_json():
    encoder = TextEncoder.fit(["good film", "bad film"], max_tokens=50, labels=["1", "2", "10"], label_kind="integer")
    state = json.loads(json.dumps(encoder.to_state()))
    again = TextEncoder.from_state({**state, "text_col": "text"})
    assert again.vocabulary == encoder.vocabulary and again.labels == ["1", "2", "10"]
    assert again.label_values() == [1, 2, 10]
    assert (again.encode(["bad good film x"], 5) == encoder.encode(["bad good film x"], 5)).all()
    with pytest.raises(ValueError, match="standardises"):
        TextEncoder.from_state({**state, "standardize": "lower"})


def test_decode_binary_and_multiclass_keep_label_types():
    binary = TextEncoder(["", "[UNK]"], ["neg", "pos"], "string")
    frame = binary.decode(np.array([[0.2], [0.7]]))
    assert list(frame.columns) == ["label", "p_neg", "p_pos"]
    assert frame["label"].tolist() == ["neg", "pos"]
    assert frame["p_neg"].tolist() == pytest.approx([0.8, 0.3])
    multi = TextEncoder(["", "[UNK]"], ["1", "2", "10"], "integer")
    frame = multi.decode(np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]))
    assert list(frame.columns) == ["label", "p_1", "p_2", "p_10"]
    assert frame["label"].tolist() == [10, 1] and frame["label"].dtype == np.int64
    assert multi.label_ids([10, 2.0, "1"]).tolist() == [2, 1, 0]


# --- labels, splits, duplicates -------------------------------------------------------------


def test_rotten_tomatoes_sample_realistic(tmp_path):
    data = prepare(ROTTEN, target="category")
    info = data.info
    assert info["rows_read"] == info["rows_used"] == 600
    assert data.labels == ["fresh", "rotten"] and info["classes"] == {"fresh": 347, "rotten": 253}
    assert info["split_rows"] == {"train": 420, "val": 90, "test": 90}
    for split in ("train", "val", "test"):
        assert np.mean(data.y[split] == 0) == pytest.approx(347 / 600, abs=0.02)  # stratified
        assert data.tokens[split].shape == (len(data.y[split]), info["default_sequence_length"])
        assert data.tokens[split].dtype == np.int32 and data.y[split].dtype == np.int64
    # quoted texts with line breaks are one record each
    multi_line = sum("\n" in t for split in data.texts for t in data.texts[split])
    assert multi_line == 7
    all_rows = np.sort(np.concatenate([data.rows[s] for s in data.rows]))
    assert all_rows.tolist() == list(range(1, 601))
    raw = pd.read_csv(ROTTEN)
    first = data.rows["val"][0]
    assert data.texts["val"][0] == raw["text"][first - 1]
    json.dumps(data.manifest_data()), json.dumps(data.info), json.dumps(data.baselines())
    summary = data.summary()
    assert "600 rows" in summary and "fresh 347, rotten 253" in summary and "train 420 / val 90 / test 90" in summary
    assert f"default sequence_length {info['default_sequence_length']}" in summary
    lines = data.check_lines(make_space())
    assert lines[0].startswith("train: 420 rows (fresh 243") and any("95th percentile" in line for line in lines)


def test_no_tensorflow_imported():
    code = (
        "import sys; import lstmtune.tasks.text.data, lstmtune.tasks.text.embeddings, lstmtune.tasks.text.settings; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'keras_tuner') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_seeded_and_deterministic(tmp_path):
    path = write_rows(tmp_path, ["text", "label"], balanced_rows(30))
    a, b, c = prepare(path, seed=1), prepare(path, seed=1), prepare(path, seed=2)
    assert all((a.rows[s] == b.rows[s]).all() for s in ("train", "val", "test"))
    assert a.encoder.vocabulary == b.encoder.vocabulary
    assert any(len(a.rows[s]) != len(c.rows[s]) or (a.rows[s] != c.rows[s]).any() for s in ("train", "val", "test"))


def test_duplicates_grouped_never_in_two_splits_and_counted(tmp_path):
    rows = balanced_rows(20)
    # 5 texts repeated 4 times each in different case / spacing / punctuation: the same model input
    for i in range(5):
        label = "pos" if i % 2 else "neg"
        rows += [
            [f"Repeated review {i}", label],
            [f"  repeated REVIEW {i} ", label],
            [f"repeated review {i}!", label],
            [f"repeated, review {i}", label],
        ]
    path = write_rows(tmp_path, ["text", "label"], rows)
    for seed in range(5):
        data = prepare(path, seed=seed)
        assert data.info["duplicate_rows"] == 20 and data.info["duplicate_groups"] == 5
        homes = {}
        for split in ("train", "val", "test"):
            for text in data.texts[split]:
                homes.setdefault(" ".join(tokenize(text)), set()).add(split)
        assert all(len(h) == 1 for h in homes.values())
    assert "20 rows are repeats of 5 texts, kept in one split each" in data.summary()


def test_integer_labels_natural_order_and_missing_dropped(tmp_path):
    rows = [[f"sample text {i} {c}", c] for c in (10, 2, 1) for i in range(6)]
    rows += [["no label here", ""], ["", 2], ["   ", 1], ["...", 10]]
    path = write_rows(tmp_path, ["text", "label"], rows)
    data = prepare(path)
    assert data.labels == ["1", "2", "10"] and data.encoder.label_values() == [1, 2, 10]
    assert data.info["label_kind"] == "integer"
    assert data.info["rows_used"] == 18 and data.info["rows_dropped"] == 4
    assert data.info["empty_texts"] == 3 and data.info["missing_labels"] == 1
    summary = data.summary()
    assert "18 rows (4 of 22 dropped: 3 without words in 'text', 1 without a label)" in summary
    assert data.encoder.decode(np.eye(3))["label"].tolist() == [1, 2, 10]


def test_strings_sorted_and_multiclass(tmp_path):
    path = write_rows(tmp_path, ["text", "label"], balanced_rows(10, ("zeta", "Alpha", "mid")))
    data = prepare(path)
    assert data.labels == ["Alpha", "mid", "zeta"] and data.n_classes == 3
    assert data.info["class_counts"]["train"] == {"Alpha": 7, "mid": 7, "zeta": 7}


def test_split_column_any_case(tmp_path):
    names = ["TRAIN", "Train", "train", "Training", "VAL", "Valid", "validation", "DEV", "Test", "testing"]
    rows = [[f"text {label} {i}", label, names[i % len(names)]] for label in ("a", "b") for i in range(20)]
    path = write_rows(tmp_path, ["text", "label", "fold"], rows)
    data = prepare(path, split_col="fold")
    assert data.info["split_rows"] == {"train": 16, "val": 16, "test": 8}
    assert data.info["duplicates_across_splits"] == 0
    assert "from 'fold'" in data.info["split_source"]


def test_vocabulary_from_training_texts_only(tmp_path):
    rows = [[f"common words {i}", "a" if i % 2 else "b", "train"] for i in range(10)]
    rows += [
        ["common zebra", "a", "val"],
        ["common words", "b", "val"],
        ["zebra giraffe", "a", "test"],
        ["words", "b", "test"],
    ]
    path = write_rows(tmp_path, ["text", "label", "split"], rows)
    data = prepare(path, split_col="split")
    assert "zebra" not in data.encoder.vocabulary and "giraffe" not in data.encoder.vocabulary
    assert data.tokens["test"][0, :2].tolist() == [1, 1]  # test-only words are out of vocabulary
    assert data.info["training_words"] == 12


def test_validation_carved_from_train_keeps_duplicates_and_counts_cross_split_repeats(tmp_path):
    rows = [[f"train text {label} {i}", label, "train"] for label in ("a", "b") for i in range(40)]
    rows += [["same text twice", "a", "train"], ["Same text twice!", "a", "train"], ["same text twice", "a", "train"]]
    rows += [[f"test text {label} {i}", label, "test"] for label in ("a", "b") for i in range(5)]
    rows += [["train text a 0", "a", "test"]]  # also in train: the user's choice, reported, not moved
    path = write_rows(tmp_path, ["text", "label", "split"], rows)
    data = prepare(path, split_col="split", split=(0.6, 0.2, 0.2))
    sizes = data.info["split_rows"]
    assert sizes["test"] == 11 and sizes["train"] + sizes["val"] == 83
    assert sizes["val"] == pytest.approx(83 * 0.25, abs=2)  # 0.2 / (0.6 + 0.2)
    in_val = {" ".join(tokenize(t)) for t in data.texts["val"]}
    in_train = {" ".join(tokenize(t)) for t in data.texts["train"]}
    assert not in_val & in_train
    assert data.info["duplicates_across_splits"] == 1
    assert "train text a 0" in list(data.texts["test"])
    assert "validation 0.25 of train" in data.info["split_source"]
    assert "1 of them in more than one split of 'split'" in data.summary()


# --- errors ----------------------------------------------------------------------------------


def test_column_errors(tmp_path):
    path = write_rows(tmp_path, ["review", "label", "fold"], [["good", "a", "train"]] * 3)
    message = error_of(path, text_col="reviw")
    assert (
        "--text-col 'reviw' is not a column (did you mean 'review'?)" in message
        and "columns are: review, label, fold" in message
    )
    assert "--target 'lable' is not a column (did you mean 'label'?)" in error_of(
        path, text_col="review", target="lable"
    )
    assert "--text-col is required" in error_of(path, text_col=None)
    assert "--target is required" in error_of(path, text_col="review", target=None)
    assert "--split-col 'folds' is not a column" in error_of(path, text_col="review", split_col="folds")
    assert "--text-col and --target must be different columns, but both are 'review'" in error_of(
        path, text_col="review", target="review"
    )
    assert "--split-col must be a column of its own, but 'label' is also the --target" in error_of(
        path, text_col="review", split_col="label"
    )


def test_label_errors(tmp_path):
    one = write_rows(tmp_path, ["text", "label"], [[f"t {i}", "pos"] for i in range(40)], "one.csv")
    assert "--target 'label' must have at least 2 classes, but all 40 rows hold 'pos'" in error_of(one)
    ints = write_rows(tmp_path, ["text", "label"], [[f"t {i}", 1 if i < 9 else ""] for i in range(10)], "ints.csv")
    assert "must have at least 2 classes, but all 9 rows hold 1" in error_of(ints)
    floats = write_rows(tmp_path, ["text", "label"], [["a", 1.0], ["b", 0.5], ["c", 2.0]], "floats.csv")
    message = error_of(floats)
    assert (
        "--target 'label' must hold class labels" in message
        and "row 2 holds 0.5" in message
        and "classification" in message
    )
    few = write_rows(
        tmp_path, ["text", "label"], balanced_rows(10) + [["rare one", "rare"], ["rare two", "rare"]], "few.csv"
    )
    assert (
        "class 'rare' has 2 rows, but a stratified train / validation / test split needs at least 3 rows per class"
        in error_of(few)
    )


def test_split_column_errors(tmp_path):
    rows = [["x one", "a", "train"], ["x two", "b", "train"], ["x three", "a", "holdout"], ["x four", "b", "test"]]
    path = write_rows(tmp_path, ["text", "label", "fold"], rows, "unknown.csv")
    message = error_of(path, split_col="fold")
    assert (
        "--split-col 'fold' must name a split (train; val, valid, validation or dev; test (any case)), but row 3 holds 'holdout'"
        in message
    )
    empty = write_rows(tmp_path, ["text", "label", "fold"], [["x", "a", "train"], ["y", "b", ""]], "empty.csv")
    assert "but row 2 is empty" in error_of(empty, split_col="fold")
    no_test = write_rows(tmp_path, ["text", "label", "fold"], [["x", "a", "train"], ["y", "b", "val"]], "notest.csv")
    assert "--split-col 'fold' must name some rows test, but it names only train, val" in error_of(
        no_test, split_col="fold"
    )
    no_train = write_rows(tmp_path, ["text", "label", "fold"], [["x", "a", "test"], ["y", "b", "val"]], "notrain.csv")
    assert "must name some rows train, but it names only val, test" in error_of(no_train, split_col="fold")
    rows = [[f"t {i}", "a", "train"] for i in range(5)] + [["u", "b", "val"], ["v", "b", "test"], ["w", "a", "test"]]
    absent = write_rows(tmp_path, ["text", "label", "fold"], rows, "absent.csv")
    message = error_of(absent, split_col="fold")
    assert (
        "class 'b' has 2 rows, but --split-col 'fold' names none of them train; every class needs training rows"
        in message
    )


def test_class_absent_from_train_and_empty_split(tmp_path):
    # every row of class c repeats a text whose majority label is a: where that group lands, c goes
    rows = balanced_rows(20, ("a", "b")) + [["same words", "a"]] * 4 + [["Same words!", "c"]] * 3
    path = write_rows(tmp_path, ["text", "label"], rows)
    messages = []
    for seed in range(30):
        try:
            prepare(path, seed=seed)
        except DataError as exc:
            messages.append(str(exc))
    assert messages and all(
        "--target 'label' class 'c' has 3 rows, but none landed in the training split (repeated texts are kept together)"
        in m
        for m in messages
    )
    tiny = write_rows(
        tmp_path,
        ["text", "label"],
        [["a one", "x"], ["b two", "x"], ["c three", "x"], ["d", "y"], ["e", "y"], ["f", "y"]],
        "tiny.csv",
    )
    # A split too small to get a row by its fraction still gets one.
    data = prepare(tiny, split=(0.9, 0.05, 0.05))
    assert all(len(data.y[split]) >= 1 for split in ("train", "val", "test"))


def test_strict_names_first_bad_row(tmp_path):
    rows = balanced_rows(5) + [["fine text", ""], ["  ", "neg"], ["another", "pos"]]
    path = write_rows(tmp_path, ["text", "label"], rows)
    message = error_of(path, strict=True)
    assert (
        "with --strict every row needs a text with words and a label, but row 11 has no label in --target 'label'"
        in message
    )
    assert "(1 row without words, 1 row without a label)" in message
    rows = balanced_rows(5) + [["?!", "neg"]]
    punct = write_rows(tmp_path, ["text", "label"], rows, "punct.csv")
    assert "row 11 has no words in --text-col 'text' (holds '?!')" in error_of(punct, strict=True)
    nothing = write_rows(tmp_path, ["text", "label"], [["", "a"], ["b", ""]], "nothing.csv")
    assert "no row has both words in --text-col 'text' and a label in --target 'label'" in error_of(nothing)


def test_quoted_multiline_texts_and_record_numbers(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(
        'text,label\n"first line\nsecond line, with comma",a\n"say ""hi""",b\nplain,a\n"x\n\ny",b\nbad,\n'
        "z1,a\nz2,b\nz3,a\nz4,b\n",
        encoding="utf-8",
    )
    frame = read_csv(path, encoding="utf-8")
    assert frame["text"][0] == "first line\nsecond line, with comma" and frame["text"][1] == 'say "hi"'
    assert frame["text"][3] == "x\n\ny"
    message = error_of(path, strict=True)
    assert "row 5 has no label" in message  # the 5th record, although on file line 8


# --- encoding ---------------------------------------------------------------------------------


def test_latin1_file_needs_encoding_flag(tmp_path):
    path = tmp_path / "latin.csv"
    rows = [f"review {i},{'a' if i % 2 else 'b'}" for i in range(12)]
    rows[3] = "caf\xe9 cr\xe8me,a"
    path.write_bytes(("text,label\n" + "\n".join(rows) + "\n").encode("latin-1"))
    message = error_of(path)
    assert "cannot be read as utf-8: line 5 holds byte 0xe9" in message and "--encoding latin-1" in message
    assert "--encoding cp1252" in message
    data = prepare(path, encoding="latin-1")
    assert data.info["encoding"] == "latin-1"
    assert "café crème" in [t for split in data.texts for t in data.texts[split]]
    with pytest.raises(OptionError, match="--encoding must name a text encoding"):
        prepare(path, encoding="latin-42")
    with pytest.raises(DataError, match="not a readable CSV file"):  # callers without encoding: unchanged
        read_csv(path)


# --- lengths, arrays, figures -----------------------------------------------------------------


def length_rows(lengths, split="train"):
    return [[" ".join(f"w{j}" for j in range(n)), "a" if i % 2 else "b", split] for i, n in enumerate(lengths)]


def test_default_sequence_length_is_95th_percentile_and_fix_defaults(tmp_path):
    train_lengths = list(range(1, 21))  # p95 = 19.05 -> 20
    rows = length_rows(train_lengths) + length_rows([3, 4], "val") + length_rows([30, 2], "test")
    path = write_rows(tmp_path, ["text", "label", "split"], rows)
    data = prepare(path, split_col="split")
    assert data.default_sequence_length == math.ceil(np.percentile(train_lengths, 95)) == 20
    assert data.info["default_sequence_length"] == 20 and data.sequence_cap == 20
    assert data.info["truncated_texts"] == 1 and data.truncated(20) == {"train": 0, "val": 0, "test": 1}
    fixed = data.fix_defaults(make_space())
    assert fixed.params["sequence_length"].value == 20 and not fixed.params["sequence_length"].tunable
    tuned = make_space(sequence_length=(5, 40))
    assert data.fix_defaults(tuned) is tuned
    wide = prepare(path, split_col="split", space=tuned)
    assert wide.sequence_cap == 40 and wide.tokens["test"].shape == (2, 40)
    assert (wide.tokens["test"][0] > 0).sum() == 30
    assert (wide.inputs("test", {"sequence_length": 5, "max_tokens": 20000}) == wide.tokens["test"][:, :5]).all()


def test_inputs_truncate_and_map_rare_ids(tmp_path):
    rows = length_rows(list(range(1, 21))) + length_rows([3, 4], "val") + length_rows([30, 2], "test")
    path = write_rows(tmp_path, ["text", "label", "split"], rows)
    data = prepare(path, split_col="split", space=make_space(max_tokens=(5, 50), sequence_length=(2, 25)))
    assert data.info["max_tokens"] == 50 and data.encoder.size == 22  # 20 words + padding + OOV
    x = data.inputs("test", {"sequence_length": 8, "max_tokens": 6})
    assert x.dtype == np.int32 and x.shape == (2, 8)
    assert x.max() <= 5 and (x[0] == 1).sum() == 8 - 4  # ids 2..5 kept, larger ones OOV
    assert data.inputs("test", {"sequence_length": None, "max_tokens": None}).shape == (2, data.default_sequence_length)
    with pytest.raises(ValueError):
        data.inputs("test", {"sequence_length": 26, "max_tokens": 50})


def three_class_data(tmp_path, **kwargs) -> TextData:
    rows = [[f"t {c} {i}", c, "train"] for c, n in (("a", 6), ("b", 3), ("c", 3)) for i in range(n)]
    rows += [["v1", "a", "val"], ["v2", "b", "val"], ["v3", "c", "val"], ["v4", "a", "val"]]
    rows += [["s1", "a", "test"], ["s2", "c", "test"]]
    path = write_rows(tmp_path, ["text", "label", "split"], rows)
    return prepare(path, split_col="split", **kwargs)


def test_evaluate_against_hand_computation(tmp_path):
    data = three_class_data(tmp_path)
    assert data.y["val"].tolist() == [0, 1, 2, 0]
    assert data.prior.tolist() == pytest.approx([0.5, 0.25, 0.25])
    outputs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.5, 0.3]])
    figures = data.evaluate("val", outputs, {})
    assert figures["accuracy"] == pytest.approx(0.5)  # rows 1 and 2 right
    ce = -np.mean(np.log([0.7, 0.6, 0.3, 0.2]))
    prior_ce = -np.mean(np.log([0.5, 0.25, 0.25, 0.5]))
    assert figures["cross_entropy"] == pytest.approx(ce)
    assert figures["skill"] == pytest.approx(1 - ce / prior_ce)
    # per-class F1: a: tp1 pred2 true2 -> 0.5; b: tp1 pred2 true1 -> 2/3; c: tp0 pred0 true1 -> 0
    assert figures["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert figures["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert figures["majority_accuracy"] == pytest.approx(0.5) and figures["items"] == 4
    base = data.baselines()
    assert set(base) == {"val", "test"} and base["val"]["prior"]["accuracy"] == pytest.approx(0.5)
    assert base["test"]["prior"]["accuracy"] == pytest.approx(0.5) == data.majority_accuracy("test")
    assert base["val"]["prior"]["cross_entropy"] == pytest.approx(prior_ce)


def test_evaluate_binary_sigmoid_outputs(tmp_path):
    path = write_rows(tmp_path, ["text", "label"], balanced_rows(20))
    data = prepare(path)
    y = data.y["val"]
    outputs = np.where(y == 1, 0.9, 0.2).reshape(-1, 1)
    figures = data.evaluate("val", outputs, {})
    expected = classification_figures(y, np.column_stack([1 - outputs[:, 0], outputs[:, 0]]), data.prior)
    assert figures["accuracy"] == 1.0 and figures["cross_entropy"] == pytest.approx(expected["cross_entropy"])


def test_class_weights(tmp_path):
    assert three_class_data(tmp_path).class_weights() is None
    weights = three_class_data(tmp_path, class_weight="auto").class_weights()
    assert weights == pytest.approx({0: 12 / (3 * 6), 1: 12 / (3 * 3), 2: 12 / (3 * 3)})


def test_objective_from_settings(tmp_path):
    assert three_class_data(tmp_path).objective == CLASSIFICATION_OBJECTIVES["cross_entropy"]
    data = three_class_data(tmp_path, objective="macro_f1")
    assert data.objective.name == "val_macro_f1" and data.objective.direction == "max"


def test_state_and_encode_frame_for_prediction(tmp_path):
    data = prepare(ROTTEN, target="category", space=make_space(max_tokens=(100, 500), sequence_length=(10, 30)))
    values = {"max_tokens": 200, "sequence_length": 12}
    state = json.loads(json.dumps(data.state(values)))
    assert state["sequence_length"] == 12 and state["max_tokens"] == 200
    assert state["text_col"] == "text" and state["target"] == "category" and state["encoding"] == "utf-8"
    assert state["labels"] == ["fresh", "rotten"] and len(state["vocabulary"]) == 500
    frame = pd.DataFrame({"text": list(data.texts["test"]), "other": 1})
    inputs, index = encode_frame(state, frame, "new.csv")
    assert (inputs == data.inputs("test", values)).all() and list(index) == list(frame.index)
    # A row without words is skipped (its position left out), or refused with strict; no text at all is refused.
    inputs, kept = encode_frame(state, pd.DataFrame({"text": ["fine", "  ", "...", "good fun"]}), "new.csv")
    assert kept.tolist() == [0, 3] and len(inputs) == 2
    with pytest.raises(
        DataError, match=r"new.csv: every row needs a text to predict \(--strict\), but row 2 of column 'text' is empty"
    ):
        encode_frame(state, pd.DataFrame({"text": ["fine", "  "]}), "new.csv", strict=True)
    with pytest.raises(DataError, match=r"new.csv: no row of column 'text' holds a word: there is no text to predict"):
        encode_frame(state, pd.DataFrame({"text": ["", "  "]}), "new.csv")
    with pytest.raises(
        DataError,
        match=r"new.csv: the model reads texts from column 'text', which is not a column \(did you mean 'texts'\?\)",
    ):
        encode_frame(state, pd.DataFrame({"texts": ["fine"]}), "new.csv")


def test_manifest_data(tmp_path):
    data = three_class_data(tmp_path, class_weight="auto")
    manifest = json.loads(json.dumps(data.manifest_data()))
    assert manifest["text_col"] == "text" and manifest["target"] == "label" and manifest["split_col"] == "split"
    assert manifest["labels"] == ["a", "b", "c"]
    assert manifest["class_counts"]["train"] == {"a": 6, "b": 3, "c": 3}
    assert manifest["rows"]["split_rows"] == {"train": 12, "val": 4, "test": 2}
    assert manifest["settings"] == {"split": [0.7, 0.15, 0.15], "objective": "cross_entropy", "class_weight": "auto"}
    assert manifest["vocabulary_size"] == data.encoder.size and manifest["embeddings"] is None


# --- embeddings -------------------------------------------------------------------------------


def test_read_vectors_glove_and_word2vec(tmp_path):
    vocabulary = ["", "[UNK]", "good", "film", "bad", "unseen"]
    glove = tmp_path / "glove.txt"
    glove.write_text("good 0.1 0.2 0.3\nother 9 9 9\nfilm -1 0 1\nBad 5 5 5\nbad 0.5 0.5 0.5\n", encoding="utf-8")
    matrix, found = read_vectors(glove, vocabulary)
    assert matrix.dtype == np.float32 and matrix.shape == (6, 3) and found == 3
    assert (matrix[0] == 0).all()
    assert matrix[2].tolist() == pytest.approx([0.1, 0.2, 0.3]) and matrix[4].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert np.abs(matrix[5]).sum() > 0  # random row for a word not in the file
    again, _ = read_vectors(glove, vocabulary)
    assert (again == matrix).all()  # fixed seed
    w2v = tmp_path / "w2v.txt"
    w2v.write_text("3 2\nGood 1 2\nfilm 3 4 \nx 0 0\n", encoding="utf-8")
    matrix, found = read_vectors(w2v, vocabulary)
    assert matrix.shape == (6, 2) and found == 2 and matrix[2].tolist() == [1, 2] and matrix[3].tolist() == [3, 4]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("good 1 2 3\nfilm 1 2\n", "--embeddings line 2 has 2 values after the word, but line 1 has 3"),
        ("3 2\ngood 1 2\nfilm 1\n", "--embeddings line 3 has 1 value after the word, but the header says 2"),
        ("good 1 2\nfilm 1 x\n", "--embeddings line 2 must hold numbers after the word 'film', but holds 'x'"),
        ("", "--embeddings holds no vectors"),
        ("5 3\n", "--embeddings holds no vectors"),
        ("other 1 2\nwords 1 2\n", "--embeddings holds none of the 2 vocabulary words"),
    ],
)
def test_read_vectors_errors(tmp_path, text, expected):
    path = tmp_path / "vectors.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_vectors(path, ["", "[UNK]", "good", "film"])
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value)


def test_read_vectors_missing_and_binary_file(tmp_path):
    with pytest.raises(DataError, match="--embeddings file not found"):
        read_vectors(tmp_path / "nope.txt", ["", "[UNK]", "a"])
    binary = tmp_path / "vectors.bin"
    binary.write_bytes(b"2 3\ngood \xff\xfe\x00\x01\n")
    with pytest.raises(DataError, match="line 2 is not UTF-8 text"):
        read_vectors(binary, ["", "[UNK]", "good"])


def test_embeddings_in_text_data(tmp_path):
    vectors = tmp_path / "glove.txt"
    vectors.write_text("text 1 0\nneg 0 1\npos 1 1\nunrelated 2 2\n", encoding="utf-8")
    path = write_rows(tmp_path, ["text", "label"], balanced_rows(20))
    data = prepare(path, embeddings=vectors)
    matrix, found = data.embedding_matrix()
    assert matrix.shape == (data.encoder.size, 2) and found == 3
    assert matrix[data.encoder.index["pos"]].tolist() == [1, 1]
    assert data.info["embedding_dim"] == 2 and data.info["embeddings_found"] == 3
    words = data.encoder.size - 2
    assert f"embeddings: 3 of {words} vocabulary words found (2 dimensions)" in data.summary()
    assert prepare(path).embedding_matrix() is None


# --- settings and specs -----------------------------------------------------------------------


def test_settings_rules_and_specs():
    assert DATA_RULES["objective"]("Accuracy") == "accuracy"
    assert DATA_RULES["class_weight"]("auto") == "auto"
    assert DATA_RULES["split"]("0.8,0.1,0.1") == (0.8, 0.1, 0.1)
    with pytest.raises(ValueError, match="must be one of cross_entropy, accuracy, macro_f1, but got 'f1'"):
        DATA_RULES["objective"]("f1")
    with pytest.raises(ValueError, match="must be one of none, auto"):
        DATA_RULES["class_weight"]("balanced")
    assert set(CLASSIFICATION_OBJECTIVES) == {"cross_entropy", "accuracy", "macro_f1"}
    assert CLASSIFICATION_OBJECTIVES["cross_entropy"].direction == "min"
    assert TEXT_SPECS["max_tokens"].default == 20000 and not TEXT_SPECS["max_tokens"].valid.accepts(1)
    assert TEXT_SPECS["sequence_length"].default is None and TEXT_SPECS["sequence_length"].valid.accepts(1)
    assert TEXT_SPECS["embedding_dropout"].valid.accepts(0.0) and not TEXT_SPECS["embedding_dropout"].valid.accepts(1.0)
    assert TEXT_SPECS["embedding_trainable"].default is True and TEXT_SPECS["embedding_dim"].default == 64
    assert all(spec.help for spec in TEXT_SPECS.values())
    assert text_settings.TextSettings() == TextSettings((0.7, 0.15, 0.15), "cross_entropy", "none")
