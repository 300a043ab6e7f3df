"""Validated rows -> chronological splits, scalers, encoded targets, window indexing, baselines.

Pure numpy / pandas (no TensorFlow), so every rule here is unit-tested fast.

A window is named by its end row `e` (its last input row). Its inputs are rows e-L+1 .. e and its
targets rows e+1 .. e+H. A window belongs to the split its last target row lies in, so no training
window ever sees a validation target; inputs may reach back into earlier splits, as they would in
production. Validation and test windows are therefore the same for every lookback, and baselines
are computed once on exactly the windows the models are scored on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from lstmtune.core.objective import Objective
from lstmtune.core.text import plural
from lstmtune.data.compact_reader import ROUNDING, float32_rounding
from lstmtune.data.csv_reader import row_of
from lstmtune.data.scaler import Scaler
from lstmtune.data.splits import SPLITS, split_bounds
from lstmtune.errors import DataError, OptionError
from lstmtune.tasks.base import MIN_TRAINING_EXAMPLES, Prepared
from lstmtune.tasks.forecast import metrics, transforms
from lstmtune.tasks.forecast.encoder import SCALE_BLOCK, ForecastEncoder, row_blocks, transform_series
from lstmtune.tasks.forecast.reader import DataSpec, Frame, load_frame
from lstmtune.tasks.forecast.transforms import Transform
from lstmtune.tasks.model_size import ModelShape
from lstmtune.tasks.reference import Reference, timed
from lstmtune.tasks.scoring import REGRESSION_FIGURES

# Ranking and early stopping use the unregularised MSE of the scaled targets: val_loss includes the
# L1/L2 penalties and would favour weak regularisation, which is exactly what is being tuned.
OBJECTIVE = Objective("val_mse", "min", "validation MSE, scaled")
# With the transform searched, trials' scaled MSEs are of different series (changes, log changes): they
# are ranked on what they forecast, in original units (scale-free over several targets: metrics.summarise).
RMSE_OBJECTIVE = Objective("val_rmse", "min", "validation RMSE, original units")


def rows_needed(lookback: int, horizon: int, split: tuple[float, float, float], first_row: int) -> int:
    """The fewest rows that give every split a window, with validation and test at least a horizon long
    (shorter, their windows' targets would lie mostly in the split before)."""
    n = 1
    while True:
        a, b = split_bounds(n, split)
        if a >= first_row + lookback + horizon and b - a >= horizon and n - b >= horizon:
            return n
        n += 1


class ForecastData(Prepared):
    """Everything the search needs from the CSV, as arrays, with no copy per window.

    inputs   (n, F) float32: scaled input columns; under diff / logdiff the target columns are
             their one-step (log) changes, so the model sees changes and predicts changes.
    levels   (n, T) float64: the targets in original units (for decoding and metrics).
    encoded  (n, H, T) float32: the encoded targets of the window ending at each row (NaN where
             the horizon runs past the data).
    """

    objective = OBJECTIVE
    figure_columns = REGRESSION_FIGURES

    def __init__(
        self,
        frame: Frame,
        spec: DataSpec,
        max_lookback: int | None = None,
        bounds: tuple[int, int] | None = None,
        narrow: bool = True,
        searched: tuple[str, ...] = (),
    ):
        """`bounds`: the (a, b) of the splits instead of --split's (a cross-validation fold); `narrow`: how
        `frame` was read (load_frame), so a fold reads the file the same way; `searched`: the transforms
        the space searches, each prepared here as a variant of this data (`for_values`)."""
        cfg = spec.settings
        self.narrow = narrow
        self.spec = spec
        self.settings = cfg
        self.input_columns = frame.inputs
        self.target_columns = frame.targets
        self.horizon = cfg.horizon
        bounds = bounds or split_bounds(len(frame.values), cfg.split)
        self.transform = forecast_transform(cfg, bounds[0])
        cfg = self.settings = dataclasses.replace(cfg, transform=self.transform.name)  # auto, resolved
        self.time = frame.time
        self.info = frame.info

        # The rows are never copied whole as float64: a compact read keeps the features float32, only
        # the targets are needed in original units, and the series is scaled a block of rows at a time.
        values = frame.values
        n_targets = len(self.target_columns)
        levels = [values[c].to_numpy(dtype=np.float64) for c in self.target_columns]
        self.levels = levels[0][:, None] if n_targets == 1 else np.column_stack(levels)  # one target: no copy
        self.n_rows = len(self.levels)
        if self.transform.log:
            bad = self.levels <= 0
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise DataError(
                    f"{spec.path}: --transform {cfg.transform} needs every target value > 0, but column "
                    f"{self.target_columns[col]!r} holds {self.levels[row, col]:g} on row "
                    f"{row_of(values.index[row])}; use --transform {self.transform.kind}"
                )
        self.first_row = self.transform.first_row
        self.a, self.b = bounds
        if max_lookback is not None:  # before anything is fitted on the training rows
            self.check_rows(max_lookback)
        for i, name in enumerate(self.target_columns):
            train = self.levels[: self.a, i]
            if len(train) > 1 and np.ptp(train) == 0:
                raise DataError(
                    f"{spec.path}: --target {name!r} must vary over the training rows, but all {len(train)} "
                    f"hold {train[0]:g}: there is nothing to learn"
                )
        self.base = self.transform.base(self.levels)
        # What makes the figures of targets on different scales comparable (metrics.summarise).
        self.step_scales = metrics.step_scales(self.levels[: self.a])
        features = [values[c].to_numpy() for c in self.input_columns[n_targets:]]
        # One encoder, fitted on training rows, turns rows into model inputs and outputs into values,
        # here and later at prediction time (rebuilt from preprocessing.json).
        scaler = Scaler.fit_blocks(
            self._series_blocks(features, self.first_row, self.a), cfg.scale, len(self.input_columns)
        )
        self.encoder = ForecastEncoder.from_scaler(
            scaler, cfg.scale, self.input_columns, self.target_columns, cfg.horizon, self.transform, spec.time_col
        )
        self.input_scaler = self.encoder.scaler
        self.target_offset, self.target_scale = self.encoder.target_offset, self.encoder.target_scale
        self.inputs = self.encoder.scale_blocks(self._series_blocks(features, 0, self.n_rows), self.n_rows)
        # Features a compact read held as float32 whose rounding is not small against their scale on the
        # training rows (values far from zero that hardly vary there): prepare() reads them exactly.
        self.coarse_features = [
            name
            for j, (name, column) in enumerate(zip(self.input_columns[n_targets:], features), start=n_targets)
            if column.dtype == np.float32 and float32_rounding(column) > ROUNDING * self.input_scaler.scale[j]
        ]
        self.encoded = self._encode_all()
        self._add_variants(frame, searched, max_lookback)

    def _add_variants(self, frame: Frame, searched: tuple[str, ...], max_lookback: int | None) -> None:
        """One variant of this data per searched transform, built now so that a transform the data cannot
        take (log of a value <= 0, a season too long) is refused before any training."""
        self.searched = searched
        if searched and self.settings.objective == "mse":
            raise OptionError(
                f"--objective mse ranks trials on the scaled MSE of what each model predicts, which differs between "
                f"the transforms the space searches ({', '.join(searched)}); use --objective rmse or leave it out"
            )
        if searched or self.settings.objective == "rmse":
            self.objective = rmse_objective(len(self.target_columns))
        self.variants: dict[str, ForecastData] = {}
        for name in searched:
            if name == self.transform.name:
                self.variants[name] = self
                continue
            spec = dataclasses.replace(self.spec, settings=dataclasses.replace(self.spec.settings, transform=name))
            self.variants[name] = ForecastData(frame, spec, max_lookback, (self.a, self.b), self.narrow)

    def for_values(self, values: dict[str, Any]) -> ForecastData:
        """The data a trial trains on: its searched transform's variant, or this data."""
        return self.variants.get(str(values.get("transform")), self)

    def fold(self, number: int, folds: int, space: Any) -> ForecastData:
        """Rolling-origin fold `number` of `folds`: its validation block is as long as validation and ends
        `folds - number` such blocks before validation's end; its training rows are every row before it.
        The transform, scaler and baselines are fitted on those rows alone."""
        max_lookback = int(space.params["lookback"].candidates_max())
        length = self.b - self.a
        shift = (folds - number) * length
        a = self.a - shift
        first_row = max(variant.first_row for variant in (self, *self.variants.values()))  # sdiff's season back
        needed = first_row + max_lookback + self.horizon
        if a < needed:
            fitting = max(1, (self.a - needed) // max(length, 1) + 1)
            raise DataError(
                f"{self.spec.path}: --folds {folds} needs {needed} training rows before the first fold's "
                f"validation block ({length} rows, as long as validation) for a lookback of {max_lookback}, "
                f"but only {max(a, 0)} are left; at most {fitting} folds fit"
            )
        if number == folds:
            return self
        # Read again rather than kept: a search without --folds holds no second copy of the rows.
        frame = load_frame(self.spec, self.narrow)
        return ForecastData(frame, self.spec, bounds=(a, a + length), narrow=self.narrow, searched=self.searched)

    def _series_blocks(self, features: list[np.ndarray], start: int, stop: int) -> Iterator[np.ndarray]:
        """Rows start..stop of the series the model sees (transform_series of the target levels, then the
        features), float64, a block of rows at a time; each block starts early by the rows its first
        change looks back on."""
        n_targets = self.levels.shape[1]
        width = n_targets + len(features)
        for low, high in row_blocks(start, stop, width):
            first = max(low - self.first_row, 0)
            rows = np.empty((high - first, width))
            rows[:, :n_targets] = self.levels[first:high]
            for j, column in enumerate(features):
                rows[:, n_targets + j] = column[first:high]
            yield transform_series(rows, n_targets, self.transform)[0][low - first :]

    # -- encoding --

    def _encode_all(self) -> np.ndarray:
        """(n, H, T) float32, filled a horizon step and a block of rows at a time (no float64 copy)."""
        n, H, T = self.n_rows, self.horizon, len(self.target_columns)
        base = self.base
        out = np.full((n, H, T), np.nan, dtype=np.float32)
        # A horizon longer than the data leaves NaN; check_rows then says how many rows are needed.
        first = self.transform.season if self.transform.kind == "sdiff" else 0  # a season back must exist
        for h in range(1, H + 1):
            for low in range(first or 0, n - h, SCALE_BLOCK):
                high = min(n - h, low + SCALE_BLOCK)
                origin = self.transform.origin_step(base, np.arange(low, high), h)
                out[low:high, h - 1, :] = (base[low + h : high + h] - origin - self.target_offset) / self.target_scale
        return out

    def decode(self, encoded: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Model outputs (windows, H, T) -> predictions in original units."""
        return self.encoder.to_values(encoded, self.transform.origin(self.base, ends, self.horizon))

    # -- windows --

    def window_ends(self, split: str, lookback: int) -> np.ndarray:
        """End rows of the windows whose last target lies in `split` and whose inputs exist."""
        H = self.horizon
        low_target, high_target = {"train": (0, self.a), "val": (self.a, self.b), "test": (self.b, self.n_rows)}[split]
        start = max(low_target - H, self.first_row + lookback - 1)
        stop = high_target - H  # exclusive
        return np.arange(start, max(start, stop), dtype=np.int64)

    def truth(self, ends: np.ndarray) -> np.ndarray:
        """Targets of the windows in original units, (windows, H, T)."""
        rows = ends[:, None] + np.arange(1, self.horizon + 1)[None, :]
        return self.levels[rows]

    def baseline(self, kind: str, ends: np.ndarray, season: int | None = None) -> np.ndarray:
        """Naive forecasts in original units: persistence, or seasonal naive with period `season`."""
        H = self.horizon
        if kind == "persistence":
            return np.repeat(self.levels[ends][:, None, :], H, axis=1)
        if kind == "seasonal":
            assert season is not None
            steps = np.arange(1, H + 1)
            back = steps - season * np.ceil(steps / season).astype(int)
            rows = ends[:, None] + back[None, :]
            if rows.min() < 0:
                raise DataError(
                    f"{self.spec.path}: --season {season} reaches before the first row; it must be shorter than the training split"
                )
            return self.levels[rows]
        raise ValueError(kind)

    def check_rows(self, max_lookback: int) -> None:
        """Enough rows for the longest lookback in the space (see rows_needed)."""
        needed = rows_needed(max_lookback, self.horizon, self.settings.split, self.first_row)
        if self.n_rows < needed:
            split = "/".join(f"{f:g}" for f in self.settings.split)
            notes = [" the validation and test splits need at least a horizon of rows each"] if self.horizon > 1 else []
            if self.first_row:
                extra = "one more row" if self.first_row == 1 else f"{self.first_row} more rows"
                notes.append(f" the {self.transform.name} transform uses {extra}")
            raise DataError(
                f"{self.spec.path}: {self.n_rows} rows are too few for lookback {max_lookback} + horizon "
                f"{self.horizon} with split {split}: at least {needed} rows are needed"
                + (f" ({';'.join(notes).strip()})" if notes else "")
            )

    def split_summary(self) -> dict[str, Any]:
        ranges = {"train": (0, self.a), "val": (self.a, self.b), "test": (self.b, self.n_rows)}
        out = {}
        for name, (lo, hi) in ranges.items():
            entry: dict[str, Any] = {"rows": [lo, hi]}
            if self.time is not None and hi > lo:
                entry["time"] = [str(self.time.iloc[lo]), str(self.time.iloc[hi - 1])]
            out[name] = entry
        return out

    def preprocessing_state(self) -> dict[str, Any]:
        """What is needed to turn new rows into model inputs and outputs back into values."""
        return self.encoder.to_state()

    # -- the Prepared interface --

    def state(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.for_values(values).preprocessing_state(),
            "lookback": int(values["lookback"]),
            "time_format": self.info.get("time_format"),
        }

    def evaluate(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> dict[str, Any]:
        """rmse, mae, skill over persistence (and per target) of model outputs for `split`'s windows."""
        data = self.for_values(values)
        ends = data.window_ends(split, int(values["lookback"]))
        prediction = data.decode(np.asarray(outputs, dtype=np.float64), ends)
        truth, persistence = self.truth(ends), self.baseline("persistence", ends)
        return {
            **metrics.summarise(truth, prediction, persistence, self.step_scales),
            "by_target": metrics.by_target(truth, prediction, persistence, self.target_columns),
            "windows": int(len(ends)),
        }

    def baselines(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Naive forecasts on exactly the validation and test windows the models are scored on."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for split in ("val", "test"):
            ends = self.window_ends(split, 1)
            truth, persistence = self.truth(ends), self.baseline("persistence", ends)
            forecasts = {"persistence": persistence}
            if self.settings.season:
                forecasts["seasonal"] = self.baseline("seasonal", ends, self.settings.season)
            out[split] = {
                name: {
                    **metrics.summarise(truth, forecast, persistence, self.step_scales),
                    "by_target": metrics.by_target(truth, forecast, persistence, self.target_columns),
                }
                for name, forecast in forecasts.items()
            }
        return out

    def output_encoding(self, values: dict[str, Any]) -> Any:
        return self.for_values(values).transform.name

    def fix_defaults(self, space: Any) -> Any:
        """The objective written into the space's data section when the transform is searched, so that
        best.yaml, which fixes the best trial's transform, ranks and stops on the same figure."""
        if self.objective.name == RMSE_OBJECTIVE.name and space.data.get("objective") is None:
            return dataclasses.replace(space, data={**space.data, "objective": "rmse"})
        return space

    def reference_choices(self) -> tuple[str, ...]:
        from lstmtune.tasks.forecast.reference import choices

        return choices(self.settings.season)

    def reference(self, choice: str) -> Reference:
        from lstmtune.tasks.forecast.reference import fit_reference

        self.fitted_reference = timed(lambda: fit_reference(self, choice), choice)
        return self.fitted_reference

    def manifest_data(self) -> dict[str, Any]:
        return {
            "targets": list(self.target_columns),
            "inputs": list(self.input_columns),
            "time_col": self.spec.time_col,
            "settings": settings_json(self.settings),
            **({"searched_transforms": list(self.searched)} if self.searched else {}),
            "rows": self.info,
            "splits": self.split_summary(),
        }

    def predictions(self, split: str, outputs: np.ndarray, values: dict[str, Any]) -> pd.DataFrame:
        """The one-step-ahead forecast of every window (the first horizon step), per target."""
        data = self.for_values(values)
        ends = data.window_ends(split, int(values["lookback"]))
        prediction = data.decode(np.asarray(outputs, dtype=np.float64), ends)[:, 0, :]
        truth, persistence = self.truth(ends)[:, 0, :], self.baseline("persistence", ends)[:, 0, :]
        rows = ends + 1
        items = self.time.iloc[rows].astype(str).to_numpy() if self.time is not None else rows
        reference = self.fitted_reference.predictions if self.fitted_reference is not None else None
        frames = []
        for t, name in enumerate(self.target_columns):
            frame = pd.DataFrame(
                {
                    "split": split,
                    "item": items,
                    "target": name,
                    "truth": truth[:, t],
                    "prediction": prediction[:, t],
                    "persistence": persistence[:, t],
                }
            )
            if split == "test" and reference is not None and len(reference) == len(ends):
                frame["reference"] = reference[:, t]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def model_shape(self, values: dict[str, Any]) -> ModelShape:
        return ModelShape(
            steps=int(values["lookback"]), width=self.inputs.shape[1], outputs=self.horizon * len(self.target_columns)
        )

    def summary(self) -> str:
        return data_summary(self)

    def window_counts(self, lookback: int) -> dict[str, int]:
        return {split: len(self.window_ends(split, lookback)) for split in SPLITS}

    def warnings(self, space: Any) -> list[str]:
        out = []
        gaps, longest = self.info.get("gaps", 0), self.info.get("longest_gap", 0)
        if gaps:
            out.append(
                f"{self.spec.path}: --fill drop removed {self.info['rows_dropped']} of {self.info['rows_read']} rows "
                f"and left {plural(gaps, 'gap')} inside the series (up to {longest} consecutive rows "
                "missing): windows across them join rows that were not neighbours; --fill interpolate or ffill "
                "keeps the steps regular"
            )
        lookback = int(space.params["lookback"].candidates_max())
        windows = self.window_counts(lookback)["train"]
        if windows < MIN_TRAINING_EXAMPLES:
            out.append(
                f"{self.spec.path}: only {plural(windows, 'training window')} at lookback "
                f"{lookback} ({self.a} training rows): too few to learn from; use more rows or a shorter lookback"
            )
        return out

    def check_lines(self, space: Any) -> list[str]:
        longest = int(space.params["lookback"].candidates_max())
        counts = self.window_counts(longest)
        persistence = self.baselines()["val"]["persistence"]
        transform = (
            f"transforms {', '.join(self.searched)} (searched)" if self.searched else f"transform {self.transform.name}"
        )
        return [
            f"{transform}, horizon {self.horizon}; "
            f"windows at lookback {longest}: train {counts['train']}, val {counts['val']}, test {counts['test']}; "
            f"validation persistence RMSE {persistence['rmse']:.4g}"
        ]


def rmse_objective(targets: int) -> Objective:
    """Validation RMSE in original units; scale-free (metrics.summarise) over several targets."""
    if targets == 1:
        return RMSE_OBJECTIVE
    return Objective("val_rmse", "min", f"validation RMSE, scale-free over {targets} targets")


def forecast_transform(cfg: Any, train_rows: int) -> Transform:
    """The transform the settings ask for (auto resolved); sdiff needs a season at least as long as the horizon."""
    name = transforms.resolved(cfg.transform, cfg.season, cfg.horizon, train_rows)
    if "sdiff" in name:
        if cfg.season is None:
            raise OptionError(
                f"--transform {name} needs --season M (the change is taken from the value a season before)"
            )
        if cfg.horizon > cfg.season:
            raise OptionError(
                f"--transform {name} forecasts at most a season ahead: --horizon must be at "
                f"most --season ({cfg.season}), but got {cfg.horizon}"
            )
    return Transform.named(name, cfg.season)


def settings_json(cfg: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(cfg), "split": list(cfg.split)}


def prepare(spec: DataSpec, max_lookback: int, searched: tuple[str, ...] = ()) -> ForecastData:
    """Load, validate and encode the CSV for a search whose longest lookback is `max_lookback` and whose
    space searches the transforms `searched` (none: the settings' transform only)."""
    data = ForecastData(load_frame(spec), spec, max_lookback, searched=searched)
    if data.coarse_features:  # float32 would blur them once scaled: every float column as float64
        data = ForecastData(load_frame(spec, narrow=False), spec, max_lookback, narrow=False, searched=searched)
    return data


def data_summary(data: ForecastData) -> str:
    """One line saying what was read and what was done to it, so nothing happens silently."""
    info = data.info
    parts = [f"{info['rows_used']} rows"]
    if info["rows_dropped"]:
        why = f"--fill {info['fill']}" if info["fill"] == "drop" else "no earlier value to fill from"
        parts[0] += f" ({info['rows_dropped']} dropped: {why})"
    if info["values_filled"]:
        parts.append(f"{info['values_filled']} missing values filled by --fill {info['fill']}")
    parts.append(f"inputs {', '.join(data.input_columns)}")
    if info["ignored_columns"]:
        parts.append(f"ignored {', '.join(info['ignored_columns'])}")
    if info.get("time_format") and info["time_format"] != "ISO8601":
        parts.append(f"dates read as {info['time_format']}")
    for column in info.get("time_like_columns", []):
        parts.append(f"{column!r} looks like dates: pass --time-col {column} if it orders the rows")
    return "; ".join(parts)
