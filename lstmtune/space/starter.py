"""`lstmtune init`: a commented starter space file for a task, written from the task's own rules.

The main knobs get suggested ranges; every other hyperparameter is listed commented out with its
default and meaning, so the file documents the whole space.
"""

from __future__ import annotations

from typing import Any

import yaml

from lstmtune.core.names import DEFAULT_TASK
from lstmtune.space import settings
from lstmtune.space.load import Grammar

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
# Every starter gate asks at least this of the best model.
GATE = "val.skill > 0"


def _inline(value: Any) -> str:
    """A value as one line of YAML, in the notation the space file reads (1e-06, true, {int: [1, 2]})."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def starter_space(grammar: Grammar, purpose: str, ranges: dict[str, Any], data_defaults: Any) -> str:
    """The text of a starter space file; it passes `lstmtune check`.

    `purpose` says what the task is for, `ranges` suggests the task's own knobs, `data_defaults` is the
    task's settings object with its defaults (each data: key is listed commented out with its default).
    """
    ranges = {**COMMON_RANGES, **ranges}
    task_flag = "" if grammar.task == DEFAULT_TASK else f" --task {grammar.task}"
    lines = [
        f"# lstmtune search space: {purpose}",
        "# Ranges are searched; a plain value is fixed; a commented-out line shows the default that applies.",
        f"# Check it with: lstmtune check --space THIS_FILE{task_flag}",
        "hyperparameters:",
    ]
    for name, spec in grammar.specs.items():
        note = f"# {spec.help}" + (f"; {spec.rule}" if spec.rule else "")
        if name in ranges:
            lines.append(f"  {name}: {_inline(ranges[name])}  {note}")
        else:
            default = "from the data" if spec.default is None else _inline(spec.default)
            lines.append(f"  # {name}: {default}  {note}")
    defaults = settings.SearchSettings()
    lines += [
        "search:",
        f"  max_trials: {defaults.max_trials}",
        "  epochs: 50",
        "  patience: 6",
        "  # tuner: bayesian    # bayesian | random | hyperband",
        "  # time_budget: 30m  # stop after this long",
        "  # prune: median      # median | halving | off: stop hopeless trials early",
        "  # executions: 1      # train each trial N times from different seeds, ranked on the mean",
        "data:",
    ]
    for name in grammar.data_rules:
        value = getattr(data_defaults, name)
        shown = ",".join(map(str, value)) if isinstance(value, tuple) else ("null" if value is None else value)
        lines.append(f"  # {name}: {shown}")
    lines += [
        "gate:                 # rules `lstmtune gate RUN_DIR` checks, e.g. in CI",
        f"  - {GATE}",
        "  - trials.failed == 0",
        "",
    ]
    return "\n".join(lines)
