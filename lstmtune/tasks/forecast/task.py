"""The forecasting task: one or more series in time order; predict the next `horizon` steps."""

from __future__ import annotations

from typing import Any

from lstmtune.errors import DataError
from lstmtune.space.specs import LOOKBACK_SPEC
from lstmtune.tasks.base import DataRequest, Task
from lstmtune.tasks.forecast import settings


class ForecastTask(Task):
    name = "forecast"
    specs = {"lookback": LOOKBACK_SPEC}
    data_rules = settings.DATA_RULES
    settings_class = settings.ForecastSettings
    column_flags = ("target", "time_col", "features")
    option_flags = ("time_format",)

    def prepare(self, request: DataRequest, space: Any):
        from lstmtune.tasks.forecast.reader import DataSpec
        from lstmtune.tasks.forecast.data import prepare

        columns = request.columns
        targets = columns.get("target") or ()
        spec = DataSpec(
            path=request.path,
            targets=tuple([targets] if isinstance(targets, str) else targets),
            time_col=columns.get("time_col"),
            features=tuple(columns["features"]) if columns.get("features") is not None else None,
            settings=request.settings,
            time_format=request.options.get("time_format"),
        )
        if request.options.get("time_format") is not None and spec.time_col is None:
            raise DataError(f"{request.path}: --time-format needs --time-col")
        return prepare(spec, int(space.params["lookback"].candidates_max()))

    def keras_side(self, prepared):
        from lstmtune.tasks.forecast.keras_io import ForecastKeras

        return ForecastKeras(prepared)

    def predictor_encoder(self, state: dict[str, Any]):
        from lstmtune.tasks.forecast.encoder import ForecastEncoder

        return ForecastEncoder.from_state(state)

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        from lstmtune.tasks.forecast.findings import against_baselines

        return against_baselines(best, manifest)


TASK = ForecastTask()
