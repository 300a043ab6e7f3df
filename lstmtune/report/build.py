"""Read a run directory and render its best configurations: rich table, CSV, Markdown or JSON."""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from lstmtune.core.names import DIAGNOSIS_CODES
from lstmtune.core.text import number
from lstmtune.errors import OptionError
from lstmtune.report import importance
from lstmtune.report.diagnoses import diagnose_trials
from lstmtune.report.findings import diagnose
from lstmtune.run import manifest as run_manifest
from lstmtune.run.layout import RunDir, owning_run, sort_key
from lstmtune.run.lock import process_alive
from lstmtune.run.output import write_output
from lstmtune.run.records import learning_curve, read_trial_records
from lstmtune.run.table import rank_trials, table_records, to_markdown

FORMATS = ("table", "csv", "md", "json")
SUMMARY_COLUMNS = [
    "rank",
    "trial_id",
    "status",
    "score",
    "val_rmse",
    "skill",
    "gap",
    "best_epoch",
    "epochs_run",
    "seconds",
]
SKILL = {
    "forecast": "skill = 1 - RMSE / RMSE of persistence",
    "classification": "skill = 1 - cross-entropy / cross-entropy of the training class shares (prior)",
    "regression": "skill = 1 - RMSE / RMSE of the training mean",
}
HEADERS = {
    "trial_id": "trial",
    "val_rmse": "rmse",
    "val_accuracy": "acc",
    "val_macro_f1": "f1",
    "best_epoch": "best",
    "epochs_run": "epochs",
    "seconds": "sec",
}


@dataclass
class Report:
    run_dir: RunDir
    manifest: dict[str, Any]
    table: pd.DataFrame
    top: pd.DataFrame
    state: str
    findings: list[str]
    curves: dict[str, list[float]]  # the objective per epoch of each top trial
    # Structured per-trial diagnoses: {"code", "trial", "reason"} (see lstmtune.report.findings).
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    # Per tuned hyperparameter: how the score and the gap move with it {name: {"score": rho, "gap": rho}}.
    effects: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # Per tuned hyperparameter: importance for the score (None until computed: it needs scikit-learn).
    importance: dict[str, float] | None = None
    importance_asked: bool = False
    # On a GPU run: which trials could not use cuDNN's fused LSTM kernel and what it cost (None on a CPU).
    cudnn: CudnnCheck | None = None

    def helped(self) -> list[str]:
        """What helped, in lines for people (see lstmtune.report.importance.describe)."""
        completed = int((self.table["status"] == "completed").sum()) if len(self.table) else 0
        return importance.describe(
            self.effects, self.importance, completed, self.objective.direction == "max", self.importance_asked
        )

    @property
    def objective(self):
        return self.manifest.objective

    @property
    def figures(self) -> tuple[str, ...]:
        return self.manifest.figures

    @property
    def summary_columns(self) -> list[str]:
        """Forecasting: rank, trial, status, score, val_rmse, skill, ...; other tasks their first figure."""
        first = next((f for f in self.figures if f not in (self.objective.name, "skill")), self.figures[0])
        return ["rank", "trial_id", "status", "score", first, "skill", "gap", "best_epoch", "epochs_run", "seconds"]

    @property
    def kind(self) -> str:
        """forecast, classification or regression: what skill and the figures mean."""
        if self.manifest.task == "forecast":
            return "forecast"
        return "classification" if "val_accuracy" in self.figures else "regression"

    @property
    def tunable(self) -> list[str]:
        return list(self.manifest.get("hyperparameters", {}).get("tunable", []))

    @property
    def best(self) -> dict[str, Any] | None:
        return self.manifest.get("best")


def run_state(manifest: dict[str, Any]) -> str:
    status = manifest.get("status", "unknown")
    if status == "running" and process_alive(manifest.get("process")) is False:
        return "stopped (the search process is gone; continue it with --resume)"
    if status == "interrupted":
        return "interrupted (continue it with --resume)"
    search = manifest.get("search") or {}
    if status == "completed" and search.get("budget_ended_search"):
        budget = number(search.get("time_budget"))
        return f"completed (the time budget{f' of {budget:g} s' if budget is not None else ''} ended the search)"
    return status


def build_report(run_dir: RunDir, top: int = 5, with_importance: bool = False) -> Report:
    """Everything `report` shows; `with_importance` also fits the importance surrogate (scikit-learn)."""
    if top < 1:
        raise OptionError(f"--top must be an integer >= 1, but got {top}")
    manifest = run_manifest.load(run_dir)
    objective = manifest.objective
    names = manifest.hyperparameter_names
    records, damaged = read_trial_records(run_dir)
    table = rank_trials(records, names, objective, manifest.figures)
    shown = table.head(top)
    curves = {}
    for trial_id in shown["trial_id"]:
        history = learning_curve(run_dir, str(trial_id))
        if objective.name in history:
            curves[str(trial_id)] = pd.to_numeric(history[objective.name], errors="coerce").tolist()
    damaged_lines = [
        f"Damaged trial record history/{name} ({problem}): that trial is left out of the tables."
        for name, problem in damaged.items()
    ]
    diagnoses = [d.to_json() for d in diagnose_trials(run_dir, table, manifest)]
    return Report(
        run_dir,
        manifest,
        table,
        shown,
        run_state(manifest),
        damaged_lines + diagnose(table, manifest) + diagnosis_lines(diagnoses, table),
        curves,
        diagnoses=diagnoses,
        effects=importance.effects(table, names),
        importance=importance.importance(table, names, objective.direction == "max") if with_importance else None,
        importance_asked=with_importance,
        cudnn=cudnn_check(run_dir, manifest, table),
    )


# --- GPU: cuDNN -------------------------------------------------------------------------------

# On a GPU, Keras runs an LSTM layer with cuDNN's fused kernel only when recurrent_dropout is 0 (lstmtune's
# layers meet the other conditions); from this slowdown of the other trials on, the report suggests --gpu-fast.
SLOW_RATIO = 1.5


@dataclass
class CudnnCheck:
    """Completed trials of a GPU run: those whose recurrent_dropout > 0 kept them off cuDNN, and the
    median seconds per epoch (trial seconds / epochs run) of each group."""

    blocked: list[str]  # trial ids with recurrent_dropout > 0
    eligible: list[str]  # trial ids with recurrent_dropout == 0
    blocked_epoch_seconds: float | None  # medians over the trials of each group with a time and epochs
    eligible_epoch_seconds: float | None
    blocked_timed: int = 0  # how many trials each median is over
    eligible_timed: int = 0

    @property
    def ratio(self) -> float | None:
        """How many times slower per epoch the trials off cuDNN were (None when a group has no time)."""
        if self.blocked_epoch_seconds is None or not self.eligible_epoch_seconds:
            return None
        return self.blocked_epoch_seconds / self.eligible_epoch_seconds

    @property
    def suggest_gpu_fast(self) -> bool:
        ratio = self.ratio
        return bool(self.blocked) and (ratio is None or ratio >= SLOW_RATIO)

    def lines(self) -> list[str]:
        """What the text and Markdown reports say; nothing when every trial could use cuDNN."""
        if not self.blocked:
            return []
        total = len(self.blocked) + len(self.eligible)
        shown = ", ".join(self.blocked[:8]) + (f" and {len(self.blocked) - 8} more" if len(self.blocked) > 8 else "")
        lines = [
            f"{len(self.blocked)} of {total} completed trials could not use cuDNN's fused LSTM kernel "
            f"(recurrent_dropout > 0): {shown}."
        ]
        ratio = self.ratio
        if ratio is not None:
            lines.append(
                f"Median seconds per epoch: {self.blocked_epoch_seconds:.3g} s for them ({self.blocked_timed} "
                f"trials) vs {self.eligible_epoch_seconds:.3g} s for the {self.eligible_timed} cuDNN-eligible "
                f"trials: {ratio:.1f}x the time per epoch (units, layers and batch size differ between trials too)."
            )
        elif not self.eligible:
            lines.append("No trial used cuDNN, so the slowdown cannot be measured in this run.")
        if self.suggest_gpu_fast:
            lines.append(
                "Search with --gpu-fast to keep recurrent_dropout at 0 (dropout and the L1/L2 penalties "
                "still regularise)."
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "not_eligible": list(self.blocked),
            "eligible": len(self.eligible),
            "median_epoch_seconds": {
                "not_eligible": self.blocked_epoch_seconds,
                "eligible": self.eligible_epoch_seconds,
            },
            "timed_trials": {"not_eligible": self.blocked_timed, "eligible": self.eligible_timed},
            "ratio": round(ratio, 3) if ratio is not None else None,
            "suggest_gpu_fast": self.suggest_gpu_fast,
        }


def cudnn_check(run_dir: RunDir, manifest: dict[str, Any], table: pd.DataFrame) -> CudnnCheck | None:
    """The cuDNN check of a run that trained on a GPU (None on a CPU, where cuDNN does not apply, or when
    no completed trial's recurrent_dropout is known)."""
    device = manifest.get("device")
    if not isinstance(device, dict) or device.get("kind") != "gpu" or table.empty:
        return None
    space = (manifest.get("hyperparameters") or {}).get("space") or {}
    fixed = number(space.get("recurrent_dropout")) if isinstance(space, dict) else None
    groups: dict[bool, list[str]] = {True: [], False: []}
    per_epoch: dict[bool, list[float]] = {True: [], False: []}
    for row in table[table["status"] == "completed"].to_dict("records"):
        value = number(row.get("recurrent_dropout"))
        value = fixed if value is None else value
        if value is None:
            continue
        blocked = value > 0
        trial_id = str(row["trial_id"])
        groups[blocked].append(trial_id)
        seconds, epochs = number(row.get("seconds")), number(row.get("epochs_run"))
        if epochs is None:  # older records: the per-epoch history says how many epochs ran
            epochs = float(len(learning_curve(run_dir, trial_id))) or None
        if seconds is not None and epochs:
            per_epoch[blocked].append(seconds / epochs)
    if not groups[True] and not groups[False]:
        return None

    def median(values: list[float]) -> float | None:
        return float(statistics.median(values)) if values else None

    return CudnnCheck(
        sorted(groups[True], key=sort_key),
        sorted(groups[False], key=sort_key),
        median(per_epoch[True]),
        median(per_epoch[False]),
        len(per_epoch[True]),
        len(per_epoch[False]),
    )


def diagnosis_lines(diagnoses: list[dict[str, Any]], table: pd.DataFrame) -> list[str]:
    """One line per code found: how many trials, which, and the best trial's reason when it has it."""
    completed = table[table["status"] == "completed"]
    best = str(completed.iloc[0]["trial_id"]) if len(completed) else None
    lines = []
    for code in DIAGNOSIS_CODES:
        found = [d for d in diagnoses if d["code"] == code]
        if not found:
            continue
        trials = sorted({d["trial"] for d in found}, key=sort_key)
        mine = next((d for d in found if d["trial"] == best), found[0])
        shown = ", ".join(trials[:8]) + (f" and {len(trials) - 8} more" if len(trials) > 8 else "")
        who = "the best trial" if mine["trial"] == best else f"trial {mine['trial']}"
        lines.append(f"{code}: {len(trials)} of {len(table)} trials ({shown}); {who}: {mine['reason']}.")
    return lines


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 24) -> str:
    """A one-line learning curve, lowest value ▁, highest █; non-finite epochs show as ×."""
    if len(values) > width:  # keep the last value, sample the rest evenly
        step = len(values) / width
        values = [values[min(len(values) - 1, round(i * step))] for i in range(width - 1)] + [values[-1]]
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    return "".join(
        SPARKS[min(len(SPARKS) - 1, int((v - low) / span * len(SPARKS)))]
        if isinstance(v, float) and math.isfinite(v)
        else "×"
        for v in values
    )


# --- renderers ------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.2e}"
    return str(value)


def figure_keys(report: Report) -> list[str]:
    """The figures of the baselines table: rmse, mae, skill; or accuracy, macro_f1, cross_entropy, skill."""
    return [name.removeprefix("val_") for name in report.figures]


def figures_rows(report: Report) -> list[tuple[str, str, dict[str, Any]]]:
    """(split, model, figures) for the best model and the baselines on the same items; with several
    forecast targets, one row per target too."""
    rows = []
    best = report.best
    baselines = report.manifest.get("baselines") or {}
    targets = (report.manifest.get("data") or {}).get("targets", [])
    for split in ("val", "test"):
        entries: list[tuple[str, dict[str, Any]]] = []
        if best and split in best:
            entries.append((f"best model (trial {best['trial_id']})", best[split]))
        elif split == "val" and not report.table.empty and report.table.iloc[0]["status"] == "completed":
            row = report.table.iloc[0]
            entries.append(
                (
                    f"best so far (trial {row['trial_id']})",
                    {key: row.get(column) for key, column in zip(figure_keys(report), report.figures)},
                )
            )
        # Manifests written before baselines carried their skill: persistence's is 0 by definition.
        entries += [
            (name, {"skill": 0.0, **scores} if name == "persistence" else scores)
            for name, scores in (baselines.get(split) or {}).items()
        ]
        for name, scores in entries:
            rows.append((split, name, scores))
            if len(targets) > 1:
                for target, figures in (scores.get("by_target") or {}).items():
                    rows.append((split, f"{name}: {target}", figures))
    return rows


def data_line(manifest: dict[str, Any]) -> str:
    """What data the run used and what was done to it."""
    data = manifest.get("data") or {}
    if manifest.task != "forecast":
        return "  ".join(
            [f"data: {data.get('path')}", f"task: {manifest.task}", str(data.get("summary") or "")]
        ).rstrip()
    rows = data.get("rows") or {}
    settings = data.get("settings") or {}
    parts = [
        f"data: {data.get('path')}",
        f"target: {', '.join(map(str, data.get('targets') or []))}",
        f"inputs: {', '.join(map(str, data.get('inputs') or []))}",
        f"transform: {settings.get('transform')}",
        f"horizon: {settings.get('horizon')}",
    ]
    if rows.get("rows_used") is not None:
        dropped = f", {rows['rows_dropped']} dropped" if rows.get("rows_dropped") else ""
        filled = f", {rows['values_filled']} values filled" if rows.get("values_filled") else ""
        parts.append(f"rows: {rows['rows_used']}{dropped}{filled}")
    if rows.get("ignored_columns"):
        parts.append(f"ignored: {', '.join(rows['ignored_columns'])}")
    return "  ".join(parts)


def workers_line(manifest: dict[str, Any]) -> str | None:
    """A parallel search's workers: how many, who ran how many trials, deaths and restarts."""
    workers = manifest.get("workers")
    if not isinstance(workers, dict):
        return None
    ran = workers.get("trials_by_worker") or {}
    parts = [f"workers: {workers.get('count')} local"]
    if ran:
        parts.append("trials by worker: " + ", ".join(f"{name} {count}" for name, count in sorted(ran.items())))
    deaths, restarts = len(workers.get("deaths") or []), workers.get("restarts") or 0
    if deaths or restarts:
        parts.append(f"{deaths} died, {restarts} restarted (see RUN_DIR/workers/)")
    return "  ".join(parts)


def ranked_table(report: Report, curve_width: int) -> Table:
    """The top trials: short headers and light borders to fit 80 columns; a cell too wide for the
    terminal folds onto a second line rather than losing digits."""
    objective = report.objective
    better = "lower" if objective.direction == "min" else "higher"
    first = report.summary_columns[4]
    first_note = (
        "rmse: validation, original units"
        if first == "val_rmse"
        else f"{HEADERS.get(first, first)}: {first.replace('_', ' ')}"
    )
    table = Table(
        title=f"Top {len(report.top)} trials (score: {objective.label}; {better} is better)",
        caption=f"{first_note}; best: best epoch; gap: (1 - val skill) / (1 - train skill) at the best epoch",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )
    columns = report.summary_columns
    for column in columns:
        table.add_column(
            HEADERS.get(column, column),
            overflow="fold",
            justify="left" if column in ("status", "trial_id") else "right",
        )
    if curve_width:
        table.add_column(objective.name, no_wrap=True)
    for row in report.top.itertuples(index=False):
        record = row._asdict()
        cells = [_fmt(record.get(c)) for c in columns]
        if curve_width:
            cells.append(sparkline(report.curves.get(str(record["trial_id"]), []), width=curve_width))
        table.add_row(*cells)
    return table


def render_table(report: Report, console: Console) -> None:
    trials = report.manifest.get("trials") or {}
    failed = trials.get("failed", int((report.table["status"] == "failed").sum()))
    console.print(
        f"[bold]{escape(str(report.run_dir.root))}[/]  status: {report.state}  trials: {len(report.table)} ({failed} failed)"
    )
    console.print(data_line(report.manifest), highlight=False, markup=False)
    workers = workers_line(report.manifest)
    if workers:
        console.print(workers, highlight=False, markup=False)
    if report.table.empty:
        console.print("No trial has finished yet.")
        return

    ranked = ranked_table(report, curve_width=0)
    room = console.width - Measurement.get(console, console.options, ranked).maximum - 2
    if room >= 10:  # a learning curve as wide as the room left
        ranked = ranked_table(report, curve_width=min(24, room))
    console.print(ranked)

    if report.tunable:
        values = Table(title="Their tuned hyperparameters")
        values.add_column("hyperparameter", no_wrap=True)
        for row in report.top.itertuples(index=False):
            values.add_column(
                f"#{_fmt(row.rank)} ({row.trial_id})" if row.rank is not pd.NA else f"({row.trial_id})", justify="right"
            )
        for name in report.tunable:
            values.add_row(name, *(_fmt(v) for v in report.top[name]))
        console.print(values)

    keys = figure_keys(report)
    model_column = "forecast" if report.kind == "forecast" else "model"
    units = " (original units)" if report.kind != "classification" else ""
    figures = Table(title=f"Best model against naive baselines{units}", caption=SKILL[report.kind])
    for column in ("split", model_column, *keys):
        figures.add_column(column, justify="left" if column in ("split", model_column) else "right")
    for split, what, scores in figures_rows(report):
        figures.add_row(split, escape(what), *(_fmt(scores.get(key)) for key in keys))
    console.print(figures)
    confusion = confusion_lines(report)
    if confusion:
        console.print("\n".join(confusion), highlight=False, markup=False)

    best = report.best
    if best:
        console.print(
            f"best: trial {best['trial_id']}; every value is in {report.run_dir.best_space} "
            f"(search with it to reproduce), the model in {report.run_dir.best_model}",
            highlight=False,
            markup=False,
        )
    for finding in report.findings:
        console.print(f"• {finding}", highlight=False, markup=False)
    cudnn = report.cudnn.lines() if report.cudnn else []
    if cudnn:
        console.print("GPU (cuDNN): " + " ".join(cudnn), highlight=False, markup=False)
    helped = report.helped()
    if helped:
        console.print("What helped: " + "; ".join(helped), highlight=False, markup=False)


def run_inputs(report: Report) -> tuple[str | None, ...]:
    """The files a run was made from (its data and space file): no report output may replace them."""
    data = (report.manifest.get("data") or {}).get("path")
    command = report.manifest.get("command") or []
    space = next((command[i + 1] for i, arg in enumerate(command[:-1]) if arg in ("--space", "-s")), None)
    return (data if isinstance(data, str) else None, space if isinstance(space, str) else None)


def write_pictures(report: Report, plots: Path | None, html: Path | None, output: Path | None) -> dict[str, str]:
    """Write --plots PNGs and the --html page; {picture: path as the Markdown should reference it}."""
    for flag, path in (("--plots", plots), ("--html", html)):
        if path is not None and owning_run(path / "x" if flag == "--plots" else path) is not None:
            raise OptionError(f"{flag} {path}: is inside the run directory's own files; choose another path")
    if plots is not None and plots.exists() and not plots.is_dir():
        raise OptionError(f"--plots {plots}: is a file, but a directory for the pictures is needed")
    if html is not None and html.is_dir():
        raise OptionError(f"--html {html}: is a directory; give a file path like report.html")
    if plots is None and html is None:
        return {}
    from lstmtune.report import plots as pictures_module

    rendered = pictures_module.render_plots(report)
    referenced: dict[str, str] = {}
    if plots is not None:
        try:
            written = pictures_module.write_plots(report, plots, rendered)
        except OSError as exc:
            raise OptionError(f"--plots {plots}: cannot write the pictures ({exc.strerror or exc})") from None
        base = (output.parent if output else Path.cwd()).resolve()
        for name, path in written.items():  # relative to the Markdown file, so the folder can move with it
            referenced[name] = os.path.relpath(Path(path).resolve(), base)
    if html is not None:
        from lstmtune.report.html import render_html

        write_output(render_html(report, rendered), html, "--html", kind="html", keep=run_inputs(report))
    return referenced


def render_markdown(report: Report, pictures: dict[str, str] | None = None) -> str:
    lines = [
        f"# lstmtune run `{report.run_dir.root}`",
        "",
        f"- status: {report.state}",
        f"- {data_line(report.manifest)}",
        *(f"- {line}" for line in [workers_line(report.manifest)] if line),
        f"- trials: {len(report.table)}",
        "",
        "## Top trials",
        "",
        to_markdown(_with_curves(report)) if not report.top.empty else "No trial has finished yet.\n",
        "## Best model against naive baselines" + (" (original units)" if report.kind != "classification" else ""),
        "",
        "| split | "
        + ("forecast" if report.kind == "forecast" else "model")
        + " | "
        + " | ".join(figure_keys(report))
        + " |",
        "|---|---|" + "---|" * len(figure_keys(report)),
    ]
    for split, what, scores in figures_rows(report):
        lines.append(f"| {split} | {what} | " + " | ".join(_fmt(scores.get(key)) for key in figure_keys(report)) + " |")
    lines += ["", SKILL[report.kind]]
    confusion = confusion_lines(report)
    if confusion:
        lines += ["", "```", *confusion, "```"]
    if report.findings:
        lines += ["", "## Findings", ""] + [f"- {f}" for f in report.findings]
    cudnn = report.cudnn.lines() if report.cudnn else []
    if cudnn:
        lines += ["", "## GPU: cuDNN", ""] + [f"- {line}" for line in cudnn]
    helped = report.helped()
    if helped:
        lines += ["", "## What helped", ""] + [f"- {line}" for line in helped]
    if pictures:
        lines += ["", "## Pictures", ""] + [f"![{name}]({path})" for name, path in pictures.items()]
    return "\n".join(lines) + "\n"


def confusion_lines(report: Report) -> list[str]:
    """The best model's test confusion matrix (rows: true class, columns: predicted), for classification."""
    matrix = ((report.best or {}).get("test") or {}).get("confusion_matrix")
    labels = (report.manifest.get("data") or {}).get("labels")
    if not matrix or not isinstance(labels, list) or len(labels) != len(matrix):
        return []
    names = [str(label) for label in labels]
    width = max(6, *(len(n) for n in names), *(len(str(v)) for row in matrix for v in row))
    lines = [
        "Test confusion matrix (rows: true class, columns: predicted):",
        " " * (width + 2) + " ".join(n.rjust(width) for n in names),
    ]
    lines += [names[i].rjust(width) + "  " + " ".join(str(v).rjust(width) for v in row) for i, row in enumerate(matrix)]
    return lines


def _with_curves(report: Report) -> pd.DataFrame:
    columns = report.summary_columns
    shown = report.top[columns + report.tunable].copy()
    shown.insert(
        len(columns),
        f"{report.objective.name} by epoch",
        [sparkline(report.curves.get(str(t), [])) for t in shown["trial_id"]],
    )
    return shown


def step_summary(report: Report) -> str:
    """A few Markdown lines for a CI job page: the run's state and the best model against the baselines."""
    keys = figure_keys(report)
    lines = [
        f"### lstmtune search `{report.run_dir.root}`: {report.state}",
        "",
        "| split | model | " + " | ".join(keys) + " |",
        "|---|---|" + "---|" * len(keys),
    ]
    lines += [
        f"| {split} | {what} | " + " | ".join(_fmt(scores.get(key)) for key in keys) + " |"
        for split, what, scores in figures_rows(report)
        if ": " not in what
    ]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    document = {
        "run_dir": str(report.run_dir.root),
        "task": report.manifest.task,
        "objective": report.objective.to_json(),
        "status": report.manifest.get("status"),
        "state": report.state,
        "data": report.manifest.get("data"),
        "search": report.manifest.get("search"),
        "workers": report.manifest.get("workers"),
        "baselines": report.manifest.get("baselines"),
        "best": report.best,
        "trials": table_records(report.top),
        "curves": {t: [v if math.isfinite(v) else None for v in c] for t, c in report.curves.items()},
        "findings": report.findings,
        "diagnoses": report.diagnoses,
        "effects": report.effects,
        "importance": report.importance,
        "cudnn": report.cudnn.to_json() if report.cudnn else None,
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def format_for(fmt: str | None, output: Path | None) -> str:
    """--format, or the one --output's extension names, or table."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = {"markdown": "md"}.get(suffix, suffix) if suffix in ("csv", "md", "markdown", "json") else "table"
    if fmt not in FORMATS:
        raise OptionError(f"--format must be one of {', '.join(FORMATS)}, but got {fmt!r}")
    return fmt


def render(report: Report, fmt: str, console: Console, pictures: dict[str, str] | None = None) -> str | None:
    """Text for csv / md / json; the table format prints straight to the console. `pictures`: the
    --plots files Markdown links to."""
    if fmt == "table":
        render_table(report, console)
        return None
    if fmt == "csv":
        return report.top.to_csv(index=False)
    if fmt == "md":
        return render_markdown(report, pictures)
    return render_json(report)
