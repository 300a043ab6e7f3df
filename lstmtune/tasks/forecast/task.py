"""The forecasting task: one or more series in time order; predict the next `horizon` steps."""

from __future__ import annotations

import dataclasses
from typing import Any

from lstmtune.errors import DataError, OptionError, SpaceError
from lstmtune.tasks.base import DataRequest, Presentation, Task
from lstmtune.tasks.forecast import settings
from lstmtune.tasks.forecast.transforms import AUTO

PRESENTATION = Presentation(
    kind="forecast",
    model_column="forecast",
    skill="skill = 1 - RMSE / RMSE of persistence",
    original_units=True,
    # The objective is measured on scaled (and differenced) targets, the baselines in original units.
    baseline_in_objective_units=False,
    predictions="time",
    predictions_note=", with persistence (repeating the last value) for reference.",
    summary_prose=False,
)


class ForecastTask(Task):
    name = "forecast"
    specs = {"lookback": settings.LOOKBACK_SPEC, "transform": settings.TRANSFORM_SPEC}
    data_rules = settings.DATA_RULES
    settings_class = settings.ForecastSettings
    column_flags = ("target", "time_col", "features")
    option_flags = ("time_format",)
    fixing_rules = {"lookback": settings.LOOKBACK_RULE}
    multiple_targets = True
    purpose = "Forecasting one or more series (lstmtune search DATA.csv --target COL --time-col DATE ...)."
    starter_ranges = {"lookback": {"choice": [12, 24, 48]}}
    predict_options = ("all_windows",)
    indexed_predictions = True
    fold_kind = "rolling origin"
    references = ("sarima", "ets", "ar")
    reference_needs = {"sarima": "--season M (a seasonal model)", "ets": "--season M (a seasonal model)"}
    reference_advice = (
        "give the LSTM the season to start from (--transform sdiff, or log,sdiff for a positive series whose "
        "swings grow with its level, with --season M), a lookback of at least one season, and search more trials"
    )

    def advice_against_reference(self, manifest: Any, table: Any) -> str:
        """The general advice without what the run already did: a seasonal transform, lookbacks of a season."""
        import pandas as pd

        settings = manifest.data.get("settings") or {}
        season = settings.get("season")
        parts = []
        searched = manifest.data.get("searched_transforms") or []
        tried = searched if searched else [settings.get("transform")]
        if not {"sdiff", "log,sdiff"} & set(tried):
            parts.append(
                "give the LSTM the season to start from (--transform sdiff, or log,sdiff for a positive series "
                "whose swings grow with its level, with --season M)"
            )
        lookbacks = pd.to_numeric(table["lookback"], errors="coerce").dropna() if "lookback" in table else None
        if not isinstance(season, int) or lookbacks is None or lookbacks.empty:
            parts.append("a lookback of at least one season")
        elif (lookbacks < season).any():
            parts.append(f"a lookback of at least one season ({season})")
        parts.append("search more trials and epochs")
        return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]

    def prepare(self, request: DataRequest, space: Any):
        from lstmtune.tasks.forecast.data import prepare
        from lstmtune.tasks.forecast.reader import DataSpec

        columns = request.columns
        targets = columns.get("target") or ()
        data_settings, searched = transform_settings(request.settings, space)
        spec = DataSpec(
            path=request.path,
            targets=tuple([targets] if isinstance(targets, str) else targets),
            time_col=columns.get("time_col"),
            features=tuple(columns["features"]) if columns.get("features") is not None else None,
            settings=data_settings,
            time_format=request.options.get("time_format"),
        )
        if request.options.get("time_format") is not None and spec.time_col is None:
            raise DataError(f"{request.path}: --time-format needs --time-col")
        return prepare(spec, int(space.params["lookback"].candidates_max()), searched)

    def keras_side(self, prepared):
        from lstmtune.tasks.forecast.keras_io import ForecastKeras

        return ForecastKeras(prepared)

    def predictor_encoder(self, state: dict[str, Any]):
        from lstmtune.tasks.forecast.encoder import ForecastEncoder

        return ForecastEncoder.from_state(state)

    def findings(self, best: Any, manifest: dict[str, Any]) -> list[str]:
        from lstmtune.tasks.forecast.findings import against_baselines

        return against_baselines(best, manifest)

    def presentation(self, figures: tuple[str, ...], data: dict[str, Any] | None = None) -> Presentation:
        if data and data.get("searched_transforms"):  # ranked on validation RMSE, the baselines' units
            return dataclasses.replace(PRESENTATION, baseline_in_objective_units=True)
        return PRESENTATION

    def data_line(self, data: dict[str, Any]) -> str:
        rows = data.get("rows") or {}
        chosen = data.get("settings") or {}
        parts = [
            f"data: {data.get('path')}",
            f"target: {', '.join(map(str, data.get('targets') or []))}",
            f"inputs: {', '.join(map(str, data.get('inputs') or []))}",
            f"transform: {chosen.get('transform')}"
            if not data.get("searched_transforms")
            else f"transform: searched ({', '.join(data['searched_transforms'])})",
            f"horizon: {chosen.get('horizon')}",
        ]
        if rows.get("rows_used") is not None:
            dropped = f", {rows['rows_dropped']} dropped" if rows.get("rows_dropped") else ""
            filled = f", {rows['values_filled']} values filled" if rows.get("values_filled") else ""
            parts.append(f"rows: {rows['rows_used']}{dropped}{filled}")
        if rows.get("ignored_columns"):
            parts.append(f"ignored: {', '.join(rows['ignored_columns'])}")
        return "  ".join(parts)


def transform_settings(data_settings: Any, space: Any) -> tuple[Any, tuple[str, ...]]:
    """The data settings with the space's fixed `transform` hyperparameter in them, and the transforms the
    space searches (none when it is fixed). The --transform flag (or the space's data: section) and the
    hyperparameter may not both set it."""
    param = space.params.get("transform")
    if param is None or (param.kind == "fixed" and param.value == AUTO):
        return data_settings, ()
    shown = param.value if param.kind == "fixed" else "{choice: [" + ", ".join(param.values) + "]}"
    if data_settings.transform != AUTO and (param.kind != "fixed" or param.value != data_settings.transform):
        raise OptionError(
            f"--transform {data_settings.transform} and {space.source}: hyperparameters.transform ({shown}) both "
            "set the transform; keep one"
        )
    if param.kind == "fixed":
        return dataclasses.replace(data_settings, transform=param.value), ()
    if AUTO in param.values:
        raise SpaceError(
            f"{space.source}: hyperparameters.transform may search named transforms only, but its choice "
            f"holds auto ({shown}); name the transform auto stands for (sdiff with --season, diff without)"
        )
    return data_settings, tuple(param.values)


TASK = ForecastTask()
