"""`lstmtune init`: a commented starter space file for a task, written from the task's own rules.

The main knobs get suggested ranges; every other hyperparameter is listed commented out with its
default and meaning, so the file documents the whole space.
"""

from __future__ import annotations

from typing import Any

import yaml

from lstmtune.space import settings
from lstmtune.tasks import get_task, hyperparameter_specs

COMMON_RANGES: dict[str, Any] = {
    "layers": {"int": [1, 2]},
    "units": {"int": [16, 128], "step": 16},
    "dropout": {"float": [0.0, 0.4]},
    "recurrent_dropout": {"float": [0.0, 0.3]},
    "kernel_l2": {"float": [1e-6, 1e-2], "log": True},
    "recurrent_l2": {"float": [1e-6, 1e-2], "log": True},
    "dense_dropout": {"float": [0.0, 0.4]},
    "learning_rate": {"float": [3e-4, 1e-2], "log": True},
    "clipnorm": 1.0,
}
TASK_RANGES: dict[str, dict[str, Any]] = {
    "forecast": {"lookback": {"choice": [12, 24, 48]}},
    "text": {"max_tokens": {"choice": [5000, 10000, 20000]}, "embedding_dim": {"choice": [32, 64, 128]},
             "embedding_dropout": {"float": [0.0, 0.5]}, "bidirectional": {"choice": [False, True]}},
    "sequence": {"input_noise": {"float": [0.0, 0.2]}, "bidirectional": {"choice": [False, True]},
                 "batch_size": {"choice": [8, 16, 32]}},
}
HEADERS = {
    "forecast": "Forecasting one or more series (lstmtune search DATA.csv --target COL --time-col DATE ...).",
    "text": "Text classification (lstmtune search DATA.csv --task text --text-col TEXT --target LABEL ...).",
    "sequence": "Many short sequences, one label or value each (lstmtune search DATA.csv --task sequence ...).",
}
GATES = {"forecast": "val.skill > 0", "text": "val.skill > 0", "sequence": "val.skill > 0"}


def _inline(value: Any) -> str:
    """A value as one line of YAML, in the notation the space file reads (1e-06, true, {int: [1, 2]})."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def starter_space(task: str) -> str:
    """The text of a starter space file for `task`; it passes `lstmtune check`."""
    ranges = {**COMMON_RANGES, **TASK_RANGES[get_task(task).name]}
    lines = [f"# lstmtune search space: {HEADERS[task]}",
             "# Ranges are searched; a plain value is fixed; a commented-out line shows the default that applies.",
             "# Check it with: lstmtune check --space THIS_FILE" + ("" if task == "forecast" else f" --task {task}"),
             "hyperparameters:"]
    for name, spec in hyperparameter_specs(task).items():
        note = f"# {spec.help}" + (f"; {spec.rule}" if spec.rule else "")
        if name in ranges:
            lines.append(f"  {name}: {_inline(ranges[name])}  {note}")
        else:
            default = "from the data" if spec.default is None else _inline(spec.default)
            lines.append(f"  # {name}: {default}  {note}")
    defaults = settings.SearchSettings()
    lines += ["search:", f"  max_trials: {defaults.max_trials}", "  epochs: 50", "  patience: 6",
              "  # tuner: bayesian    # bayesian | random | hyperband", "  # time_budget: 30m  # stop after this long",
              "data:"]
    task_settings = get_task(task).settings_class()
    for name in get_task(task).data_rules:
        value = getattr(task_settings, name)
        shown = ",".join(map(str, value)) if isinstance(value, tuple) else ("null" if value is None else value)
        lines.append(f"  # {name}: {shown}")
    lines += ["gate:                 # rules `lstmtune gate RUN_DIR` checks, e.g. in CI",
              f"  - {GATES[task]}", "  - trials.failed == 0", ""]
    return "\n".join(lines)
