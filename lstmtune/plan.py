"""Turn what the user asked for into a validated search plan, before any training or disk write.

No TensorFlow here: every bad input is reported in well under a second. `check` runs the same
planning without a run directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmtune.core.text import clip
from lstmtune.errors import OptionError, RunDirError, SpaceError
from lstmtune.run import manifest as run_manifest
from lstmtune.run.layout import RunDir
from lstmtune.run.lock import process_alive
from lstmtune.run.records import finished_count
from lstmtune.space import settings
from lstmtune.space.params import Space
from lstmtune.space.settings import SearchSettings
from lstmtune.tasks import TASK_NAMES, get_task, read_space
from lstmtune.tasks.base import DataRequest, Prepared, Task
from lstmtune.tasks.model_size import too_big

# What --gpu-fast fixes: Keras runs an LSTM layer with cuDNN's fused kernel on a GPU only when
# recurrent_dropout is 0 (lstmtune's layers meet the other conditions: tanh / sigmoid activations,
# a bias, not unrolled, masks padded at the end). Every task has recurrent_dropout.
GPU_FAST_FIXED = {"recurrent_dropout": 0.0}

# The names in SearchRequest's groups of flags: the command line's options with underscores, and the
# Python API's keyword arguments.
COLUMN_ARGUMENTS = ("target", "time_col", "features", "text_col", "id_col", "order_col", "split_col", "group_col")
OPTION_ARGUMENTS = ("time_format", "wide", "encoding", "embeddings", "strict")
DATA_ARGUMENTS = (
    "horizon",
    "split",
    "scale",
    "transform",
    "fill",
    "season",
    "objective",
    "class_weight",
    "problem",
    "max_length",
    "stride",
)
SEARCH_ARGUMENTS = ("tuner", "max_trials", "epochs", "patience", "initial_points", "seed", "time_budget")
FIXED_ARGUMENTS = ("lookback",)


@dataclass(frozen=True)
class SearchRequest:
    """Everything `lstmtune search` (or `check`) was given; None means "not given".

    columns: target (a name, or a tuple of names for forecasting), time_col, features, text_col,
             id_col, order_col, split_col, group_col (COLUMN_ARGUMENTS)
    options: time_format, wide, encoding, embeddings, strict (OPTION_ARGUMENTS)
    data_flags: the task's data settings (DATA_ARGUMENTS: horizon, split, objective, max_length ...)
    search_flags: tuner, max_trials, epochs, patience, initial_points, seed, time_budget (SEARCH_ARGUMENTS)
    fixed: hyperparameters fixed from the command line (FIXED_ARGUMENTS: lookback)
    gpu_fast: keep recurrent_dropout at 0 in every trial (cuDNN's fused LSTM kernel on a GPU)
    """

    data_path: Path | None
    space_path: Path | dict[str, Any]  # a space file, or the same document as a dict (Python API)
    out: Path | None = None
    task: str = "forecast"
    columns: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    data_flags: dict[str, Any] = field(default_factory=dict)
    search_flags: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    overwrite: bool = False
    command: tuple[str, ...] = ()
    tensorboard: bool = False  # TensorBoard logs per trial (with the HParams view) under RUN_DIR/tensorboard
    gpu_fast: bool = False  # recurrent_dropout fixed at 0 (see GPU_FAST_FIXED)
    workers: int = 0  # parallel worker processes (keras-tuner's chief/worker mode); 0: trials run in this process
    listen: str | None = None  # HOST:PORT the chief serves the oracle on (other machines' workers join there)
    recycle_after: int | None = None  # a worker process is replaced after this many trials (bounds memory)


@dataclass
class SearchPlan:
    request: SearchRequest
    task: Task
    space: Space  # the effective space: file + fixed flags + data-derived defaults + effective settings
    search: SearchSettings
    prepared: Prepared | None
    run_dir: RunDir | None
    data_sha256: str
    baselines: dict[str, dict[str, dict[str, Any]]]
    # Data a person should hear about although it is usable (printed even with -q, kept in run.json).
    warnings: tuple[str, ...] = ()
    # What a flag changed that a person should hear about at the start (printed unless -q).
    notices: tuple[str, ...] = ()

    @property
    def data(self) -> Prepared:
        assert self.prepared is not None
        return self.prepared


def flag(name: str) -> str:
    """The command-line flag of an argument name: time_col -> --time-col."""
    return f"--{name.replace('_', '-')}"


def validate_flags(flags: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """Validate command-line values with the same rules as the space file's sections."""
    out = {}
    for key, value in flags.items():
        if value is None:
            continue
        try:
            out[key] = rules[key](value)
        except ValueError as exc:
            raise OptionError(f"{flag(key)} {exc}") from None
    return out


def given(value: Any) -> bool:
    """Whether a flag was given: None, False and an empty tuple or list mean it was not."""
    return value is not None and value is not False and value != () and value != []


def _check_task_flags(task: Task, request: SearchRequest) -> None:
    """A flag of another task is an error naming the task it belongs to."""
    groups = ((request.columns, "column_flags"), (request.options, "option_flags"))
    for values, kind in groups:
        for key, value in values.items():
            if given(value) and key not in getattr(task, kind):
                owners = [t for t in TASK_NAMES if key in getattr(get_task(t), kind)]
                raise OptionError(f"{flag(key)} applies to --task {' and '.join(owners)}, not to --task {task.name}")
    for key, value in request.data_flags.items():
        if value is not None and key not in task.data_rules:
            owners = [t for t in TASK_NAMES if key in get_task(t).data_rules]
            raise OptionError(f"{flag(key)} applies to --task {' and '.join(owners)}, not to --task {task.name}")
    for key, value in request.fixed.items():
        if value is not None and key not in task.specs:
            owners = [t for t in TASK_NAMES if key in get_task(t).specs]
            raise OptionError(f"{flag(key)} applies to --task {' and '.join(owners)}, not to --task {task.name}")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's contents, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_run_dir(request: SearchRequest) -> RunDir:
    """What may be written where: nothing is deleted unless it is a run directory the user named."""
    assert request.out is not None
    if str(request.out).strip() in ("", "."):
        raise OptionError(
            f"--out must name a directory for the run, but got {str(request.out)!r} (the current directory)"
        )
    run_dir = RunDir(request.out)
    root = run_dir.root
    if request.resume and request.overwrite:
        raise OptionError("--resume and --overwrite cannot be used together")
    if root.exists() and not root.is_dir():
        raise RunDirError(f"--out {root}: exists and is not a directory")
    if root.is_symlink() and not root.exists():
        raise RunDirError(
            f"--out {root}: is a symbolic link to a missing directory ({os.readlink(root)}); "
            "create that directory or choose another --out"
        )
    if root.is_symlink() and (request.overwrite or request.resume):
        raise RunDirError(f"--out {root}: is a symbolic link; name the directory it points to ({root.resolve()})")
    if request.resume:
        if not run_dir.manifest.is_file():
            raise RunDirError(f"--out {root}: nothing to resume (no run.json there)")
        _check_tuner_state(run_dir)
    elif not run_dir.is_empty():
        if not request.overwrite:
            raise RunDirError(
                f"--out {root}: already exists and is not empty; pass --resume to continue it or --overwrite to replace it"
            )
        if not run_dir.manifest.is_file():
            raise RunDirError(
                f"--out {root}: --overwrite replaces run directories only, and this one has no run.json; choose another --out"
            )
        resolved = root.resolve()
        for what, path in (
            ("the data file", request.data_path),
            ("the space file", request.space_path),
            ("the current directory", Path.cwd()),
        ):
            if isinstance(path, (str, Path)) and Path(path).resolve().is_relative_to(resolved):
                raise RunDirError(f"--out {root}: --overwrite would delete {what} ({path}); choose another --out")
    if run_dir.manifest.is_file() and (request.resume or request.overwrite):
        manifest = _read_manifest(run_dir)
        if manifest.get("status") == "running" and process_alive(manifest.get("process")):
            raise RunDirError(f"--out {root}: a search is still running in it (pid {manifest['process']['pid']})")
    _check_creatable(root)
    return run_dir


def _check_tuner_state(run_dir: RunDir) -> None:
    """keras-tuner's state must be whole to resume; without it a run may only restart when it has no
    finished trial to lose (it was stopped before its first trial ended)."""
    state = run_dir.oracle_state
    if not state.is_file():
        if finished_count(run_dir):
            raise RunDirError(
                f"--out {run_dir.root}: cannot resume, keras-tuner's state (tuner/search/oracle.json) "
                "is missing; use --overwrite"
            )
        return
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise RunDirError(
            f"--out {run_dir.root}: cannot resume, keras-tuner's state (tuner/search/oracle.json) "
            "is damaged (empty or not JSON); use --overwrite"
        ) from None


def _check_creatable(root: Path) -> None:
    ancestor = root.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunDirError(f"--out {root}: cannot be created, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {root}: cannot be written, no write permission in {ancestor}")


def _read_manifest(run_dir: RunDir) -> run_manifest.Manifest:
    try:
        return run_manifest.load(run_dir)
    except RunDirError as error:
        raise RunDirError(f"{error}; use --overwrite") from None


def _check_resumable(run_dir: RunDir, plan: SearchPlan) -> None:
    """A resumed run must search the same data, space and settings; only --max-trials may grow."""
    previous = _read_manifest(run_dir)
    old_data, old_search = previous.get("data") or {}, previous.get("search") or {}
    search = plan.search
    request = plan.request
    if previous.task != plan.task.name:
        raise RunDirError(
            f"--resume {run_dir.root}: the run is a --task {previous.task} search, "
            f"not --task {plan.task.name}; resume with the same flags, or use --overwrite"
        )
    if old_data.get("sha256") != plan.data_sha256:
        raise RunDirError(
            f"--resume {run_dir.root}: {request.data_path} is not the data the run was started on "
            f"({old_data.get('path')}, contents differ); resume with the same file, or use --overwrite"
        )
    new_data = plan.data.manifest_data()
    old_settings = old_data.get("settings") or {}
    old_columns, old_options = old_data.get("columns") or {}, old_data.get("options") or {}
    named = "columns" in old_data  # runs written before schema version 2 did not record the flags
    new_columns, new_options = _jsonable(request.columns), _jsonable(request.options)
    checks = [  # both ways: a flag dropped since the run started counts as a change too
        *((flag(key), old_columns.get(key), new_columns.get(key)) for key in {**old_columns, **new_columns} if named),
        *((flag(key), old_options.get(key), new_options.get(key)) for key in {**old_options, **new_options} if named),
        *((flag(key), old_settings.get(key), value) for key, value in new_data.get("settings", {}).items()),
        ("--tuner", old_search.get("tuner"), search.tuner),
        ("--epochs", old_search.get("epochs"), search.epochs),
        ("--patience", old_search.get("patience"), search.patience),
        ("--seed", old_search.get("seed"), search.seed),
        *((("--gpu-fast", bool(old_search["gpu_fast"]), request.gpu_fast),) if "gpu_fast" in old_search else ()),
        (
            "the hyperparameters",
            (previous.get("hyperparameters") or {}).get("space"),
            plan.space.to_dict()["hyperparameters"],
        ),
    ]
    done = sum(((previous.get("trials") or {}).get(status) or 0) for status in ("completed", "failed"))
    if search.tuner != "hyperband" and isinstance(done, int) and search.max_trials < done:
        raise OptionError(
            f"--max-trials must be at least the {done} trials the run has already finished "
            f"(to resume it), but got {search.max_trials}"
        )
    if search.tuner == "bayesian":
        wanted = search.initial_points or settings.default_initial_points(search.max_trials)
        checks.append(("--initial-points", old_search.get("initial_points"), wanted))
    for what, old, new in checks:
        if old != new:
            change = "" if isinstance(new, dict) else f" (was {_plain(old)}, now {_plain(new)})"
            raise RunDirError(
                f"--resume {run_dir.root}: {what} changed{change} since the run started; "
                "resume with the same data, space and flags, or use --overwrite"
            )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Flags as run.json records them: tuples as lists, paths as text, unset flags left out."""
    out = {}
    for key, value in values.items():
        if not given(value):
            continue
        out[key] = list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Path) else value
    return out


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def plan_search(request: SearchRequest) -> SearchPlan:
    """Validate the flags, the space, the data and the run directory; write nothing.

    Without `out` (as `check` calls it) no run directory is looked at; without `data_path` only the
    flags and the space are validated.
    """
    task = get_task(request.task)
    _check_task_flags(task, request)
    data_flags = validate_flags(request.data_flags, task.data_rules)
    search_flags = validate_flags(request.search_flags, settings.SEARCH_RULES)
    fixed = validate_flags(request.fixed, task.fixing_rules)
    run_dir = _check_run_dir(request) if request.out is not None else None
    _check_parallel(request)

    space = read_space(request.space_path, task.name)
    if fixed:
        space = space.with_fixed(fixed)
    notices: tuple[str, ...] = ()
    if request.gpu_fast:
        space, notices = _gpu_fast(space)
    if search_flags.get("max_trials") and search_flags.get("tuner", space.search.get("tuner")) == "hyperband":
        raise OptionError("--max-trials does not apply to --tuner hyperband, whose budget follows from --epochs")
    resumed = {}
    if request.resume and run_dir is not None:  # a derived default must not change because --max-trials grew
        # ...and a resumed run keeps the budget it had unless --max-trials says otherwise
        recorded = _read_manifest(run_dir).get("search") or {}
        resumed = {"initial_points": recorded.get("initial_points"), "max_trials": recorded.get("max_trials")}
    search = settings.build(SearchSettings, settings.SEARCH_RULES, space.search, resumed, search_flags)
    if (
        search.tuner == "bayesian"
        and search.initial_points is not None
        and search.initial_points > search.max_trials
        and not request.resume
    ):
        raise OptionError(
            f"--initial-points must be at most --max-trials ({search.max_trials}), but got "
            f"{search.initial_points}: every trial would be random"
        )
    data_settings = settings.build(task.settings_class, task.data_rules, space.data, data_flags)
    effective = dataclasses.replace(space, search=_settings_dict(search), data=_settings_json(data_settings))

    if request.data_path is None:
        return SearchPlan(request, task, effective, search, None, run_dir, "", {}, notices=notices)
    data_path = request.data_path
    columns = dict(request.columns)
    target = columns.get("target")
    if not task.multiple_targets and target is not None and not isinstance(target, str):
        if len(target) > 1:
            raise OptionError(f"--target names one column for --task {task.name}, but got {clip(', '.join(target))}")
        columns["target"] = target[0] if target else None
    request = dataclasses.replace(request, columns=columns)
    data_request = DataRequest(
        path=data_path, columns=columns, options=dict(request.options), settings=data_settings, seed=search.seed
    )
    prepared = task.prepare(data_request, effective)
    effective = prepared.fix_defaults(effective)
    _check_smallest_fits(effective, prepared)
    plan = SearchPlan(
        request=request,
        task=task,
        space=effective,
        search=search,
        prepared=prepared,
        run_dir=run_dir,
        data_sha256=sha256(data_path),
        baselines=prepared.baselines(),
        warnings=tuple(prepared.warnings(effective)),
        notices=notices,
    )
    if request.resume and run_dir is not None:
        _check_resumable(run_dir, plan)
    return plan


def _gpu_fast(space: Space) -> tuple[Space, tuple[str, ...]]:
    """The space with recurrent_dropout fixed at 0, and the line that says so. A space file that fixes
    it to another value contradicts the flag (a range is narrowed, as --lookback overrides the file)."""
    param = space.params.get("recurrent_dropout")
    if param is None:  # pragma: no cover - every task has it
        return space, ()
    if param.kind == "fixed" and param.value:
        raise OptionError(
            f"--gpu-fast keeps recurrent_dropout at 0, but {space.source} fixes "
            f"hyperparameters.recurrent_dropout to {param.value:g}; drop one of the two"
        )
    searched = ""
    if param.kind == "choice":
        searched = f" (the space file chose among {', '.join(f'{v:g}' for v in param.values)})"
    elif param.tunable:
        searched = f" (the space file searched [{param.low:g}, {param.high:g}])"
    return space.with_fixed(GPU_FAST_FIXED), (
        f"gpu-fast: recurrent_dropout fixed at 0 in every trial{searched}, so on a GPU the LSTM layers "
        "can use cuDNN's fused kernel (on a CPU it only narrows the search)",
    )


def gpu_fast_manifest(plan: SearchPlan) -> dict[str, Any]:
    """What run.json's search section records about --gpu-fast."""
    return {"gpu_fast": bool(plan.request.gpu_fast)}


MAX_WORKERS = 256


def parse_address(text: str, option: str) -> tuple[str, int]:
    """'HOST:PORT' (PORT 0 on the chief picks a free port)."""
    host, sep, port = str(text).strip().rpartition(":")
    host = host.strip("[]")  # [::1]:8470
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise OptionError(
            f"{option} must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8470, but got {text!r}"
        )
    return host, int(port)


def _check_parallel(request: SearchRequest) -> None:
    if not 0 <= request.workers <= MAX_WORKERS:
        raise OptionError(
            f"--workers must be from 0 to {MAX_WORKERS} (0: trials run in the search's own process), "
            f"but got {request.workers}"
        )
    if request.recycle_after is not None and request.recycle_after < 1:
        raise OptionError(f"--recycle-after must be at least 1 trial, but got {request.recycle_after}")
    for name, value in (("--listen", request.listen), ("--recycle-after", request.recycle_after)):
        if value is not None and not request.workers:
            raise OptionError(f"{name} applies to a parallel search: add --workers N (N ≥ 1)")
    if request.listen is not None:
        _check_listen(*parse_address(request.listen, "--listen"))


def _check_listen(host: str, port: int) -> None:
    """The address must be one this machine can serve on, before the run directory is touched."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OptionError(f"--listen {host}:{port}: unknown host ({exc.strerror or exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise OptionError(
                f"--listen {host}:{port}: cannot listen there ({exc.strerror or exc}: port in use, "
                "or not an address of this machine)"
            ) from None


def _check_smallest_fits(space: Space, prepared: Any) -> None:
    """Refuse a space whose smallest configuration could not be trained on this machine; larger ones
    that do not fit become failed trials."""
    smallest = {name: param.candidates_min() for name, param in space.params.items()}
    reason = too_big(smallest, prepared.model_shape(smallest))
    if reason:
        raise SpaceError(
            f"{space.source}: even the smallest configuration cannot be trained: {reason}; "
            "lower units, layers, batch_size or the input length"
        )


def _settings_dict(search: SearchSettings) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(search).items() if v is not None}


def _settings_json(cfg: Any) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()}


def manifest_data(plan: SearchPlan) -> dict[str, Any]:
    """run.json's data section: the file, the flags that named its columns, and the task's own part."""
    return {
        "path": str(plan.request.data_path),
        "sha256": plan.data_sha256,
        "columns": _jsonable(plan.request.columns),
        "options": _jsonable(plan.request.options),
        "summary": plan.data.summary(),
        **plan.data.manifest_data(),
        "warnings": list(plan.warnings),
    }
