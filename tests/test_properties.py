"""Property-based tests: garbage in, a valid result or one of lstmtune's own errors out.

Hypothesis feeds generated input to the search-space parser, the CSV reader and every task's data
preparation (the planning `lstmtune check` and `search` run before any training). Whatever comes in,
the answer must be a valid result or an `LstmtuneError` with a one-line message: never another
exception (KeyError, TypeError, ValueError, numpy / pandas / yaml errors, RecursionError,
MemoryError), never a hang, never a warning (the command line would print it).

The examples are derandomised so a CI run is reproducible. To hunt for new bugs run with more,
random examples, skipping the pinned ones:

    LSTMTUNE_PROPERTY_SCALE=20 LSTMTUNE_PROPERTY_RANDOM=1 LSTMTUNE_PROPERTY_EXPLORE=1 python -m pytest tests/test_properties.py

Inputs that once broke a property are pinned with `@example` and tried on every run.
Nothing here trains a model or imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import math
import os
import signal
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import AIRLINE, SEQUENCE_SPACE, TEXT_SPACE, TINY_SPACE, VOWELS
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from lstmtune.data.csv_reader import read_csv
from lstmtune.errors import LstmtuneError
from lstmtune.plan import SearchRequest, manifest_data, plan_search
from lstmtune.run.atomic import clean
from lstmtune.space import settings as search_settings
from lstmtune.space.load import parse_space, space_from_dict
from lstmtune.space.params import Space
from lstmtune.tasks import TASK_NAMES, get_task, grammar, hyperparameter_specs

# --- settings -------------------------------------------------------------------------------

SCALE = float(os.environ.get("LSTMTUNE_PROPERTY_SCALE", "1"))
RANDOM = os.environ.get("LSTMTUNE_PROPERTY_RANDOM") == "1"
# Skip the pinned examples (a failing one stops Hypothesis from generating any): to look for new bugs.
EXPLORE = os.environ.get("LSTMTUNE_PROPERTY_EXPLORE") == "1"


def budget(examples: int) -> settings:
    """Settings of one property: `examples` examples (times LSTMTUNE_PROPERTY_SCALE), derandomised."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        print_blob=True,
        phases=[Phase.generate, Phase.shrink] if EXPLORE else list(Phase),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


SPACE_TEXTS = {"forecast": TINY_SPACE, "text": TEXT_SPACE, "sequence": SEQUENCE_SPACE}
CALL_SECONDS = 20  # one call taking longer than this is a hang
HEADROOM = 3 << 30  # one call may map this many more bytes (a runaway allocation is a MemoryError, not an OOM kill)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder for the generated files, and the shipped tiny space of each task in it."""
    folder = tmp_path_factory.mktemp("properties")
    for task, text in SPACE_TEXTS.items():
        (folder / f"{task}.yaml").write_text(text, encoding="utf-8")
    return folder


# --- the property every call must keep ----------------------------------------------------------


class Hang(Exception):
    """A call ran past CALL_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float):
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def memory_cap():
    """Cap the address space at what is mapped now plus HEADROOM (Linux), so a huge allocation fails fast."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            mapped = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    cap = mapped + HEADROOM
    if hard != resource.RLIM_INFINITY and cap > hard:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def outcome(call: Callable[[], Any]) -> Any:
    """The call's result, or the LstmtuneError it raised. Any other exception propagates (the property
    fails); so do a hang and a warning; the error's message must be one line."""
    with time_limit(CALL_SECONDS), memory_cap(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except LstmtuneError as error:
            result = error
    assert not caught, "warnings: " + "; ".join(f"{w.category.__name__}: {w.message}" for w in caught)
    if isinstance(result, LstmtuneError):
        message = str(result)
        assert message.strip(), f"{type(result).__name__} without a message"
        assert len(message.splitlines()) == 1, f"a message of {len(message.splitlines())} lines: {message!r}"
    return result


# --- what a valid space is -----------------------------------------------------------------------

FLOAT32_MAX = float(np.finfo(np.float32).max)


def finite32(number: int | float) -> bool:
    """Finite and within float32's range (an int of any size is compared exactly)."""
    return (isinstance(number, int) or math.isfinite(number)) and abs(number) <= FLOAT32_MAX


def valid_value(value: Any, spec: Any) -> bool:
    """A value of the spec's type, obeying its rule; floats finite in float32 (what Keras computes in)."""
    if spec.type is bool:
        return isinstance(value, bool)
    if spec.type is str:
        return isinstance(value, str) and spec.valid.accepts(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if spec.type is int and not isinstance(value, int):
        return False
    if spec.type is float and not (isinstance(value, float) and finite32(value)):
        return False
    return spec.valid.accepts(value)


def as_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def assert_valid_space(space: Space, task: str) -> None:
    specs = hyperparameter_specs(task)
    assert isinstance(space, Space) and space.task == task
    assert list(space.params) == list(specs), "every hyperparameter of the task, in order"
    for name, param in space.params.items():
        spec = specs[name]
        assert param.name == name
        if param.kind == "fixed":
            if param.value is None:
                assert spec.default is None, f"{name} fixed at None"
            else:
                assert valid_value(param.value, spec), f"{name}: fixed value {param.value!r}"
        elif param.kind == "choice":
            assert len(param.values) >= 2 and len(set(param.values)) == len(param.values), (name, param.values)
            assert all(valid_value(v, spec) for v in param.values), f"{name}: choice {param.values!r}"
        else:
            assert param.kind == {int: "int", float: "float"}[spec.type], (name, param.kind)
            low, high, step = param.low, param.high, param.step
            assert valid_value(low, spec) and valid_value(high, spec), f"{name}: range [{low!r}, {high!r}]"
            assert low < high, f"{name}: range [{low!r}, {high!r}]"
            if param.log:
                assert low > 0, f"{name}: log range from {low!r}"
            if step is not None:
                assert not isinstance(step, bool) and isinstance(step, (int, float)), f"{name}: step {step!r}"
                assert finite32(step), f"{name}: step {step!r}"
                if param.kind == "int":
                    assert isinstance(step, int), f"{name}: step {step!r}"
                # A step leaves at least two values (the rule the parser applies to linear steps, for log
                # steps too, where it is a multiplier).
                if param.log:
                    assert 1 < step and low * step <= high * (1 + 1e-9), (
                        f"{name}: log step {step!r} over [{low!r}, {high!r}]"
                    )
                else:
                    assert 0 < step <= high - low, f"{name}: step {step!r} over [{low!r}, {high!r}]"
    data_rules = get_task(task).data_rules
    for section, rules, values in (
        ("search", search_settings.SEARCH_RULES, space.search),
        ("data", data_rules, space.data),
    ):
        for key, value in values.items():
            assert key in rules, f"{section}.{key}"
            if value is not None:
                again = rules[key](value)
                assert as_list(again) == as_list(value), (
                    f"{section}.{key}: {value!r} is not what its own rule makes of it ({again!r})"
                )
    assert all(isinstance(rule, str) for rule in space.gate)


def assert_round_trip(space: Space) -> None:
    """The space file lstmtune writes (space.yaml, best.yaml) reads back as the same space."""
    text = space.to_yaml()
    again = outcome(lambda: parse_space(text, grammar(space.task), space.source))
    assert not isinstance(again, LstmtuneError), f"its own to_yaml() is refused: {again}\n{text}"
    assert again.to_dict() == space.to_dict()


# --- 1. the search-space parser --------------------------------------------------------------------

HP_NAMES = sorted({name for task in TASK_NAMES for name in hyperparameter_specs(task)})
SEARCH_KEYS = sorted(search_settings.SEARCH_RULES)
DATA_KEYS = sorted({key for task in TASK_NAMES for key in get_task(task).data_rules})

YAML_BITS = [
    "hyperparameters:",
    "search:",
    "data:",
    "gate:",
    "\n",
    "\n  ",
    "\n    ",
    "\t",
    " ",
    ": ",
    "- ",
    "-",
    ",",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "|",
    ">",
    "#",
    "?",
    "? ",
    "---",
    "...",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "&a ",
    "*a",
    "&a",
    "<<: ",
    "<<: *a",
    "!!python/object:os.system ",
    "!!python/object/apply:os.system [ls]",
    "!!python/name:os.getcwd ",
    "!!binary aGVsbG8=",
    "!!set ",
    "!!omap ",
    "!!timestamp ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!map ",
    "!!seq ",
    "!custom ",
    "~",
    "null",
    "true",
    "yes",
    "on",
    "off",
    "no",
    ".nan",
    ".inf",
    "-.inf",
    "1e400",
    "-1e400",
    "1e-400",
    "1e-4",
    "1.0e+3",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "1:30",
    "190:20:30",
    "2020-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "1e3",
    "-0",
    "99999999999999999999999999999",
    "{int: [",
    "{float: [",
    "{choice: [",
    "], step: ",
    "], log: true}",
    "]}",
    "adam",
    "adamw",
    "max_trials: ",
    "epochs: ",
    "split: ",
    "0.7,0.15,0.15",
    "test.skill >= 0.1",
    "\u2028",
    "\x85",
    "\ufeff",
    "\x00",
    "\\u0000",
    "é",
    "\U0001f600",
] + [f"{name}: " for name in HP_NAMES + SEARCH_KEYS + DATA_KEYS]

yaml_like = st.lists(st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=6)), max_size=30).map("".join)


@budget(600)
@given(text=st.one_of(st.text(max_size=300), yaml_like), task=st.sampled_from(TASK_NAMES))
@example(text="[" * 1000 + "]" * 1000, task="forecast")  # nesting deeper than Python's recursion limit
@example(text="hyperparameters:\n  learning_rate: 1e-3\n", task="text")  # to_yaml() writes sequence_length: null
@example(text="!!timestamp", task="forecast")  # explicit YAML tags whose value does not fit them
@example(text="!!int", task="forecast")
@example(text="!!float A", task="forecast")
@example(text="!!set 0", task="forecast")
@example(text='search: {"a\\nb": 1}', task="forecast")  # a key with a line break, quoted as it is
def test_any_text_is_a_space_or_a_space_error(text, task):
    result = outcome(lambda: parse_space(text, grammar(task), "space.yaml"))
    if not isinstance(result, LstmtuneError):
        assert_valid_space(result, task)
        assert_round_trip(result)


# Numbers near the rules' edges and the representable ones', and every other YAML scalar.
EDGE_NUMBERS = [
    0,
    1,
    -1,
    2,
    0.5,
    0.999999,
    1.0,
    1e-10,
    9e-11,
    1e-12,
    10,
    10.5,
    16,
    4096,
    4097,
    65536,
    65537,
    100000,
    100001,
    1000.0,
    1000.5,
    1e6,
    1e6 + 1,
    2_000_000,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    10**400,
    -(10**400),
    1e308,
    1.7976931348623157e308,
    5e-324,
    3.4e38,
    3.5e38,
    1e-45,
    1e-46,
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
]
scalars = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["adam", "ADAM", "adamw", "rmsprop", "sgd", "", " ", "1", "1e-3", "0x10"]),
    st.dates(),
)


def containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2)


nested = st.recursive(scalars, containers, max_leaves=6)
bounds = st.one_of(st.lists(scalars, max_size=3), st.tuples(scalars, scalars).map(list), nested)
range_doc = st.builds(
    lambda kind, b, extra: {kind: b, **extra},
    st.sampled_from(["int", "float"]),
    bounds,
    st.fixed_dictionaries({}, optional={"step": scalars, "log": scalars}),
)
choice_doc = st.builds(
    lambda values, extra: {"choice": values, **extra},
    st.lists(scalars, max_size=4) | nested,
    st.fixed_dictionaries({}, optional={"step": scalars, "log": scalars}),
)
weird_doc = st.dictionaries(
    st.sampled_from(["int", "float", "choice", "step", "log", "lo", "Int", "range"]), nested, max_size=3
)
hp_value = st.one_of(scalars, range_doc, choice_doc, weird_doc, nested)
split_values = st.one_of(
    nested,
    st.lists(st.sampled_from(EDGE_NUMBERS), min_size=3, max_size=3),
    st.sampled_from(["0.7,0.15,0.15", "0.5,0.5,0", "1,0,0", ".8,.1,.1", "0.7, 0.15, 0.15", "a,b,c"]),
)
gate_rules = st.one_of(
    nested,
    st.lists(
        st.one_of(
            st.builds(
                "{}.{} {} {}".format,
                st.sampled_from(["test", "val", "best", "trials", "run", "x"]),
                st.sampled_from(["skill", "rmse", "accuracy", "gap", "completed", "nope"]),
                st.sampled_from([">=", "<=", ">", "<", "==", "!=", "=>", "~"]),
                st.sampled_from(["0.1", "1e400", "nan", "-inf", "1", "x", "9" * 400]),
            ),
            scalars,
        ),
        max_size=3,
    ),
)
space_documents = st.fixed_dictionaries(
    {},
    optional={
        "hyperparameters": st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(HP_NAMES + ["unit", "Units", "lr"]), scalars), hp_value, max_size=6
            ),
            nested,
        ),
        "search": st.one_of(
            st.dictionaries(st.sampled_from(SEARCH_KEYS + ["max_trial"]), st.one_of(scalars, nested), max_size=4),
            nested,
        ),
        "data": st.one_of(
            st.dictionaries(
                st.sampled_from(DATA_KEYS + ["lookback"]), st.one_of(scalars, split_values, nested), max_size=4
            ),
            nested,
        ),
        "gate": gate_rules,
        "extra": scalars,
    },
)


@budget(800)
@given(document=st.one_of(space_documents, nested), task=st.sampled_from(TASK_NAMES))
@example(document={"search": {"time_budget": 10**400}}, task="forecast")  # an int too large for a float
@example(document={"data": {"split": [10**400, 1, 1]}}, task="forecast")
@example(
    document={"hyperparameters": {"learning_rate": {"float": [0.001, 0.01], "log": True, "step": float("inf")}}},
    task="forecast",
)  # an infinite multiplier
@example(
    document={"hyperparameters": {"learning_rate": {"float": [0.001, 0.01], "log": True, "step": 10**400}}},
    task="forecast",
)
@example(
    document={"hyperparameters": {"learning_rate": {"float": [0.001, 0.01], "log": True, "step": 1000}}},
    task="forecast",
)  # a multiplier that leaves one value
def test_space_documents_are_a_space_or_a_space_error(document, task):
    """The same document as a YAML file and as the Python API's dict."""
    try:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        text = None
    for parse in (
        (lambda: parse_space(text, grammar(task), "space.yaml")) if text is not None else None,
        lambda: space_from_dict(document, grammar(task), "space"),
    ):
        if parse is None:
            continue
        result = outcome(parse)
        if not isinstance(result, LstmtuneError):
            assert_valid_space(result, task)
            assert_round_trip(result)


# --- 2. the CSV reader ---------------------------------------------------------------------------------

COLUMN_NAMES = [
    "y",
    "x",
    "Date",
    "t",
    "id",
    "case_id",
    "label",
    "text",
    "split",
    "group",
    "value",
    "Unnamed: 0",
    "",
    " ",
    "a b",
    "é",
    "x.1",
    "1",
    "nan",
    "NA",
    "True",
    "y;z",
    "a\tb",
    "q|r",
    "[bold]x[/]",
    "line\nbreak",
    "tab\there",
    "\u2028",
    "y ",
    '"q"',
    "a,b",
]
GARBAGE_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "NA",
    "None",
    "null",
    "inf",
    "-inf",
    "Infinity",
    "1e400",
    "-1e400",
    "1e308",
    "1.7e308",
    "1e-400",
    "0x1F",
    "1,5",
    "1.2.3",
    "abc",
    "True",
    "false",
    "2020-13-45",
    "2020-01-01",
    "01/02/2020",
    "12:30",
    '"',
    "'",
    "\n",
    "é",
    "\x00",
    "1_000",
    "+5",
    "\u22123",
    "\u0663",
    "-0",
    "1e5",
    "9" * 40,
    "2020-01-01T00:00:00+05:00",
    "\r",
    "a\nb",
    ";",
    "\t",
]
ENCODINGS = [
    None,
    "utf-8",
    "utf-8-sig",
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-32",
    "ascii",
    "utf-7",
    "idna",
    "unicode_escape",
    "punycode",
    "undefined",
    "rot13",
    "hex",
    "base64",
    "nonsense",
    "",
    " utf-8 ",
]


def render_csv(header: list[str], rows: list[list[str]], how: str, newline: str) -> str:
    """The table as CSV text: quoted as Python's csv module does, quoting everything, or joined raw."""
    if how == "raw":
        return newline.join(",".join(cells) for cells in [header, *rows]) + newline
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL if how == "all" else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def encode(text: str, encoding: str) -> bytes:
    return (
        text.encode(encoding, errors="replace") if encoding != "utf-8" else text.encode("utf-8", errors="surrogatepass")
    )


@st.composite
def corrupted(draw, header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Now and then a few cells (or header names) replaced by garbage, a row cut short or made longer."""
    rows = [list(r) for r in rows]
    header = list(header)
    count = 0 if draw(st.integers(0, 9)) < 7 else draw(st.integers(1, 3))
    for _ in range(count):
        what = draw(st.sampled_from(["cell", "cell", "cell", "name", "short", "long"]))
        if what == "name" and header:
            header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(COLUMN_NAMES))
        elif rows and header:
            row = draw(st.integers(0, len(rows) - 1))
            if what == "cell" and rows[row]:
                cell = draw(st.integers(0, len(rows[row]) - 1))
                rows[row][cell] = draw(st.sampled_from(GARBAGE_CELLS) | st.text(max_size=6))
            elif what == "short":
                rows[row] = rows[row][: draw(st.integers(0, max(0, len(rows[row]) - 1)))]
            elif what == "long":
                rows[row] = rows[row] + [draw(st.sampled_from(GARBAGE_CELLS))]
    return header, rows


def column_cells(kind: str, n: int, rng: np.random.Generator) -> list[str]:
    """n cells of one kind of column (generated from rng: cheap, and still shrunk through its seed)."""
    if kind == "int":
        return [str(v) for v in rng.integers(-1000, 1000, n)]
    if kind == "float":
        return [repr(float(v)) for v in rng.normal(0, 10, n)]
    if kind == "walk":
        return [f"{v:.6g}" for v in np.cumsum(rng.normal(0, 1, n)) + 100]
    if kind == "counter":
        return [str(i) for i in range(n)]
    if kind == "date":
        start = dt.date(2000, 1, 1) + dt.timedelta(days=int(rng.integers(0, 9000)))
        formats = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y", "%b %d %Y"]
        fmt = formats[int(rng.integers(0, len(formats)))]
        return [(start + dt.timedelta(days=i)).strftime(fmt) for i in range(n)]
    if kind == "label":
        labels = [["a", "b"], ["0", "1"], ["pos", "neg", "neu"], ["1.5", "2.5"], ["True", "False"], ["1", "2", "3"]][
            int(rng.integers(0, 6))
        ]
        return [labels[int(i)] for i in rng.integers(0, len(labels), n)]
    if kind == "split":
        words = ["train", "val", "test", "TRAIN", "Test", "dev", "valid", "validation"]
        return [words[int(i)] for i in rng.integers(0, len(words), n)]
    if kind == "id":
        k = int(rng.integers(1, 6))
        return [f"s{i // k}" for i in range(n)]
    if kind == "text":
        words = ["good", "bad", "film", "the", "a", "plot", "!!!", "great", "boring", "é", "123", "", "  "]
        return [" ".join(words[int(j)] for j in rng.integers(0, len(words), int(rng.integers(0, 6)))) for _ in range(n)]
    if kind == "bool":
        return [["True", "False", "true", "0", "1"][int(i)] for i in rng.integers(0, 5, n)]
    return [GARBAGE_CELLS[int(i)] for i in rng.integers(0, len(GARBAGE_CELLS), n)]


KINDS = ["int", "float", "walk", "counter", "date", "label", "split", "id", "text", "bool", "garbage"]


@st.composite
def generic_table(draw, max_rows: int = 40) -> tuple[list[str], str]:
    """(header names, CSV text) of random columns of random kinds, a few cells corrupted."""
    n_columns = draw(st.integers(1, 5))
    header = draw(
        st.lists(
            st.sampled_from(COLUMN_NAMES[:12]) | st.sampled_from(COLUMN_NAMES), min_size=n_columns, max_size=n_columns
        )
    )
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n_columns, max_size=n_columns))
    n = draw(st.integers(0, max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = [column_cells(kind, n, rng) for kind in kinds]
    rows = [list(r) for r in zip(*columns)]
    header, rows = draw(corrupted(header, rows))
    text = render_csv(
        header, rows, draw(st.sampled_from(["minimal", "minimal", "all", "raw"])), draw(st.sampled_from(["\n", "\r\n"]))
    )
    return header, text


@st.composite
def csv_bytes(draw) -> bytes:
    """Bytes of a file: random, or a generated table in some encoding."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    _, text = draw(generic_table())
    return encode(text, draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])))


def file_bytes(data: bytes | tuple[bytes, bytes, int, bytes]) -> bytes:
    """The file's bytes; (head, line, count, tail) stands for a long file in a pinned example."""
    return data if isinstance(data, bytes) else data[0] + data[1] * data[2] + data[3]


@budget(400)
@given(data=csv_bytes(), encoding=st.sampled_from(ENCODINGS), empty_only=st.booleans())
@example(data=b"a,b\n1,2\n3,4\n", encoding="rot13", empty_only=False)  # a codec, but not a text encoding
@example(data=b"a,b\n1,2\n3,4\n", encoding="hex", empty_only=False)
@example(data=b"a,b\n1,2\n3,4\n", encoding="\x00", empty_only=False)  # the Python API can pass any string
@example(data=b"a,b\n1,2,3\n", encoding=None, empty_only=False)  # every row one field longer than the header
@example(data=b"\\\x00", encoding="unicode_escape", empty_only=False)  # the codec warns
@example(data=(b"y,x\n", b"1,2\n", 300_000, b"a,3\n"), encoding=None, empty_only=False)  # pandas' DtypeWarning
def test_read_csv_reads_or_refuses(workdir, data, encoding, empty_only):
    path = workdir / "data.csv"
    path.write_bytes(file_bytes(data))
    frame = outcome(lambda: read_csv(path, encoding=encoding, empty_only=empty_only))
    if not isinstance(frame, LstmtuneError):
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0 and len(frame.columns) > 0
        names = [str(c).strip() for c in frame.columns]
        assert len(set(names)) == len(names), f"repeated column names {list(frame.columns)}"
        # Row labels count the data rows (line_of turns them into file lines); a header shorter than
        # the rows must not turn the first column into the index, shifting every column by one.
        assert frame.index.equals(pd.RangeIndex(len(frame))), f"row labels {list(frame.index)[:5]}"


# --- 3. the tasks' data preparation (everything `lstmtune check` runs) -----------------------------------
# The cases mostly hold usable data and flags, so planning often gets to the end; now and then a flag, a
# column or a cell is wrong. Every choice shrinks to its usual value.


def mostly(draw, usual: Any, *others: Any) -> Any:
    """`usual` 19 times in 20, else one of `others`."""
    if not others or draw(st.integers(0, 19)) < 19:
        return usual
    return draw(st.sampled_from(others))


def flag_value(draw, valid: st.SearchStrategy, weird: st.SearchStrategy | None = None) -> Any:
    """A flag's value: not given (half the time), a valid value, or now and then (1 in 20) a wrong one."""
    roll = draw(st.integers(0, 19))
    if roll < 10 or (roll == 19 and weird is None):
        return None
    return draw(valid if roll < 19 else weird)


SPLIT_FLAGS = st.sampled_from(["0.7,0.15,0.15", "0.5,0.25,0.25", "0.34,0.33,0.33", "0.9,0.05,0.05", "0.98,0.01,0.01"])
BAD_SPLIT_FLAGS = st.sampled_from(["1,0,0", "0.5,0.5", "a,b,c", "nan,0.5,0.5", "0.7,0.15,0.15,0", "1e400,1,1", ""])
SEEDS = st.one_of(st.none(), st.integers(0, 2**32 - 1))


@st.composite
def forecast_case(draw) -> dict[str, Any]:
    """A time series CSV (dates or numbers, maybe out of order, a few cells corrupted) and forecasting flags."""
    n = draw(st.integers(0, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    time_kind = mostly(draw, "date", "counter", "float", "none")
    level = mostly(draw, "walk", "positive", "constant", "huge", "tiny", "int", "mostly constant")
    y = {
        "walk": lambda: np.cumsum(rng.normal(0, 1, n)) + 10,
        "positive": lambda: rng.uniform(1, 100, n),
        "constant": lambda: np.full(n, 3.0),
        "huge": lambda: rng.normal(0, 1, n) * 1e300,
        "tiny": lambda: rng.normal(0, 1, n) * 1e-300,
        "int": lambda: rng.integers(-5, 5, n).astype(float),
        "mostly constant": lambda: np.r_[np.full(max(0, n - 1), 3.0), np.ones(min(n, 1))],
    }[level]()
    header = ["y", "x"]
    columns = [[f"{v:.17g}" for v in y], column_cells(mostly(draw, "float", "int", "text", "date", "garbage"), n, rng)]
    if draw(st.integers(0, 9)) == 0:  # a few missing values
        for i in rng.integers(0, max(n, 1), 3):
            if n:
                columns[int(rng.integers(0, 2))][int(i)] = ""
    if time_kind != "none":
        header.insert(0, "Date")
        cells = column_cells("date" if time_kind == "date" else "counter", n, rng)
        if time_kind == "float":
            cells = [f"{float(c) / 4:.2f}" for c in cells]
        order = mostly(draw, "sorted", "reversed", "shuffled", "repeated")
        if order == "reversed":
            cells = cells[::-1]
        elif order == "shuffled":
            cells = [cells[int(i)] for i in rng.permutation(n)]
        elif order == "repeated" and n > 1:
            cells[-1] = cells[0]
        columns.insert(0, cells)
    header, rows = draw(corrupted(header, [list(r) for r in zip(*columns)]))
    text = render_csv(header, rows, mostly(draw, "minimal", "raw"), "\n")
    return {
        "task": "forecast",
        "text": text,
        "columns": {
            "target": mostly(draw, ("y",), ("y", "x"), ("y", "y"), ("x",), ("nope",), (), ("Date",)),
            "time_col": mostly(draw, "Date" if time_kind != "none" else None, None, "y", "x", "nope"),
            "features": mostly(draw, None, ("x",), ("Date",), ("nope",), (), ("y", "x")),
        },
        "options": {"time_format": mostly(draw, None, "%Y-%m-%d", "%d/%m/%Y", "%Y", "%Q", "%", "garbage", "")},
        "data_flags": {
            "horizon": flag_value(draw, st.integers(1, 6), st.integers()),
            "split": flag_value(draw, SPLIT_FLAGS, BAD_SPLIT_FLAGS),
            "scale": flag_value(draw, st.sampled_from(["standard", "minmax", "none"]), st.just("nope")),
            "transform": flag_value(
                draw, st.sampled_from(["diff", "logdiff", "none", "log", "sdiff", "log,sdiff"]), st.just("nope")
            ),
            "fill": flag_value(draw, st.sampled_from(["ffill", "interpolate", "drop"]), st.just("nope")),
            "season": flag_value(draw, st.integers(2, 30), st.integers()),
        },
        "fixed": {"lookback": flag_value(draw, st.integers(1, 12), st.integers())},
        "search_flags": {"seed": draw(SEEDS)},
    }


VECTOR_NUMBERS = ["0.1", "-0.5", "1", "0", "3e38", "-3.4e38", "1e39", "nan", "inf", "1e-45", "x", "", "0x1"]


@st.composite
def vectors_file(draw) -> str:
    """A GloVe / word2vec text file for the text cases' words (good, bad, film ...), maybe broken."""
    dim = draw(st.integers(1, 3))
    lines = []
    if draw(st.booleans()):
        lines.append(mostly(draw, f"3 {dim}", "2 0", "1 -1", "0 99999999999", f"x {dim}", ""))
    for _ in range(draw(st.integers(0, 4))):
        word = mostly(draw, draw(st.sampled_from(["good", "bad", "film", "plot"])), "Good", "the plot", "é", "", "1")
        count = mostly(draw, dim, dim - 1, dim + 1)
        numbers = [
            mostly(draw, draw(st.sampled_from(VECTOR_NUMBERS[:4])), *VECTOR_NUMBERS[4:]) for _ in range(max(0, count))
        ]
        lines.append(" ".join([word, *numbers]))
    return mostly(draw, "\n", "\r\n").join(lines) + mostly(draw, "\n", "")


@st.composite
def text_case(draw) -> dict[str, Any]:
    """Texts with labels (maybe a split column), a few cells corrupted, in some encoding, and text flags."""
    n = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    header = ["text", "label"]
    columns = [
        column_cells("text", n, rng),
        column_cells(mostly(draw, "label", "int", "float", "bool", "garbage"), n, rng),
    ]
    with_split = draw(st.booleans())
    if with_split:
        header.append("split")
        columns.append(column_cells("split", n, rng))
    if draw(st.integers(0, 9)) < 3:  # texts with commas, quotes and line breaks, which need quoting
        columns[0] = [draw(st.text(max_size=12)) if i < 3 else cell for i, cell in enumerate(columns[0])]
    header, rows = draw(corrupted(header, [list(r) for r in zip(*columns)]))
    file_encoding = mostly(draw, "utf-8", "latin-1", "utf-16", "utf-8-sig")
    text = render_csv(header, rows, mostly(draw, "minimal", "all", "raw"), mostly(draw, "\n", "\r\n"))
    return {
        "task": "text",
        "text": text,
        "file_encoding": file_encoding,
        "columns": {
            "text_col": mostly(draw, "text", "label", None, "nope"),
            "target": mostly(draw, ("label",), ("text",), ("split",), ("label", "text"), ()),
            "split_col": mostly(draw, "split" if with_split else None, None, "split", "label", "nope"),
        },
        "options": {
            "encoding": mostly(draw, None, "utf-8", "latin-1", "utf-16", "utf-8-sig", "nonsense", "rot13"),
            "strict": mostly(draw, False, True),
        },
        "embeddings": mostly(draw, None, draw(vectors_file())),
        "data_flags": {
            "split": flag_value(draw, SPLIT_FLAGS, BAD_SPLIT_FLAGS),
            "objective": flag_value(draw, st.sampled_from(["cross_entropy", "accuracy", "macro_f1"]), st.just("mse")),
            "class_weight": flag_value(draw, st.sampled_from(["none", "auto"]), st.just("nope")),
        },
        "search_flags": {"seed": draw(SEEDS)},
    }


@st.composite
def sequence_case(draw) -> dict[str, Any]:
    """Sequences in long or wide format (labels or values, splits, groups; a few cells corrupted) and sequence flags."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = draw(st.integers(0, 40))
    wide = draw(st.booleans())
    target_kind = mostly(draw, "class", "int", "value", "bool", "huge", "constant")
    labels = {
        "class": lambda: [["a", "b", "c"][int(i)] for i in rng.integers(0, 3, m)],
        "int": lambda: [str(int(i)) for i in rng.integers(0, 4, m)],
        "value": lambda: [f"{v:.4g}" for v in rng.normal(0, 1, m)],
        "huge": lambda: [f"{v:.4g}" for v in rng.normal(0, 1, m) * 1e300],
        "constant": lambda: ["1.5"] * m,
        "bool": lambda: [["True", "False"][int(i)] for i in rng.integers(0, 2, m)],
    }[target_kind]()
    splits = column_cells("split", m, rng)
    groups = [f"g{i // 3}" for i in range(m)]
    scale = mostly(draw, 1.0, 1e300, 1e-300, 0.0)
    shuffled, dated = False, None
    if wide:
        width = draw(st.integers(1, 8))
        header = ["label", "split", "group"] + [f"t{j}" for j in range(width)]
        rows = []
        for i in range(m):
            length = int(rng.integers(1, width + 1))
            steps = [f"{v:.4g}" for v in rng.normal(0, 1, length) * scale] + [""] * (width - length)
            rows.append([labels[i], splits[i], groups[i], *steps])
    else:
        header = ["case_id", "t", "f1", "f2", "label", "split", "group"]
        dated = mostly(draw, None, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%H:%M")
        shuffled = mostly(draw, False, True)
        rows = []
        for i in range(m):
            length = int(rng.integers(mostly(draw, 2, 1), 8))
            order = rng.permutation(length) if shuffled else np.arange(length)
            for j in order:
                step = (
                    str(int(j))
                    if not dated
                    else (dt.datetime(2020, 1, 1) + dt.timedelta(minutes=int(j))).strftime(dated)
                )
                rows.append(
                    [
                        f"s{i}",
                        step,
                        f"{rng.normal() * scale:.4g}",
                        f"{rng.normal():.4g}",
                        labels[i],
                        splits[i],
                        groups[i],
                    ]
                )
    header, rows = draw(corrupted(header, rows))
    text = render_csv(header, rows, mostly(draw, "minimal", "raw"), "\n")
    names = ["label", "split", "group", "case_id", "t", "f1", "t0", "nope"]
    usual_split = draw(st.sampled_from([None, "split"]))
    return {
        "task": "sequence",
        "text": text,
        "columns": {
            "target": mostly(draw, ("label",), *[(n,) for n in names], ("label", "f1")),
            "id_col": mostly(draw, None if wide else "case_id", *names, None),
            "order_col": mostly(draw, None if wide else "t", *names, None),
            "split_col": mostly(draw, usual_split, *names),
            "group_col": mostly(draw, None, "group", "group", "split", "nope"),
            "features": mostly(draw, None, ("f1",), ("f1", "f2"), ("t",), ("label",), ("nope",), ()),
        },
        "options": {"wide": wide, "encoding": mostly(draw, None, "utf-8", "latin-1")},
        "data_flags": {
            "split": flag_value(draw, SPLIT_FLAGS, BAD_SPLIT_FLAGS),
            "problem": flag_value(draw, st.sampled_from(["auto", "classification", "regression"]), st.just("nope")),
            "objective": flag_value(
                draw, st.sampled_from(["cross_entropy", "accuracy", "macro_f1", "mse"]), st.just("nope")
            ),
            "class_weight": flag_value(draw, st.sampled_from(["none", "auto"])),
            "max_length": flag_value(draw, st.integers(1, 8), st.integers()),
            "stride": flag_value(draw, st.integers(1, 4), st.integers()),
            "scale": flag_value(draw, st.sampled_from(["standard", "minmax", "none"])),
        },
        "search_flags": {"seed": draw(SEEDS)},
    }


@st.composite
def generic_case(draw, task: str) -> dict[str, Any]:
    """Random columns, with the task's column flags naming random header names (or no column)."""
    header, text = draw(generic_table(max_rows=50))
    names = st.sampled_from([*header, *header, "nope"])
    pick = lambda: draw(st.one_of(st.none(), names))  # noqa: E731
    if task == "forecast":
        columns = {
            "target": tuple(draw(st.lists(names, min_size=1, max_size=2))),
            "time_col": pick(),
            "features": draw(st.one_of(st.none(), st.lists(names, max_size=2).map(tuple))),
        }
        options: dict[str, Any] = {}
        data_flags: dict[str, Any] = {"fill": flag_value(draw, st.sampled_from(["ffill", "interpolate", "drop"]))}
        fixed = {"lookback": draw(st.one_of(st.none(), st.integers(1, 6)))}
    elif task == "text":
        columns = {"text_col": draw(names), "target": (draw(names),), "split_col": pick()}
        options = {"strict": draw(st.booleans())}
        data_flags, fixed = {}, {}
    else:
        wide = draw(st.booleans())
        columns = {
            "target": (draw(names),),
            "id_col": None if wide else draw(names),
            "order_col": None if wide else pick(),
            "split_col": pick(),
            "group_col": pick(),
            "features": None if wide else draw(st.one_of(st.none(), st.lists(names, max_size=2).map(tuple))),
        }
        problem = flag_value(draw, st.sampled_from(["classification", "regression"]))
        options, data_flags, fixed = {"wide": wide}, {"problem": problem}, {}
    return {
        "task": task,
        "text": text,
        "columns": columns,
        "options": options,
        "data_flags": data_flags,
        "fixed": fixed,
        "search_flags": {"seed": draw(SEEDS)},
    }


def request_of(workdir: Path, case: dict[str, Any]) -> SearchRequest:
    path = workdir / f"{case['task']}.csv"
    path.write_bytes(encode(case["text"], case.get("file_encoding", "utf-8")))
    options = dict(case.get("options", {}))
    if case.get("embeddings") is not None:
        options["embeddings"] = workdir / "vectors.txt"
        options["embeddings"].write_text(case["embeddings"], encoding="utf-8")
    return SearchRequest(
        data_path=path,
        space_path=workdir / f"{case['task']}.yaml",
        task=case["task"],
        columns=case.get("columns", {}),
        options=options,
        data_flags=case.get("data_flags", {}),
        search_flags=case.get("search_flags", {}),
        fixed=case.get("fixed", {}),
    )


def plan_and_describe(request: SearchRequest):
    """What `check` and the start of `search` do with a request: plan, describe, and build run.json's data."""
    plan = plan_search(request)
    lines = [plan.prepared.summary(), *plan.prepared.check_lines(plan.space)]
    document = {"data": manifest_data(plan), "baselines": plan.baselines, "space": plan.space.to_dict()}
    return plan, lines, json.dumps(clean(document), allow_nan=False)


def assert_plan_holds(plan, lines: list[str]) -> None:
    """A plan that passed: a valid effective space that reads back, every split used, finite model inputs."""
    task = plan.task.name
    assert all(isinstance(line, str) and line for line in lines)
    assert_valid_space(plan.space, task)
    prepared = plan.prepared
    if task == "forecast":
        longest = int(plan.space.params["lookback"].candidates_max())
        counts = prepared.window_counts(longest)
        assert all(counts[s] > 0 for s in ("train", "val", "test")), f"windows per split {counts}"
        assert np.isfinite(prepared.inputs).all(), "model inputs (float32) hold inf or NaN"
        for split in ("train", "val", "test"):
            ends = prepared.window_ends(split, longest)
            assert np.isfinite(prepared.encoded[ends]).all(), f"{split} targets (float32) hold inf or NaN"
    elif task == "text":
        assert all(prepared.info["split_rows"][s] > 0 for s in ("train", "val", "test")), prepared.info["split_rows"]
    else:
        assert all(prepared.info["split_counts"][s] > 0 for s in ("train", "val", "test")), prepared.info[
            "split_counts"
        ]
        for split in ("train", "val", "test"):
            x, mask = prepared.inputs(split)
            assert np.isfinite(x).all(), f"{split} model inputs (float32) hold inf or NaN"
            assert mask.any(axis=1).all(), f"a {split} sequence without a step"
            if prepared.problem == "regression":
                assert np.isfinite(prepared.y[split]).all(), f"{split} targets (float32) hold inf or NaN"
    assert_round_trip(plan.space)


def check_planning(workdir: Path, case: dict[str, Any]) -> None:
    result = outcome(lambda: plan_and_describe(request_of(workdir, case)))
    if not isinstance(result, LstmtuneError):
        plan, lines, _ = result
        assert_plan_holds(plan, lines)


HUGE_FORECAST = {
    "task": "forecast",
    "text": "y\n" + "".join(f"{v}e300\n" for v in (1, 3, 2, 5, 4, 6, 5, 8, 7, 9) * 3),
    "columns": {"target": ("y",)},
}


@budget(400)
@given(case=st.one_of(forecast_case(), generic_case("forecast")))
@example(case=HUGE_FORECAST)  # finite in the file, inf (and overflow warnings) in float32
@example(case={"task": "forecast", "text": "y\n1\n", "columns": {"target": ("y",)}})  # no training row to fit on
@example(case={"task": "forecast", "text": "y\n1\n", "columns": {"target": ("y",)}, "data_flags": {"scale": "minmax"}})
@example(case={**HUGE_FORECAST, "data_flags": {"transform": "none"}})
@example(
    case={
        "task": "forecast",
        "text": "y\n" + "".join(f"{i + i % 7}\n" for i in range(40)),
        "columns": {"target": ("y",)},
        "data_flags": {"season": 2**63},
    }
)  # a season too large for numpy's int64
def test_forecast_planning_plans_or_refuses(workdir, case):
    check_planning(workdir, case)


@budget(400)
@given(case=st.one_of(text_case(), generic_case("text")))
@example(
    case={
        "task": "text",
        "text": "text,label\ngood film,a\n",
        "columns": {"text_col": "text", "target": ("label",)},
        "options": {"encoding": "rot13"},
    }
)
@example(case={"task": "text", "text": '"a\nb",label\ngood,a\n', "columns": {"text_col": "text", "target": ("label",)}})
def test_text_planning_plans_or_refuses(workdir, case):
    check_planning(workdir, case)


@budget(400)
@given(case=st.one_of(sequence_case(), generic_case("sequence")))
@example(
    case={
        "task": "sequence",
        "text": "label,t0,t1\n" + "".join(f"{c},{v}e300,{v}e299\n" for c, v in zip("ab" * 6, range(1, 13))),
        "columns": {"target": ("label",)},
        "options": {"wide": True},
    }
)  # inf once scaled to float32
@example(
    case={"task": "sequence", "text": "y,x,Date\n,273,22,\n", "columns": {"target": ("y",)}, "options": {"wide": True}}
)  # a row longer than the header: its first cell became the row label
def test_sequence_planning_plans_or_refuses(workdir, case):
    check_planning(workdir, case)


# --- 4. the command line: `check` with generated data and flag values -------------------------------------


def assert_exit_0_or_one_line(result) -> None:
    """Exit 0, or exit 2 with one stderr line `error: ...`; never a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code != 0:
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    else:
        assert not result.stderr.strip(), result.stderr


def cli_args(case: dict[str, Any], data: Path, space: Path) -> list[str]:
    args = ["check", str(data), "--space", str(space), "--task", case["task"]]
    columns = dict(case.get("columns", {}))
    for target in columns.pop("target", None) or ():
        args += ["--target", target]
    for key, value in {
        **columns,
        **case.get("options", {}),
        **case.get("data_flags", {}),
        **case.get("fixed", {}),
    }.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        else:
            args += [flag, ",".join(value) if isinstance(value, tuple) else str(value)]
    return args


@budget(150)
@given(case=st.sampled_from(TASK_NAMES).flatmap(generic_case))
@example(case={"task": "text", "text": 'y,"line\nbreak"\n701,273\n', "columns": {"text_col": "y", "target": ("nope",)}})
def test_check_command_on_generated_csvs(workdir, cli, case):
    request = request_of(workdir, case)
    result = outcome(lambda: cli(*cli_args(case, request.data_path, request.space_path)))
    assert_exit_0_or_one_line(result)


flag_values = st.one_of(
    st.integers(-3, 30).map(str),
    st.integers().map(str),
    st.sampled_from(EDGE_NUMBERS).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "1e3",
            "3.0",
            "0x10",
            "1_000",
            "-0",
            "nan",
            "inf",
            "none",
            "0.7,0.15,0.15",
            "0.5,0.5,0",
            "1,0,0",
            "7",
            "٣",
            "9" * 400,
            "10m",
            "1h30m",
            "0s",
            "-5s",
            "1e400h",
        ]
    ),
    st.text(max_size=8),
)
FORECAST_FLAGS = ["--lookback", "--horizon", "--split", "--season", "--fill", "--transform", "--scale"]
SEQUENCE_FLAGS = ["--stride", "--max-length", "--split", "--problem", "--objective", "--class-weight", "--scale"]


@budget(150)
@given(
    task=st.sampled_from(["forecast", "sequence"]),
    picks=st.lists(st.tuples(st.integers(0, 6), flag_values), min_size=1, max_size=3, unique_by=lambda p: p[0]),
)
@example(task="forecast", picks=[(3, "9223372036854775808")])  # --season 2**63
def test_check_command_with_generated_flag_values(workdir, cli, task, picks):
    if task == "forecast":
        args = ["check", AIRLINE, "--space", workdir / "forecast.yaml", "--target", "Passengers", "--time-col", "Date"]
        names = FORECAST_FLAGS
    else:
        args = [
            "check",
            VOWELS,
            "--space",
            workdir / "sequence.yaml",
            "--task",
            "sequence",
            "--id-col",
            "case_id",
            "--order-col",
            "t",
            "--target",
            "label",
            "--split-col",
            "split",
        ]
        names = SEQUENCE_FLAGS
    for index, value in picks:
        args += [f"{names[index]}={value}"]
    assert_exit_0_or_one_line(outcome(lambda: cli(*args)))


SEARCH_FLAGS = ["--tuner", "--max-trials", "--epochs", "--patience", "--initial-points", "--seed", "--time-budget"]


@budget(120)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, len(SEARCH_FLAGS) - 1), flag_values), min_size=1, max_size=3, unique_by=lambda p: p[0]
    )
)
def test_search_flags_are_checked_before_anything_runs(workdir, cli, monkeypatch, picks):
    """`search` on a file that does not exist: a bad flag or the missing file, one line either way (nothing trains)."""
    import lstmtune.tuning.quiet

    def no_tensorflow():
        raise AssertionError("search went on to import TensorFlow")

    monkeypatch.setattr(lstmtune.tuning.quiet, "import_tensorflow_quietly", no_tensorflow)
    args = [
        "search",
        workdir / "missing.csv",
        "--space",
        workdir / "forecast.yaml",
        "--target",
        "y",
        "--out",
        workdir / "run",
    ]
    for index, value in picks:
        args += [f"{SEARCH_FLAGS[index]}={value}"]
    result = outcome(lambda: cli(*args))
    assert_exit_0_or_one_line(result)
    assert result.exit_code == 2


@budget(300)
@given(
    task=st.sampled_from(TASK_NAMES),
    search_flags=st.dictionaries(st.sampled_from(SEARCH_KEYS), st.one_of(scalars, nested), max_size=4),
    data_flags=st.dictionaries(st.sampled_from(DATA_KEYS), st.one_of(scalars, split_values), max_size=3),
    lookback=st.one_of(st.none(), scalars),
)
@example(
    task="forecast", search_flags={"time_budget": 10**400}, data_flags={}, lookback=None
)  # the Python API passes ints
def test_setting_values_through_planning(workdir, task, search_flags, data_flags, lookback):
    """Flag values as the Python API passes them (any type), validated by the same planning as `search`."""
    request = SearchRequest(
        data_path=None,
        space_path=workdir / f"{task}.yaml",
        task=task,
        search_flags=search_flags,
        data_flags=data_flags,
        fixed={"lookback": lookback} if task == "forecast" else {},
    )
    plan = outcome(lambda: plan_search(request))
    if not isinstance(plan, LstmtuneError):
        for key, rule in search_settings.SEARCH_RULES.items():
            value = getattr(plan.search, key)
            if value is not None:
                assert rule(value) == value, f"search {key}={value!r}"
        assert_valid_space(plan.space, task)
