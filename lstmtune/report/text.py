"""The report as rich tables on a console: the ranked trials, their values, the best model against baselines."""

from __future__ import annotations

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from lstmtune.core.text import cell, plural
from lstmtune.report.lines import (
    HEADERS,
    SPARK_SCALE,
    confusion_lines,
    device_line,
    figures_title,
    several_targets,
    sparkline,
    step_lines,
    workers_line,
)
from lstmtune.report.model import Report, figure_keys, figures_rows


def ranked_table(report: Report, curve_width: int) -> Table:
    """The top trials: short headers and light borders to fit 80 columns; a cell too wide for the
    terminal folds onto a second line rather than losing digits."""
    objective = report.objective
    better = "lower" if objective.direction == "min" else "higher"
    first = [c for c in report.summary_columns if c != "score_sd"][4]
    first_note = (
        (
            "rmse: validation, scale-free over the targets (RMSSE, see the figures)"
            if several_targets(report)
            else "rmse: validation, original units"
        )
        if first == "val_rmse"
        else f"{HEADERS.get(first, first)}: {first.replace('_', ' ')}"
    )
    table = Table(
        title=f"Top {plural(len(report.top), 'trial')} (score: {objective.label}; {better} is better)",
        caption=f"{first_note}; best: best epoch; gap: (1 - val skill) / (1 - train skill) at the best epoch"
        + (f"; {report.repeated}" if report.repeated else "")
        + (f"; {SPARK_SCALE}" if curve_width else ""),
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
        cells = [cell(record.get(c)) for c in columns]
        if curve_width:
            cells.append(sparkline(report.curves.get(str(record["trial_id"]), []), width=curve_width))
        table.add_row(*cells)
    return table


def values_table(report: Report) -> Table:
    """The tuned hyperparameters of the top trials, one column per trial."""
    values = Table(title="Their tuned hyperparameters")
    values.add_column("hyperparameter", no_wrap=True)
    for row in report.top.itertuples(index=False):
        values.add_column(
            f"#{cell(row.rank)} ({row.trial_id})" if row.rank is not pd.NA else f"({row.trial_id})", justify="right"
        )
    for name in report.tunable:
        values.add_row(name, *(cell(v) for v in report.top[name]))
    return values


def figures_table(report: Report) -> Table:
    """The best model against the naive baselines, per split."""
    keys = figure_keys(report)
    presentation = report.presentation
    model_column = presentation.model_column
    figures = Table(title=figures_title(report), caption=presentation.skill)
    for column in ("split", model_column, *keys):
        figures.add_column(column, justify="left" if column in ("split", model_column) else "right")
    for split, what, scores in figures_rows(report):
        figures.add_row(split, escape(what), *(cell(scores.get(key)) for key in keys))
    return figures


def render_table(report: Report, console: Console) -> None:
    """Print the report to the console: the run, its top trials, the best model and the findings."""
    trials = report.manifest.get("trials") or {}
    failed = trials.get("failed", int((report.table["status"] == "failed").sum()))
    pruned = trials.get("pruned", int((report.table["status"] == "pruned").sum()))
    pruned_part = f"{pruned} pruned, " if pruned else ""
    console.print(
        f"[bold]{escape(str(report.run_dir.root))}[/]  status: {report.state}  "
        f"trials: {len(report.table)} ({pruned_part}{failed} failed)"
    )
    console.print(report.data_line, highlight=False, markup=False)
    for line in (device_line(report.manifest), workers_line(report.manifest)):
        if line:
            console.print(line, highlight=False, markup=False)
    if report.table.empty:
        console.print("No trial has finished yet.")
        return

    ranked = ranked_table(report, curve_width=0)
    room = console.width - Measurement.get(console, console.options, ranked).maximum - 2
    if room >= 10:  # a learning curve as wide as the room left
        ranked = ranked_table(report, curve_width=min(24, room))
    console.print(ranked)
    if report.tunable:
        console.print(values_table(report))
    console.print(figures_table(report))
    verdict = report.comparison.verdict() if report.comparison else None
    if verdict:
        console.print(verdict, highlight=False, markup=False)
    for lines in (confusion_lines(report), step_lines(report)):
        if lines:
            console.print("\n".join(lines), highlight=False, markup=False)

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
    cost = report.recurrent_cost
    said = cost.lines() if cost else []
    if cost and said:
        label = "GPU (cuDNN)" if cost.on_gpu else "CPU (recurrent dropout)"
        console.print(f"{label}: " + " ".join(said), highlight=False, markup=False)
    helped = report.helped()
    if helped:
        console.print("What helped: " + "; ".join(helped), highlight=False, markup=False)
