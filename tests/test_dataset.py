"""Fast tests of lstmtune.data.csv_reader and the forecast task's data, metrics and baselines (no TensorFlow)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmtune.errors import DataError
from lstmtune.tasks.forecast import metrics
from lstmtune.tasks.forecast.data import ForecastData, prepare, rows_needed, split_bounds
from lstmtune.tasks.forecast.reader import DataSpec, load_frame
from lstmtune.tasks.forecast.settings import ForecastSettings as DataSettings

SPLIT = (0.7, 0.15, 0.15)


# --- helpers ---------------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def series_csv(tmp_path: Path, columns: dict[str, list[float]]) -> Path:
    names = list(columns)
    rows = zip(*columns.values())
    return write_csv(tmp_path, ",".join(names) + "\n" + "".join(",".join(map(repr, r)) + "\n" for r in rows))


SETTINGS = ("horizon", "split", "scale", "transform", "fill", "season")


def spec(path: Path, target: str = "y", **kwargs) -> DataSpec:
    """A DataSpec; DataSettings fields (transform=..., horizon=...) go to its settings."""
    settings = DataSettings(**{k: kwargs.pop(k) for k in SETTINGS if k in kwargs})
    return DataSpec(path=path, targets=(target,), settings=settings, **kwargs)


def forecast(tmp_path: Path, columns: dict[str, list[float]], **kwargs) -> ForecastData:
    s = spec(series_csv(tmp_path, columns), **kwargs)
    return ForecastData(load_frame(s), s)


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_frame(spec(path, **kwargs))
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


# --- split bounds and rows needed ------------------------------------------------------------


@pytest.mark.parametrize(
    "n, split, expected",
    [
        (20, SPLIT, (14, 17)),
        (10, SPLIT, (7, 8)),  # 1.5 -> 1 validation row
        (100, SPLIT, (70, 85)),
        (100, (0.29, 0.31, 0.4), (29, 60)),  # 0.29 * 100 is 28.999999999999996 in floating point
        (9, (0.5, 0.25, 0.25), (4, 6)),
    ],
)
def test_split_bounds(n, split, expected):
    assert split_bounds(n, split) == expected


def has_window_per_split(n: int, lookback: int, horizon: int, split, first_row: int) -> bool:
    # train: some e with first_row + L - 1 <= e and e + H < a; validation and test at least H rows each
    a, b = split_bounds(n, split)
    return (a - horizon - 1 >= first_row + lookback - 1) and b - a >= horizon and n - b >= horizon


@pytest.mark.parametrize("lookback, horizon, first_row", [(1, 1, 0), (5, 1, 0), (5, 1, 1), (3, 4, 1), (24, 6, 0)])
@pytest.mark.parametrize("split", [SPLIT, (0.6, 0.2, 0.2), (0.8, 0.1, 0.1)])
def test_rows_needed_is_the_fewest(lookback, horizon, first_row, split):
    n = rows_needed(lookback, horizon, split, first_row)
    assert has_window_per_split(n, lookback, horizon, split, first_row)
    assert not has_window_per_split(n - 1, lookback, horizon, split, first_row)


def test_rows_needed_by_hand():
    # lookback 5, horizon 1, 0.7/0.15/0.15: a = floor(0.7 n) must be >= 6 -> n = 9 (a=6, b=7)
    assert rows_needed(5, 1, SPLIT, 0) == 9
    # diff uses one more input row: a >= 7 -> n = 10 (a=7, b=8)
    assert rows_needed(5, 1, SPLIT, 1) == 10


@pytest.mark.parametrize("transform", ["none", "diff"])
@pytest.mark.parametrize("lookback, horizon", [(3, 1), (4, 2), (2, 3)])
def test_check_rows_agrees_with_rows_needed(tmp_path, transform, lookback, horizon):
    first_row = 0 if transform == "none" else 1
    n = rows_needed(lookback, horizon, SPLIT, first_row)
    ok = forecast(tmp_path, {"y": [float(i + 1) for i in range(n)]}, transform=transform, horizon=horizon)
    ok.check_rows(lookback)
    short = forecast(tmp_path, {"y": [float(i + 1) for i in range(n - 1)]}, transform=transform, horizon=horizon)
    with pytest.raises(DataError, match=f"at least {n} rows are needed"):
        short.check_rows(lookback)


# --- windows -------------------------------------------------------------------------------


@pytest.fixture
def twenty(tmp_path) -> ForecastData:
    return forecast(tmp_path, {"y": [float(i * i) for i in range(20)]}, transform="none", horizon=2)


def test_window_ends_exact(twenty):
    # n=20 -> a=14, b=17; L=3, H=2: the first input row is 2, the last window ends at 17 (targets 18, 19)
    assert (twenty.a, twenty.b) == (14, 17)
    assert twenty.window_ends("train", 3).tolist() == list(range(2, 12))
    assert twenty.window_ends("val", 3).tolist() == [12, 13, 14]
    assert twenty.window_ends("test", 3).tolist() == [15, 16, 17]


def test_window_belongs_to_split_of_last_target(twenty):
    H = twenty.horizon
    for lookback in (1, 3, 5):
        train = twenty.window_ends("train", lookback)
        val = twenty.window_ends("val", lookback)
        test = twenty.window_ends("test", lookback)
        assert (train + H < twenty.a).all()  # no training target reaches a validation row
        assert ((val + H >= twenty.a) & (val + H < twenty.b)).all()
        assert ((test + H >= twenty.b) & (test + H < twenty.n_rows)).all()
        assert (train - lookback + 1 >= 0).all()
        # no window is lost between splits, and the last one ends H rows before the end
        ends = np.concatenate([train, val, test])
        assert ends.tolist() == list(range(lookback - 1, twenty.n_rows - H))


def test_val_and_test_windows_do_not_depend_on_lookback(twenty):
    for split in ("val", "test"):
        assert twenty.window_ends(split, 2).tolist() == twenty.window_ends(split, 4).tolist()
    assert len(twenty.window_ends("train", 2)) == len(twenty.window_ends("train", 4)) + 2


def test_truth_rows(twenty):
    truth = twenty.truth(np.array([12, 15]))
    assert truth.shape == (2, 2, 1)
    assert truth[:, :, 0].tolist() == [[13.0**2, 14.0**2], [16.0**2, 17.0**2]]


def test_diff_first_usable_input_row_is_one(tmp_path):
    values = {"y": [float(i * i) for i in range(20)]}
    none = forecast(tmp_path, values, transform="none")
    diff = forecast(tmp_path, values, transform="diff")
    assert none.window_ends("train", 1)[0] == 0
    assert diff.window_ends("train", 1)[0] == 1
    assert diff.window_ends("train", 3)[0] == 3
    # row 0 has no change before it: it is fed as zero, never NaN
    assert diff.inputs[0, 0] == 0
    assert not np.isnan(diff.inputs).any()


# --- scaling -------------------------------------------------------------------------------


def huge_later(n: int = 20, train: int = 14) -> dict[str, list[float]]:
    y = [float(i + 1) for i in range(train)] + [1000.0 + 97 * i for i in range(n - train)]
    x = [2.0 * v for v in y]
    return {"y": y, "x": x}


def test_standard_scaler_uses_training_rows_only(tmp_path):
    data = forecast(tmp_path, huge_later(), transform="none", scale="standard")
    assert data.a == 14
    # train y = 1..14: mean 7.5, population std sqrt((14^2 - 1) / 12); x = 2 y
    std = math.sqrt((14**2 - 1) / 12)
    np.testing.assert_allclose(data.input_scaler.offset, [7.5, 15.0])
    np.testing.assert_allclose(data.input_scaler.scale, [std, 2 * std])
    np.testing.assert_allclose(data.target_offset, [7.5])
    np.testing.assert_allclose(data.target_scale, [std])
    np.testing.assert_allclose(data.inputs[13], [(14 - 7.5) / std, (28 - 15) / (2 * std)], rtol=1e-6)


def test_minmax_scaler_uses_training_rows_only(tmp_path):
    data = forecast(tmp_path, huge_later(), transform="none", scale="minmax")
    np.testing.assert_allclose(data.input_scaler.offset, [1.0, 2.0])
    np.testing.assert_allclose(data.input_scaler.scale, [13.0, 26.0])
    np.testing.assert_allclose(data.inputs[0], [0.0, 0.0])
    np.testing.assert_allclose(data.inputs[13], [1.0, 1.0])


def test_scale_none_is_identity(tmp_path):
    data = forecast(tmp_path, huge_later(), transform="none", scale="none")
    np.testing.assert_array_equal(data.input_scaler.offset, [0.0, 0.0])
    np.testing.assert_array_equal(data.input_scaler.scale, [1.0, 1.0])
    np.testing.assert_allclose(data.inputs[:, 0], huge_later()["y"])
    np.testing.assert_array_equal(data.target_scale, [1.0])


def test_diff_scaler_uses_training_changes_only(tmp_path):
    # train y = i^2 for rows 0..13: changes on rows 1..13 are 1, 3, ..., 25 (mean 13, std 2 sqrt(14));
    # the change into row 14 (the first validation row) is huge and must not count.
    y = [float(i * i) for i in range(14)] + [1000.0 + 97 * i for i in range(6)]
    data = forecast(tmp_path, {"y": y}, transform="diff", scale="standard")
    std = 2 * math.sqrt((13**2 - 1) / 12)
    np.testing.assert_allclose(data.input_scaler.offset, [13.0])
    np.testing.assert_allclose(data.input_scaler.scale, [std])
    # targets: changes divided by the one-step scale and not centred, so zero stays persistence
    np.testing.assert_array_equal(data.target_offset, [0.0])
    np.testing.assert_allclose(data.target_scale, [std])
    np.testing.assert_allclose(data.encoded[3, 0, 0], (16 - 9) / std, rtol=1e-6)


def test_constant_training_column_gets_unit_scale(tmp_path):
    data = forecast(tmp_path, {"y": [float(i) for i in range(20)], "c": [5.0] * 20}, transform="none")
    assert data.input_scaler.scale[1] == 1.0
    assert data.input_scaler.offset[1] == 5.0


# --- encoding and decoding -----------------------------------------------------------------


POSITIVE = [
    10.0,
    12.0,
    11.0,
    15.0,
    14.0,
    18.0,
    17.5,
    20.0,
    19.0,
    23.0,
    22.0,
    26.0,
    25.0,
    30.0,
    28.0,
    33.0,
    31.0,
    36.0,
    35.0,
    40.0,
]


@pytest.mark.parametrize("transform", ["none", "diff", "logdiff"])
@pytest.mark.parametrize("scale", ["standard", "minmax", "none"])
def test_decode_round_trip(tmp_path, transform, scale):
    data = forecast(tmp_path, {"y": POSITIVE}, transform=transform, scale=scale, horizon=3)
    for split in ("train", "val", "test"):
        ends = data.window_ends(split, 2)
        assert len(ends) > 0
        np.testing.assert_allclose(data.decode(data.encoded[ends], ends), data.truth(ends), rtol=1e-5)


def test_encoded_none_by_hand(tmp_path):
    data = forecast(tmp_path, {"y": POSITIVE}, transform="none", scale="none", horizon=2)
    assert data.encoded.shape == (20, 2, 1)
    assert data.encoded[4, :, 0].tolist() == [18.0, 17.5]
    # the horizon runs past the data at the end
    assert np.isnan(data.encoded[19]).all()
    assert not np.isnan(data.encoded[18, 0, 0]) and np.isnan(data.encoded[18, 1, 0])


def test_encoded_diff_by_hand(tmp_path):
    data = forecast(tmp_path, {"y": POSITIVE}, transform="diff", scale="none", horizon=2)
    # changes from the last observed value y[4] = 14: y[5] - 14 = 4, y[6] - 14 = 3.5
    assert data.encoded[4, :, 0].tolist() == [4.0, 3.5]


def test_encoded_logdiff_by_hand(tmp_path):
    data = forecast(tmp_path, {"y": POSITIVE}, transform="logdiff", scale="none", horizon=1)
    np.testing.assert_allclose(data.encoded[0, 0, 0], math.log(12 / 10), rtol=1e-6)


@pytest.mark.parametrize("transform", ["diff", "logdiff"])
def test_constant_stretch_encodes_to_zero(tmp_path, transform):
    # rows 0-13 vary (training), rows 14-19 are constant: their changes encode to 0 (persistence)
    data = forecast(tmp_path, {"y": [float(i + 1) for i in range(14)] + [5.0] * 6}, transform=transform, horizon=2)
    assert (data.encoded[14:18] == 0).all()


def test_constant_target_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"--target 'y' must vary over the training rows, but all 14 hold 5"):
        forecast(tmp_path, {"y": [5.0] * 20}, transform="diff")


@pytest.mark.parametrize("transform", ["diff", "logdiff"])
def test_zero_output_decodes_to_persistence(tmp_path, transform):
    data = forecast(tmp_path, {"y": POSITIVE}, transform=transform, horizon=3)
    ends = data.window_ends("val", 1)
    zeros = np.zeros((len(ends), 3, 1))
    np.testing.assert_allclose(data.decode(zeros, ends), data.baseline("persistence", ends))


# --- baselines and metrics -----------------------------------------------------------------


def test_persistence_and_seasonal_by_hand(tmp_path):
    data = forecast(tmp_path, {"y": [float(i * i) for i in range(20)]}, transform="none", horizon=2)
    ends = np.array([5, 9])
    assert data.baseline("persistence", ends)[:, :, 0].tolist() == [[25.0, 25.0], [81.0, 81.0]]
    # season 3: row e+1 is forecast by row e-2, row e+2 by row e-1
    assert data.baseline("seasonal", ends, season=3)[:, :, 0].tolist() == [[9.0, 16.0], [49.0, 64.0]]


def test_seasonal_shorter_than_horizon_wraps(tmp_path):
    data = forecast(tmp_path, {"y": [float(i * i) for i in range(20)]}, transform="none", horizon=3)
    # season 2: e+1 <- e-1, e+2 <- e, e+3 <- e+1-2 = e-1... i.e. rows e-1, e, e-1
    assert data.baseline("seasonal", np.array([6]), season=2)[0, :, 0].tolist() == [25.0, 36.0, 25.0]


def test_seasonal_before_first_row_is_an_error(tmp_path):
    data = forecast(tmp_path, {"y": [float(i) for i in range(20)]}, transform="none", horizon=2)
    with pytest.raises(DataError, match="--season 3 reaches before the first row"):
        data.baseline("seasonal", np.array([0, 1]), season=3)


def test_compute_baselines_by_hand(tmp_path):
    # y = i^2, H = 1, n = 20 (a=14, b=17): val windows end at 13, 14, 15, test at 16, 17, 18.
    # persistence error for end e is (e+1)^2 - e^2 = 2e + 1; seasonal (season 2) error is (e+1)^2 - (e-1)^2 = 4e.
    data = forecast(tmp_path, {"y": [float(i * i) for i in range(20)]}, transform="none", horizon=1, season=2)
    out = data.baselines()
    assert out["val"]["persistence"]["mae"] == pytest.approx(29.0)
    assert out["val"]["persistence"]["rmse"] == pytest.approx(math.sqrt((27**2 + 29**2 + 31**2) / 3))
    assert out["test"]["persistence"]["mae"] == pytest.approx(35.0)
    assert out["val"]["seasonal"]["mae"] == pytest.approx(56.0)
    assert out["test"]["seasonal"]["rmse"] == pytest.approx(math.sqrt((64**2 + 68**2 + 72**2) / 3))


def test_baselines_do_not_depend_on_transform(tmp_path):
    by_transform = [
        forecast(tmp_path, {"y": POSITIVE}, transform=t, horizon=2, season=4).baselines()
        for t in ("none", "diff", "logdiff")
    ]
    assert by_transform[0] == by_transform[1] == by_transform[2]


def test_compute_baselines_without_season(tmp_path):
    data = forecast(tmp_path, {"y": [float(i) for i in range(20)]}, transform="none")
    out = data.baselines()
    assert set(out) == {"val", "test"}
    assert set(out["val"]) == {"persistence"}
    persistence = out["val"]["persistence"]
    assert (persistence["rmse"], persistence["mae"], persistence["skill"]) == pytest.approx((1.0, 1.0, 0.0))
    assert persistence["by_target"] == {"y": pytest.approx({"rmse": 1.0, "mae": 1.0, "skill": 0.0})}


def test_summarise_by_hand():
    truth = np.array([[[1.0]], [[3.0]]])  # 2 windows, H=1, T=1
    prediction = np.array([[[2.0]], [[3.0]]])  # errors 1, 0
    persistence = np.array([[[0.0]], [[0.0]]])  # errors 1, 3
    out = metrics.summarise(truth, prediction, persistence)
    assert out["rmse"] == pytest.approx(math.sqrt(0.5))
    assert out["mae"] == pytest.approx(0.5)
    assert out["skill"] == pytest.approx(1 - math.sqrt(0.5) / math.sqrt(5))


def test_summarise_over_targets_is_scale_free():
    """A second target 1,000 times the first, forecast with the same relative errors: the figures over
    both targets are each target's error in units of its typical training step, not a mean of 1 and 1,000."""
    truth = np.zeros((1, 2, 2))
    prediction = np.array([[[1.0, 1000.0], [1.0, 1000.0]]])  # rmse 1 and 1,000, mae 1 and 1,000
    persistence = np.array([[[2.0, 2000.0], [2.0, 2000.0]]])  # rmse 2 and 2,000
    training = np.array([[0.0, 0.0], [2.0, 2000.0], [0.0, 0.0], [2.0, 2000.0]])  # every step changes by 2 (2,000)
    scales = metrics.step_scales(training)
    assert scales["rmse"] == pytest.approx([2.0, 2000.0]) and scales["mae"] == pytest.approx([2.0, 2000.0])
    out = metrics.summarise(truth, prediction, persistence, scales)
    assert out["rmse"] == pytest.approx(0.5) and out["mae"] == pytest.approx(0.5)
    assert out["skill"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="step scales"):
        metrics.summarise(truth, prediction, persistence)
    # A target that never changed in training has no scale: the others' figures stand.
    flat = metrics.step_scales(np.array([[0.0, 5.0], [2.0, 5.0], [0.0, 5.0]]))
    assert metrics.summarise(truth, prediction, persistence, flat)["rmse"] == pytest.approx(0.5)


def test_perfect_persistence_gives_nan_skill():
    truth = np.ones((2, 1, 1))
    out = metrics.summarise(truth, truth + 1, truth.copy())
    assert math.isnan(out["skill"])
    assert out["rmse"] == pytest.approx(1.0)


# --- load_frame errors ---------------------------------------------------------------------


def test_file_not_found(tmp_path):
    assert "file not found" in load_error(tmp_path / "missing.csv")


def test_directory_instead_of_file(tmp_path):
    assert "is a directory" in load_error(tmp_path)


def test_empty_file(tmp_path):
    assert "the file is empty" in load_error(write_csv(tmp_path, ""))


def test_header_only(tmp_path):
    assert "has a header but no data rows" in load_error(write_csv(tmp_path, "date,load\n"))


def test_unknown_target_suggests_and_lists_columns(tmp_path):
    path = write_csv(tmp_path, "date,load,temp\n2024-01-01,1,2\n")
    message = load_error(path, target="lod")
    assert "--target 'lod' is not a column" in message
    assert "did you mean 'load'?" in message
    assert "columns are: date, load, temp" in message


def test_unknown_target_without_close_match(tmp_path):
    message = load_error(write_csv(tmp_path, "date,load\n2024-01-01,1\n"), target="zzz")
    assert "did you mean" not in message
    assert "columns are: date, load" in message


def test_non_numeric_target_names_the_line(tmp_path):
    message = load_error(write_csv(tmp_path, "y,x\n1,2\n2,3\nabc,4\n"))
    assert "--target column 'y' must be numeric" in message
    assert "row 3 holds 'abc'" in message


def test_non_numeric_feature_names_the_line(tmp_path):
    message = load_error(write_csv(tmp_path, "y,x\n1,2\n2,oops\n"), features=("x",))
    assert "feature column 'x' must be numeric" in message
    assert "row 2 holds 'oops'" in message


def test_unknown_feature(tmp_path):
    message = load_error(write_csv(tmp_path, "y,temp\n1,2\n"), features=("tmp",))
    assert "--features 'tmp' is not a column" in message
    assert "did you mean 'temp'?" in message


def test_unknown_time_col(tmp_path):
    message = load_error(write_csv(tmp_path, "date,y\n2024-01-01,1\n"), time_col="data")
    assert "--time-col 'data' is not a column" in message


def test_time_col_cannot_be_target(tmp_path):
    message = load_error(write_csv(tmp_path, "t,y\n1,1\n"), target="t", time_col="t")
    assert "--time-col 't' cannot also be a --target" in message


def test_unparsable_time_names_the_line(tmp_path):
    path = write_csv(tmp_path, "date,y\n2024-01-01,1\n2024-01-02,2\nbanana,3\n")
    message = load_error(path, time_col="date")
    assert "--time-col 'date' must all have the date format %Y-%m-%d of row 1" in message
    assert "row 3 holds 'banana'" in message


def test_empty_time_value_names_the_line(tmp_path):
    message = load_error(write_csv(tmp_path, "t,y\n1,1\n,2\n3,3\n"), time_col="t")
    assert "--time-col 't' must have a value in every row, but row 2 is empty" in message


def test_duplicate_timestamps_name_both_lines(tmp_path):
    path = write_csv(tmp_path, "date,y\n2024-01-01,1\n2024-01-02,2\n2024-01-01,3\n")
    message = load_error(path, time_col="date")
    assert "must not repeat a timestamp" in message
    assert "'2024-01-01' is on rows 1 and 3" in message


def test_duplicate_numeric_timestamps_message_is_plain(tmp_path):
    message = load_error(write_csv(tmp_path, "t,y\n1,10\n2,20\n1,30\n"), time_col="t")
    assert "rows 1 and 3" in message
    assert "np." not in message


def test_missing_values_without_fill(tmp_path):
    # first missing value (in row order) is column x on line 3; one more in y on line 5
    path = write_csv(tmp_path, "y,x\n1,10\n2,\n3,12\n,13\n5,14\n")
    message = load_error(path)
    assert "2 missing values" in message
    assert "column 'x', row 2" in message
    assert "--fill" in message


def test_one_missing_value_is_singular(tmp_path):
    message = load_error(write_csv(tmp_path, "y,x\n1,1\n2,\n3,3\n"))
    assert "1 missing value in" in message


def test_missing_values_in_ignored_columns_are_fine(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, "y,x,z\n1,10,\n2,11,\n3,12,7\n"), features=("x",)))
    assert frame.inputs == ["y", "x"]
    assert frame.info["ignored_columns"] == ["z"]
    assert frame.info["rows_used"] == 3


def test_logdiff_with_zero_target(tmp_path):
    path = write_csv(tmp_path, "y\n3\n2\n0\n4\n")
    s = spec(path, transform="logdiff")
    with pytest.raises(DataError) as info:
        ForecastData(load_frame(s), s)
    message = str(info.value)
    assert str(path) in message
    assert "--transform logdiff needs every target value > 0" in message
    assert "column 'y' holds 0 on row 3" in message
    assert "--transform diff" in message


def test_too_few_rows_for_lookback(tmp_path):
    # 8 rows, lookback 5, horizon 1, none: a = 5 but a train window needs a >= 6; 9 rows are needed
    path = series_csv(tmp_path, {"y": [float(i) for i in range(8)]})
    with pytest.raises(DataError) as info:
        prepare(spec(path, transform="none"), 5)
    message = str(info.value)
    assert str(path) in message
    assert "8 rows are too few for lookback 5 + horizon 1" in message
    assert "at least 9 rows are needed" in message
    assert "diff transform" not in message


def test_too_few_rows_with_diff_mentions_the_extra_row(tmp_path):
    path = series_csv(tmp_path, {"y": [float(i) for i in range(9)]})
    with pytest.raises(DataError, match=r"at least 10 rows are needed \(the diff transform uses one more row\)"):
        prepare(spec(path, transform="diff"), 5)


def test_horizon_longer_than_the_validation_split_is_refused(tmp_path):
    # 40 rows: validation and test hold 6 rows each, too few for a horizon of 7
    path = series_csv(tmp_path, {"y": [float(i) for i in range(40)]})
    with pytest.raises(DataError, match=r"horizon 7 .* validation and test splits need at least a horizon of rows"):
        prepare(spec(path, transform="none", horizon=7), 3)
    assert prepare(spec(path, transform="none", horizon=6), 3).horizon == 6


def test_enough_rows_for_lookback(tmp_path):
    data = prepare(spec(series_csv(tmp_path, {"y": [float(i) for i in range(9)]}), transform="none"), 5)
    assert len(data.window_ends("train", 5)) == 1


# --- missing-value filling -----------------------------------------------------------------


GAPPY = "y,x\n,10\n2,11\n3,\n4,15\n"  # leading y missing, x missing in the middle


def test_fill_drop_removes_rows(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, GAPPY), fill="drop"))
    assert frame.values["y"].tolist() == [2.0, 4.0]
    assert frame.values["x"].tolist() == [11.0, 15.0]
    assert frame.info["rows_dropped"] == 2
    assert frame.info["values_filled"] == 0


def test_fill_ffill_drops_unfillable_leading_rows(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, GAPPY), fill="ffill"))
    # the leading missing y is dropped, not back-filled from the future
    assert frame.values["y"].tolist() == [2.0, 3.0, 4.0]
    assert frame.values["x"].tolist() == [11.0, 11.0, 15.0]
    assert frame.info["rows_dropped"] == 1
    assert frame.info["values_filled"] == 1
    assert frame.info["rows_read"] == 4 and frame.info["rows_used"] == 3


def test_fill_interpolate(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, GAPPY), fill="interpolate"))
    assert frame.values["y"].tolist() == [2.0, 3.0, 4.0]
    assert frame.values["x"].tolist() == [11.0, 13.0, 15.0]
    assert frame.info["rows_dropped"] == 1
    assert frame.info["values_filled"] == 1


def test_interpolate_follows_time_order(tmp_path):
    path = write_csv(tmp_path, "t,y\n3,30\n1,10\n4,\n2,\n5,50\n")
    frame = load_frame(spec(path, time_col="t", fill="interpolate"))
    assert frame.values["y"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert frame.info["values_filled"] == 2


def test_blank_unused_column_does_not_drop_every_row(tmp_path):
    path = write_csv(tmp_path, "y,comment\n1,\n2,\n3,\n")
    frame = load_frame(spec(path, fill="drop"))
    assert frame.info["rows_used"] == 3


def test_fill_keeps_line_numbers_for_later_errors(tmp_path):
    # after dropping the leading row, a zero target is still reported on its own file line
    path = write_csv(tmp_path, "y,x\n,1\n1,2\n0,3\n2,4\n")
    s = spec(path, fill="ffill", transform="logdiff")
    with pytest.raises(DataError, match="holds 0 on row 3"):
        ForecastData(load_frame(s), s)


# --- time column and input columns ---------------------------------------------------------


def test_rows_are_sorted_by_time(tmp_path):
    path = write_csv(tmp_path, "date,y\n2024-01-03,3\n2024-01-01,1\n2024-01-04,4\n2024-01-02,2\n")
    frame = load_frame(spec(path, time_col="date"))
    assert frame.values["y"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert [str(t.date()) for t in frame.time] == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    assert frame.info["reordered_by_time"] is True


def test_sorted_file_is_not_reordered(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, "date,y\n2024-01-01,1\n2024-01-02,2\n"), time_col="date"))
    assert frame.info["reordered_by_time"] is False


def test_numeric_time_column(tmp_path):
    frame = load_frame(spec(write_csv(tmp_path, "t,y,x\n30,3,7\n10,1,5\n20,2,6\n"), time_col="t"))
    assert frame.time.tolist() == [10, 20, 30]
    assert frame.values["y"].tolist() == [1.0, 2.0, 3.0]
    assert frame.values["x"].tolist() == [5.0, 6.0, 7.0]
    assert frame.inputs == ["y", "x"]  # the time column is not an input


def test_missing_value_line_refers_to_the_file_after_sorting(tmp_path):
    path = write_csv(tmp_path, "t,y\n3,3\n1,\n2,2\n")
    message = load_error(path, time_col="t")
    assert "column 'y', row 2" in message


def test_default_inputs_are_numeric_columns_target_first(tmp_path):
    path = write_csv(tmp_path, "date,a,label,y,b\n2024-01-01,1,foo,10,5\n2024-01-02,2,bar,20,6\n")
    frame = load_frame(spec(path, time_col="date"))
    assert frame.inputs == ["y", "a", "b"]
    assert frame.targets == ["y"]
    assert frame.info["ignored_columns"] == ["label"]
    assert list(frame.values.columns) == ["y", "a", "b"]


def test_features_always_include_the_target(tmp_path):
    path = write_csv(tmp_path, "a,b,y\n1,2,3\n4,5,6\n")
    assert load_frame(spec(path, features=("b",))).inputs == ["y", "b"]
    assert load_frame(spec(path, features=("b", "y"))).inputs == ["y", "b"]
    assert load_frame(spec(path, features=())).inputs == ["y"]


def test_features_cannot_include_time_col(tmp_path):
    message = load_error(write_csv(tmp_path, "t,y\n1,2\n"), time_col="t", features=("t",))
    assert "--features cannot include the --time-col 't'" in message


def test_split_summary_reports_time_ranges(tmp_path):
    lines = "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 21))
    s = spec(write_csv(tmp_path, "date,y\n" + lines), time_col="date")
    summary = ForecastData(load_frame(s), s).split_summary()
    assert summary["train"]["rows"] == [0, 14]
    assert summary["val"]["rows"] == [14, 17]
    assert summary["test"]["rows"] == [17, 20]
    assert summary["val"]["time"][0].startswith("2024-01-15")
    assert summary["test"]["time"][1].startswith("2024-01-20")


# --- one date format for every row ---------------------------------------------------------


def day_first_csv(tmp_path, first_day: int) -> Path:
    """Daily rows written %d/%m/%Y, starting on `first_day` of January 2012."""
    days = pd.date_range(f"2012-01-{first_day:02d}", periods=40, freq="D")
    rows = "".join(f"{d:%d/%m/%Y},{i}\n" for i, d in enumerate(days))
    return write_csv(tmp_path, "date,y\n" + rows)


def test_day_first_dates_are_read_with_one_format(tmp_path):
    # the first row (13/01/2012) can only be day-first, so every row is read day-first
    frame = load_frame(spec(day_first_csv(tmp_path, 13), time_col="date"))
    assert frame.time.is_monotonic_increasing and frame.time.iloc[0] == pd.Timestamp("2012-01-13")
    assert frame.info["time_format"] == "%d/%m/%Y" and not frame.info["reordered_by_time"]


def test_ambiguous_dates_are_refused_not_misread(tmp_path):
    # 01/01/2012 .. 12/01/2012 read either way; 13/01/2012 shows month-first was wrong
    message = load_error(day_first_csv(tmp_path, 1), time_col="date")
    assert "date format %m/%d/%Y of row 1" in message and "row 13 holds '13/01/2012'" in message
    assert "--time-format" in message


def test_time_format_flag(tmp_path):
    frame = load_frame(spec(day_first_csv(tmp_path, 1), time_col="date", time_format="%d/%m/%Y"))
    assert frame.time.iloc[12] == pd.Timestamp("2012-01-13") and frame.time.is_monotonic_increasing


def test_mixed_date_formats_name_the_odd_line(tmp_path):
    path = write_csv(tmp_path, "date,y\n2012-01-01,1\n2012-01-02,2\n01/03/2012,3\n")
    assert "row 3 holds '01/03/2012'" in load_error(path, time_col="date")


@pytest.mark.parametrize("late_line", [b"2.5,x,7\n", b"a,1,7\n", b",,\n", b"1e3,2,\n", b"-0,3,4\n"])
def test_chunked_read_equals_one_pass(tmp_path, late_line):
    """read_csv parses in chunks (less memory); a column whose type changes in a late chunk gets the
    type a one-pass parse gives it, with the same values."""
    from lstmtune.data.csv_reader import read_csv

    path = tmp_path / "long.csv"
    path.write_bytes(b"y,x,z\n" + b"1,2,3\n" * 300_000 + late_line + b"4,5,6\n")
    frame = read_csv(path)
    one_pass = pd.read_csv(path, index_col=False, low_memory=False)
    assert list(frame.dtypes) == list(one_pass.dtypes)
    pd.testing.assert_frame_equal(frame, one_pass)
