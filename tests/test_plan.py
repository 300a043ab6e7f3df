"""lstmtune.plan on its own: what a request must meet before any search starts (no TensorFlow, no CLI).

Planning reads the space and the data and looks at the run directory, but writes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import AIRLINE, REVIEWS, TEXT_SPACE, TINY_SPACE

from lstmtune.errors import OptionError, RunDirError
from lstmtune.plan import (
    SearchPlan,
    SearchRequest,
    device_options_manifest,
    flag,
    given,
    manifest_data,
    parse_address,
    plan_search,
    sha256,
    validate_flags,
)
from lstmtune.run import manifest as run_manifest
from lstmtune.space import settings
from lstmtune.tasks import get_task

AIRLINE_COLUMNS = {"target": ("Passengers",), "time_col": "Date"}


def airline(space: Path, out: Path | None = None, **fields) -> SearchRequest:
    """A forecast request on airline.csv; `fields` replace or add SearchRequest fields."""
    return SearchRequest(
        **{"data_path": AIRLINE, "space_path": space, "out": out, "columns": AIRLINE_COLUMNS, **fields}
    )


def refused(request: SearchRequest, kind: type[Exception] = OptionError) -> str:
    with pytest.raises(kind) as caught:
        plan_search(request)
    return str(caught.value)


# --- flags -------------------------------------------------------------------------------------------


def test_flag_and_given():
    assert flag("time_col") == "--time-col" and flag("gpu_fast") == "--gpu-fast"
    assert not any(given(v) for v in (None, False, (), []))
    assert all(given(v) for v in (0, "", "x", ("a",), True))


@pytest.mark.parametrize(
    "task, group, name, value, owners",
    [
        ("forecast", "columns", "text_col", "text", "text"),
        ("forecast", "columns", "split_col", "split", "text, sequence and autoencoder"),
        ("text", "columns", "time_col", "Date", "forecast and autoencoder"),
        ("forecast", "options", "wide", True, "sequence and autoencoder"),
        ("sequence", "options", "embeddings", Path("vectors.txt"), "text"),
        ("forecast", "data_flags", "max_length", 3, "sequence and autoencoder"),
        ("text", "data_flags", "horizon", 2, "forecast"),
        ("sequence", "fixed", "lookback", 3, "forecast"),
    ],
)
def test_a_flag_of_another_task_is_refused_naming_that_task(tiny_space, task, group, name, value, owners):
    message = refused(SearchRequest(None, tiny_space, task=task, **{group: {name: value}}))
    assert message == f"{flag(name)} applies to --task {owners}, not to --task {task}"


def test_flags_of_another_task_left_unset_are_no_error(tiny_space):
    request = airline(
        tiny_space,
        columns={**AIRLINE_COLUMNS, "text_col": None, "id_col": None},
        options={"wide": False, "strict": False, "embeddings": None},
        data_flags={"max_length": None, "objective": None},
    )
    assert plan_search(request).task.name == "forecast"


def test_several_targets_are_refused_for_a_single_target_task(write_file):
    space = write_file("text.yaml", TEXT_SPACE)
    request = SearchRequest(REVIEWS, space, task="text", columns={"text_col": "text", "target": ("category", "x")})
    assert refused(request) == "--target names one column for --task text, but got category, x"


@pytest.mark.parametrize(
    "flags, rules, message",
    [
        ({"epochs": 0}, settings.SEARCH_RULES, "--epochs must be an integer in [1, 100000], but got 0"),
        (
            {"tuner": "grid"},
            settings.SEARCH_RULES,
            "--tuner must be one of bayesian, random, hyperband, but got 'grid'",
        ),
        ({"horizon": 0}, get_task("forecast").data_rules, "--horizon must be an integer in [1, 100000], but got 0"),
        ({"split": "0.5,0.6"}, get_task("forecast").data_rules, "--split must be three fractions"),
        ({"max_length": -1}, get_task("sequence").data_rules, "--max-length "),
    ],
)
def test_validate_flags_names_the_flag(flags, rules, message):
    with pytest.raises(OptionError) as caught:
        validate_flags(flags, rules)
    assert str(caught.value).startswith(message)


def test_validate_flags_converts_values_and_skips_unset_ones():
    flags = {"epochs": "3", "seed": None, "time_budget": "10m", "tuner": "random"}
    assert validate_flags(flags, settings.SEARCH_RULES) == {"epochs": 3, "time_budget": 600.0, "tuner": "random"}


def test_flags_override_the_space_file(tiny_space):
    plan = plan_search(airline(tiny_space, search_flags={"epochs": 7, "tuner": "random"}, fixed={"lookback": 6}))
    assert (plan.search.epochs, plan.search.tuner, plan.search.max_trials) == (7, "random", 2)
    assert plan.space.params["lookback"].value == 6


# --- --gpu-fast --------------------------------------------------------------------------------------

SEARCHED = "hyperparameters:\n  lookback: 4\n  units: 4\n  recurrent_dropout: {float: [0.1, 0.3]}\n"


def test_gpu_fast_fixes_recurrent_dropout_at_zero_and_says_what_was_searched(write_file):
    space = write_file("space.yaml", SEARCHED)
    plain = plan_search(airline(space))
    assert "recurrent_dropout" in [p.name for p in plain.space.tunable] and plain.notices == ()
    fast = plan_search(airline(space, gpu_fast=True))
    param = fast.space.params["recurrent_dropout"]
    assert (param.kind, param.value) == ("fixed", 0.0)
    assert "recurrent_dropout" not in [p.name for p in fast.space.tunable]
    assert len(fast.notices) == 1 and "(the space file searched [0.1, 0.3])" in fast.notices[0]
    assert device_options_manifest(fast) == {"gpu_fast": True, "mixed_precision": False}
    mixed = plan_search(SearchRequest(None, space, mixed_precision=True))
    assert device_options_manifest(mixed) == {"gpu_fast": False, "mixed_precision": True}
    assert mixed.notices and mixed.notices[0].startswith("mixed precision: ") and plain.notices == ()


def test_gpu_fast_names_the_choices_it_replaces(write_file):
    space = write_file("space.yaml", SEARCHED.replace("{float: [0.1, 0.3]}", "{choice: [0.0, 0.2]}"))
    (notice,) = plan_search(SearchRequest(None, space, gpu_fast=True)).notices
    assert "(the space file chose among 0, 0.2)" in notice


def test_gpu_fast_refuses_a_space_that_fixes_recurrent_dropout_above_zero(write_file):
    space = write_file("space.yaml", SEARCHED.replace("{float: [0.1, 0.3]}", "0.2"))
    message = refused(SearchRequest(None, space, gpu_fast=True))
    assert message == (
        f"--gpu-fast keeps recurrent_dropout at 0, but {space} fixes hyperparameters.recurrent_dropout to 0.2; "
        "drop one of the two"
    )
    zero = write_file("zero.yaml", SEARCHED.replace("{float: [0.1, 0.3]}", "0.0"))
    assert plan_search(SearchRequest(None, zero, gpu_fast=True)).space.params["recurrent_dropout"].value == 0


# --- the search budget -------------------------------------------------------------------------------


def test_max_trials_with_hyperband_is_refused(tiny_space, write_file):
    expected = "--max-trials does not apply to --tuner hyperband, whose budget follows from --epochs"
    assert refused(SearchRequest(None, tiny_space, search_flags={"tuner": "hyperband", "max_trials": 5})) == expected
    hyperband = write_file("hyperband.yaml", TINY_SPACE.replace("search: {", "search: {tuner: hyperband, "))
    assert refused(SearchRequest(None, hyperband, search_flags={"max_trials": 5})) == expected
    assert plan_search(SearchRequest(None, hyperband)).search.tuner == "hyperband"


def test_more_initial_points_than_trials_is_refused_for_bayesian(tiny_space):
    message = refused(SearchRequest(None, tiny_space, search_flags={"initial_points": 3}))
    assert message == "--initial-points must be at most --max-trials (2), but got 3: every trial would be random"
    assert plan_search(SearchRequest(None, tiny_space, search_flags={"initial_points": 2})).search.initial_points == 2
    grown = SearchRequest(None, tiny_space, search_flags={"initial_points": 3, "max_trials": 4})
    assert plan_search(grown).search.max_trials == 4
    # Only Bayesian optimisation has initial points to spend.
    random = SearchRequest(None, tiny_space, search_flags={"initial_points": 3, "tuner": "random"})
    assert plan_search(random).search.initial_points == 3


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"workers": -1}, "--workers must be from 0 to 256"),
        ({"workers": 2, "recycle_after": 0}, "--recycle-after must be at least 1 trial, but got 0"),
        ({"listen": "127.0.0.1:0"}, "--listen applies to a parallel search: add --workers N"),
        ({"recycle_after": 3}, "--recycle-after applies to a parallel search: add --workers N"),
        ({"workers": 2, "listen": "nowhere"}, "--listen must be HOST:PORT"),
        ({"workers": 1, "lease": 0.5}, "--lease must be a number of seconds from 1 to 86400, but got 0.5"),
        ({"workers": 1, "lease": float("nan")}, "--lease must be a number of seconds from 1 to 86400, but got nan"),
        ({"workers": 1, "lease": True}, "--lease must be a number of seconds from 1 to 86400, but got True"),
        ({"workers": 1, "lease": "60"}, "--lease must be a number of seconds from 1 to 86400, but got '60'"),
        ({"lease": 30}, "--lease applies to a parallel search: add --workers N"),
    ],
)
def test_parallel_flags(tiny_space, fields, message):
    assert refused(SearchRequest(None, tiny_space, **fields)).startswith(message)


@pytest.mark.parametrize(
    "text, address",
    [
        ("127.0.0.1:8470", ("127.0.0.1", 8470)),
        (" example.org:0 ", ("example.org", 0)),
        ("[::1]:65535", ("::1", 65535)),
        ("0.0.0.0:1", ("0.0.0.0", 1)),
    ],
)
def test_parse_address(text, address):
    assert parse_address(text, "--listen") == address


@pytest.mark.parametrize("text", ["host", "host:", ":8470", "host:65536", "host:port", "host:-1", ""])
def test_parse_address_refuses_what_is_not_host_and_port(text):
    with pytest.raises(OptionError) as caught:
        parse_address(text, "--oracle")
    assert str(caught.value) == (
        f"--oracle must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8470, but got {text!r}"
    )


# --- the run directory -------------------------------------------------------------------------------


def save_run(plan: SearchPlan, **extra) -> None:
    """run.json as a search of this plan writes it (the parts planning reads back)."""
    search = plan.search
    assert plan.run_dir is not None
    run_manifest.save(
        plan.run_dir,
        {
            "task": plan.task.name,
            "status": "interrupted",
            "data": manifest_data(plan),
            "search": {
                "tuner": search.tuner,
                "max_trials": search.max_trials,
                "epochs": search.epochs,
                "patience": search.patience,
                "initial_points": search.initial_points or settings.default_initial_points(search.max_trials),
                "seed": search.seed,
                **device_options_manifest(plan),
            },
            "hyperparameters": {
                "names": list(plan.space.params),
                "tunable": [p.name for p in plan.space.tunable],
                "space": plan.space.to_dict()["hyperparameters"],
            },
            **extra,
        },
    )


def test_planning_writes_nothing(tiny_space, tmp_path):
    out = tmp_path / "runs" / "new"
    plan = plan_search(airline(tiny_space, out))
    assert plan.run_dir is not None and plan.run_dir.root == out
    assert not (tmp_path / "runs").exists()


def test_out_must_name_a_directory(tiny_space, write_file):
    message = refused(airline(tiny_space, Path(".")))
    assert message == "--out must name a directory for the run, but got '.' (the current directory)"
    file = write_file("file.txt", "x")
    assert refused(airline(tiny_space, file), RunDirError) == f"--out {file}: exists and is not a directory"


def test_resume_and_overwrite_together_are_refused(tiny_space, tmp_path):
    request = airline(tiny_space, tmp_path / "run", resume=True, overwrite=True)
    assert refused(request) == "--resume and --overwrite cannot be used together"


def test_resume_needs_a_run_json(tiny_space, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    assert refused(airline(tiny_space, out, resume=True), RunDirError) == (
        f"--out {out}: nothing to resume (no run.json there)"
    )


def test_a_directory_with_files_needs_resume_or_overwrite(tiny_space, write_file):
    kept = write_file("run/notes.txt", "mine")
    message = refused(airline(tiny_space, kept.parent), RunDirError)
    assert "already exists and is not empty; pass --resume to continue it or --overwrite to replace it" in message


def test_overwrite_replaces_run_directories_only(tiny_space, write_file):
    kept = write_file("photos/cat.jpg", "meow")
    message = refused(airline(tiny_space, kept.parent, overwrite=True), RunDirError)
    assert message == (
        f"--out {kept.parent}: --overwrite replaces run directories only, and this one has no run.json; "
        "choose another --out"
    )
    assert kept.read_text() == "meow"


@pytest.mark.parametrize("inside", ["data", "space"])
def test_overwrite_refuses_to_delete_a_file_the_search_reads(tiny_space, tmp_path, inside):
    out = tmp_path / "run"
    save_run(plan_search(airline(tiny_space, out)))
    data = shutil.copy(AIRLINE, out / "airline.csv") if inside == "data" else AIRLINE
    space = shutil.copy(tiny_space, out / "tiny.yaml") if inside == "space" else tiny_space
    message = refused(airline(Path(space), out, data_path=Path(data), overwrite=True), RunDirError)
    what = {"data": "the data file", "space": "the space file"}[inside]
    path = data if inside == "data" else space
    assert message == f"--out {out}: --overwrite would delete {what} ({path}); choose another --out"


def test_overwrite_of_a_run_directory_is_planned(tiny_space, tmp_path):
    out = tmp_path / "run"
    save_run(plan_search(airline(tiny_space, out)))
    assert plan_search(airline(tiny_space, out, overwrite=True)).request.overwrite


# --- resuming ----------------------------------------------------------------------------------------


@pytest.fixture
def started(tiny_space, tmp_path):
    """A forecast run on a copy of airline.csv, stopped before its first trial ended: (request, data)."""
    data = Path(shutil.copy(AIRLINE, tmp_path / "airline.csv"))
    request = airline(tiny_space, tmp_path / "run", data_path=data)
    save_run(plan_search(request))
    return dataclasses.replace(request, resume=True), data


def test_a_run_resumes_with_the_same_flags_and_data(started):
    request, _ = started
    plan = plan_search(request)
    assert plan.request.resume and plan.search.max_trials == 2
    # The same contents under another name are the same data; more trials may be asked for.
    assert plan_search(dataclasses.replace(request, data_path=AIRLINE, search_flags={"max_trials": 5}))


@pytest.mark.parametrize(
    "change, what",
    [
        ({"search_flags": {"seed": 7}}, "--seed changed (was 42, now 7)"),
        ({"search_flags": {"tuner": "random"}}, "--tuner changed (was bayesian, now random)"),
        ({"data_flags": {"horizon": 2}}, "--horizon changed (was 1, now 2)"),
        ({"columns": {"target": ("Passengers",)}}, "--time-col changed (was Date, now None)"),
        ({"gpu_fast": True}, "the run started without --gpu-fast;"),
        ({"fixed": {"lookback": 6}}, "the hyperparameters changed since"),
    ],
)
def test_a_resumed_run_refuses_changed_flags(started, change, what):
    request, _ = started
    message = refused(dataclasses.replace(request, **change), RunDirError)
    assert message.startswith(f"--resume {request.out}: {what}")
    assert message.endswith("resume with the same data, space and flags, or use --overwrite")


def test_a_resumed_run_may_raise_its_epochs_but_not_lower_them(started):
    from types import SimpleNamespace

    from lstmtune.plan.run_dir import raised_epochs

    request, _ = started
    assert plan_search(dataclasses.replace(request, search_flags={"epochs": 3})).search.epochs == 3
    message = refused(dataclasses.replace(request, search_flags={"epochs": 1}), RunDirError)
    assert message == (
        f"--resume {request.out}: --epochs may be raised on --resume, not lowered (was 2, now 1); resume with "
        "--epochs 2 or more, or use --overwrite"
    )
    # Hyperband's brackets follow from the epochs: any change there is refused as a changed flag.
    assert not raised_epochs({"epochs": 2}, SimpleNamespace(tuner="hyperband", epochs=3))
    assert raised_epochs({"epochs": 2}, SimpleNamespace(tuner="random", epochs=3))


def test_a_resumed_run_refuses_other_data(started):
    request, data = started
    data.write_text(data.read_text().replace("112", "113", 1))
    message = refused(request, RunDirError)
    assert message.startswith(f"--resume {request.out}: {data} is not the data the run was started on")
    assert "contents differ" in message


def test_a_resumed_run_refuses_another_task(started, write_file):
    request, _ = started
    text = dataclasses.replace(
        request,
        data_path=REVIEWS,
        space_path=write_file("text.yaml", TEXT_SPACE),
        task="text",
        columns={"text_col": "text", "target": ("category",)},
    )
    assert refused(text, RunDirError).startswith(
        f"--resume {request.out}: the run is a --task forecast search, not --task text"
    )


def test_a_resumed_run_keeps_at_least_its_finished_trials(started):
    request, _ = started
    plan = plan_search(dataclasses.replace(request, resume=False, overwrite=True))
    save_run(plan, trials={"completed": 3, "failed": 1})
    message = refused(dataclasses.replace(request, search_flags={"max_trials": 3}))
    assert (
        message == "--max-trials must be at least the 4 trials the run has already finished (to resume it), but got 3"
    )


# --- run.json's data section ---------------------------------------------------------------------------


def test_manifest_data_records_the_file_the_flags_and_the_tasks_part(tiny_space):
    plan = plan_search(airline(tiny_space, options={"time_format": None}))
    data = manifest_data(plan)
    assert data["path"] == str(AIRLINE)
    assert data["sha256"] == sha256(AIRLINE) == hashlib.sha256(AIRLINE.read_bytes()).hexdigest()
    assert data["columns"] == {"target": ["Passengers"], "time_col": "Date"}  # unset flags left out
    assert data["options"] == {}
    assert data["summary"] == plan.data.summary()
    assert data["warnings"] == list(plan.warnings)
    for key, value in plan.data.manifest_data().items():
        assert data[key] == value
    assert data["settings"]["horizon"] == 1
    assert json.loads(json.dumps(data)) == data


def test_manifest_data_of_a_single_target_task(write_file):
    space = write_file("text.yaml", TEXT_SPACE)
    request = SearchRequest(
        REVIEWS, space, task="text", columns={"text_col": "text", "target": ("category",)}, options={"strict": True}
    )
    data = manifest_data(plan_search(request))
    assert data["columns"] == {"text_col": "text", "target": "category"}
    assert data["options"] == {"strict": True}
