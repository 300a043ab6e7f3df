"""`lstmtune check`: validate a space file, and a CSV against it, without TensorFlow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstmtune import settings
from lstmtune.dataset import data_summary, prepare
from lstmtune.frame import DataSpec
from lstmtune.errors import OptionError
from lstmtune.plan import compute_baselines, validate_flags, window_counts
from lstmtune.settings import DataSettings, SearchSettings
from lstmtune.space import load_space


def check_inputs(space_path: Path, data_path: Path | None, targets: tuple[str, ...], time_col: str | None,
                 features: tuple[str, ...] | None, data_flags: dict[str, Any], lookback: int | None = None,
                 time_format: str | None = None) -> list[str]:
    """Validate as `search` would (the same rules and messages); return lines describing what was found."""
    flags = validate_flags(data_flags, settings.DATA_RULES)
    fixed = validate_flags({"lookback": lookback}, {"lookback": settings.LOOKBACK_RULE})
    space = load_space(space_path)
    if fixed:
        space = space.with_fixed(fixed)
    search = settings.build(SearchSettings, settings.SEARCH_RULES, space.search)
    tunable = [p.name for p in space.tunable]
    lines = [
        f"{space_path}: valid; {len(tunable)} tunable hyperparameter{'s' if len(tunable) != 1 else ''} ({', '.join(tunable) or 'none'}); "
        f"tuner {search.tuner}, {search.max_trials} trials of up to {search.epochs} epochs, patience {search.patience}"
    ]
    if data_path is None:
        given = [flag for flag, value in (("--target", targets), ("--time-col", time_col), ("--time-format", time_format),
                                          ("--features", features)) if value]
        if given or flags:
            raise OptionError(f"{', '.join(given + ['--' + k for k in flags])} only apply with the DATA argument")
        return lines
    if not targets:
        raise OptionError("--target is required with DATA")
    spec = DataSpec(data_path, targets, time_col, features,
                    settings.build(DataSettings, settings.DATA_RULES, space.data, flags), time_format)
    longest = int(space.params["lookback"].candidates_max())
    data = prepare(spec, longest)
    counts = window_counts(data, longest)
    persistence = compute_baselines(data)["val"]["persistence"]
    lines.append(
        f"{data_path}: valid; {data_summary(data)}; "
        f"transform {data.transform}, horizon {data.horizon}; "
        f"windows at lookback {longest}: train {counts['train']}, val {counts['val']}, test {counts['test']}; "
        f"validation persistence RMSE {persistence['rmse']:.4g}"
    )
    return lines
