"""Fast tests of the search-space file (lstmtune.space.specs) and the settings schema (lstmtune.space.settings).

Nothing here imports TensorFlow, Keras or Keras Tuner.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from lstmtune.errors import LstmtuneError, SpaceError
from lstmtune.space import settings
from lstmtune.space.load import parse_space
from lstmtune.space.params import Param, Space
from lstmtune.space.settings import SEARCH_RULES, SearchSettings
from lstmtune.tasks import grammar, read_space
from lstmtune.tasks.forecast.settings import DATA_RULES
from lstmtune.tasks.forecast.settings import ForecastSettings as DataSettings

SOURCE = "my_space.yaml"
SPECS = grammar("forecast").specs
SHIPPED = Path(__file__).parent.parent / "lstmtune" / "spaces"


def parse(text: str) -> Space:
    return parse_space(textwrap.dedent(text), grammar("forecast"), source=SOURCE)


def error_of(text: str) -> str:
    with pytest.raises(SpaceError) as info:
        parse(text)
    return str(info.value)


def hp(text: str) -> Space:
    """Parse a `hyperparameters:` block given as its indented body."""
    return parse("hyperparameters:\n" + textwrap.indent(textwrap.dedent(text), "  "))


# --- value forms --------------------------------------------------------------------------


def test_fixed_scalars_keep_their_spec_type():
    space = hp(
        """
        units: 64
        dropout: 0
        optimizer: adamw
        bidirectional: true
        """
    )
    assert space.params["units"] == Param("units", "fixed", value=64)
    assert space.params["dropout"] == Param("dropout", "fixed", value=0.0)
    assert type(space.params["dropout"].value) is float  # an int is widened where a float is expected
    assert space.params["optimizer"].value == "adamw"
    assert space.params["bidirectional"].value is True
    assert space.tunable == []


def test_int_range_with_step():
    p = hp("units: {int: [16, 128], step: 16}").params["units"]
    assert p == Param("units", "int", low=16, high=128, step=16, log=False)
    assert p.tunable and p.candidates_max() == 128


def test_float_range_with_log():
    p = hp("kernel_l2: {float: [1e-6, 1e-2], log: true}").params["kernel_l2"]
    assert p == Param("kernel_l2", "float", low=1e-6, high=1e-2, step=None, log=True)


def test_float_range_with_step_and_int_bounds_widened():
    p = hp("clipnorm: {float: [0, 5], step: 0.5}").params["clipnorm"]
    assert (p.kind, p.low, p.high, p.step, p.log) == ("float", 0.0, 5.0, 0.5, False)
    assert type(p.low) is float and type(p.high) is float


def test_choice():
    p = hp("optimizer: {choice: [adam, rmsprop]}").params["optimizer"]
    assert p == Param("optimizer", "choice", values=("adam", "rmsprop"))
    assert p.candidates_max() == "rmsprop"


def test_omitted_hyperparameters_take_the_defaults():
    space = hp("units: {int: [16, 64]}")
    assert list(space.params) == list(SPECS)
    for name, spec in SPECS.items():
        if name != "units":
            assert space.params[name] == Param(name, "fixed", value=spec.default), name
    assert [p.name for p in space.tunable] == ["units"]


def test_only_a_search_section_gives_all_defaults():
    space = parse("search: {epochs: 3}\n")
    assert {n: p.value for n, p in space.params.items()} == {n: s.default for n, s in SPECS.items()}
    assert space.search == {"epochs": 3}
    assert space.data == {}
    assert space.source == SOURCE


@pytest.mark.parametrize(
    "line, name, value",
    [
        ("units: {int: [32, 32]}", "units", 32),
        ("dropout: {float: [0.2, 0.2]}", "dropout", 0.2),
        ("kernel_l2: {float: [1e-4, 1e-4], log: true}", "kernel_l2", 1e-4),
        ("optimizer: {choice: [rmsprop]}", "optimizer", "rmsprop"),
        ("batch_size: {choice: [64]}", "batch_size", 64),
    ],
)
def test_degenerate_ranges_become_fixed(line, name, value):
    p = hp(line).params[name]
    assert p == Param(name, "fixed", value=value)
    assert not p.tunable


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected", [("1e-4", 1e-4), ("1E-3", 1e-3), ("1.0e-4", 1e-4), ("2e+0", 2.0), ("5", 5.0)]
)
def test_exponent_notation_reads_as_float(written, expected):
    value = hp(f"learning_rate: {written}").params["learning_rate"].value
    assert type(value) is float
    assert value == pytest.approx(expected)


def test_exponent_notation_inside_ranges_and_choices():
    space = hp(
        """
        kernel_l2: {float: [1e-6, 1E-2], log: true}
        learning_rate: {choice: [1e-4, 3e-4, 1.0e-3]}
        """
    )
    assert (space.params["kernel_l2"].low, space.params["kernel_l2"].high) == (1e-6, 1e-2)
    assert space.params["learning_rate"].values == (1e-4, 3e-4, 1e-3)


def test_ints_stay_ints():
    space = hp(
        """
        units: 64
        layers: {int: [1, 3]}
        lookback: {choice: [12, 24]}
        """
    )
    assert type(space.params["units"].value) is int
    assert type(space.params["layers"].low) is int and type(space.params["layers"].high) is int
    assert all(type(v) is int for v in space.params["lookback"].values)


def test_exponent_for_an_int_hyperparameter_is_a_float_and_rejected():
    msg = error_of("hyperparameters:\n  batch_size: 1e2\n")
    assert "hyperparameters.batch_size" in msg and "must be an integer" in msg and "100.0" in msg


def test_plain_pyyaml_is_left_alone():
    # The project's loader is a subclass: importing lstmtune.space.specs must not change yaml.safe_load.
    assert yaml.safe_load("x: 1e-4")["x"] == "1e-4"


# --- error messages -----------------------------------------------------------------------

ERRORS = {
    # id: (yaml text, fragments the message must contain)
    "malformed": ("hyperparameters:\n  units: 8\n  dropout: 0.1: 2\n", ["malformed YAML", "line 3"]),
    "unclosed-quote": ('hyperparameters:\n  units: 8\n  optimizer: "adam\n', ["malformed YAML", "line 4"]),
    "duplicate-key": (
        "hyperparameters:\n  units: 8\n  units: 16\n",
        ["duplicate key 'units'", "line 3", "first at line 2"],
    ),
    "empty": ("", ["empty", "hyperparameters"]),
    "only-comments": ("# nothing here\n", ["empty"]),
    "top-level-list": ("- units\n- dropout\n", ["top level must be a mapping", "list"]),
    "top-level-scalar": ("units\n", ["top level must be a mapping", "str"]),
    "unknown-top-level": (
        "hyperparameter:\n  units: 8\n",
        ["unknown top-level key 'hyperparameter'", "did you mean 'hyperparameters'"],
    ),
    "section-not-mapping": ("hyperparameters: [units, dropout]\n", ["hyperparameters must be a mapping", "list"]),
    "unknown-hp": (
        "hyperparameters:\n  dropuot: 0.1\n",
        ["unknown hyperparameter 'dropuot'", "did you mean 'dropout'"],
    ),
    "unknown-hp-no-match": ("hyperparameters:\n  zzzz: 1\n", ["unknown hyperparameter 'zzzz'"]),
    "lo-gt-hi": (
        "hyperparameters:\n  units: {int: [64, 16]}\n",
        ["hyperparameters.units", "lo <= hi must hold", "lo=64", "hi=16"],
    ),
    "lo-gt-hi-float": (
        "hyperparameters:\n  dropout: {float: [0.4, 0.1]}\n",
        ["hyperparameters.dropout", "lo <= hi must hold", "lo=0.4", "hi=0.1"],
    ),
    "log-lo-zero": (
        "hyperparameters:\n  kernel_l2: {float: [0, 1e-2], log: true}\n",
        ["hyperparameters.kernel_l2", "log scale needs lo > 0", "lo=0.0"],
    ),
    "dropout-hi-1": (
        "hyperparameters:\n  dropout: {float: [0, 1.0]}\n",
        ["hyperparameters.dropout", "0 <= value < 1 must hold", "hi=1.0"],
    ),
    "dropout-negative": (
        "hyperparameters:\n  dropout: -0.1\n",
        ["hyperparameters.dropout", "0 <= value < 1 must hold", "-0.1"],
    ),
    "units-zero": (
        "hyperparameters:\n  units: 0\n",
        ["hyperparameters.units", "1 <= value <= 4096 must hold", "value=0"],
    ),
    "lr-zero-in-choice": (
        "hyperparameters:\n  learning_rate: {choice: [0.01, 0]}\n",
        ["hyperparameters.learning_rate", "1e-10 <= value <= 10 must hold", "choice value=0.0"],
    ),
    "units-str": ("hyperparameters:\n  units: abc\n", ["hyperparameters.units", "must be an integer", "'abc'"]),
    "units-float-kind": (
        "hyperparameters:\n  units: {float: [16, 64]}\n",
        ["hyperparameters.units", "integer hyperparameter", "{int: [lo, hi]}"],
    ),
    "dropout-int-kind": (
        "hyperparameters:\n  dropout: {int: [0, 1]}\n",
        ["hyperparameters.dropout", "float hyperparameter", "{float: [lo, hi]}"],
    ),
    "bool-for-int": ("hyperparameters:\n  units: true\n", ["hyperparameters.units", "must be an integer", "True"]),
    "bool-for-float-bound": (
        "hyperparameters:\n  dropout: {float: [false, 0.5]}\n",
        ["hyperparameters.dropout", "lo must be a number", "False"],
    ),
    "int-for-bool": ("hyperparameters:\n  bidirectional: 1\n", ["hyperparameters.bidirectional", "true or false"]),
    "range-for-bool": (
        "hyperparameters:\n  layer_norm: {int: [0, 1]}\n",
        ["hyperparameters.layer_norm", "true or false", "{choice: [...]}"],
    ),
    "bad-optimizer": (
        "hyperparameters:\n  optimizer: sgd\n",
        ["hyperparameters.optimizer", "one of adam, adamw, rmsprop", "'sgd'"],
    ),
    "nan": ("hyperparameters:\n  dropout: .nan\n", ["hyperparameters.dropout", "must be a number"]),
    "null-value": ("hyperparameters:\n  units:\n", ["hyperparameters.units", "must be an integer", "None"]),
    "bare-list": ("hyperparameters:\n  units: [16, 32]\n", ["hyperparameters.units", "a list is ambiguous", "choice"]),
    "int-and-float": (
        "hyperparameters:\n  units: {int: [1, 2], float: [1, 2]}\n",
        ["hyperparameters.units", "exactly one of int, float or choice", "['int', 'float']"],
    ),
    "no-kind": (
        "hyperparameters:\n  units: {step: 2}\n",
        ["hyperparameters.units", "exactly one of int, float or choice", "none"],
    ),
    "unknown-dist-key": (
        "hyperparameters:\n  units: {int: [16, 64], stpe: 16}\n",
        ["hyperparameters.units", "unknown key 'stpe'", "did you mean 'step'"],
    ),
    "one-bound": (
        "hyperparameters:\n  units: {int: [16]}\n",
        ["hyperparameters.units", "int must be a list [lo, hi]", "[16]"],
    ),
    "bounds-not-list": (
        "hyperparameters:\n  dropout: {float: 0.5}\n",
        ["hyperparameters.dropout", "float must be a list [lo, hi]", "0.5"],
    ),
    "step-zero": (
        "hyperparameters:\n  units: {int: [16, 64], step: 0}\n",
        ["hyperparameters.units", "step must be a positive integer", "0"],
    ),
    "step-float-for-int": (
        "hyperparameters:\n  units: {int: [16, 64], step: 2.5}\n",
        ["hyperparameters.units", "step must be a positive integer", "2.5"],
    ),
    "step-negative-float": (
        "hyperparameters:\n  dropout: {float: [0, 0.5], step: -0.1}\n",
        ["hyperparameters.dropout", "step must be a positive number", "-0.1"],
    ),
    "step-bool": (
        "hyperparameters:\n  units: {int: [16, 64], step: true}\n",
        ["hyperparameters.units", "step must be a positive integer", "True"],
    ),
    "log-step-not-multiplier": (
        "hyperparameters:\n  kernel_l2: {float: [1e-6, 1e-2], log: true, step: 0.5}\n",
        ["hyperparameters.kernel_l2", "step is a multiplier and must be > 1", "0.5"],
    ),
    "log-not-bool": (
        "hyperparameters:\n  kernel_l2: {float: [1e-6, 1e-2], log: 'yes'}\n",
        ["hyperparameters.kernel_l2", "log must be true or false", "'yes'"],
    ),
    "choice-repeated": (
        "hyperparameters:\n  units: {choice: [16, 32, 16]}\n",
        ["hyperparameters.units", "choice values must be distinct", "[16, 32, 16]"],
    ),
    "choice-repeated-after-widening": (
        "hyperparameters:\n  dropout: {choice: [0, 0.0]}\n",
        ["hyperparameters.dropout", "must be distinct"],
    ),
    "choice-empty": (
        "hyperparameters:\n  units: {choice: []}\n",
        ["hyperparameters.units", "choice must be a non-empty list"],
    ),
    "choice-with-step": (
        "hyperparameters:\n  units: {choice: [16, 32], step: 16}\n",
        ["hyperparameters.units", "step and log apply to int and float ranges"],
    ),
    "choice-bad-value": (
        "hyperparameters:\n  units: {choice: [16, big]}\n",
        ["hyperparameters.units", "choice value must be an integer", "'big'"],
    ),
    "search-unknown": (
        "search:\n  max_trail: 5\n",
        ["unknown key search.max_trail", "did you mean 'max_trials'", "allowed:"],
    ),
    "data-unknown": ("data:\n  splt: [0.7, 0.15, 0.15]\n", ["unknown key data.splt", "did you mean 'split'"]),
    "search-not-mapping": ("search: [epochs]\n", ["search must be a mapping", "list"]),
    "epochs-zero": ("search:\n  epochs: 0\n", ["search.epochs", "must be an integer in [1, 100000]", "got 0"]),
    "max-trials-fraction": (
        "search:\n  max_trials: 2.5\n",
        ["search.max_trials", "must be an integer in [1, 10000]", "2.5"],
    ),
    "bad-tuner": ("search:\n  tuner: grid\n", ["search.tuner", "must be one of bayesian, random, hyperband", "'grid'"]),
    "seed-negative": ("search:\n  seed: -1\n", ["search.seed", "must be an integer in [0, 4294967295]", "-1"]),
    "split-sum": ("data:\n  split: [0.5, 0.6, 0.1]\n", ["data.split", "must be three fractions", "[0.5, 0.6, 0.1]"]),
    "split-two": ("data:\n  split: [0.5, 0.5]\n", ["data.split", "must be three fractions"]),
    "split-zero-part": ("data:\n  split: [0.8, 0.2, 0]\n", ["data.split", "each > 0"]),
    "transform-sqrt": (
        "data:\n  transform: sqrt\n",
        ["data.transform", "must be one of auto, diff, sdiff, logdiff, log,sdiff, log, none", "'sqrt'"],
    ),
    "transform-two-kinds": (
        "data:\n  transform: diff,sdiff\n",
        ["data.transform", "(log may be combined", "'diff,sdiff'"],
    ),
    "season-one": ("data:\n  season: 1\n", ["data.season", "must be an integer in [2, 100000]", "1"]),
    "horizon-bool": ("data:\n  horizon: true\n", ["data.horizon", "must be an integer in [1, 100000]", "True"]),
}


@pytest.mark.parametrize("text, fragments", ERRORS.values(), ids=ERRORS.keys())
def test_error_message(text, fragments):
    msg = error_of(text)
    assert msg.startswith(f"{SOURCE}: "), msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    assert "\n" not in msg  # one clear line


def test_space_error_is_a_user_error_with_exit_code_2():
    with pytest.raises(LstmtuneError) as info:
        parse("hyperparameters:\n  units: -1\n")
    assert isinstance(info.value, SpaceError)
    assert info.value.exit_code == 2


# --- load_space ---------------------------------------------------------------------------


def test_load_space_reads_a_file_and_uses_its_path_as_source(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("hyperparameters:\n  units: {int: [8, 16]}\n", encoding="utf-8")
    space = read_space(path)
    assert space.source == str(path)
    assert space.params["units"].kind == "int"


def test_load_space_error_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("hyperparameters:\n  dropuot: 0.1\n", encoding="utf-8")
    with pytest.raises(SpaceError, match="did you mean 'dropout'") as info:
        read_space(str(path))
    assert str(info.value).startswith(f"{path}: ")


def test_load_space_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(SpaceError) as info:
        read_space(path)
    assert str(path) in str(info.value) and "not found" in str(info.value)


def test_load_space_directory(tmp_path):
    with pytest.raises(SpaceError) as info:
        read_space(tmp_path)
    assert str(tmp_path) in str(info.value) and "is a directory" in str(info.value)


def test_load_space_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("hyperparameters:\n  optimizer: ad\xe4m\n".encode("latin-1"))
    with pytest.raises(SpaceError) as info:
        read_space(path)
    assert str(path) in str(info.value) and "cannot read" in str(info.value)


# --- shipped files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["forecast.yaml", "smoke.yaml"])
def test_shipped_spaces_load(name):
    space = read_space(SHIPPED / name)
    assert space.tunable
    assert {"max_trials", "epochs", "patience"} <= set(space.search)


@pytest.mark.parametrize("name, task", [("text.yaml", "text"), ("sequence.yaml", "sequence")])
def test_shipped_task_spaces_load_for_their_task_only(name, task):
    space = read_space(SHIPPED / name, task)
    assert space.tunable and space.task == task
    assert {"max_trials", "epochs", "patience"} <= set(space.search)
    if task == "text":  # left out on purpose: it defaults to the training texts' 95th percentile
        assert space.params["sequence_length"].value is None
    with pytest.raises(SpaceError, match=f"applies to task {task}, not to task forecast|hyperparameters"):
        parse_space(
            (SHIPPED / name).read_text().replace("hyperparameters:", "hyperparameters:\n  lookback: 4"), grammar(task)
        )


@pytest.mark.parametrize(
    "text, task, fragment",
    [
        (
            "hyperparameters: {lookback: 12}",
            "text",
            "hyperparameters.lookback applies to task forecast, not to task text",
        ),
        (
            "hyperparameters: {max_tokens: 100}",
            "forecast",
            "hyperparameters.max_tokens applies to task text, not to task forecast",
        ),
        (
            "hyperparameters: {input_noise: 0.1}",
            "text",
            "input_noise applies to task forecast, sequence and autoencoder, not to task text",
        ),
        ("hyperparameters: {embedding_dim: 8}", "sequence", "applies to task text, not to task sequence"),
        ("data: {horizon: 3}", "text", "data.horizon applies to task forecast, not to task text"),
        ("data: {stride: 2}", "forecast", "data.stride applies to task sequence and autoencoder, not to task forecast"),
        (
            "data: {class_weight: auto}",
            "forecast",
            "data.class_weight applies to task text and sequence, not to task forecast",
        ),
        ("hyperparameters: {sequence_length: 0}", "text", "1 <= value <= 20000 must hold"),
    ],
)
def test_keys_of_another_task_name_the_task(text, task, fragment):
    with pytest.raises(SpaceError) as info:
        parse_space(text, grammar(task), source=SOURCE)
    assert fragment in str(info.value) and SOURCE in str(info.value)


def test_forecast_space_reads_exponents_as_log_float_ranges():
    space = read_space(SHIPPED / "forecast.yaml")
    l2 = space.params["kernel_l2"]
    assert (l2.kind, l2.low, l2.high, l2.log) == ("float", 1e-6, 1e-2, True)
    assert space.params["learning_rate"].low == pytest.approx(3e-4)


# --- Space: to_yaml and with_fixed --------------------------------------------------------

RICH = """
hyperparameters:
  lookback: {choice: [12, 24, 48]}
  layers: {int: [1, 3]}
  units: {int: [16, 128], step: 16}
  dropout: {float: [0.0, 0.4], step: 0.1}
  kernel_l2: {float: [1e-6, 1e-2], log: true}
  batch_size: {int: [16, 256], step: 2, log: true}
  optimizer: {choice: [adam, adamw]}
  bidirectional: {choice: [true, false]}
  learning_rate: 3e-4
  layer_norm: true
search: {tuner: random, max_trials: 7, epochs: 9, initial_points: none}
data: {split: [0.6, 0.2, 0.2], transform: none, fill: NONE, season: 12}
"""


@pytest.mark.parametrize(
    "text", [RICH, (SHIPPED / "forecast.yaml").read_text(encoding="utf-8")], ids=["rich", "forecast"]
)
def test_to_yaml_round_trips(text):
    space = parse(text)
    again = parse_space(space.to_yaml(), grammar("forecast"), source="again.yaml")
    assert again.params == space.params
    assert again.search == space.search
    assert again.data == space.data


def test_rich_space_sections_are_validated_values():
    space = parse(RICH)
    assert space.search == {"tuner": "random", "max_trials": 7, "epochs": 9, "initial_points": None}
    assert space.data == {"split": (0.6, 0.2, 0.2), "transform": "none", "fill": None, "season": 12}
    assert len(space.tunable) == 8


def test_with_fixed_fixes_every_param_and_keeps_search_overrides():
    space = parse(RICH)
    values = {name: p.candidates_max() for name, p in space.params.items()}
    values["not_a_hyperparameter"] = 1
    fixed = space.with_fixed(values, max_trials=1, tuner="bayesian")

    assert fixed.tunable == []
    assert set(fixed.params) == set(space.params)
    assert {n: p.value for n, p in fixed.params.items()} == {n: values[n] for n in space.params}
    assert fixed.search == {"tuner": "bayesian", "max_trials": 1, "epochs": 9, "initial_points": None}
    assert fixed.data == space.data and fixed.source == space.source
    # The original is untouched, and the fixed space survives a trip through YAML.
    assert len(space.tunable) == 8 and space.search["max_trials"] == 7
    again = parse_space(fixed.to_yaml(), grammar("forecast"))
    assert again.params == fixed.params and again.search == fixed.search


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("max_trials, expected", [(1, 1), (2, 2), (8, 2), (20, 5), (100, 25)])
def test_default_initial_points(max_trials, expected):
    points = settings.default_initial_points(max_trials)
    assert 1 <= points <= max_trials
    assert points == expected


def test_default_initial_points_bounds_for_every_budget():
    for max_trials in range(1, 501):
        assert 1 <= settings.default_initial_points(max_trials) <= max_trials, max_trials


def test_build_later_layer_wins_and_none_is_ignored():
    file_layer = {"max_trials": 30, "epochs": 10, "tuner": "random"}
    flag_layer = {"max_trials": 4, "epochs": None, "patience": None, "unknown": 1}
    search = settings.build(SearchSettings, SEARCH_RULES, file_layer, flag_layer)
    assert search == SearchSettings(tuner="random", max_trials=4, epochs=10)
    assert search.patience == SearchSettings().patience


def test_build_without_layers_gives_defaults():
    assert settings.build(DataSettings, DATA_RULES) == DataSettings()
    data = settings.build(DataSettings, DATA_RULES, {"split": (0.8, 0.1, 0.1)}, {"horizon": 3, "fill": None})
    assert data == DataSettings(horizon=3, split=(0.8, 0.1, 0.1))


@pytest.mark.parametrize(
    "rules, key, given, expected",
    [
        (DATA_RULES, "split", "0.7,0.15,0.15", (0.7, 0.15, 0.15)),
        (DATA_RULES, "split", " 0.5, 0.25 ,0.25", (0.5, 0.25, 0.25)),
        (DATA_RULES, "fill", "NONE", None),
        (DATA_RULES, "fill", "Interpolate", "interpolate"),
        (DATA_RULES, "season", "none", None),
        (DATA_RULES, "season", "24", 24),
        (DATA_RULES, "scale", "NONE", "none"),  # a real option here, not "unset"
        (DATA_RULES, "transform", "LogDiff", "logdiff"),
        (DATA_RULES, "transform", "SDiff, Log", "log,sdiff"),
        (DATA_RULES, "transform", "log,diff", "logdiff"),
        (DATA_RULES, "horizon", "3", 3),
        (SEARCH_RULES, "initial_points", "NONE", None),
        (SEARCH_RULES, "initial_points", "", None),
        (SEARCH_RULES, "max_trials", "20", 20),
        (SEARCH_RULES, "epochs", "3.0", 3),
        (SEARCH_RULES, "tuner", "Hyperband", "hyperband"),
        (SEARCH_RULES, "seed", "0", 0),
    ],
)
def test_rules_accept_command_line_strings(rules, key, given, expected):
    value = rules[key](given)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "rules, key, given, fragment",
    [
        (SEARCH_RULES, "max_trials", "abc", "must be an integer in [1, 10000], but got 'abc'"),
        (SEARCH_RULES, "max_trials", "2.5", "must be an integer in [1, 10000]"),
        (SEARCH_RULES, "max_trials", "inf", "must be an integer in [1, 10000]"),
        (SEARCH_RULES, "max_trials", "1e20", "must be an integer in [1, 10000], but got '1e20'"),
        (SEARCH_RULES, "epochs", True, "must be an integer in [1, 100000], but got True"),
        (SEARCH_RULES, "initial_points", "0", "must be an integer in [1, 10000]"),
        (SEARCH_RULES, "tuner", "NONE", "must be one of bayesian, random, hyperband"),
        (DATA_RULES, "split", "0.5,0.5", "must be three fractions"),
        (DATA_RULES, "split", "0.7,0.2,x", "must be three fractions"),
        (DATA_RULES, "split", "1.2,-0.1,-0.1", "each > 0"),
        (DATA_RULES, "split", 5, "must be three fractions"),
        (DATA_RULES, "season", "1", "must be an integer in [2, 100000]"),
        (DATA_RULES, "fill", "bfill", "must be one of ffill, interpolate, drop"),
    ],
)
def test_rules_reject_bad_values(rules, key, given, fragment):
    with pytest.raises(ValueError) as info:
        rules[key](given)
    assert fragment in str(info.value)


# --- no heavy imports ---------------------------------------------------------------------


def test_space_and_settings_do_not_import_tensorflow():
    code = (
        "import lstmtune.space.specs, lstmtune.space.settings, sys; "
        "print(any(m in sys.modules for m in ('tensorflow','keras','keras_tuner')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --- edge cases that once failed -----------------------------------------------------------


def test_unhashable_key_is_a_space_error():
    with pytest.raises(SpaceError):
        parse("hyperparameters:\n  ? [units, layers]\n  : 8\n")


def test_yaml_merge_keys_are_accepted():
    space = parse("hyperparameters:\n  <<: {units: 8}\n  layers: 2\n")
    assert space.params["units"].value == 8 and space.params["layers"].value == 2


@pytest.mark.parametrize("text", ["hyperparameters: []\n", "hyperparameters: 0\n", "search: false\n", "data: ''\n"])
def test_falsy_non_mapping_section_is_rejected(text):
    msg = error_of(text)
    assert "must be a mapping" in msg


@pytest.mark.parametrize("given", ["nan,0.5,0.5", [0.5, float("nan"), 0.5]])
def test_split_with_nan_is_rejected(given):
    with pytest.raises(ValueError):
        DATA_RULES["split"](given)


def test_large_integers_are_kept_exactly():
    assert SEARCH_RULES["max_trials"](10_000) == 10_000
    with pytest.raises(ValueError, match="in \\[1, 10000\\], but got 9007199254740993"):
        SEARCH_RULES["max_trials"](2**53 + 1)  # not rounded to a float on the way
    assert SEARCH_RULES["seed"](2**32 - 1) == 2**32 - 1
    with pytest.raises(ValueError, match="in \\[0, 4294967295\\]"):
        SEARCH_RULES["seed"](2**32)


@pytest.mark.parametrize(
    "text", ["search:\n  seed: " + "9" * 400 + "\n", "hyperparameters:\n  clipnorm: " + "9" * 400 + "\n"]
)
def test_huge_integer_is_a_space_error(text):
    error_of(text)
