"""The compact read of forecast files (lstmtune.data.compact_reader): the same rows, checks and messages as
pandas' one-pass parse, with float features held as float32 and times parsed chunk by chunk. Small
chunks make every file here span several. No TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmtune.data import compact_reader as compact_csv
from lstmtune.data.compact_reader import CompactColumns
from lstmtune.data.csv_reader import read_csv
from lstmtune.data.scaler import Scaler
from lstmtune.errors import DataError
from lstmtune.tasks.forecast.data import ForecastData, prepare
from lstmtune.tasks.forecast.reader import DataSpec, load_frame
from lstmtune.tasks.forecast.settings import ForecastSettings

ROOT = Path(__file__).resolve().parent.parent
SEATTLE = ROOT / "tests" / "data" / "seattle_weather_300.csv"
AIRLINE = ROOT / "examples" / "data" / "airline.csv"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(compact_csv, "CHUNK_ROWS", 7)


@pytest.fixture
def one_pass(monkeypatch):
    """Force the one-pass parse: what the compact read must agree with."""

    def use(enabled: bool = True):
        monkeypatch.setattr(
            "lstmtune.data.csv_reader.parse_compact", lambda *a: None if enabled else compact_csv.parse_compact(*a)
        )

    return use


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def compact(path: Path, exact=("y",), time_col=None, time_format=None) -> pd.DataFrame:
    return read_csv(path, compact=CompactColumns(frozenset(exact), time_col, time_format))


def test_a_real_file_reads_as_one_pass_does_with_features_as_float32(one_pass):
    frame = compact(SEATTLE, exact=("temp_max",), time_col="date")
    whole = pd.read_csv(SEATTLE)
    assert list(frame.columns) == list(whole.columns) and len(frame) == len(whole) == 300
    assert frame["temp_max"].dtype == np.float64 and frame["temp_max"].equals(whole["temp_max"])  # the target: exact
    for column in ("precipitation", "temp_min", "wind"):
        assert frame[column].dtype == np.float32
        np.testing.assert_allclose(frame[column], whole[column], rtol=1e-6)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert (frame["date"] == pd.to_datetime(whole["date"])).all()
    assert frame["weather"].equals(whole["weather"])  # text kept as it is


def test_a_float_column_float32_would_blur_is_read_again_as_float64(tmp_path):
    # 1,000,000 plus small steps: float32 holds 1e6 to 1/16 only, far more than this column's spread allows
    path = write(tmp_path, "y,big,small\n" + "".join(f"{i},{1e6 + i * 0.001:.3f},{i * 0.5}\n" for i in range(30)))
    frame = compact(path)
    assert frame["big"].dtype == np.float64
    assert frame["big"].equals(pd.read_csv(path)["big"])
    assert frame["small"].dtype == np.float32  # halves are exact in float32


def test_integers_stay_integers_and_integers_then_floats_become_float64(tmp_path):
    rows = [f"{i},{i},{i if i < 10 else i + 0.25}\n" for i in range(20)]
    path = write(tmp_path, "y,count,late_float\n" + "".join(rows))
    frame = compact(path)
    whole = pd.read_csv(path)
    assert frame["count"].dtype == np.int64 and frame["count"].equals(whole["count"])
    assert frame["late_float"].dtype == np.float64 and frame["late_float"].equals(whole["late_float"])


@pytest.mark.parametrize("floats_first", [True, False])
def test_integer_and_float_chunks_are_never_rounded_to_float32(tmp_path, floats_first):
    # float32 holds 1,000,000.1 as 1,000,000.125: the float chunk must not be narrowed before the integers show
    floats, integers = ["1000000.1", "1000000.2"] * 4, ["1000001", "1000002"] * 4
    cells = floats + integers if floats_first else integers + floats
    path = write(tmp_path, "y,x\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)))
    frame = compact(path)
    assert frame["x"].dtype == np.float64 and frame["x"].equals(pd.read_csv(path)["x"])


def test_a_negative_zero_among_integers_keeps_its_sign_in_a_float_target(tmp_path):
    path = write(tmp_path, "y\n" + "".join(f"{c}\n" for c in ["1", "-0", "2", "3", "4", "5", "6", "7", "1.5"]))
    frame = compact(path)
    assert np.signbit(frame["y"].to_numpy()[1]) and frame["y"].equals(pd.read_csv(path)["y"])


@pytest.mark.parametrize(
    "cells",
    [
        ["9223372036854775808"] * 7 + ["-1"] * 7,  # 2**63, then negatives: text
        ["1", "2"] * 5 + ["9223372036854775809"],
    ],  # small, then 2**63: uint64
    ids=["negative", "unsigned"],
)
def test_integers_beyond_int64_are_typed_as_the_one_pass_types_them(tmp_path, cells):
    path = write(tmp_path, "y,x\n" + "".join(f"{i}.5,{c}\n" for i, c in enumerate(cells)))
    frame = compact(path)
    whole = pd.read_csv(path)
    assert frame["x"].dtype == whole["x"].dtype and frame.equals(whole)


def test_true_beside_a_blank_then_text_is_named_as_the_one_pass_names_it(tmp_path):
    path = write(
        tmp_path, "y,x\n" + "".join(f"{i},{c}\n" for i, c in enumerate(["True", ""] * 3 + ["True"] + ["abc"] * 7))
    )
    with pytest.raises(DataError, match="feature column 'x' must be numeric, but row 1 holds 'True'"):
        load_frame(DataSpec(path, ("y",), features=("x",), settings=ForecastSettings(fill="ffill")))


@pytest.mark.parametrize("late", ["n/a?", "True"])
def test_a_column_typed_differently_in_a_later_chunk_is_parsed_in_one_pass(tmp_path, late):
    rows = [f"{i},{i * 0.5}\n" for i in range(20)] + [f"20,{late}\n"]
    path = write(tmp_path, "y,x\n" + "".join(rows))
    frame = compact(path)
    whole = pd.read_csv(path)
    assert frame["x"].dtype == whole["x"].dtype and not pd.api.types.is_numeric_dtype(frame["x"])
    assert frame.equals(whole)


def test_times_not_in_iso_format_are_left_to_the_one_pass_parse(tmp_path, one_pass):
    text = "date,y\n" + "".join(f"{d:02d}/01/2024,{d}\n" for d in range(13, 31))  # day-first
    spec = DataSpec(write(tmp_path, text), ("y",), time_col="date")
    frame = load_frame(spec)
    one_pass()
    expected = load_frame(spec)
    assert frame.info["time_format"] == expected.info["time_format"] == "%d/%m/%Y"
    assert frame.time.equals(expected.time)


def test_times_with_a_time_zone_are_read_chunk_by_chunk(tmp_path):
    text = "t,y\n" + "".join(f"2024-01-01T{h:02d}:00+02:00,{h}\n" for h in range(20))
    frame = load_frame(DataSpec(write(tmp_path, text), ("y",), time_col="t"))
    assert str(frame.time.dtype).endswith("UTC+02:00]") and frame.time.is_monotonic_increasing
    assert frame.info["rows_used"] == 20 and not frame.info["reordered_by_time"]


@pytest.mark.parametrize(
    "zone, words",
    [
        (lambda h: f"+0{1 + (h >= 15)}:00", "one format and time zone"),
        (lambda h: "+01:00" if h >= 15 else "", "row 16 holds '2024-01-01T15:00+01:00'"),
    ],
    ids=["two zones", "zoned and not"],
)
def test_times_in_two_time_zones_get_the_one_pass_message(tmp_path, one_pass, zone, words):
    text = "t,y\n" + "".join(f"2024-01-01T{h:02d}:00{zone(h)},{h}\n" for h in range(20))
    path = write(tmp_path, text)
    with pytest.raises(DataError) as compacted:
        load_frame(DataSpec(path, ("y",), time_col="t"))
    one_pass()
    with pytest.raises(DataError) as whole:
        load_frame(DataSpec(path, ("y",), time_col="t"))
    assert str(compacted.value) == str(whole.value)
    assert words in str(compacted.value)


@pytest.mark.parametrize(
    "cell, words",
    [
        ("1e35", "must hold numbers of magnitude at most 1e+30, but row 18 holds 1e+35"),
        ("inf", "must be finite, but row 18 holds inf"),
    ],
)
def test_values_float32_cannot_hold_are_named_with_their_line(tmp_path, cell, words):
    rows = [f"{i},{i * 0.5}\n" for i in range(20)]
    rows[17] = f"17,{cell}\n"
    path = write(tmp_path, "y,x\n" + "".join(rows))
    with pytest.raises(DataError, match="feature column 'x' " + words.replace("+", r"\+")):
        load_frame(DataSpec(path, ("y",)))


def test_a_float_column_to_read_again_under_a_repeated_name_gets_the_repeated_name_message(tmp_path):
    path = write(tmp_path, "y,x,x\n" + "".join(f"{i},{1e6 + i * 0.001:.3f},{i}\n" for i in range(20)))
    with pytest.raises(DataError, match="column names must be unique, but 'x' is the name of columns 2 and 3"):
        load_frame(DataSpec(path, ("y",)))


def test_a_repeated_time_is_quoted_as_the_file_writes_it(tmp_path):
    days = [f"2024-01-{d:02d}" for d in range(1, 21)]
    days[16] = "2024-01-03"
    path = write(tmp_path, "date,y\n" + "".join(f"{d},{i}\n" for i, d in enumerate(days)))
    with pytest.raises(DataError, match="'2024-01-03' is on rows 3 and 17"):
        load_frame(DataSpec(path, ("y",), time_col="date"))


def test_rows_out_of_time_order_are_sorted_as_before(tmp_path, one_pass):
    days = [f"2024-02-{d:02d}" for d in range(1, 21)]
    days[3], days[15] = days[15], days[3]
    text = "date,y,x\n" + "".join(f"{d},{i},{i * 0.25}\n" for i, d in enumerate(days))
    spec = DataSpec(write(tmp_path, text), ("y",), time_col="date")
    frame = load_frame(spec)
    one_pass()
    expected = load_frame(spec)
    assert frame.info["reordered_by_time"] and expected.info["reordered_by_time"]
    assert list(frame.values.index) == list(expected.values.index)
    np.testing.assert_array_equal(frame.values.to_numpy(), expected.values.to_numpy())


def test_a_feature_float32_blurs_on_the_training_rows_is_prepared_from_exact_values(tmp_path, one_pass):
    # g varies by 1e6 over the file (so float32's 0.06 looks small) but by about 1 on the training rows
    g = [1_000_000 + 0.37 * (i % 3) for i in range(28)] + [7.0 + i for i in range(12)]
    path = write(tmp_path, "y,g\n" + "".join(f"{i % 5},{v!r}\n" for i, v in enumerate(g)))
    spec = DataSpec(path, ("y",), settings=ForecastSettings(transform="none"))
    assert load_frame(spec).values["g"].dtype == np.float32  # the read alone keeps it narrow
    assert ForecastData(load_frame(spec), spec).coarse_features == ["g"]
    data = prepare(spec, 2)
    one_pass()
    expected = prepare(spec, 2)
    assert data.coarse_features == expected.coarse_features == []
    np.testing.assert_array_equal(data.inputs, expected.inputs)


@pytest.mark.parametrize("transform", ["none", "diff", "logdiff"])
@pytest.mark.parametrize("scale", ["standard", "minmax"])
def test_prepared_data_match_the_one_pass_parse(one_pass, transform, scale):
    spec = DataSpec(
        AIRLINE,
        ("Passengers",),
        time_col="Date",
        settings=ForecastSettings(transform=transform, scale=scale, horizon=3),
    )
    data = ForecastData(load_frame(spec), spec)
    one_pass()
    expected = ForecastData(load_frame(spec), spec)
    np.testing.assert_array_equal(data.levels, expected.levels)
    np.testing.assert_allclose(data.input_scaler.offset, expected.input_scaler.offset, rtol=1e-12)
    np.testing.assert_allclose(data.input_scaler.scale, expected.input_scaler.scale, rtol=1e-12)
    np.testing.assert_allclose(data.inputs, expected.inputs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(data.encoded, expected.encoded, rtol=1e-6, atol=1e-6, equal_nan=True)
    ends = data.window_ends("test", 12)
    np.testing.assert_array_equal(data.baseline("persistence", ends), expected.baseline("persistence", ends))


@pytest.mark.parametrize("kind", ["standard", "minmax", "none"])
def test_scaler_fitted_a_block_at_a_time_matches_the_whole_fit(kind):
    rows = np.random.default_rng(0).normal(5.0, 3.0, size=(1000, 4))
    rows[::7, 1] = np.nan
    rows[:, 3] = np.nan  # a column with no value at all
    blocks = (rows[i : i + 64] for i in range(0, len(rows), 64))
    blocked = Scaler.fit_blocks(blocks, kind, 4)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if kind != "none" else _nothing():
        whole = Scaler.fit(rows, kind)
    np.testing.assert_allclose(blocked.offset, whole.offset, rtol=1e-12)
    np.testing.assert_allclose(blocked.scale, whole.scale, rtol=1e-12)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
