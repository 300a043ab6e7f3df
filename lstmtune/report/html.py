"""One self-contained HTML page of a run for `lstmtune report --html FILE` (no TensorFlow).

Inline CSS, pictures as `data:image/png;base64,...`, no external link: the file can be mailed, attached to
a CI job or opened offline. One small inline script sorts the trials table when a header is clicked; with
scripts off the table stays ranked, and the page's Content-Security-Policy lets nothing load from outside.
Every text from the run (paths, labels, findings, reasons) is escaped.
"""

from __future__ import annotations

import base64
import html
import math
import time
from collections.abc import Iterable
from typing import Any

import pandas as pd

from lstmtune.core.text import cell, number, plural
from lstmtune.report.html_style import CSP, CSS, SORT_SCRIPT
from lstmtune.report.lines import (
    HEADERS,
    SPARK_SCALE,
    device_line,
    figures_title,
    sparkline,
    step_lines,
    targets_note,
    workers_line,
)
from lstmtune.report.model import Report, figure_keys, figures_rows

# A trend is named in "what helped" only from this correlation up; below it, "no clear link".
CLEAR_RHO = 0.3


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value is not pd.NA


def _cell(value: Any, cls: str = "") -> str:
    number_ = _is_number(value)
    classes = " ".join(c for c in (cls, "num" if number_ else "") if c)
    attribute = f' class="{classes}"' if classes else ""
    if number_ and math.isfinite(float(value)):
        attribute += f' data-sort="{float(value)!r}"'
    return f"<td{attribute}>{esc(cell(value))}</td>"


def _table(headers: Iterable[str], rows: Iterable[str], caption: str | None = None, sortable: bool = False) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    kind = ' class="sortable"' if sortable else ""
    return (
        f'<div class="scroll"><table{kind}>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div>"
    )


# --- sections ---------------------------------------------------------------------------------


def _run_section(report: Report) -> str:
    manifest = report.manifest
    search = manifest.get("search") or {}
    data = manifest.data
    table = report.table
    counts = manifest.get("trials") or {}
    completed = counts.get("completed", int((table["status"] == "completed").sum()) if not table.empty else 0)
    failed = counts.get("failed", int((table["status"] == "failed").sum()) if not table.empty else 0)
    pruned = counts.get("pruned", int((table["status"] == "pruned").sum()) if not table.empty else 0)
    objective = report.objective
    better = "lower" if objective.direction == "min" else "higher"
    state_class = "state" if manifest.status == "completed" else "state other"
    facts = [
        ("directory", f"<code>{esc(report.run_dir.root)}</code>"),
        # Runs whose data summary reads as prose (not a list of settings) name their kind: classification...
        ("task", esc(manifest.task) + (f" ({esc(report.kind)})" if report.presentation.summary_prose else "")),
        ("status", f'<span class="{state_class}">{esc(report.state)}</span>'),
        (
            "trials",
            esc(
                f"{len(table)} recorded: {completed} completed, "
                + (f"{pruned} pruned, " if pruned else "")
                + f"{failed} failed"
                + (f"; budget {search['max_trials']}" if search.get("max_trials") is not None else "")
            ),
        ),
    ]
    if not report.presentation.summary_prose:
        facts.append(("data", f'<span class="mono">{esc(report.data_line.removeprefix("data: "))}</span>'))
    else:  # the data line is the path and the task's summary: the summary reads better as prose
        facts.append(("data", f"<code>{esc(data.get('path'))}</code>"))
        if data.get("summary"):
            facts.append(("summary", esc(data["summary"])))
    device = device_line(manifest)
    if device:
        facts.append(("device", esc(device.removeprefix("device: "))))
    workers = workers_line(manifest)
    if workers:
        facts.append(("workers", esc(workers.removeprefix("workers: "))))
    facts.append(("objective", f"{esc(objective.label)} (<code>{esc(objective.name)}</code>, {better} is better)"))
    settings = [
        f"{key} {search[key]}" for key in ("tuner", "epochs", "patience", "seed") if search.get(key) is not None
    ]
    settings += [
        f"{search[key]} {key}"
        for key in ("folds", "executions")
        if isinstance(search.get(key), int) and search[key] > 1
    ]
    if search.get("gpu_fast"):
        settings.append("gpu-fast (recurrent_dropout 0)")
    if settings:
        facts.append(("search", esc(", ".join(settings))))
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return f'<section id="run"><h2>The run</h2><dl class="facts">{items}</dl></section>'


def _recurrent_cost_section(report: Report) -> str:
    """Trials with recurrent dropout, and how much slower they were (nothing when there is nothing to say)."""
    cost = report.recurrent_cost
    lines = cost.lines() if cost else []
    if not cost or not lines:
        return ""
    anchor = "cudnn" if cost.on_gpu else "recurrent-dropout"
    return (
        f'<section id="{anchor}"><h2>{esc(cost.title)}</h2><ul class="findings">'
        + "".join(f"<li>{esc(line)}</li>" for line in lines)
        + "</ul></section>"
    )


# Diagnoses that say what happened, not that something is wrong: drawn in a neutral colour.
INFORMATIONAL = ("still_improving", "stopped_early", "range_edge", "noisy_ranking")


def _badge_class(code: str) -> str:
    return "badge info" if code in INFORMATIONAL else "badge"


def _findings_section(report: Report) -> str:
    findings = (
        '<ul class="findings">' + "".join(f"<li>{esc(f)}</li>" for f in report.findings) + "</ul>"
        if report.findings
        else '<p class="muted">No findings.</p>'
    )
    diagnoses = [d for d in (report.diagnoses or []) if isinstance(d, dict)]
    if diagnoses:
        rows = [
            f'<tr><td><span class="{_badge_class(str(d.get("code")))}">{esc(d.get("code", "?"))}</span></td>'
            f'<td class="mono">{esc(cell(d.get("trial")))}</td><td>{esc(d.get("reason", ""))}</td></tr>'
            for d in diagnoses
        ]
        table = "<h3>Diagnoses</h3>" + _table(["code", "trial", "reason"], rows)
    else:
        table = '<h3>Diagnoses</h3><p class="muted">No trial was flagged.</p>'
    return f'<section id="findings"><h2>Findings</h2>{findings}{table}</section>'


def _ranked_section(report: Report) -> str:
    """Every trial, ranked, with the summary figures (the tuned values are in the side-by-side table and
    trials.csv), sortable by any column; the objective's sparkline for the top trials."""
    if report.top.empty:
        return '<section id="trials"><h2>Trials</h2><p class="muted">No trial has finished yet.</p></section>'
    summary = [c for c in report.summary_columns if c in report.table.columns]
    best_id = str((report.best or {}).get("trial_id")) if report.best else None
    rows = []
    for record in report.table.to_dict(orient="records"):
        trial = str(record.get("trial_id"))
        cls = ' class="best"' if trial == best_id else ""
        cells = [_cell(record.get(c)) for c in summary]
        cells.append(f'<td class="spark">{esc(sparkline(report.curves.get(trial, [])))}</td>')
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    better = "lower" if report.objective.direction == "min" else "higher"
    shortened = [f"{HEADERS[c]}: {c.replace('_', ' ')}" for c in summary if HEADERS.get(c, c) != c and c != "score_sd"]
    targets = targets_note(report)
    note = "; ".join(
        [
            f"score: {report.objective.label} ({better} is better)",
            *([report.repeated] if report.repeated else []),
            "gap: the generalisation gap at the best epoch",
            *shortened,
            *([targets] if targets else []),
            report.presentation.skill,
            f"{report.objective.name} by epoch for the top {plural(len(report.top), 'trial')} ({SPARK_SCALE})",
            "click a column's header to sort by it",
        ]
    )
    headers = [HEADERS.get(c, c) for c in summary]
    return (
        f'<section id="trials"><h2>Trials ({len(report.table)})</h2>'
        + _table([*headers, f"{report.objective.name} by epoch"], rows, note, sortable=True)
        + "</section>"
    )


def _configurations_section(report: Report) -> str:
    """The top trials' tuned values side by side: one column per trial, one row per hyperparameter."""
    tuned = [c for c in report.tunable if c in report.top.columns]
    if report.top.empty or not tuned:
        return ""
    records = report.top.to_dict(orient="records")
    best_id = str((report.best or {}).get("trial_id")) if report.best else None
    heads = "".join(
        f'<th class="trial">trial {esc(r.get("trial_id"))}{" (best)" if str(r.get("trial_id")) == best_id else ""}</th>'
        for r in records
    )
    rows = [
        f"<tr><th>{esc(name)}</th>{''.join(_cell(record.get(name)) for record in records)}</tr>"
        for name in [*tuned, "score", "best_epoch"]
        if name in report.top.columns
    ]
    caption = "The tuned values of the top trials, best first; the last rows repeat their score and best epoch."
    return (
        f'<section id="configurations"><h2>The top {plural(len(records), "configuration")} side by side</h2>'
        f'<div class="scroll"><table><caption>{esc(caption)}</caption><thead><tr><th>hyperparameter</th>{heads}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _best_section(report: Report) -> str:
    best = report.best
    parts = ['<section id="best"><h2>The best configuration</h2>']
    if best and isinstance(best.get("values"), dict):
        values = best["values"]
        tuned = [n for n in report.tunable if n in values]
        fixed = [n for n in values if n not in tuned]
        parts.append(
            f'<p>Trial <strong class="mono">{esc(best.get("trial_id"))}</strong>; every value is in '
            f"<code>{esc(report.run_dir.best_space)}</code> (search with it to reproduce), the model in "
            f"<code>{esc(report.run_dir.best_model)}</code>.</p>"
        )
        if tuned:
            parts.append(
                "<h3>Tuned hyperparameters</h3>"
                + _table(["hyperparameter", "value"], [f"<tr><td>{esc(n)}</td>{_cell(values[n])}</tr>" for n in tuned])
            )
        if fixed:
            parts.append(
                f"<details><summary>{len(fixed)} fixed values</summary>"
                + _table(["hyperparameter", "value"], [f"<tr><td>{esc(n)}</td>{_cell(values[n])}</tr>" for n in fixed])
                + "</details>"
            )
    else:
        parts.append('<p class="muted">No best model yet: the search has not finished its final evaluation.</p>')
    keys = figure_keys(report)
    model = report.presentation.model_column
    rows = []
    for split, what, scores in figures_rows(report):
        is_model = what.startswith(("best model", "best so far", "ensemble", "refit"))
        cls = (
            "best"
            if is_model and split == "test"
            else ("" if is_model else "reference" if what.startswith("reference") else "baseline")
        )
        attribute = f' class="{cls}"' if cls else ""
        rows.append(
            f"<tr{attribute}><td>{esc(split)}</td><td>{esc(what)}</td>"
            + "".join(_cell(scores.get(k)) for k in keys)
            + "</tr>"
        )
    if rows:
        parts.append(
            f"<h3>{esc(figures_title(report).removeprefix('Best model against ').capitalize())}</h3>"
            + _table(["split", model, *keys], rows, report.presentation.skill)
        )
    verdict = report.comparison.verdict() if report.comparison else None
    if verdict:
        parts.append(f'<p class="verdict">{esc(verdict)}</p>')
    steps = step_lines(report)
    if steps:
        items = "".join(f"<li>{esc(line.strip())}</li>" for line in steps[1:])
        parts.append(f"<p>{esc(steps[0])}</p><ul>{items}</ul>")
    parts.append("</section>")
    return "".join(parts)


def _reading(rho: float | None, what: str, lower_is_better: bool | None) -> str:
    if rho is None or not math.isfinite(rho) or abs(rho) < CLEAR_RHO:
        return "no clear link"
    up = rho > 0
    if lower_is_better is None:  # the gap: larger is worse
        return f"larger values, {'larger' if up else 'smaller'} {what}"
    better = (not up) if lower_is_better else up
    return f"larger values, {'better' if better else 'worse'} {what}"


def _signed(value: float | None, good_when_negative: bool | None) -> str:
    if value is None:
        return '<td class="num">-</td>'
    cls = "num"
    if good_when_negative is not None and abs(value) >= CLEAR_RHO:
        cls += " pos" if (value < 0) == good_when_negative else " neg"
    return f'<td class="{cls}">{value:+.2f}</td>'


def _helped_section(report: Report) -> str:
    effects = report.effects if isinstance(report.effects, dict) else {}
    importance = report.importance if isinstance(report.importance, dict) else {}
    names = list(dict.fromkeys([*effects, *importance]))
    if not names:
        return (
            '<section id="helped"><h2>What helped</h2><p class="muted">Not measured for this run: it needs at '
            f"least 8 completed trials with something tuned (it has {report.completed_count} completed).</p></section>"
        )
    lower = report.objective.direction == "min"
    names.sort(key=lambda n: -(number(importance.get(n)) or 0.0))
    rows = []
    for name in names:
        effect = effects.get(name) or {}
        score, gap = number(effect.get("score")), number(effect.get("gap"))
        cells = [f"<td>{esc(name)}</td>"]
        if importance:
            cells.append(_cell(number(importance.get(name))))
        if effects:
            cells += [
                _signed(score, lower),
                f"<td>{esc(_reading(score, 'score', lower))}</td>",
                _signed(gap, True),
                f"<td>{esc(_reading(gap, 'gap', None))}</td>",
            ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    headers = [
        "hyperparameter",
        *(["importance"] if importance else []),
        *(["ρ score", "reading", "ρ gap", "reading"] if effects else []),
    ]
    note = (
        ("importance: how much the hyperparameter mattered for the score. " if importance else "")
        + (
            "ρ: Spearman rank correlation across the completed trials between the value and the score, or the gap; green where "
            "larger values went with a better score or a smaller gap, red the reverse "
            f"(shown from |ρ| ≥ {CLEAR_RHO}). "
            if effects
            else ""
        )
        + "With few trials these are hints, not findings."
    )
    return '<section id="helped"><h2>What helped</h2>' + _table(headers, rows, note) + "</section>"


def _runs_section(runs: list[dict[str, Any]] | None) -> str:
    """The runs compared (report --compare): this run first, one row each."""
    if not runs:
        return ""
    figures = [
        name
        for name in ("rmse", "accuracy", "macro_f1", "cross_entropy", "skill")
        if any(name in r["test"] for r in runs)
    ]
    shown_val = [name for name in ("rmse", "accuracy", "macro_f1") if any(name in r["val"] for r in runs)]
    rows = []
    for index, row in enumerate(runs):
        trials = row["trials"]
        cells = [
            f"<td><code>{esc(row['run'])}</code></td>",
            _cell(row["status"]),
            _cell(f"{trials['completed']} completed, {trials['pruned']} pruned, {trials['failed']} failed"),
            _cell(row["objective"]),
            _cell(row["best_trial"]),
            _cell(row["best_score"]),
            *(_cell(row["val"].get(name)) for name in shown_val),
            *(_cell(row["test"].get(name)) for name in figures),
            _cell(
                ", ".join(f"{name} {cell(value)}" for name, value in row["reference_test"].items() if name in figures)
                if row["reference"]
                else None
            ),
        ]
        attribute = ' class="best"' if index == 0 else ""
        rows.append(f"<tr{attribute}>{''.join(cells)}</tr>")
    caption = (
        "This run first. The best score is on each run's own objective and scaling (a forecast's transform "
        "changes it): compare runs by the best trial's validation figures, which are in the data's units, on "
        "the same validation split; test figures are the final best models' (none until a run completes); "
        "the last column is each run's reference model on test."
    )
    headers = [
        "run",
        "status",
        "trials",
        "objective",
        "best trial",
        "best score",
        *[f"val {f}" for f in shown_val],
        *[f"test {f}" for f in figures],
        "reference on test",
    ]
    return (
        f'<section id="runs"><h2>Runs compared ({len(runs)})</h2>'
        + _table(headers, rows, caption, sortable=True)
        + "</section>"
    )


def _pictures_section(report: Report, pictures: dict[str, bytes]) -> str:
    if not pictures:
        return ""
    from lstmtune.report.pictures.captions import caption

    figures = []
    for name, png in pictures.items():
        data = base64.b64encode(png).decode("ascii")
        text = caption(report, name)
        figures.append(
            f'<figure id="picture-{esc(name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(text)}"><figcaption><strong>{esc(name)}</strong>: {esc(text)}</figcaption></figure>'
        )
    return f'<section id="pictures"><h2>Pictures</h2>{"".join(figures)}</section>'


def render_html(
    report: Report, pictures: dict[str, bytes], refresh: float | None = None, runs: list[dict[str, Any]] | None = None
) -> str:
    """The whole report as one self-contained HTML document (pictures: {name: PNG bytes}, shown in order);
    with `refresh` (seconds), a live page that reloads itself (report --watch); with `runs` (report
    --compare), a table of several runs after the run's facts."""
    root = str(report.run_dir.root)
    live = ""
    reload = ""
    if refresh is not None:
        seconds = f"{refresh:g}"
        reload = f'<meta http-equiv="refresh" content="{esc(seconds)}">'
        live = (
            f'<p class="live">Live: rewritten every {esc(seconds)} s while the search runs (last at '
            f"{esc(time.strftime('%H:%M:%S'))}); the page stops reloading when it ends.</p>"
        )
    version = ((report.manifest.get("versions") or {}).get("lstmtune")) or ""
    body = "".join(
        [
            f"<h1>lstmtune run <code>{esc(report.run_dir.root.name or root)}</code></h1>",
            f'<p class="sub">{esc(report.manifest.task)} · {esc(report.state)}</p>',
            live,
            _run_section(report),
            _runs_section(runs),
            _findings_section(report),
            _recurrent_cost_section(report),
            _ranked_section(report),
            _configurations_section(report),
            _best_section(report),
            _helped_section(report),
            _pictures_section(report, pictures),
            f"<footer>Written by lstmtune {esc(version)} from the run directory {esc(root)} (run.json, trials.csv "
            "and history/ hold every figure shown here).</footer>",
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">{reload}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>lstmtune run {esc(root)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main><script>{SORT_SCRIPT}</script></body></html>\n"
    )
