"""Forecasting's transforms: what the model sees and predicts, and how its outputs become values again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmtune.tasks.forecast.data import ForecastData
from lstmtune.tasks.forecast.encoder import ForecastEncoder
from lstmtune.tasks.forecast.reader import DataSpec, load_frame
from lstmtune.tasks.forecast.settings import ForecastSettings
from lstmtune.tasks.forecast.transforms import NAMES, Transform, canonical

SEASON = 4


def seasonal_series(n: int = 80) -> np.ndarray:
    """A positive series with a trend and a season whose swings grow with the level."""
    t = np.arange(n)
    return (100 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / SEASON)) + np.random.RandomState(0).randn(n)


def prepared(tmp_path, transform: str, horizon: int = 2, season: int | None = SEASON) -> ForecastData:
    path = tmp_path / "series.csv"
    pd.DataFrame({"y": seasonal_series()}).to_csv(path, index=False)
    settings = ForecastSettings(transform=transform, horizon=horizon, season=season)
    spec = DataSpec(path=path, targets=("y",), settings=settings)
    return ForecastData(load_frame(spec), spec, max_lookback=6)


@pytest.mark.parametrize(
    "written, name",
    [
        ("diff", "diff"),
        ("LogDiff", "logdiff"),
        ("log, diff", "logdiff"),
        ("sdiff,log", "log,sdiff"),
        ("log", "log"),
        ("none", "none"),
        ("log,none", "log"),
    ],
)
def test_names_are_read_in_any_order_and_case(written, name):
    assert canonical(written) == name and name in NAMES


@pytest.mark.parametrize("written", ["sqrt", "diff,sdiff", "", "log,log2"])
def test_unknown_or_contradictory_transforms_are_refused(written):
    with pytest.raises(ValueError, match="must be one of"):
        canonical(written)


@pytest.mark.parametrize("transform", NAMES)
def test_encoded_targets_decode_to_the_true_values(tmp_path, transform):
    data = prepared(tmp_path, transform)
    for split in ("train", "val", "test"):
        ends = data.window_ends(split, 6)
        np.testing.assert_allclose(data.decode(data.encoded[ends], ends), data.truth(ends), rtol=1e-5)


@pytest.mark.parametrize(
    "transform, naive",
    [("diff", "persistence"), ("sdiff", "seasonal random walk"), ("log,sdiff", "seasonal random walk on logs")],
)
def test_a_zero_output_is_the_naive_forecast_the_transform_starts_from(tmp_path, transform, naive):
    data = prepared(tmp_path, transform, horizon=2)
    y, ends = data.levels[:, 0], data.window_ends("test", 6)
    decoded = data.decode(np.zeros((len(ends), 2, 1)), ends)[:, :, 0]
    for h in (1, 2):
        if naive == "persistence":
            expected = y[ends]
        elif naive == "seasonal random walk":
            expected = y[ends] + y[ends + h - SEASON] - y[ends - SEASON]
        else:
            expected = y[ends] * y[ends + h - SEASON] / y[ends - SEASON]
        np.testing.assert_allclose(decoded[:, h - 1], expected)


def test_the_model_sees_seasonal_changes_under_sdiff(tmp_path):
    data = prepared(tmp_path, "sdiff")
    y = data.levels[:, 0]
    change = np.diff(y)
    seasonal_change = change[SEASON:] - change[:-SEASON]  # rows SEASON+1 .. n-1
    scaled = data.inputs[SEASON + 1 :, 0] * data.input_scaler.scale[0] + data.input_scaler.offset[0]
    np.testing.assert_allclose(scaled, seasonal_change, rtol=1e-5)
    assert data.first_row == SEASON + 1


def test_the_saved_encoder_forecasts_new_rows_as_the_search_did(tmp_path):
    data = prepared(tmp_path, "log,sdiff")
    encoder = ForecastEncoder.from_state({**data.state({"lookback": 6})})
    frame = pd.DataFrame({"y": data.levels[:, 0]})
    windows, context = encoder.encode_frame(frame, all_windows=True)
    ends = data.window_ends("test", 6)
    position = {end: i for i, end in enumerate(np.arange(data.first_row + 5, data.n_rows))}
    rows = [position[e] for e in ends]
    np.testing.assert_allclose(windows[rows], np.stack([data.inputs[e - 5 : e + 1] for e in ends]), rtol=1e-6)
    outputs = np.full((len(rows), 2, 1), 0.3)
    np.testing.assert_allclose(encoder.to_values(outputs, context["origin"][rows]), data.decode(outputs, ends))
    assert encoder.rows_needed == 6 + SEASON + 1


def test_sdiff_needs_a_season_no_shorter_than_the_horizon(tmp_path):
    from lstmtune.errors import OptionError

    with pytest.raises(OptionError, match="needs --season M"):
        prepared(tmp_path, "sdiff", season=None)
    with pytest.raises(OptionError, match=r"--horizon must be at most --season \(4\), but got 5"):
        prepared(tmp_path, "sdiff", horizon=5)


def test_log_transforms_refuse_a_value_that_is_not_positive(tmp_path):
    from lstmtune.errors import DataError

    path = tmp_path / "series.csv"
    pd.DataFrame({"y": np.r_[seasonal_series(40), -1.0, seasonal_series(40)]}).to_csv(path, index=False)
    spec = DataSpec(path=path, targets=("y",), settings=ForecastSettings(transform="log,sdiff", season=SEASON))
    with pytest.raises(DataError, match=r"--transform log,sdiff needs every target value > 0.*use --transform sdiff"):
        ForecastData(load_frame(spec), spec)


def test_a_transform_is_its_name_and_season():
    transform = Transform.named("log,sdiff", 12)
    assert (transform.log, transform.kind, transform.season, transform.name) == (True, "sdiff", 12, "log,sdiff")
    assert Transform.named("diff", 12).season is None  # the season matters to sdiff only
