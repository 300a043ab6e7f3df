"""Turn what the user asked for into a validated search plan, before any training or disk write.

No TensorFlow here: every bad input is reported in well under a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmtune import metrics, settings
from lstmtune.dataset import SPLITS, ForecastData, prepare
from lstmtune.frame import DataSpec
from lstmtune.errors import OptionError, RunDirError
from lstmtune.rundir import RunDir, process_alive, read_json
from lstmtune.settings import DataSettings, SearchSettings
from lstmtune.space import Space, load_space


@dataclass(frozen=True)
class SearchRequest:
    """Everything `lstmtune search` was given; None means "not given on the command line"."""

    data_path: Path
    targets: tuple[str, ...]
    space_path: Path
    out: Path
    time_col: str | None = None
    time_format: str | None = None
    features: tuple[str, ...] | None = None
    data_flags: dict[str, Any] = field(default_factory=dict)  # horizon, split, scale, transform, fill, season
    search_flags: dict[str, Any] = field(default_factory=dict)  # tuner, max_trials, epochs, patience, initial_points, seed
    lookback: int | None = None
    resume: bool = False
    overwrite: bool = False
    command: tuple[str, ...] = ()


@dataclass
class SearchPlan:
    request: SearchRequest
    space: Space  # the effective space: file + lookback flag + effective settings
    search: SearchSettings
    data_spec: DataSpec
    data: ForecastData
    run_dir: RunDir
    data_sha256: str
    baselines: dict[str, dict[str, dict[str, float]]]


def validate_flags(flags: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """Validate command-line values with the same rules as the space file's sections."""
    out = {}
    for key, value in flags.items():
        if value is None:
            continue
        try:
            out[key] = rules[key](value)
        except ValueError as exc:
            raise OptionError(f"--{key.replace('_', '-')} {exc}") from None
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compute_baselines(data: ForecastData) -> dict[str, dict[str, dict[str, Any]]]:
    """Naive forecasts on exactly the validation and test windows the models are scored on."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for split in ("val", "test"):
        ends = data.window_ends(split, 1)
        truth, persistence = data.truth(ends), data.baseline("persistence", ends)
        forecasts = {"persistence": persistence}
        if data.settings.season:
            forecasts["seasonal"] = data.baseline("seasonal", ends, data.settings.season)
        out[split] = {
            name: {**metrics.summarise(truth, forecast, persistence),
                   "by_target": metrics.by_target(truth, forecast, persistence, data.target_columns)}
            for name, forecast in forecasts.items()
        }
    return out


def _check_run_dir(request: SearchRequest) -> RunDir:
    """What may be written where: nothing is deleted unless it is a run directory the user named."""
    run_dir = RunDir(request.out)
    root = run_dir.root
    if request.resume and request.overwrite:
        raise OptionError("--resume and --overwrite cannot be used together")
    if root.exists() and not root.is_dir():
        raise RunDirError(f"--out {root}: exists and is not a directory")
    if root.is_symlink() and (request.overwrite or request.resume):
        raise RunDirError(f"--out {root}: is a symbolic link; name the directory it points to ({root.resolve()})")
    if request.resume:
        if not run_dir.manifest.is_file():
            raise RunDirError(f"--out {root}: nothing to resume (no run.json there)")
        if not (run_dir.tuner / "search" / "oracle.json").is_file():
            raise RunDirError(f"--out {root}: cannot resume, keras-tuner's state (tuner/search/oracle.json) is missing; use --overwrite")
    elif not run_dir.is_empty():
        if not request.overwrite:
            raise RunDirError(f"--out {root}: already exists and is not empty; pass --resume to continue it or --overwrite to replace it")
        if not run_dir.manifest.is_file():
            raise RunDirError(f"--out {root}: --overwrite replaces run directories only, and this one has no run.json; choose another --out")
        resolved = root.resolve()
        for what, path in (("the data file", request.data_path), ("the space file", request.space_path), ("the current directory", Path.cwd())):
            if Path(path).resolve().is_relative_to(resolved):
                raise RunDirError(f"--out {root}: --overwrite would delete {what} ({path}); choose another --out")
    if run_dir.manifest.is_file() and (request.resume or request.overwrite):
        manifest = _read_manifest(run_dir)
        if manifest.get("status") == "running" and process_alive(manifest.get("process")):
            raise RunDirError(f"--out {root}: a search is still running in it (pid {manifest['process']['pid']})")
    _check_creatable(root)
    return run_dir


def _check_creatable(root: Path) -> None:
    ancestor = root.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunDirError(f"--out {root}: cannot be created, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {root}: cannot be written, no write permission in {ancestor}")


def _read_manifest(run_dir: RunDir) -> dict[str, Any]:
    try:
        manifest = read_json(run_dir.manifest)
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{run_dir.manifest}: unreadable manifest ({exc}); use --overwrite") from None
    if not isinstance(manifest, dict):
        raise RunDirError(f"{run_dir.manifest}: not a run manifest (a JSON object is expected); use --overwrite")
    return manifest


def _check_resumable(run_dir: RunDir, plan: SearchPlan) -> None:
    """A resumed run must search the same data, space and settings; only --max-trials may grow."""
    previous = _read_manifest(run_dir)
    old_data, old_search = previous.get("data", {}), previous.get("search", {})
    search = plan.search
    if old_data.get("sha256") != plan.data_sha256:
        raise RunDirError(
            f"--resume {run_dir.root}: {plan.request.data_path} is not the data the run was started on "
            f"({old_data.get('path')}, contents differ); resume with the same file, or use --overwrite"
        )
    old_settings = old_data.get("settings") or {}
    checks = [
        ("--target", old_data.get("targets"), list(plan.data.target_columns)),
        ("the input columns", old_data.get("inputs"), list(plan.data.input_columns)),
        ("--time-col", old_data.get("time_col"), plan.data_spec.time_col),
        ("the date format", (old_data.get("rows") or {}).get("time_format", plan.data.info.get("time_format")),
         plan.data.info.get("time_format")),
        *((f"--{key}", old_settings.get(key), value) for key, value in data_settings_json(plan.data.settings).items()),
        ("--tuner", old_search.get("tuner"), search.tuner),
        ("--epochs", old_search.get("epochs"), search.epochs),
        ("--patience", old_search.get("patience"), search.patience),
        ("--seed", old_search.get("seed"), search.seed),
        ("the hyperparameters", previous.get("hyperparameters", {}).get("space"), plan.space.to_dict()["hyperparameters"]),
    ]
    if search.tuner == "bayesian":
        from lstmtune.settings import default_initial_points

        wanted = search.initial_points or default_initial_points(search.max_trials)
        checks.append(("--initial-points", old_search.get("initial_points"), wanted))
    for what, old, new in checks:
        if old != new:
            change = "" if isinstance(new, dict) else f" (was {_plain(old)}, now {_plain(new)})"
            raise RunDirError(
                f"--resume {run_dir.root}: {what} changed{change} since the run started; "
                "resume with the same data, space and flags, or use --overwrite"
            )


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def data_settings_json(cfg: DataSettings) -> dict[str, Any]:
    return {**dataclasses.asdict(cfg), "split": list(cfg.split)}


def plan_search(request: SearchRequest) -> SearchPlan:
    """Validate the flags, the space, the data and the run directory; write nothing."""
    data_flags = validate_flags(request.data_flags, settings.DATA_RULES)
    search_flags = validate_flags(request.search_flags, settings.SEARCH_RULES)
    lookback = validate_flags({"lookback": request.lookback}, {"lookback": settings.LOOKBACK_RULE})
    run_dir = _check_run_dir(request)

    space = load_space(request.space_path)
    if lookback:
        space = space.with_fixed(lookback)
    if search_flags.get("max_trials") and search_flags.get("tuner", space.search.get("tuner")) == "hyperband":
        raise OptionError("--max-trials does not apply to --tuner hyperband, whose budget follows from --epochs")
    resumed = {}
    if request.resume:  # a derived default must not change because --max-trials grew
        resumed = {"initial_points": _read_manifest(run_dir).get("search", {}).get("initial_points")}
    search = settings.build(SearchSettings, settings.SEARCH_RULES, space.search, resumed, search_flags)
    data_settings = settings.build(DataSettings, settings.DATA_RULES, space.data, data_flags)
    effective = Space(space.params, _settings_dict(search), data_settings_json(data_settings), space.source)

    data_spec = DataSpec(
        path=request.data_path,
        targets=tuple(request.targets),
        time_col=request.time_col,
        features=tuple(request.features) if request.features is not None else None,
        settings=data_settings,
        time_format=request.time_format,
    )
    data = prepare(data_spec, int(space.params["lookback"].candidates_max()))
    plan = SearchPlan(
        request=request,
        space=effective,
        search=search,
        data_spec=data_spec,
        data=data,
        run_dir=run_dir,
        data_sha256=sha256(request.data_path),
        baselines=compute_baselines(data),
    )
    if request.resume:
        _check_resumable(run_dir, plan)
    return plan


def _settings_dict(search: SearchSettings) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(search).items() if v is not None}


def window_counts(data: ForecastData, lookback: int) -> dict[str, int]:
    return {split: len(data.window_ends(split, lookback)) for split in SPLITS}
