"""The report as Markdown: the whole report (`--format md`) and a short summary for a CI job page."""

from __future__ import annotations

import pandas as pd

from lstmtune.core.text import cell
from lstmtune.report.lines import (
    SPARK_SCALE,
    confusion_lines,
    device_line,
    figures_title,
    sparkline,
    step_lines,
    targets_note,
    workers_line,
)
from lstmtune.report.model import Report, figure_keys, figures_rows
from lstmtune.run.table import to_markdown


def render_markdown(report: Report, pictures: dict[str, str] | None = None) -> str:
    """The report as one Markdown document; `pictures`: {name: path} of the --plots files to link."""
    presentation = report.presentation
    keys = figure_keys(report)
    targets = targets_note(report)  # how several targets' figures read, under the trials table
    lines = [
        f"# lstmtune run `{report.run_dir.root}`",
        "",
        f"- status: {report.state}",
        f"- {report.data_line}",
        *(f"- {line}" for line in [device_line(report.manifest), workers_line(report.manifest)] if line),
        f"- trials: {len(report.table)}",
        "",
        "## Top trials",
        "",
        to_markdown(with_curves(report)) + f"\n{SPARK_SCALE}\n\n" + (f"{targets}\n\n" if targets else "")
        if not report.top.empty
        else "No trial has finished yet.\n",
        f"## {figures_title(report)}",
        "",
        f"| split | {presentation.model_column} | " + " | ".join(keys) + " |",
        "|---|---|" + "---|" * len(keys),
    ]
    for split, what, scores in figures_rows(report):
        lines.append(f"| {split} | {what} | " + " | ".join(cell(scores.get(key)) for key in keys) + " |")
    lines += ["", presentation.skill]
    verdict = report.comparison.verdict() if report.comparison else None
    if verdict:
        lines += ["", verdict]
    for block in (confusion_lines(report), step_lines(report)):
        if block:
            lines += ["", "```", *block, "```"]
    if report.findings:
        lines += ["", "## Findings", ""] + [f"- {f}" for f in report.findings]
    cost = report.recurrent_cost
    said = cost.lines() if cost else []
    if cost and said:
        lines += ["", f"## {cost.title}", ""] + [f"- {line}" for line in said]
    helped = report.helped()
    if helped:
        lines += ["", "## What helped", ""] + [f"- {line}" for line in helped]
    if pictures:
        lines += ["", "## Pictures", ""] + [f"![{name}]({path})" for name, path in pictures.items()]
    return "\n".join(lines) + "\n"


def with_curves(report: Report) -> pd.DataFrame:
    """The top trials' summary columns, the objective by epoch as a sparkline, then the tuned values."""
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
        f"| {split} | {what} | " + " | ".join(cell(scores.get(key)) for key in keys) + " |"
        for split, what, scores in figures_rows(report)
        if ": " not in what
    ]
    return "\n".join(lines) + "\n"
