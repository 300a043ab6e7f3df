"""Fast tests of the sequence task's data layer: settings, encoder and prepare_sequences (no TensorFlow)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.base import DataRequest, Prepared
from lstmtune.tasks.scoring import CLASSIFICATION_OBJECTIVES
from lstmtune.tasks.sequence.columns import identifier_reason, looks_like_id_name
from lstmtune.tasks.sequence.data import SequenceData, prepare_sequences
from lstmtune.tasks.sequence.encoder import SequenceEncoder, natural_key
from lstmtune.tasks.sequence.settings import DATA_RULES, REGRESSION_OBJECTIVES, SequenceSettings, objective_for
from lstmtune.tasks.sequence.targets import problem_rule

DATA = Path(__file__).resolve().parent / "data"
VOWELS = DATA / "japanese_vowels_120.csv"
GUNPOINT = DATA / "gunpoint_60.csv"
SPLITS = ("train", "val", "test")
COLUMN_KEYS = ("target", "id_col", "order_col", "split_col", "group_col", "features")
SETTING_KEYS = ("split", "problem", "objective", "class_weight", "max_length", "stride", "scale")


# --- helpers ---------------------------------------------------------------------------------


def prepare(path: Path, wide: bool = False, seed: int = 42, **kwargs) -> SequenceData:
    """prepare_sequences with column flags (target=..., id_col=...) and settings (stride=...) as keywords."""
    columns = {k: kwargs.pop(k) for k in COLUMN_KEYS if k in kwargs}
    settings = SequenceSettings(**{k: kwargs.pop(k) for k in SETTING_KEYS if k in kwargs})
    assert not kwargs, kwargs
    return prepare_sequences(DataRequest(Path(path), columns, {"wide": wide}, settings, seed), None)


def error(path: Path, kind: type = DataError, **kwargs) -> str:
    with pytest.raises(kind) as caught:
        prepare(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    if kind is DataError:
        assert str(path) in message  # every data error names the file
    return message


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def long_frame(sequences: dict, features=("a", "b"), extra: dict | None = None) -> pd.DataFrame:
    """{id: (label, [[a, b], ...])} -> one row per step: id, t, features..., label (+ extra per-sequence columns)."""
    rows = []
    for sid, (label, steps) in sequences.items():
        for t, step in enumerate(steps):
            row = {"id": sid, "t": t, **dict(zip(features, step)), "label": label}
            for name, values in (extra or {}).items():
                row[name] = values[sid]
            rows.append(row)
    return pd.DataFrame(rows)


def many(classes=("a", "b", "c"), per_class=10, seed=0, length=(3, 6), **extra) -> dict:
    """Sequences s1, s2, ... of random lengths and values, `per_class` for each class."""
    rng = np.random.default_rng(seed)
    out, n = {}, 0
    for label in classes:
        for _ in range(per_class):
            n += 1
            steps = rng.normal(size=(int(rng.integers(length[0], length[1] + 1)), 2)).round(4).tolist()
            out[f"s{n}"] = (label, steps)
    return out


def many_csv(tmp_path: Path, name: str = "data.csv", **kwargs) -> Path:
    return write(tmp_path, long_frame(many(**kwargs)), name)


def all_ids(data: SequenceData) -> dict[str, set]:
    return {s: set(data.ids[s].tolist()) for s in SPLITS}


# --- real subsamples -------------------------------------------------------------------------


def test_long_reading_japanese_vowels():
    data = prepare(VOWELS, target="label", id_col="case_id", order_col="t", split_col="split")
    assert isinstance(data, Prepared)
    info = data.info
    assert info["format"] == "long" and info["rows"] == 1899 and info["sequences"] == 120
    assert data.features == [f"lpc{i}" for i in range(12)] and data.n_features == 12
    assert data.problem == "classification" and data.n_classes == 9 and data.labels == list(range(1, 10))
    assert info["lengths_read"] == {"min": 10, "median": 16.0, "max": 29} and data.max_length == 29
    frame = pd.read_csv(VOWELS)
    lengths = frame.groupby("case_id").size()
    for split in SPLITS:
        x, mask = data.inputs(split, {})
        assert x.dtype == np.float32 and mask.dtype == bool and x.shape == (len(data.ids[split]), 29, 12)
        assert mask.sum(axis=1).tolist() == [lengths[i] for i in data.ids[split]]
        assert data.y[split].dtype == np.int64
        labels = frame.groupby("case_id")["label"].first()
        assert [data.labels[k] for k in data.y[split]] == [labels[i] for i in data.ids[split]]
    # TEST utterances are the test split; validation comes out of TRAIN.
    assert all_ids(data)["test"] == set(frame.loc[frame.split == "TEST", "case_id"])
    assert all(i.startswith("TRAIN") for i in data.ids["val"])
    assert "split" not in info["ignored_columns"]  # a role column is not "ignored"


def test_wide_reading_gunpoint():
    data = prepare(GUNPOINT, wide=True, target="label", split_col="split", scale="none")
    assert data.info["split_like_columns"] == [] and data.info["ignored_columns"] == []
    frame = pd.read_csv(GUNPOINT)
    assert data.info["format"] == "wide" and data.info["sequences"] == 60
    assert data.features == [f"t{i}" for i in range(150)] and data.n_features == 1 and data.max_length == 150
    assert data.labels == [1, 2]
    assert (
        data.info["split_counts"]["test"] == 45
        and data.info["split_counts"]["train"] + data.info["split_counts"]["val"] == 15
    )
    # ids are data rows (1 = the first after the header), as in predictions; with scale none the inputs
    # are the CSV's values.
    x, mask = data.inputs("test", {})
    first = int(data.ids["test"][0])
    np.testing.assert_allclose(
        x[0, :, 0], frame.loc[first - 1, [f"t{i}" for i in range(150)]].to_numpy(float), rtol=1e-6
    )
    assert mask.all()


def test_no_sequence_in_two_splits_and_all_used():
    data = prepare(VOWELS, target="label", id_col="case_id", order_col="t")
    ids = all_ids(data)
    assert not (ids["train"] & ids["val"]) and not (ids["train"] & ids["test"]) and not (ids["val"] & ids["test"])
    assert len(ids["train"] | ids["val"] | ids["test"]) == 120
    assert sum(len(v) for v in ids.values()) == 120
    assert "t" not in data.features


def test_same_seed_same_splits_other_seed_other_splits():
    a = prepare(VOWELS, target="label", id_col="case_id", order_col="t", seed=1)
    b = prepare(VOWELS, target="label", id_col="case_id", order_col="t", seed=1)
    c = prepare(VOWELS, target="label", id_col="case_id", order_col="t", seed=2)
    assert all_ids(a) == all_ids(b) and all_ids(a) != all_ids(c)


# --- long format: order, padding, stride, max_length -----------------------------------------


def test_shuffled_rows_give_the_same_arrays(tmp_path):
    frame = long_frame(many(seed=3))
    ordered = write(tmp_path, frame, "ordered.csv")
    shuffled = write(tmp_path, frame.sample(frac=1.0, random_state=7), "shuffled.csv")
    a = prepare(ordered, target="label", id_col="id", order_col="t")
    b = prepare(shuffled, target="label", id_col="id", order_col="t")
    for split in SPLITS:
        assert a.ids[split].tolist() == b.ids[split].tolist()
        np.testing.assert_array_equal(a.inputs(split, {})[0], b.inputs(split, {})[0])
        np.testing.assert_array_equal(a.inputs(split, {})[1], b.inputs(split, {})[1])
        np.testing.assert_array_equal(a.y[split], b.y[split])


def test_order_col_orders_steps_and_file_order_without_it(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["p", "p", "p", "q", "q", "r", "r", "s", "s"],
            "t": [3, 1, 2, 2, 1, 1, 2, 1, 2],
            "a": [30.0, 10.0, 20.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0],
            "label": [0.5, 0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5],
            "split": ["train", "train", "train", "train", "train", "val", "val", "test", "test"],
        }
    )
    path = write(tmp_path, frame)
    ordered = prepare(
        path, target="label", id_col="id", order_col="t", split_col="split", features=("a",), scale="none"
    )
    x, _ = ordered.inputs("train", {})
    assert ordered.ids["train"].tolist() == ["p", "q"]
    assert x[0, :, 0].tolist() == [10.0, 20.0, 30.0] and x[1, :2, 0].tolist() == [1.0, 2.0]
    unordered = prepare(path, target="label", id_col="id", split_col="split", features=("a",), scale="none")
    assert unordered.inputs("train", {})[0][0, :, 0].tolist() == [30.0, 10.0, 20.0]


def test_order_col_with_dates(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["p"] * 3 + ["q"] * 2 + ["r"] * 2 + ["s"] * 2,
            "when": [
                "2024-01-03",
                "2024-01-01",
                "2024-01-02",
                "2024-02-02",
                "2024-02-01",
                "2024-03-01",
                "2024-03-02",
                "2024-04-01",
                "2024-04-02",
            ],
            "a": [3.0, 1.0, 2.0, 20.0, 10.0, 1.0, 1.0, 1.0, 1.0],
            "y": [0.5, 0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5],
            "split": ["train"] * 5 + ["val"] * 2 + ["test"] * 2,
        }
    )
    data = prepare(write(tmp_path, frame), target="y", id_col="id", order_col="when", split_col="split", scale="none")
    x, _ = data.inputs("train", {})
    assert x[0, :, 0].tolist() == [1.0, 2.0, 3.0] and x[1, :2, 0].tolist() == [10.0, 20.0]
    assert data.info["order_format"] == "ISO8601"


def test_ids_sort_naturally():
    assert sorted(["s10", "s2", "s1", "a"], key=natural_key) == ["a", "s1", "s2", "s10"]
    assert sorted([10, 2, 1], key=natural_key) == [1, 2, 10]


def test_padding_at_the_end_with_mask(tmp_path):
    sequences = {
        f"s{i}": ("a" if i % 2 else "b", [[i + 0.5, float(j)] for j in range(1 + i % 4)]) for i in range(1, 13)
    }
    data = prepare(write(tmp_path, long_frame(sequences)), target="label", id_col="id", order_col="t", scale="none")
    assert data.max_length == 4
    for split in SPLITS:
        x, mask = data.inputs(split, {})
        for row, sid in enumerate(data.ids[split]):
            steps = np.array(sequences[sid][1])
            k = len(steps)
            assert mask[row].tolist() == [True] * k + [False] * (4 - k)
            np.testing.assert_array_equal(x[row, :k], steps)
            assert not x[row, k:].any()


def test_stride_and_max_length(tmp_path):
    # s1: 10 steps 0..9, s2: 5 steps, others 3 steps
    sequences = {"s1": ("a", [[float(v), 0.0] for v in range(10)]), "s2": ("a", [[float(v), 0.0] for v in range(5)])}
    sequences.update({f"s{i}": ("a" if i % 2 else "b", [[1.0, 1.0]] * 3) for i in range(3, 13)})
    path = write(tmp_path, long_frame(sequences))
    strided = prepare(path, target="label", id_col="id", order_col="t", stride=2, scale="none", split=(0.5, 0.25, 0.25))
    assert strided.info["lengths_read"]["max"] == 10 and strided.info["lengths_used"]["max"] == 5
    assert strided.max_length == 5 and strided.info["truncated"] == 0
    capped = prepare(
        path, target="label", id_col="id", order_col="t", stride=2, max_length=3, scale="none", split=(0.5, 0.25, 0.25)
    )
    assert capped.max_length == 3 and capped.info["truncated"] == 1  # s1 (5 kept steps); s2 keeps 3
    assert capped.info["lengths_used"] == {"min": 2, "median": 2.0, "max": 3}
    split = next(s for s in SPLITS if "s1" in capped.ids[s])
    row = capped.ids[split].tolist().index("s1")
    assert capped.inputs(split, {})[0][row, :, 0].tolist() == [0.0, 2.0, 4.0]  # the FIRST steps, every 2nd
    summary = capped.summary()
    assert "--stride 2" in summary and "--max-length 3" in summary and "1 truncated" in summary
    assert "\n" not in summary


# --- scaling ---------------------------------------------------------------------------------


def scaling_csv(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "id": ["s1", "s1", "s1", "s2", "s3", "s3", "s4", "s4"],
            "a": [1.0, 2.0, 3.0, 5.0, 100.0, 200.0, 7.0, 8.0],
            "b": [10.0, 10.0, 10.0, 30.0, 0.0, 0.0, 0.0, 0.0],
            "y": [1.25, 1.25, 1.25, 2.5, 3.75, 3.75, 4.5, 4.5],
            "split": ["train"] * 4 + ["val"] * 2 + ["test"] * 2,
        }
    )
    return write(tmp_path, frame)


def test_standard_scaling_on_train_real_steps_only(tmp_path):
    data = prepare(scaling_csv(tmp_path), target="y", id_col="id", split_col="split")
    # Train real steps: a = 1, 2, 3, 5 (s2 is padded with two zeros, which must not count); b = 10, 10, 10, 30.
    mean_a, std_a = 2.75, math.sqrt((1.75**2 + 0.75**2 + 0.25**2 + 2.25**2) / 4)
    mean_b, std_b = 15.0, math.sqrt((3 * 5.0**2 + 15.0**2) / 4)
    x, mask = data.inputs("train", {})
    np.testing.assert_allclose(x[0, :, 0], (np.array([1, 2, 3]) - mean_a) / std_a, rtol=1e-6)
    np.testing.assert_allclose(x[1, :, 0], [(5 - mean_a) / std_a, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(x[1, 0, 1], (30 - mean_b) / std_b, rtol=1e-6)
    assert mask[1].tolist() == [True, False, False]
    val_x, _ = data.inputs("val", {})
    np.testing.assert_allclose(val_x[0, :2, 0], (np.array([100, 200]) - mean_a) / std_a, rtol=1e-6)


def test_minmax_and_no_scaling(tmp_path):
    path = scaling_csv(tmp_path)
    data = prepare(path, target="y", id_col="id", split_col="split", scale="minmax")
    np.testing.assert_allclose(data.inputs("val", {})[0][0, :2, 0], [(100 - 1) / 4, (200 - 1) / 4], rtol=1e-6)
    np.testing.assert_allclose(data.inputs("train", {})[0][:, 0, 1], [0.0, 1.0])
    raw = prepare(path, target="y", id_col="id", split_col="split", scale="none")
    assert raw.inputs("test", {})[0][0, :, 0].tolist() == [7.0, 8.0, 0.0]


# --- splits ----------------------------------------------------------------------------------


def test_stratified_assignment(tmp_path):
    data = prepare(many_csv(tmp_path, per_class=20), target="label", id_col="id", order_col="t")
    counts = data.info["class_counts"]
    assert counts == {
        "train": {"a": 14, "b": 14, "c": 14},
        "val": {"a": 3, "b": 3, "c": 3},
        "test": {"a": 3, "b": 3, "c": 3},
    }
    assert "stratified" in data.info["splits_from"]


def test_group_col_keeps_groups_whole(tmp_path):
    sequences = many(per_class=20, seed=5)
    subject = {sid: f"subj{int(sid[1:]) % 20}" for sid in sequences}
    frame = long_frame(sequences, extra={"subject": subject})
    data = prepare(write(tmp_path, frame), target="label", id_col="id", order_col="t", group_col="subject")
    where = {}
    for split in SPLITS:
        for sid in data.ids[split]:
            assert where.setdefault(subject[sid], split) == split
    assert len(set(where.values())) == 3 and "subject" not in data.features


@pytest.mark.parametrize(
    "train, val, test", [("Train", "VALID", "tEsT"), ("training", "dev", "TESTING"), ("train", "Validation", "test")]
)
def test_split_col_names_any_case(tmp_path, train, val, test):
    sequences = many(per_class=6)
    names = {sid: (train, train, train, val, test, test)[i % 6] for i, sid in enumerate(sequences)}
    frame = long_frame(sequences, extra={"part": names})
    data = prepare(write(tmp_path, frame), target="label", id_col="id", order_col="t", split_col="part")
    wanted = {"train": train, "val": val, "test": test}
    for split in SPLITS:
        assert {names[s] for s in data.ids[split]} == {wanted[split]}
    assert "part" not in data.info["ignored_columns"]


def test_split_col_train_test_carves_validation_from_train():
    data = prepare(VOWELS, target="label", id_col="case_id", order_col="t", split_col="split")
    frame = pd.read_csv(VOWELS)
    train_ids = set(frame.loc[frame.split == "TRAIN", "case_id"])
    ids = all_ids(data)
    assert ids["train"] | ids["val"] == train_ids and not ids["train"] & ids["val"]
    fraction = 0.15 / 0.85
    assert abs(len(ids["val"]) - fraction * len(train_ids)) <= 9  # one rounding per class
    assert all(c == 1 for c in data.info["class_counts"]["val"].values())  # stratified: every class
    assert "carved" in data.info["splits_from"]


def test_carving_keeps_groups_whole(tmp_path):
    sequences = many(per_class=12, seed=2)
    subject = {sid: f"g{int(sid[1:]) % 12}" for sid in sequences}
    part = {sid: ("test" if int(subject[sid][1:]) < 3 else "train") for sid in sequences}
    frame = long_frame(sequences, extra={"subject": subject, "part": part})
    data = prepare(
        write(tmp_path, frame), target="label", id_col="id", order_col="t", split_col="part", group_col="subject"
    )
    where = {}
    for split in SPLITS:
        for sid in data.ids[split]:
            assert where.setdefault(subject[sid], split) == split
    assert {subject[s] for s in data.ids["test"]} == {"g0", "g1", "g2"}


# --- problem detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, problem",
    [
        (["x", "y"] * 10, "classification"),
        ([True, False] * 10, "classification"),
        ([1, 2, 3, 4] * 5, "classification"),
        ([0, 1, 1], "classification"),  # a 2-value integer target is a class even with few sequences
        ([0.5, 1.5] * 10, "regression"),
        (list(range(20)), "regression"),  # as many values as sequences
        (list(range(25)) * 4, "regression"),  # more than 20 values
        ([1, 2, 3, 4, 5, 6] * 2, "regression"),  # 6 values over 12 sequences: not fewer than half
    ],
)
def test_problem_rule(values, problem):
    assert problem_rule(pd.Series(values), len(values))[0] == problem


def test_problem_auto_and_override(tmp_path):
    sequences = many(classes=(1, 2, 3), per_class=10)
    path = write(tmp_path, long_frame(sequences))
    auto = prepare(path, target="label", id_col="id", order_col="t")
    assert auto.problem == "classification" and auto.info["problem_source"] == "auto"
    assert "--problem regression to override" in auto.summary()
    forced = prepare(path, target="label", id_col="id", order_col="t", problem="regression")
    assert forced.problem == "regression" and forced.n_classes == 0 and forced.y["train"].dtype == np.float32
    assert forced.objective == REGRESSION_OBJECTIVES["mse"] and "override" not in forced.summary()


def test_float_target_is_regression_with_text_labels_classification(tmp_path):
    sequences = {sid: (float(i) / 3, steps) for i, (sid, (_, steps)) in enumerate(many(per_class=5).items())}
    data = prepare(write(tmp_path, long_frame(sequences)), target="label", id_col="id", order_col="t")
    assert data.problem == "regression" and "non-integer" in data.info["problem_reason"]
    text = prepare(many_csv(tmp_path, name="t.csv"), target="label", id_col="id", order_col="t")
    assert text.problem == "classification" and text.labels == ["a", "b", "c"]


def test_integer_labels_sort_numerically(tmp_path):
    data = prepare(many_csv(tmp_path, classes=(10, 9, 100)), target="label", id_col="id", order_col="t")
    assert data.labels == [9, 10, 100]


# --- regression figures ----------------------------------------------------------------------


def regression_csv(tmp_path: Path) -> Path:
    targets = {"r1": 1.5, "r2": 2.5, "r3": 3.5, "v1": 0.5, "v2": 4.5, "w1": 2.0, "w2": 5.0}
    part = {"r": "train", "v": "val", "w": "test"}
    rows = [
        {"id": sid, "a": float(k) + 0.5, "y": value, "split": part[sid[0]]}
        for sid, value in targets.items()
        for k in range(2)
    ]
    return write(tmp_path, pd.DataFrame(rows))


def test_regression_target_scaling_baseline_and_evaluate(tmp_path):
    data = prepare(regression_csv(tmp_path), target="y", id_col="id", split_col="split")
    mean, std = 2.5, math.sqrt(2 / 3)  # train targets 1.5, 2.5, 3.5
    assert data.encoder.train_mean == pytest.approx(mean)
    np.testing.assert_allclose(data.y["train"], [-1 / std, 0.0, 1 / std], rtol=1e-6)
    np.testing.assert_allclose(data.y["test"], [(2.0 - mean) / std, (5.0 - mean) / std], rtol=1e-6)
    figures = data.evaluate("test", np.array([[0.0], [1.0]]), {})
    truth, prediction = np.array([2.0, 5.0]), np.array([2.5, 2.5 + std])
    rmse = math.sqrt(((prediction - truth) ** 2).mean())
    naive = math.sqrt(((2.5 - truth) ** 2).mean())  # sqrt((0.25 + 6.25) / 2)
    assert figures["rmse"] == pytest.approx(rmse)
    assert figures["mae"] == pytest.approx((0.5 + abs(2.5 + std - 5.0)) / 2)
    assert figures["skill"] == pytest.approx(1 - rmse / naive) and figures["items"] == 2
    baseline = data.baselines()["val"]["mean"]
    assert baseline["rmse"] == pytest.approx(2.0) and baseline["skill"] == pytest.approx(0.0)
    assert set(data.baselines()) == {"val", "test"}
    assert data.class_weights() is None


# --- classification figures ------------------------------------------------------------------


def classification_csv(tmp_path: Path) -> Path:
    labels = {
        "r1": "a",
        "r2": "a",
        "r3": "a",
        "r4": "a",
        "r5": "b",
        "r6": "b",
        "r7": "c",
        "r8": "c",
        "v1": "a",
        "v2": "b",
        "v3": "c",
        "w1": "a",
        "w2": "b",
        "w3": "c",
    }
    part = {"r": "train", "v": "val", "w": "test"}
    rows = [
        {"id": sid, "a": float(k + i) + 0.5, "label": label, "split": part[sid[0]]}
        for i, (sid, label) in enumerate(labels.items())
        for k in range(2)
    ]
    return write(tmp_path, pd.DataFrame(rows))


def test_classification_evaluate_by_hand(tmp_path):
    data = prepare(classification_csv(tmp_path), target="label", id_col="id", split_col="split")
    assert data.labels == ["a", "b", "c"] and data.y["val"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(data.prior, [0.5, 0.25, 0.25])
    outputs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6]])
    figures = data.evaluate("val", outputs, {})
    ce = -(math.log(0.7) + math.log(0.3) + math.log(0.6)) / 3
    prior_ce = -(math.log(0.5) + 2 * math.log(0.25)) / 3
    assert figures["accuracy"] == pytest.approx(2 / 3)
    assert figures["cross_entropy"] == pytest.approx(ce)
    assert figures["skill"] == pytest.approx(1 - ce / prior_ce)
    assert figures["macro_f1"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert figures["majority_accuracy"] == pytest.approx(1 / 3)
    assert figures["confusion_matrix"] == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    prior = data.baselines()["test"]["prior"]
    assert prior["accuracy"] == pytest.approx(1 / 3) and prior["cross_entropy"] == pytest.approx(prior_ce)
    with pytest.raises(ValueError):
        data.evaluate("val", outputs[:2], {})


def test_binary_sigmoid_outputs(tmp_path):
    data = prepare(many_csv(tmp_path, classes=("no", "yes")), target="label", id_col="id", order_col="t")
    n = len(data.y["test"])
    figures = data.evaluate("test", data.y["test"].astype(float).reshape(n, 1), {})
    assert figures["accuracy"] == 1.0 and figures["skill"] > 0.9


def test_class_weights_balanced(tmp_path):
    sequences = many(classes=("a",), per_class=20)
    sequences.update(
        {f"t{i}": ("b", steps) for i, (_, steps) in enumerate(many(classes=("b",), per_class=10).values())}
    )
    data = prepare(
        write(tmp_path, long_frame(sequences)), target="label", id_col="id", order_col="t", class_weight="auto"
    )
    counts = np.bincount(data.y["train"])
    n = counts.sum()
    assert data.class_weights() == {0: pytest.approx(n / (2 * counts[0])), 1: pytest.approx(n / (2 * counts[1]))}
    assert (
        prepare(
            write(tmp_path, long_frame(sequences), "b.csv"), target="label", id_col="id", order_col="t"
        ).class_weights()
        is None
    )


# --- identifier columns ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, looks",
    [
        ("case_id", True),
        ("subjectId", True),
        ("SPEAKER", True),
        ("userid", True),
        ("patient", True),
        ("ID", True),
        ("humidity", False),
        ("valid", False),
        ("t", False),
        ("lpc0", False),
        ("width", False),
        ("solid", False),
    ],
)
def test_looks_like_id_name(name, looks):
    assert looks_like_id_name(name) is looks


def test_identifier_reason_rule():
    sequence = np.repeat(np.arange(4), 3)
    assert "every sequence" in identifier_reason("code", np.repeat([7.0, 3.0, 9.0, 1.0], 3), sequence, 4)
    assert "named like an identifier" in identifier_reason("subject", np.repeat([1.0, 1.0, 2.0, 2.0], 3), sequence, 4)
    assert "consecutive" in identifier_reason("row", np.arange(12.0) + 5, sequence, 4)
    assert "every row" in identifier_reason("key", np.array([3.0, 9, 1, 4, 8, 2, 7, 0, 6, 5, 11, 10]), sequence, 4)
    assert identifier_reason("age", np.repeat([30.0, 30.0, 41.0, 41.0], 3), sequence, 4) is None  # shared values
    assert identifier_reason("code", np.repeat([0.5, 1.5, 2.5, 3.5], 3), sequence, 4) is None  # not integers
    assert identifier_reason("subject", np.tile([1.0, 2.0, 3.0], 4), sequence, 4) is None  # varies within sequences
    assert identifier_reason("sample_id", np.array([5.0, 9.0, 2.0]), None, 3) is not None  # wide: by name
    assert identifier_reason("t3", np.array([5.0, 9.0, 2.0]), None, 3) is None


def test_identifier_column_is_refused_with_a_hint(tmp_path):
    sequences = many(per_class=10)
    subject = {sid: 1 + int(sid[1:]) % 10 for sid in sequences}
    path = write(tmp_path, long_frame(sequences, extra={"subject": subject}))
    message = error(path, target="label", id_col="id", order_col="t")
    assert "column 'subject'" in message and "--features" in message and "--group-col subject" in message
    assert "subject" not in prepare(path, target="label", id_col="id", order_col="t", group_col="subject").features
    assert prepare(path, target="label", id_col="id", order_col="t", features=("a", "b")).features == ["a", "b"]


def test_one_value_per_sequence_column_is_refused(tmp_path):
    sequences = many(per_class=6)
    code = {sid: 1000 + 7 * int(sid[1:]) for sid in sequences}
    message = error(
        write(tmp_path, long_frame(sequences, extra={"code": code})), target="label", id_col="id", order_col="t"
    )
    assert "column 'code' holds a different integer for every sequence" in message


def test_row_counter_and_wide_id_column_are_refused(tmp_path):
    frame = long_frame(many(per_class=6))
    frame["row"] = np.arange(len(frame))
    assert "column 'row' holds consecutive integers" in error(
        write(tmp_path, frame), target="label", id_col="id", order_col="t"
    )
    wide = pd.read_csv(GUNPOINT)
    wide = pd.concat([pd.DataFrame({"sample_id": np.arange(len(wide)) * 3 + 11}), wide], axis=1)
    message = error(write(tmp_path, wide, "wide.csv"), wide=True, target="label", split_col="split")
    assert "column 'sample_id'" in message and "--id-col sample_id" in message
    data = prepare(write(tmp_path, wide, "wide.csv"), wide=True, target="label", id_col="sample_id")
    assert "sample_id" not in data.features and data.ids["test"][0] % 3 == 2
    assert data.info["split_like_columns"] == ["split"] and "pass --split-col split" in data.summary()


def test_step_counter_column_is_refused_in_any_row_order(tmp_path):
    """A column of consecutive integers within every sequence orders the steps: taken as a feature it
    would leave the steps in file order, wrong for shuffled rows."""
    frame = long_frame(many())
    for name, rows in (("sorted.csv", frame), ("shuffled.csv", frame.sample(frac=1.0, random_state=0))):
        message = error(write(tmp_path, rows, name), target="label", id_col="id")
        assert "column 't' looks like the step order" in message and "pass --order-col t" in message
    data = prepare(write(tmp_path, frame, "chosen.csv"), target="label", id_col="id", features=("t", "a"))
    assert data.features == ["t", "a"]


def test_saved_index_and_text_columns_are_ignored_booleans_used(tmp_path):
    frame = long_frame(many(per_class=10)).assign(note="x", flag=lambda f: f["a"] > 0)
    path = tmp_path / "indexed.csv"
    frame.to_csv(path, index=True)  # a saved pandas index: "Unnamed: 0"
    data = prepare(path, target="label", id_col="id", order_col="t")
    assert data.features == ["a", "b", "flag"] and data.info["ignored_columns"] == ["Unnamed: 0", "note"]
    assert "ignored Unnamed: 0, note" in data.summary()


# --- encoder: state round trip, new data, decode ---------------------------------------------


def test_state_round_trip_reproduces_the_arrays():
    data = prepare(VOWELS, target="label", id_col="case_id", order_col="t", split_col="split", stride=2, max_length=9)
    state = json.loads(json.dumps(data.state({})))
    assert state == {**data.encoder.to_state(), "encoding": None}
    encoder = SequenceEncoder.from_state(state)
    x, mask, ids, _ = encoder.encode_frame(pd.read_csv(VOWELS), "vowels.csv")
    position = {sid: i for i, sid in enumerate(ids)}
    for split in SPLITS:
        rows = [position[s] for s in data.ids[split]]
        np.testing.assert_array_equal(x[rows], data.inputs(split, {})[0])
        np.testing.assert_array_equal(mask[rows], data.inputs(split, {})[1])
    with pytest.raises(ValueError):
        SequenceEncoder.from_state({"format": "long"})


def test_wide_state_round_trip():
    data = prepare(GUNPOINT, wide=True, target="label", split_col="split", scale="minmax")
    encoder = SequenceEncoder.from_state(json.loads(json.dumps(data.state({}))))
    x, mask, ids, _ = encoder.encode_frame(pd.read_csv(GUNPOINT).drop(columns=["label", "split"]), "g.csv")
    position = {sid: i for i, sid in enumerate(ids)}
    rows = [position[s] for s in data.ids["val"]]
    np.testing.assert_array_equal(x[rows], data.inputs("val", {})[0])


def test_encode_frame_on_new_data_and_decode(tmp_path):
    data = prepare(
        many_csv(tmp_path, classes=(3, 1, 2), length=(2, 4)), target="label", id_col="id", order_col="t", max_length=3
    )
    assert data.max_length == 3
    encoder = SequenceEncoder.from_state(json.loads(json.dumps(data.state({}))))
    new = pd.DataFrame(
        {
            "t": [4, 0, 1, 2, 3, 0, 1],
            "id": ["long"] * 5 + ["short"] * 2,
            "a": [5.0, 1.0, 2.0, 3.0, 4.0, 9.0, 8.0],
            "b": [0.0] * 7,
        }
    )  # no label column
    x, mask, ids, _ = encoder.encode_frame(new, "new.csv")
    assert ids.tolist() == ["long", "short"] and x.shape == (2, 3, 2)
    assert mask.tolist() == [[True, True, True], [True, True, False]]
    scaler = data.encoder.scaler
    np.testing.assert_allclose(x[0, :, 0], (np.array([1.0, 2.0, 3.0]) - scaler.offset[0]) / scaler.scale[0], rtol=1e-6)
    assert x[1, 2].tolist() == [0.0, 0.0]
    out = encoder.decode(np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]]), ids)
    assert out.columns.tolist() == ["id", "label", "p_1", "p_2", "p_3"]
    assert out["label"].tolist() == [3, 1] and pd.api.types.is_integer_dtype(out["label"])
    assert out["p_3"].tolist() == [0.7, 0.1]
    with pytest.raises(DataError, match=r"new.csv: must have the columns the model was trained with; missing: b"):
        encoder.encode_frame(new.drop(columns=["b"]), "new.csv")


def test_decode_regression(tmp_path):
    data = prepare(regression_csv(tmp_path), target="y", id_col="id", split_col="split")
    out = data.encoder.decode(np.array([[0.0], [1.0]]), ["w1", "w2"])
    assert out.columns.tolist() == ["id", "value"]
    np.testing.assert_allclose(out["value"], [2.5, 2.5 + math.sqrt(2 / 3)])


def test_wide_encode_frame_shorter_rows_and_missing_columns(tmp_path):
    data = prepare(GUNPOINT, wide=True, target="label", split_col="split")
    frame = pd.read_csv(GUNPOINT).iloc[:2]
    short = frame[[f"t{i}" for i in range(100)]]  # fewer step columns: shorter sequences
    x, mask, ids, _ = data.encoder.encode_frame(short, "short.csv")
    assert x.shape == (2, 150, 1) and mask.sum(axis=1).tolist() == [100, 100] and ids.tolist() == [1, 2]  # data rows
    with pytest.raises(
        DataError, match=r"gap.csv: must have the model's step columns from the first on .*t5 is missing"
    ):
        data.encoder.encode_frame(frame.drop(columns=["t5"]), "gap.csv")


# --- settings, objective, info ---------------------------------------------------------------


def test_settings_rules():
    assert DATA_RULES["problem"]("Classification") == "classification"
    assert DATA_RULES["objective"]("none") is None and DATA_RULES["objective"]("macro_f1") == "macro_f1"
    assert DATA_RULES["max_length"]("12") == 12 and DATA_RULES["stride"](2) == 2
    assert DATA_RULES["split"]("0.6,0.2,0.2") == (0.6, 0.2, 0.2)
    for key, bad, words in [
        ("stride", 0, "must be an integer >= 1, but got 0"),
        ("max_length", "x", "must be an integer >= 1, but got 'x'"),
        ("class_weight", "balanced", "must be one of none, auto, but got 'balanced'"),
        ("scale", "robust", "must be one of standard, minmax, none"),
        ("objective", "rmse", "must be one of cross_entropy, accuracy, macro_f1, mse"),
    ]:
        with pytest.raises(ValueError, match=words):
            DATA_RULES[key](bad)
    assert set(DATA_RULES) == {"split", "problem", "objective", "class_weight", "max_length", "stride", "scale"}


def test_objectives():
    assert objective_for(SequenceSettings(), "classification") == CLASSIFICATION_OBJECTIVES["cross_entropy"]
    assert objective_for(SequenceSettings(objective="accuracy"), "classification").direction == "max"
    assert objective_for(SequenceSettings(), "regression").name == "val_mse"
    with pytest.raises(OptionError, match="--objective 'mse' is for regression, but the problem is classification"):
        objective_for(SequenceSettings(objective="mse"), "classification")


def test_objective_mismatch_names_the_problem(tmp_path):
    message = error(
        regression_csv(tmp_path), OptionError, target="y", id_col="id", split_col="split", objective="accuracy"
    )
    assert "--objective 'accuracy' is for classification, but the problem is regression" in message
    assert "auto-detected" in message and "--problem classification" in message


def test_info_summary_manifest_and_check_lines():
    data = prepare(VOWELS, target="label", id_col="case_id", order_col="t", split_col="split", max_length=20)
    for key in (
        "rows",
        "sequences",
        "lengths_read",
        "lengths_used",
        "truncated",
        "features",
        "problem",
        "classes",
        "class_counts",
        "split_counts",
        "ignored_columns",
        "padded_length",
        "stride",
        "max_length",
    ):
        assert key in data.info
    manifest = json.loads(json.dumps(data.manifest_data()))
    assert manifest["format"] == "long" and manifest["labels"] == list(range(1, 10))
    assert manifest["roles"] == {
        "target": "label",
        "id_col": "case_id",
        "order_col": "t",
        "split_col": "split",
        "group_col": None,
    }
    assert manifest["lengths"]["padded_to"] == 20 and manifest["lengths"]["truncated"] == data.info["truncated"] > 0
    assert sum(manifest["splits"][s]["sequences"] for s in SPLITS) == 120
    assert manifest["settings"]["max_length"] == 20 and manifest["settings"]["split"] == [0.7, 0.15, 0.15]
    json.dumps(data.baselines())
    lines = data.check_lines(None)
    assert lines[0].startswith("sequences: train") and any("padded to 20" in line for line in lines)
    summary = data.summary()
    assert "\n" not in summary and "120 sequences from 1899 rows" in summary and "9 classes" in summary


def test_no_tensorflow_import():
    code = (
        "import sys, lstmtune.tasks.sequence.data, lstmtune.tasks.sequence.encoder, lstmtune.tasks.sequence.settings;"
        "print([m for m in ('tensorflow', 'keras', 'keras_tuner') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- errors ----------------------------------------------------------------------------------


def test_flag_errors(tmp_path):
    path = many_csv(tmp_path)
    assert "--id-col is required in long format" in error(path, target="label")
    assert "--target is required" in error(path, id_col="id")
    message = error(path, target="lable", id_col="id")
    assert "--target 'lable' is not a column (did you mean 'label'?)" in message
    assert "--id-col 'label' cannot also be the --target" in error(path, target="label", id_col="label")
    assert "--features cannot include the --order-col 't'" in error(
        path, target="label", id_col="id", order_col="t", features=("a", "t")
    )
    assert "--features 'z' is not a column" in error(path, target="label", id_col="id", features=("a", "z"))
    assert "--order-col is for long format" in error(GUNPOINT, OptionError, wide=True, target="label", order_col="t0")
    assert "--features is for long format" in error(GUNPOINT, OptionError, wide=True, target="label", features=("t0",))


def test_duplicate_order_names_the_sequence(tmp_path):
    frame = long_frame(many(per_class=4))
    frame.loc[frame.index[frame.id == "s5"][1], "t"] = 0
    message = error(write(tmp_path, frame), target="label", id_col="id", order_col="t")
    assert "--order-col 't' must not repeat within a sequence, but sequence 's5' holds 0 on rows" in message


def test_bad_order_value(tmp_path):
    frame = long_frame(many(per_class=4))
    frame["when"] = "2024-01-01"
    frame.loc[3, "when"] = "soon"
    message = error(write(tmp_path, frame), target="label", id_col="id", order_col="when")
    assert "--order-col 'when'" in message and "row 4 holds 'soon'" in message


def test_non_numeric_feature_names_column_and_line(tmp_path):
    frame = long_frame(many(per_class=4)).astype({"a": object})
    frame.loc[6, "a"] = "oops"
    path = write(tmp_path, frame)
    assert "feature column 'a' must be numeric, but row 7 holds 'oops'" in error(
        path, target="label", id_col="id", order_col="t"
    )
    frame["note"] = "x"
    path = write(tmp_path, frame, "note.csv")
    assert "feature column 'note' must be numeric, but row 1 holds 'x'" in error(
        path, target="label", id_col="id", order_col="t", features=("b", "note")
    )


def test_missing_feature_value_names_column_line_and_sequence(tmp_path):
    frame = long_frame(many(per_class=4))
    frame.loc[9, "b"] = np.nan
    sid = frame.loc[9, "id"]
    message = error(write(tmp_path, frame), target="label", id_col="id", order_col="t")
    assert f"feature column 'b' is empty on row 10 (sequence {sid!r}); sequences must be complete" in message


def test_wide_ragged_and_empty_rows(tmp_path):
    frame = pd.read_csv(GUNPOINT)
    frame.loc[4, "t10"] = np.nan
    message = error(write(tmp_path, frame), wide=True, target="label", split_col="split")
    assert "the sequence on row 5 has an empty cell in column 't10' before later values" in message
    frame = pd.read_csv(GUNPOINT)
    frame.loc[4, [f"t{i}" for i in range(140, 150)]] = np.nan  # trailing: a shorter sequence
    data = prepare(write(tmp_path, frame, "short.csv"), wide=True, target="label", split_col="split")
    assert data.info["lengths_read"]["min"] == 140 and data.max_length == 150
    frame.loc[7, [f"t{i}" for i in range(150)]] = np.nan
    assert "the sequence on row 8 has no values in its step columns" in error(
        write(tmp_path, frame, "empty.csv"), wide=True, target="label", split_col="split"
    )


def test_wide_duplicate_ids(tmp_path):
    frame = pd.read_csv(GUNPOINT)
    frame = pd.concat([pd.DataFrame({"name": [f"g{i}" for i in range(len(frame))]}), frame], axis=1)
    frame.loc[5, "name"] = "g2"
    message = error(write(tmp_path, frame), wide=True, target="label", split_col="split", id_col="name")
    assert (
        "--id-col 'name' must name each sequence once in wide format" in message
        and "'g2' is on rows 3 and 6" in message
    )


@pytest.mark.parametrize("column, flag", [("label", "--target"), ("part", "--split-col"), ("subject", "--group-col")])
def test_role_columns_constant_within_a_sequence(tmp_path, column, flag):
    sequences = many(per_class=6)
    frame = long_frame(
        sequences, extra={"part": {s: "train" for s in sequences}, "subject": {s: "x" for s in sequences}}
    )
    rows = frame.index[frame.id == "s3"]
    frame.loc[rows[-1], column] = {"label": "c", "part": "test", "subject": "y"}[column]
    before = {"label": "a", "part": "train", "subject": "x"}[column]
    after = frame.loc[rows[-1], column]
    message = error(
        write(tmp_path, frame), target="label", id_col="id", order_col="t", split_col="part", group_col="subject"
    )
    assert (
        f"{flag} {column!r} must be constant within a sequence, but sequence 's3' holds {before!r} and {after!r}"
        in message
    )


def test_missing_target_value(tmp_path):
    frame = long_frame(many(per_class=4))
    frame.loc[2, "label"] = np.nan
    assert "--target 'label' must have a value on every row, but row 3 is empty" in error(
        write(tmp_path, frame), target="label", id_col="id", order_col="t"
    )


def test_split_col_errors(tmp_path):
    sequences = many(per_class=6)
    part = {sid: ("train", "test")[i % 2] for i, sid in enumerate(sequences)}
    frame = long_frame(sequences, extra={"part": part})
    bad = frame.copy()
    bad.loc[bad.id == "s4", "part"] = "holdout"
    row = int(bad.index[bad.id == "s4"][0]) + 1
    message = error(write(tmp_path, bad), target="label", id_col="id", order_col="t", split_col="part")
    assert (
        f"--split-col 'part' must hold train, val (or valid, validation, dev) or test in any case, but row {row} holds 'holdout'"
        in message
    )
    only = frame.assign(part="train")
    assert "--split-col 'part' must name train and test sequences" in error(
        write(tmp_path, only, "only.csv"), target="label", id_col="id", order_col="t", split_col="part"
    )
    no_train = frame.assign(part=frame.part.replace("train", "val"))
    assert "but it names only val, test" in error(
        write(tmp_path, no_train, "no_train.csv"), target="label", id_col="id", order_col="t", split_col="part"
    )


def test_group_spanning_named_splits(tmp_path):
    sequences = many(per_class=6)
    part = {sid: ("train", "val", "test")[i % 3] for i, sid in enumerate(sequences)}
    subject = {sid: f"p{i % 5}" for i, sid in enumerate(sequences)}
    frame = long_frame(sequences, extra={"part": part, "subject": subject})
    message = error(
        write(tmp_path, frame), target="label", id_col="id", order_col="t", split_col="part", group_col="subject"
    )
    assert (
        "--group-col 'subject' group 'p0' spans the train and val and test splits named by --split-col 'part'"
        in message
    )


def test_class_errors(tmp_path):
    sequences = many(per_class=6)
    sequences["s99"] = ("rare", [[0.0, 0.0]])
    sequences["s98"] = ("rare", [[0.0, 0.0]])
    message = error(write(tmp_path, long_frame(sequences)), target="label", id_col="id", order_col="t")
    assert "--target 'label' class 'rare' has 2 sequences; every class needs at least 3" in message
    one = {sid: ("a", steps) for sid, (_, steps) in many(per_class=4).items()}
    assert "must hold at least 2 classes for classification, but every sequence holds 'a'" in error(
        write(tmp_path, long_frame(one), "one.csv"), target="label", id_col="id", order_col="t"
    )
    sequences = many(per_class=6)
    part = {sid: ("test" if sequences[sid][0] == "c" or i % 3 == 0 else "train") for i, sid in enumerate(sequences)}
    message = error(
        write(tmp_path, long_frame(sequences, extra={"part": part}), "part.csv"),
        target="label",
        id_col="id",
        order_col="t",
        split_col="part",
    )
    assert "--target 'label' class 'c' has no sequence in the train split" in message


def test_every_split_gets_a_sequence_and_one_training_sequence_is_too_few(tmp_path):
    sequences = {sid: (float(i) + 0.5, steps) for i, (sid, (_, steps)) in enumerate(many(per_class=1).items())}
    message = error(write(tmp_path, long_frame(sequences)), target="label", id_col="id", order_col="t")
    assert "must vary over the training sequences, but all 1 hold" in message


def test_grouped_split_when_every_group_has_every_class(tmp_path):
    """10 subjects who each have every class: too few groups per class to stratify, so groups are dealt
    as one stratum; no split is empty and no subject is in two splits."""
    rows = [
        {"id": f"p{p}_{k}", "t": t, "x": 0.1 * t + k + 0.5, "subject": f"p{p}", "label": "abcd"[k % 4]}
        for p in range(10)
        for k in range(16)
        for t in range(3)
    ]
    data = prepare(write(tmp_path, pd.DataFrame(rows)), target="label", id_col="id", order_col="t", group_col="subject")
    subjects = {s: {sid.split("_")[0] for sid in data.ids[s]} for s in SPLITS}
    assert all(subjects[s] for s in SPLITS)
    assert not (
        subjects["train"] & subjects["val"]
        or subjects["train"] & subjects["test"]
        or subjects["val"] & subjects["test"]
    )


def test_regression_target_errors(tmp_path):
    path = many_csv(tmp_path)
    assert "--target column 'label' must be numeric, but row 1 holds 'a'" in error(
        path, target="label", id_col="id", order_col="t", problem="regression"
    )
    sequences = {sid: (2.5, steps) for sid, (_, steps) in many(per_class=4).items()}
    assert "--target 'label' must vary over the training sequences" in error(
        write(tmp_path, long_frame(sequences), "flat.csv"),
        target="label",
        id_col="id",
        order_col="t",
        problem="regression",
    )
    floats = {sid: (i + 0.5, steps) for i, (sid, (_, steps)) in enumerate(many(per_class=4).items())}
    message = error(
        write(tmp_path, long_frame(floats), "floats.csv"),
        target="label",
        id_col="id",
        order_col="t",
        problem="classification",
    )
    assert "needs --target 'label' to hold class names (text or integers), but sequence 's1' holds 0.5" in message
    assert "--class-weight auto is for classification, but the problem is regression" in error(
        write(tmp_path, long_frame(floats), "floats.csv"),
        OptionError,
        target="label",
        id_col="id",
        order_col="t",
        class_weight="auto",
    )


def test_missing_id_and_no_features(tmp_path):
    frame = long_frame(many(per_class=4))
    frame.loc[3, "id"] = np.nan
    assert "--id-col 'id' must have a value on every row, but row 4 is empty" in error(
        write(tmp_path, frame), target="label", id_col="id", order_col="t"
    )
    text = pd.DataFrame({"id": ["p", "p", "q"], "t": [0, 1, 0], "note": ["x", "y", "z"], "label": ["a", "a", "b"]})
    assert "no numeric feature columns" in error(
        write(tmp_path, text, "text.csv"), target="label", id_col="id", order_col="t"
    )


def test_wide_numeric_column_not_named_like_the_steps_is_refused(tmp_path):
    rows = [
        {"rec": 700 + 7 * i, **{f"t{k}": float(i % 2) + 0.1 * k for k in range(6)}, "label": i % 2} for i in range(30)
    ]
    message = error(write(tmp_path, pd.DataFrame(rows)), wide=True, target="label")
    assert "column 'rec' is numeric but not named like the step columns (t0, t1 ...)" in message
    assert "--id-col rec" in message
    data = prepare(write(tmp_path, pd.DataFrame(rows), "ok.csv"), wide=True, target="label", id_col="rec")
    assert data.features == [f"t{k}" for k in range(6)]


def test_abbreviated_subject_column_is_not_a_feature(tmp_path):
    frame = long_frame(many()).assign(spk=lambda f: f["id"].str[1:].astype(int) % 4)
    message = error(write(tmp_path, frame), target="label", id_col="id", order_col="t")
    assert "column 'spk'" in message and "--group-col spk" in message
