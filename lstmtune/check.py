"""`lstmtune check`: validate a space file, and a CSV against it, without TensorFlow."""

from __future__ import annotations

from pathlib import Path

from lstmtune import settings
from lstmtune.dataset import DataSpec, prepare
from lstmtune.errors import OptionError
from lstmtune.plan import compute_baselines, window_counts
from lstmtune.settings import DataSettings, SearchSettings
from lstmtune.space import load_space


def check_inputs(space_path: Path, data_path: Path | None, targets: tuple[str, ...],
                 time_col: str | None, features: tuple[str, ...] | None) -> list[str]:
    space = load_space(space_path)
    search = settings.build(SearchSettings, settings.SEARCH_RULES, space.search)
    tunable = [p.name for p in space.tunable]
    lines = [
        f"{space_path}: valid; {len(tunable)} tunable hyperparameters ({', '.join(tunable) or 'none'}); "
        f"tuner {search.tuner}, {search.max_trials} trials of up to {search.epochs} epochs, patience {search.patience}"
    ]
    if data_path is None:
        if targets:
            raise OptionError("--target needs the DATA argument")
        return lines
    if not targets:
        raise OptionError("--target is required with DATA")
    spec = DataSpec(data_path, targets, time_col, features,
                    settings.build(DataSettings, settings.DATA_RULES, space.data))
    longest = int(space.params["lookback"].candidates_max())
    data = prepare(spec, longest)
    counts = window_counts(data, longest)
    persistence = compute_baselines(data)["val"]["persistence"]
    lines.append(
        f"{data_path}: valid; {data.n_rows} rows, inputs {', '.join(data.input_columns)}; "
        f"windows at lookback {longest}: train {counts['train']}, val {counts['val']}, test {counts['test']}; "
        f"validation persistence RMSE {persistence['rmse']:.4g}"
    )
    return lines
