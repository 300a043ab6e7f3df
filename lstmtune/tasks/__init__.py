"""The kinds of data lstmtune tunes LSTMs for; each task is a plug-in on the one pipeline.

Kept light: importing this package imports no task, no pandas and no TensorFlow.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

from lstmtune.errors import OptionError

if TYPE_CHECKING:
    from lstmtune.space.specs import Spec
    from lstmtune.tasks.base import Task

TASK_NAMES = ("forecast", "text", "sequence")
_MODULES = {name: f"lstmtune.tasks.{name}.task" for name in TASK_NAMES}


@lru_cache(maxsize=None)
def get_task(name: str) -> "Task":
    """The task called `name`; an unknown name is a one-line error listing the known ones."""
    if name not in _MODULES:
        raise OptionError(f"--task must be one of {', '.join(TASK_NAMES)}, but got {name!r}")
    return importlib.import_module(_MODULES[name]).TASK


@lru_cache(maxsize=None)
def hyperparameter_specs(name: str) -> dict[str, "Spec"]:
    """Every hyperparameter a task's space may name, in declaration order: the task's own first."""
    from lstmtune.space.specs import COMMON_SPECS

    task = get_task(name)
    common = {n: s for n, s in COMMON_SPECS.items() if n not in task.excluded}
    return {**task.specs, **common}
