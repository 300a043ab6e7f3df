"""Reading a space file into a validated `Space`, against one task's grammar (no Keras).

    hyperparameters:
      units: {int: [16, 128], step: 16}
      dropout: {float: [0.0, 0.5]}
      kernel_l2: {float: [1e-6, 1e-2], log: true}
      optimizer: {choice: [adam, adamw]}
      kernel_l1: 0            # a plain value is fixed
    search: {max_trials: 20, epochs: 50, patience: 5}
    data: {transform: diff}
    gate: ["test.skill >= 0.1"]

The grammar (which hyperparameters and data keys a task has, and which belong to other tasks) comes
from the task registry (lstmtune.tasks.grammar): this package knows no task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmtune.core.text import shown, suggestion
from lstmtune.core.validate import Validator
from lstmtune.data.files import SPACE_FILE_LIMIT, regular_file
from lstmtune.errors import SpaceError
from lstmtune.space import settings
from lstmtune.space.params import Param, Space
from lstmtune.space.rules import space_rules
from lstmtune.space.shipped import shipped_spaces
from lstmtune.space.specs import Spec
from lstmtune.space.yaml_reader import read_document

SECTIONS = ("hyperparameters", "search", "data", "gate")


@dataclass(frozen=True)
class Grammar:
    """What a space file for one task may say."""

    task: str
    specs: dict[str, Spec]  # every hyperparameter, the task's own first
    data_rules: dict[str, Validator]  # the data: section's keys
    # Names that belong to other tasks only, with the tasks they belong to ("text and sequence").
    foreign_specs: dict[str, str] = field(default_factory=dict)
    foreign_data: dict[str, str] = field(default_factory=dict)


def load_space(path: str | Path, grammar: Grammar) -> Space:
    """Read and validate a space file; every problem raises SpaceError naming the file and key."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        shipped = shipped_spaces()
        raise SpaceError(
            f"{path}: space file not found{suggestion(path, shipped)}; give the path of a space file, "
            f"or the name of a shipped one: {', '.join(shipped)}"
        )
    path = regular_file(path, "space file", SpaceError, SPACE_FILE_LIMIT)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(f"{path}: cannot read the space file ({exc})") from None
    return parse_space(text, grammar, source=str(path))


def parse_space(text: str, grammar: Grammar, source: str = "<space>") -> Space:
    return space_from_dict(read_document(text, source), grammar, source)


def space_from_dict(document: Any, grammar: Grammar, source: str = "<space>") -> Space:
    """A Space from the YAML document (or the same dict from the Python API)."""
    if document is None:
        raise SpaceError(f"{source}: the space file is empty; it needs a `hyperparameters:` mapping")
    if not isinstance(document, dict):
        raise SpaceError(
            f"{source}: the top level must be a mapping with {', '.join(SECTIONS)}, but got {type(document).__name__}"
        )
    for key in document:
        if key not in SECTIONS:
            raise SpaceError(
                f"{source}: unknown top-level key {shown(key)}{suggestion(key, SECTIONS)}; allowed: {', '.join(SECTIONS)}"
            )
    task = grammar.task
    raw_params = _mapping(document.get("hyperparameters"), source, "hyperparameters")
    for name in raw_params:
        if name not in grammar.specs:
            if name in grammar.foreign_specs:
                raise SpaceError(
                    f"{source}: hyperparameters.{name} applies to task {grammar.foreign_specs[name]}, not to task {task}"
                    " (give --task with the task this space is for)"
                )
            raise SpaceError(f"{source}: unknown hyperparameter {shown(name)}{suggestion(name, grammar.specs)}")
    params = {
        name: _parse_param(name, raw_params[name], spec, f"{source}: hyperparameters.{name}")
        if name in raw_params
        else Param(name, "fixed", value=spec.default)
        for name, spec in grammar.specs.items()
    }
    search = _section(document, "search", settings.SEARCH_RULES, source)
    data = _section(document, "data", grammar.data_rules, source, grammar.foreign_data, task)
    gate = space_rules(document.get("gate"), source)
    return Space(params=params, search=search, data=data, source=source, task=task, gate=gate)


def _mapping(value: Any, source: str, key: str) -> dict:
    """A section's mapping; an empty section (`search:` with nothing under it) is an empty mapping."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpaceError(f"{source}: {key} must be a mapping of name: value, but got {type(value).__name__}")
    return value


def _section(
    document: dict,
    name: str,
    rules: dict[str, Validator],
    source: str,
    elsewhere: dict[str, str] | None = None,
    task: str = "",
) -> dict[str, Any]:
    raw = _mapping(document.get(name), source, name)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in rules and elsewhere and key in elsewhere:
            raise SpaceError(
                f"{source}: {name}.{key} applies to task {elsewhere[key]}, not to task {task} "
                "(give --task with the task this space is for)"
            )
        if key not in rules:
            raise SpaceError(
                f"{source}: unknown key {name}.{shown(key) if not str(key).isidentifier() else key}"
                f"{suggestion(key, rules)}; allowed: {', '.join(rules)}"
            )
        try:
            out[key] = rules[key](value)
        except ValueError as exc:
            raise SpaceError(f"{source}: {name}.{key} {exc}") from None
    return out


def _type_name(spec: Spec) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[spec.type]


def _scalar(value: Any, spec: Spec, where: str, what: str = "value") -> Any:
    """Check one value's type and rule; ints are accepted where floats are expected."""
    if spec.type is bool:
        valid = isinstance(value, bool)
    elif spec.type is int:
        valid = isinstance(value, int) and not isinstance(value, bool)
    elif spec.type is float:
        valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        try:
            valid = valid and math.isfinite(float(value))
        except OverflowError:  # an int too large for a float
            valid = False
        value = float(value) if valid else value
    else:
        valid = isinstance(value, str)
    if not valid:
        raise SpaceError(f"{where}: {what} must be {_type_name(spec)}, but got {shown(value)}")
    if not spec.valid.accepts(value):
        raise SpaceError(f"{where}: {spec.rule} must hold, but got {what}={shown(value)}")
    return value


DISTRIBUTION_KEYS = ("int", "float", "choice", "step", "log")


def _parse_param(name: str, raw: Any, spec: Spec, where: str) -> Param:
    if isinstance(raw, list):
        raise SpaceError(f"{where}: a list is ambiguous; write {{choice: {shown(raw)}}} or {{int|float: [lo, hi]}}")
    if not isinstance(raw, dict):
        return Param(name, "fixed", value=_scalar(raw, spec, where))

    for key in raw:
        if key not in DISTRIBUTION_KEYS:
            raise SpaceError(
                f"{where}: unknown key {shown(key)}{suggestion(key, DISTRIBUTION_KEYS)}; allowed: int, float, choice, step, log"
            )
    kinds = [k for k in ("int", "float", "choice") if k in raw]
    if len(kinds) != 1:
        raise SpaceError(f"{where}: exactly one of int, float or choice must be given, but got {kinds or 'none'}")
    kind = kinds[0]

    if kind == "choice":
        if set(raw) - {"choice"}:
            raise SpaceError(f"{where}: step and log apply to int and float ranges, not to choice")
        options = raw["choice"]
        if not isinstance(options, list) or not options:
            raise SpaceError(f"{where}: choice must be a non-empty list, but got {shown(options)}")
        values = tuple(_scalar(v, spec, where, "choice value") for v in options)
        if len(set(values)) != len(values):
            raise SpaceError(f"{where}: choice values must be distinct, but got {shown(options)}")
        if len(values) == 1:
            return Param(name, "fixed", value=values[0])
        return Param(name, "choice", values=values)

    if spec.type in (bool, str):
        raise SpaceError(f"{where}: {name} is {_type_name(spec)}; use a fixed value or {{choice: [...]}}, not {kind}")
    if kind == "int" and spec.type is float:
        raise SpaceError(f"{where}: {name} is a float hyperparameter; write {{float: [lo, hi]}}, not {{int: ...}}")
    if kind == "float" and spec.type is int:
        raise SpaceError(f"{where}: {name} is an integer hyperparameter; write {{int: [lo, hi]}}, not {{float: ...}}")

    bounds = raw[kind]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise SpaceError(f"{where}: {kind} must be a list [lo, hi], but got {shown(bounds)}")
    low = _scalar(bounds[0], spec, where, "lo")
    high = _scalar(bounds[1], spec, where, "hi")
    if low > high:
        raise SpaceError(f"{where}: lo <= hi must hold, but got lo={low}, hi={high}")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log must be true or false, but got {shown(log)}")
    if log and low <= 0:
        raise SpaceError(f"{where}: a log scale needs lo > 0, but got lo={low}")
    step = raw.get("step")
    if step is not None:
        step_ok = isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0
        try:
            step_ok = step_ok and math.isfinite(float(step))
        except OverflowError:
            step_ok = False
        if kind == "int":
            step_ok = step_ok and isinstance(step, int)
        if not step_ok:
            raise SpaceError(
                f"{where}: step must be a {'positive integer' if kind == 'int' else 'positive number'}, but got {shown(step)}"
            )
        if log and step <= 1:
            raise SpaceError(f"{where}: with log: true, step is a multiplier and must be > 1, but got {shown(step)}")
        if log and low * step > high:
            raise SpaceError(
                f"{where}: lo * step <= hi must hold (a log step leaves at least two values), "
                f"but got lo={low}, step={step}, hi={high}"
            )
        if not log and step > high - low:
            raise SpaceError(f"{where}: step <= hi - lo must hold, but got step={step}, lo={low}, hi={high}")
    if low == high:
        return Param(name, "fixed", value=low)
    return Param(name, kind, low=low, high=high, step=step, log=log)
