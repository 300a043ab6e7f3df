"""The search-space file: schema, loading and validation. Needs no Keras.

    hyperparameters:
      units: {int: [16, 128], step: 16}
      dropout: {float: [0.0, 0.5]}
      kernel_l2: {float: [1e-6, 1e-2], log: true}
      optimizer: {choice: [adam, adamw]}
      kernel_l1: 0            # a plain value is fixed
    search: {max_trials: 20, epochs: 50, patience: 5}
    data: {transform: diff}
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import yaml

from lstmtune.space import settings
from lstmtune.errors import SpaceError
from lstmtune.data.files import SPACE_FILE_LIMIT, regular_file
from lstmtune.core.text import clip


@dataclass(frozen=True)
class Spec:
    """What one hyperparameter is: its type, default and the rule its values obey."""

    type: type
    default: Any
    rule: str = ""
    ok: Callable[[Any], bool] = lambda value: True
    help: str = ""


# Each rule carries its JSON Schema fragment, so `lstmtune schema` is generated from the same rules.


def between(low: float, high: float) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return low <= value <= high

    check.schema = {"minimum": low, "maximum": high}  # type: ignore[attr-defined]
    return check


# Upper bounds on sizes: far beyond what helps an LSTM on CSV data, and well inside what builds in memory
# (units: 200000 asks for a 640 GB kernel). Floats stay inside what float32 weights and losses can hold.
MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_BATCH = 65536
MAX_PENALTY = 1e3
MAX_SCALE = 1e6
MIN_LEARNING_RATE, MAX_LEARNING_RATE = 1e-10, 10.0


def fraction(value: float) -> bool:
    return 0 <= value < 1


fraction.schema = {"minimum": 0, "exclusiveMaximum": 1}  # type: ignore[attr-defined]


def one_of(options: tuple[str, ...]) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return value in options

    check.schema = {"enum": list(options)}  # type: ignore[attr-defined]
    return check


OPTIMIZERS = ("adam", "adamw", "rmsprop")
REGULARISED = ("kernel", "recurrent", "bias", "activity")

# The shared LSTM body's hyperparameters; each task adds its own (tasks/<name>) and may leave some out.
COMMON_SPECS: dict[str, Spec] = {
    "layers": Spec(int, 1, f"1 <= value <= {MAX_LAYERS}", between(1, MAX_LAYERS), "stacked LSTM layers"),
    "units": Spec(int, 32, f"1 <= value <= {MAX_UNITS}", between(1, MAX_UNITS), "units per LSTM layer"),
    "bidirectional": Spec(bool, False, help="wrap each LSTM layer in Bidirectional"),
    "dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout on LSTM inputs"),
    "recurrent_dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout on LSTM recurrent state"),
    **{
        f"{part}_{kind}": Spec(float, 0.0, f"0 <= value <= {MAX_PENALTY:g} (0 = off)", between(0, MAX_PENALTY), f"{kind.upper()} penalty on the LSTM {part}")
        for part in REGULARISED
        for kind in ("l1", "l2")
    },
    "layer_norm": Spec(bool, False, help="LayerNormalization after each LSTM layer"),
    "input_noise": Spec(float, 0.0, f"0 <= value <= {MAX_PENALTY:g} (0 = off)", between(0, MAX_PENALTY), "std of Gaussian jitter on (scaled) inputs while training"),
    "dense_units": Spec(int, 0, f"0 <= value <= {MAX_UNITS} (0 = no hidden dense layer)", between(0, MAX_UNITS), "units of a ReLU dense layer in the head"),
    "dense_dropout": Spec(float, 0.0, "0 <= value < 1", fraction, "dropout before the output layer"),
    "learning_rate": Spec(float, 1e-3, f"{MIN_LEARNING_RATE:g} <= value <= {MAX_LEARNING_RATE:g}",
                          between(MIN_LEARNING_RATE, MAX_LEARNING_RATE), "optimizer learning rate"),
    "optimizer": Spec(str, "adam", f"one of {', '.join(OPTIMIZERS)}", one_of(OPTIMIZERS), "optimizer"),
    "weight_decay": Spec(float, 0.0, f"0 <= value <= {MAX_PENALTY:g} (0 = off)", between(0, MAX_PENALTY), "decoupled weight decay of the optimizer"),
    "clipnorm": Spec(float, 0.0, f"0 <= value <= {MAX_SCALE:g} (0 = off)", between(0, MAX_SCALE), "gradient norm clipping"),
    "batch_size": Spec(int, 32, f"1 <= value <= {MAX_BATCH}", between(1, MAX_BATCH), "training batch size"),
}
MAX_LOOKBACK = 100_000
LOOKBACK_SPEC = Spec(int, 24, f"1 <= value <= {MAX_LOOKBACK}", between(1, MAX_LOOKBACK), "input window length, in time steps")
# Forecasting's full set, in declaration order (the default task).
SPECS: dict[str, Spec] = {"lookback": LOOKBACK_SPEC, **COMMON_SPECS}

SECTIONS = ("hyperparameters", "search", "data", "gate")


@dataclass(frozen=True)
class Param:
    """One hyperparameter: fixed, or an int / float range, or a choice."""

    name: str
    kind: str  # "fixed" | "int" | "float" | "choice"
    value: Any = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    values: tuple = ()

    @property
    def tunable(self) -> bool:
        return self.kind != "fixed"

    def candidates_min(self) -> Any:
        """The smallest value this parameter can take."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return min(self.values)
        return self.low

    def candidates_max(self) -> Any:
        """The largest value this parameter can take."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return max(self.values)
        return self.high

    def to_yaml(self) -> Any:
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return {"choice": list(self.values)}
        out: dict[str, Any] = {self.kind: [self.low, self.high]}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out


@dataclass(frozen=True)
class Space:
    """A validated search space: every known hyperparameter (defaults filled in) plus settings layers."""

    params: dict[str, Param]
    search: dict[str, Any] = field(default_factory=dict)  # validated search-section keys given in the file
    data: dict[str, Any] = field(default_factory=dict)  # validated data-section keys given in the file
    source: str = "<space>"
    task: str = "forecast"
    gate: tuple[str, ...] = ()  # rules `lstmtune gate` checks, e.g. "test.skill >= 0.1"

    @property
    def tunable(self) -> list[Param]:
        return [p for p in self.params.values() if p.tunable]

    def to_dict(self) -> dict[str, Any]:
        # A fixed None is "derived from the data" (text's sequence_length): left out, it reads back the same.
        out: dict[str, Any] = {"hyperparameters": {n: p.to_yaml() for n, p in self.params.items()
                                                   if not (p.kind == "fixed" and p.value is None)}}
        if self.search:
            out["search"] = dict(self.search)
        if self.data:
            out["data"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.data.items()}
        if self.gate:
            out["gate"] = list(self.gate)
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_fixed(self, values: dict[str, Any], **search: Any) -> "Space":
        """This space with the hyperparameters named in `values` fixed (unknown names ignored)."""
        params = {n: Param(n, "fixed", value=values[n]) if n in values else p for n, p in self.params.items()}
        return replace(self, params=params, search={**self.search, **search})


# --- YAML loading -------------------------------------------------------------------------


MAX_NESTING = 20  # a space file needs 4 levels (section, name, {int: [lo, hi]})


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `1e-4` as a number (YAML 1.1 wants `1.0e-4`), rejects duplicate keys and
    aliases (`*name`: a few hundred bytes of nested aliases expand to gigabytes)."""

    depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a space file", mark)
        if self.depth >= MAX_NESTING:  # thousands of nested [[[...]]] would exhaust Python's recursion limit
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_NESTING} levels", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<` merge keys are resolved (and may be overridden) by PyYAML itself
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be plain names, but got {_shown(key)}", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {_shown(key)} (first at line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)




def _without_base_60(regexp: re.Pattern) -> re.Pattern:
    """YAML 1.1 reads 1:30 as the base-60 number 90; a space file means no such thing (it stays text)."""
    if ":[0-5]?[0-9]" not in regexp.pattern:
        return regexp
    lines = [line for line in regexp.pattern.split("\n") if ":[0-5]?[0-9]" not in line]
    if not lines[-1].rstrip().endswith(")$"):
        lines[-1] = lines[-1] + ")$"
    return re.compile("\n".join(lines), regexp.flags)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, _without_base_60(regexp)) for tag, regexp in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_space(path: str | Path, task: str = "forecast") -> Space:
    """Read and validate a space file for `task`; every problem raises SpaceError naming the file and key."""
    path = regular_file(Path(path), "space file", SpaceError, SPACE_FILE_LIMIT)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(f"{path}: cannot read the space file ({exc})") from None
    return parse_space(text, source=str(path), task=task)


def read_document(text: str, source: str = "<space>") -> Any:
    """The YAML document as the space file reads it (1e-4 a number, duplicate keys refused)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpaceError(f"{source}: malformed YAML{where}: {clip(problem, 120)}") from None
    except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        # PyYAML's constructors fail this way on explicit tags with bad values (!!int A, !!timestamp, !!set 0)
        raise SpaceError(f"{source}: malformed YAML: a tagged value cannot be read ({clip(repr(str(exc)), 80)})") from None


def parse_space(text: str, source: str = "<space>", task: str = "forecast") -> Space:
    return space_from_dict(read_document(text, source), source, task)


def space_from_dict(document: Any, source: str = "<space>", task: str = "forecast") -> Space:
    from lstmtune.tasks import TASK_NAMES, get_task, hyperparameter_specs

    if document is None:
        raise SpaceError(f"{source}: the space file is empty; it needs a `hyperparameters:` mapping")
    if not isinstance(document, dict):
        raise SpaceError(f"{source}: the top level must be a mapping with {', '.join(SECTIONS)}, but got {type(document).__name__}")
    for key in document:
        if key not in SECTIONS:
            raise SpaceError(f"{source}: unknown top-level key {_shown(key)}{_suggest(key, SECTIONS)}; allowed: {', '.join(SECTIONS)}")

    specs = hyperparameter_specs(task)
    raw_params = _mapping(document.get("hyperparameters"), source, "hyperparameters")
    params: dict[str, Param] = {}
    for name in raw_params:
        if name not in specs:
            owners = [t for t in TASK_NAMES if t != task and name in hyperparameter_specs(t)]
            if owners:
                raise SpaceError(f"{source}: hyperparameters.{name} applies to task {' and '.join(owners)}, not to task {task}")
            raise SpaceError(f"{source}: unknown hyperparameter {_shown(name)}{_suggest(name, specs)}")
    for name, spec in specs.items():
        if name in raw_params:
            params[name] = _parse_param(name, raw_params[name], spec, f"{source}: hyperparameters.{name}")
        else:
            params[name] = Param(name, "fixed", value=spec.default)

    search = _section(document, "search", settings.SEARCH_RULES, source)
    other_data_keys: dict[str, str] = {}
    for other in (t for t in TASK_NAMES if t != task):
        for key in get_task(other).data_rules:
            other_data_keys[key] = f"{other_data_keys[key]} and {other}" if key in other_data_keys else other
    data = _section(document, "data", get_task(task).data_rules, source, other_data_keys, task)
    from lstmtune.report.gate import space_rules

    gate = space_rules(document.get("gate"), source)
    return Space(params=params, search=search, data=data, source=source, task=task, gate=gate)


def _mapping(value: Any, source: str, key: str) -> dict:
    """A section's mapping; an empty section (`search:` with nothing under it) is an empty mapping."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpaceError(f"{source}: {key} must be a mapping of name: value, but got {type(value).__name__}")
    return value


def _section(document: dict, name: str, rules: dict[str, Callable[[Any], Any]], source: str,
             elsewhere: dict[str, str] | None = None, task: str = "") -> dict[str, Any]:
    raw = _mapping(document.get(name), source, name)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in rules and elsewhere and key in elsewhere:
            raise SpaceError(f"{source}: {name}.{key} applies to task {elsewhere[key]}, not to task {task}")
        if key not in rules:
            raise SpaceError(f"{source}: unknown key {name}.{_shown(key) if not str(key).isidentifier() else key}"
                             f"{_suggest(key, rules)}; allowed: {', '.join(rules)}")
        try:
            out[key] = rules[key](value)
        except ValueError as exc:
            raise SpaceError(f"{source}: {name}.{key} {exc}") from None
    return out


def _shown(value: Any) -> str:
    """A value for a message: repr'd and cut to a readable length (a pasted file must not become the message)."""
    return clip(repr(value))


def _suggest(word: Any, known) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
        raise SpaceError(f"{where}: {what} must be {_type_name(spec)}, but got {_shown(value)}")
    if not spec.ok(value):
        raise SpaceError(f"{where}: {spec.rule} must hold, but got {what}={_shown(value)}")
    return value


DISTRIBUTION_KEYS = ("int", "float", "choice", "step", "log")


def _parse_param(name: str, raw: Any, spec: Spec, where: str) -> Param:
    if isinstance(raw, list):
        raise SpaceError(f"{where}: a list is ambiguous; write {{choice: {_shown(raw)}}} or {{int|float: [lo, hi]}}")
    if not isinstance(raw, dict):
        return Param(name, "fixed", value=_scalar(raw, spec, where))

    for key in raw:
        if key not in DISTRIBUTION_KEYS:
            raise SpaceError(f"{where}: unknown key {_shown(key)}{_suggest(key, DISTRIBUTION_KEYS)}; allowed: int, float, choice, step, log")
    kinds = [k for k in ("int", "float", "choice") if k in raw]
    if len(kinds) != 1:
        raise SpaceError(f"{where}: exactly one of int, float or choice must be given, but got {kinds or 'none'}")
    kind = kinds[0]

    if kind == "choice":
        if set(raw) - {"choice"}:
            raise SpaceError(f"{where}: step and log apply to int and float ranges, not to choice")
        options = raw["choice"]
        if not isinstance(options, list) or not options:
            raise SpaceError(f"{where}: choice must be a non-empty list, but got {_shown(options)}")
        values = tuple(_scalar(v, spec, where, "choice value") for v in options)
        if len(set(values)) != len(values):
            raise SpaceError(f"{where}: choice values must be distinct, but got {_shown(options)}")
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
        raise SpaceError(f"{where}: {kind} must be a list [lo, hi], but got {_shown(bounds)}")
    low = _scalar(bounds[0], spec, where, "lo")
    high = _scalar(bounds[1], spec, where, "hi")
    if low > high:
        raise SpaceError(f"{where}: lo <= hi must hold, but got lo={low}, hi={high}")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log must be true or false, but got {_shown(log)}")
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
            raise SpaceError(f"{where}: step must be a {'positive integer' if kind == 'int' else 'positive number'}, but got {_shown(step)}")
        if log and step <= 1:
            raise SpaceError(f"{where}: with log: true, step is a multiplier and must be > 1, but got {_shown(step)}")
        if log and low * step > high:
            raise SpaceError(f"{where}: lo * step <= hi must hold (a log step leaves at least two values), "
                             f"but got lo={low}, step={step}, hi={high}")
        if not log and step > high - low:
            raise SpaceError(f"{where}: step <= hi - lo must hold, but got step={step}, lo={low}, hi={high}")
    if low == high:
        return Param(name, "fixed", value=low)
    return Param(name, kind, low=low, high=high, step=step, log=log)
