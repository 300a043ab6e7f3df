"""The kinds of data lstmtune tunes LSTMs for; each task is a plug-in on the one pipeline.

The registry: `get_task(name)`, the hyperparameters each task's space may name, and the grammar its
space file is read with. Kept light: importing this package imports no task, no pandas and no
TensorFlow.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lstmtune.core.names import DEFAULT_TASK, TASK_NAMES
from lstmtune.core.text import either
from lstmtune.errors import OptionError

if TYPE_CHECKING:
    from lstmtune.space.load import Grammar
    from lstmtune.space.params import Space
    from lstmtune.space.specs import Spec
    from lstmtune.tasks.base import Task

__all__ = [
    "DEFAULT_TASK",
    "TASK_NAMES",
    "get_task",
    "grammar",
    "hyperparameter_specs",
    "json_schema",
    "read_space",
    "starter_text",
]
_MODULES = {name: f"lstmtune.tasks.{name}.task" for name in TASK_NAMES}


@cache
def get_task(name: str) -> Task:
    """The task called `name`; an unknown name is a one-line error listing the known ones."""
    if name not in _MODULES:
        raise OptionError(f"--task must be one of {', '.join(TASK_NAMES)}, but got {name!r}")
    task: Task = importlib.import_module(_MODULES[name]).TASK
    return task


@cache
def hyperparameter_specs(name: str) -> dict[str, Spec]:
    """Every hyperparameter a task's space may name, in declaration order: the task's own first."""
    from lstmtune.space.specs import COMMON_SPECS

    task = get_task(name)
    common = {n: s for n, s in COMMON_SPECS.items() if n not in task.excluded}
    return {**task.specs, **common}


@cache
def grammar(name: str) -> Grammar:
    """What a space file for task `name` may say, and which names belong to the other tasks."""
    from lstmtune.space.load import Grammar

    others = [t for t in TASK_NAMES if t != name]
    specs = hyperparameter_specs(name)
    data_rules = get_task(name).data_rules
    foreign_specs = {
        key: either(t for t in others if key in hyperparameter_specs(t))
        for t in others
        for key in hyperparameter_specs(t)
        if key not in specs
    }
    foreign_data = {
        key: either(t for t in others if key in get_task(t).data_rules)
        for t in others
        for key in get_task(t).data_rules
        if key not in data_rules
    }
    return Grammar(name, specs, data_rules, foreign_specs, foreign_data)


def read_space(source: str | Path | dict, name: str = DEFAULT_TASK) -> Space:
    """A space file (or the same document as a dict) read for task `name`."""
    from lstmtune.space.load import load_space, space_from_dict

    if isinstance(source, dict):
        return space_from_dict(source, grammar(name), "space")
    return load_space(source, grammar(name))


def starter_text(name: str) -> str:
    """`lstmtune init`: a commented starter space file for task `name`."""
    from lstmtune.space.starter import starter_space

    task = get_task(name)
    return starter_space(grammar(name), task.purpose, task.starter_ranges, task.settings_class())


def json_schema(name: str) -> dict:
    """`lstmtune schema`: the JSON Schema of task `name`'s space file."""
    from lstmtune.space.schema import space_schema

    return space_schema(grammar(name))
