"""Turn what the user asked for into a validated search plan, before any training or disk write.

No TensorFlow here: every bad input is reported in well under a second. `check` runs the same
planning without a run directory. request.py holds what was asked, run_dir.py where the run may be
written (and whether it may be resumed), parallel.py a parallel search's flags.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lstmtune.core.text import clip, either
from lstmtune.data.files import sha256
from lstmtune.errors import OptionError, SpaceError
from lstmtune.plan.parallel import check_parallel, parse_address
from lstmtune.plan.request import (
    COLUMN_ARGUMENTS,
    DATA_ARGUMENTS,
    FIXED_ARGUMENTS,
    OPTION_ARGUMENTS,
    SEARCH_ARGUMENTS,
    SearchPlan,
    SearchRequest,
    flag,
    given,
    jsonable,
    validate_flags,
)
from lstmtune.plan.run_dir import check_resumable, check_run_dir, read_manifest
from lstmtune.space import settings
from lstmtune.space.params import Space
from lstmtune.space.settings import SearchSettings
from lstmtune.tasks import TASK_NAMES, get_task, read_space
from lstmtune.tasks.base import DataRequest, Task
from lstmtune.tasks.model_size import too_big
from lstmtune.tasks.reference import AUTO, OFF

# What --gpu-fast fixes: Keras runs an LSTM layer with cuDNN's fused kernel on a GPU only when
# recurrent_dropout is 0 (lstmtune's layers meet the other conditions: tanh / sigmoid activations,
# a bias, not unrolled, masks padded at the end). Every task has recurrent_dropout.
GPU_FAST_FIXED = {"recurrent_dropout": 0.0}
MIXED_PRECISION_NOTICE = (
    "mixed precision: layers compute in float16 with float32 weights and loss scaling; it speeds up GPUs "
    "with tensor cores (NVIDIA compute capability 7.0 or newer); on a CPU it is not reliably faster than float32"
)

__all__ = [
    "COLUMN_ARGUMENTS",
    "DATA_ARGUMENTS",
    "FIXED_ARGUMENTS",
    "GPU_FAST_FIXED",
    "OPTION_ARGUMENTS",
    "SEARCH_ARGUMENTS",
    "SearchPlan",
    "SearchRequest",
    "device_options_manifest",
    "flag",
    "given",
    "manifest_data",
    "parse_address",
    "plan_search",
    "sha256",
    "validate_flags",
]


def _check_task_flags(task: Task, request: SearchRequest) -> None:
    """A flag of another task is an error naming the task it belongs to."""
    groups = ((request.columns, "column_flags"), (request.options, "option_flags"))
    for values, kind in groups:
        for key, value in values.items():
            if given(value) and key not in getattr(task, kind):
                owners = [t for t in TASK_NAMES if key in getattr(get_task(t), kind)]
                raise OptionError(f"{flag(key)} applies to --task {either(owners)}, not to --task {task.name}")
    for key, value in request.data_flags.items():
        if value is not None and key not in task.data_rules:
            owners = [t for t in TASK_NAMES if key in get_task(t).data_rules]
            raise OptionError(f"{flag(key)} applies to --task {either(owners)}, not to --task {task.name}")
    for key, value in request.fixed.items():
        if value is not None and key not in task.specs:
            owners = [t for t in TASK_NAMES if key in get_task(t).specs]
            raise OptionError(f"{flag(key)} applies to --task {either(owners)}, not to --task {task.name}")


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
    run_dir = check_run_dir(request) if request.out is not None else None
    check_parallel(request)

    space = read_space(request.space_path, task.name)
    if fixed:
        space = space.with_fixed(fixed)
    space, notices = _device_options(request, space)
    _check_hyperband(search_flags, space)
    resumed = {}
    if request.resume and run_dir is not None:  # a derived default must not change because --max-trials grew
        # ...and a resumed run keeps the budget it had unless --max-trials says otherwise
        recorded = read_manifest(run_dir).get("search") or {}
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
    _check_reference(search.reference, task.references, task)
    if search.folds > 1 and task.fold_kind is None:
        raise OptionError(
            f"--folds does not apply to --task {task.name}: its trials are scored on the validation split"
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
    _check_reference(search.reference, prepared.reference_choices(), task)
    effective = prepared.fix_defaults(effective)
    _check_smallest_fits(effective, prepared)
    # Each fold is the data prepared again; one too small to train on is refused here.
    folds = tuple(prepared.fold(number, search.folds, effective) for number in range(1, search.folds))
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
        folds=folds,
    )
    if request.resume and run_dir is not None:
        check_resumable(run_dir, plan)
    return plan


def _check_hyperband(search_flags: dict[str, Any], space: Space) -> None:
    """Flags that hyperband's brackets make meaningless are refused, not ignored."""
    if search_flags.get("tuner", space.search.get("tuner")) != "hyperband":
        return
    if search_flags.get("max_trials"):
        raise OptionError("--max-trials does not apply to --tuner hyperband, whose budget follows from --epochs")
    for repeated in ("executions", "folds"):
        if (search_flags.get(repeated) or space.search.get(repeated) or 1) > 1:
            raise OptionError(
                f"--{repeated} does not apply to --tuner hyperband, whose brackets continue trials from their weights"
            )
    if search_flags.get("prune", "off") != "off":
        raise OptionError("--prune does not apply to --tuner hyperband, which stops trials by its own brackets")


def _check_reference(choice: str, allowed: tuple[str, ...], task: Task) -> None:
    """--reference names off, auto, or a model the task has (and the data allows)."""
    if choice in (OFF, AUTO, *allowed):
        return
    options = ", ".join((OFF, AUTO, *allowed))
    if choice in task.references:
        raise OptionError(
            f"--reference {choice} needs {task.reference_needs.get(choice, 'other data')}; "
            f"for this data it may be {options}"
        )
    raise OptionError(f"--reference must be one of {options} for --task {task.name}, but got {choice!r}")


def _device_options(request: SearchRequest, space: Space) -> tuple[Space, tuple[str, ...]]:
    """The space as --gpu-fast leaves it, and the lines that say what --gpu-fast and --mixed-precision do."""
    space, notices = _gpu_fast(space) if request.gpu_fast else (space, ())
    return space, notices + ((MIXED_PRECISION_NOTICE,) if request.mixed_precision else ())


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
        "can use cuDNN's fused kernel (it narrows the search; on a CPU trials get faster too)",
    )


def device_options_manifest(plan: SearchPlan) -> dict[str, Any]:
    """What run.json's search section records about --gpu-fast and --mixed-precision."""
    return {"gpu_fast": bool(plan.request.gpu_fast), "mixed_precision": bool(plan.request.mixed_precision)}


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
        "columns": jsonable(plan.request.columns),
        "options": jsonable(plan.request.options),
        "summary": plan.data.summary(),
        **plan.data.manifest_data(),
        "warnings": list(plan.warnings),
    }
