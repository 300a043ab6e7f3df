"""The report's pictures (lstmtune.report.pictures) and its self-contained HTML page (lstmtune.report.html), on one
real tiny forecast search and one real tiny text classification search."""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AIRLINE, REVIEWS, ROOT, TEXT_SPACE, TINY_SPACE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FINDING = "Validation <loss> rose & 'dropout' helped"  # needs escaping


def search(tmp_path_factory, name: str, space: str, *args: str) -> Path:
    from typer.testing import CliRunner

    from lstmtune.cli import app

    folder = tmp_path_factory.mktemp(name)
    (folder / "space.yaml").write_text(space)
    out = folder / "run"
    result = CliRunner().invoke(app, ["search", *args, "--space", str(folder / "space.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.stderr + result.stdout
    return out


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory) -> Path:
    space = TINY_SPACE.replace("max_trials: 2, epochs: 2", "max_trials: 3, epochs: 3")
    return search(
        tmp_path_factory,
        "airline",
        space,
        str(AIRLINE),
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--season",
        "12",
    )


@pytest.fixture(scope="module")
def text_run(tmp_path_factory) -> Path:
    return search(
        tmp_path_factory,
        "reviews",
        TEXT_SPACE,
        str(REVIEWS),
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "category",
    )


def load_report(path: Path):
    from lstmtune.report.model import build_report
    from lstmtune.run.layout import RunDir

    return build_report(RunDir(path))


def copy_run(run: Path, to: Path) -> Path:
    """The run's readable files (not keras-tuner's state or the model), to change them safely."""
    shutil.copytree(run, to, ignore=shutil.ignore_patterns("tuner", "*.keras"))
    return to


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    width, height = png_size(data)
    assert len(data) > 5_000, (path, len(data))  # drawn, not an empty canvas
    assert 300 <= width <= 1000 and 200 <= height <= 1000, (path, width, height)  # small enough for the HTML


def hand_filled(report):
    """The report with diagnoses, effects and importance filled in by hand (their producers are elsewhere)."""
    table = report.table
    first, last = str(table.iloc[0]["trial_id"]), str(table.iloc[-1]["trial_id"])
    tuned = report.tunable
    return dataclasses.replace(
        report,
        findings=[*report.findings, FINDING],
        diagnoses=[
            {"code": "overfit", "trial": first, "reason": "val_loss rose <after> epoch 2"},
            {"code": "no_skill", "trial": last, "reason": "no better than persistence"},
            {"code": "still_improving", "trial": last, "reason": "best at its last epoch"},
        ],
        effects={name: {"score": -0.9 + 0.6 * i, "gap": None if i else 0.45} for i, name in enumerate(tuned)},
        importance={name: round(0.7 / (i + 1), 3) for i, name in enumerate(tuned)},
    )


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes.get("src") or "")
        for name in ("src", "href"):
            if attributes.get(name) and not attributes[name].startswith(("data:", "#")):
                self.external.append(f"{tag} {name}={attributes[name]}")


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def check_html_module():
    spec = importlib.util.spec_from_file_location("check_html", ROOT / "scripts" / "check_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_self_contained(text: str, pictures: dict[str, bytes]) -> Page:
    page = parse(text)
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert not {"link", "iframe", "object", "embed"} & set(page.tags)
    assert page.tags.count("script") == 1 and "<script>" in text  # the inline table sorter, no src
    assert page.external == []
    assert len(page.images) == len(pictures) and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert "http://" not in text and "https://" not in text and "url(" not in text
    checker = check_html_module().check(text)
    assert checker.problems == [] and checker.data_images == len(pictures)
    return page


# --- the forecast run ---------------------------------------------------------------------------


@pytest.mark.search
def test_forecast_pictures(forecast_run, tmp_path):
    from lstmtune.report.pictures import write_plots
    from lstmtune.report.pictures.canvas import tuned_hyperparameters

    report = load_report(forecast_run)
    written = write_plots(dataclasses.replace(report, importance=None), tmp_path / "plots")
    assert {"curves", "gap", "hyperparameters"} <= set(written)
    assert "importance" not in written and "confusion" not in written  # no importance; not a classifier
    for name, path in written.items():
        assert path == tmp_path / "plots" / f"{name}.png" and path.is_file()
        assert_png(path)
    assert set(p.name for p in (tmp_path / "plots").iterdir()) == {f"{n}.png" for n in written}
    # Tuned: the space's tunable values that vary across completed trials (dropout and L2 are floats).
    tuned = tuned_hyperparameters(report)
    assert {"dropout", "kernel_l2"} <= set(tuned) <= set(report.tunable)
    frozen = report.table.assign(dropout=0.1)
    assert "dropout" not in tuned_hyperparameters(dataclasses.replace(report, table=frozen))


@pytest.mark.search
def test_forecast_has_no_baseline_line_in_scaled_units(forecast_run):
    from lstmtune.report.pictures.canvas import baseline_line

    assert baseline_line(load_report(forecast_run)) is None


@pytest.mark.search
def test_forecast_predictions_picture_from_predictions_csv(forecast_run, tmp_path):
    from lstmtune.report.pictures import render_plots
    from lstmtune.report.pictures.predictions import plot_predictions

    run = copy_run(forecast_run, tmp_path / "run")
    months = pd.date_range("1959-02-01", periods=23, freq="MS").strftime("%Y-%m-%d")
    truth = 400 + 80 * np.sin(np.arange(23) / 2)
    pd.DataFrame(
        {
            "split": "test",
            "item": months,
            "target": "Passengers",
            "truth": truth,
            "prediction": truth + 5,
            "persistence": np.r_[truth[0], truth[:-1]],
        }
    ).to_csv(run / "predictions.csv", index=False)
    png = render_plots(load_report(run))["predictions"]
    assert png_size(png)[0] >= 300 and len(png) > 5_000
    # Without the file (or with a broken one) the picture is skipped, not an error.
    (run / "predictions.csv").unlink()
    assert "predictions" not in render_plots(load_report(run))
    (run / "predictions.csv").write_text("split,item\n")
    assert plot_predictions(load_report(run)) is None


@pytest.mark.search
def test_forecast_html_is_self_contained_and_complete(forecast_run, tmp_path):
    from lstmtune.report.html import render_html
    from lstmtune.report.pictures import render_plots

    report = hand_filled(load_report(forecast_run))
    pictures = render_plots(report)
    assert {"curves", "gap", "hyperparameters", "importance", "parallel"} <= set(pictures)
    text = render_html(report, pictures)
    assert_self_contained(text, pictures)
    assert len(text) < 600_000  # small pictures keep the page light
    best = report.best["trial_id"]
    assert f'Trial <strong class="mono">{best}</strong>' in text and f"best model (trial {best})" in text
    for diagnosis in report.diagnoses:  # what is wrong in the alarm colour, what happened in a neutral one
        neutral = diagnosis["code"] in ("still_improving", "stopped_early", "range_edge")
        assert f'<span class="badge{" info" if neutral else ""}">{diagnosis["code"]}</span>' in text
    assert html.escape(FINDING) in text and FINDING not in text
    assert "val_loss rose &lt;after&gt; epoch 2" in text
    for name in report.tunable:  # what helped: every hyperparameter with its importance and effect
        assert f"<td>{name}</td>" in text
    assert "-0.90" in text and "+0.45" in text
    # Every trial in a table that sorts (numbers by their exact values), the curve of the top ones; the
    # top trials' tuned values side by side, one column per trial.
    assert f"{report.objective.name} by epoch" in text and '<table class="sortable">' in text
    trials = text.split('<section id="trials">')[1].split("</section>")[0]
    assert trials.count("<tr") == len(report.table) + 1
    score = float(report.table.iloc[0]["score"])
    assert f'data-sort="{score!r}"' in trials
    side = text.split('<section id="configurations">')[1].split("</section>")[0]
    for trial_id in report.top["trial_id"]:
        assert f"trial {trial_id}" in side
    for name in report.tunable:
        assert f"<th>{name}</th>" in side
    assert "persistence" in text and "seasonal" in text  # the test figures beside the baselines
    (tmp_path / "report.html").write_text(text, encoding="utf-8")


# --- the text classification run ------------------------------------------------------------------


@pytest.mark.search
def test_classification_pictures_and_confusion_matrix(text_run, tmp_path):
    from lstmtune.report.html import render_html
    from lstmtune.report.pictures import render_plots, write_plots
    from lstmtune.report.pictures.canvas import baseline_line
    from lstmtune.report.pictures.predictions import confusion_matrix

    report = load_report(text_run)
    assert report.kind == "classification"
    written = write_plots(report, tmp_path)
    assert {"curves", "gap", "confusion"} <= set(written) and "predictions" not in written
    for path in written.values():
        assert_png(path)
    counts, labels = confusion_matrix(report)
    assert labels == ["fresh", "rotten"]
    assert counts.tolist() == report.best["test"]["confusion_matrix"]
    # The prior's validation cross-entropy is drawn on the cross-entropy curves: the same units.
    what, value = baseline_line(report)
    assert "prior" in what and value == pytest.approx(report.manifest["baselines"]["val"]["prior"]["cross_entropy"])
    # The confusion matrix needs no predictions.csv.
    run = copy_run(text_run, tmp_path / "run")
    (run / "predictions.csv").unlink(missing_ok=True)
    pictures = render_plots(hand_filled(load_report(run)))
    assert "confusion" in pictures
    text = render_html(hand_filled(load_report(run)), pictures)
    assert_self_contained(text, pictures)
    # Pictures already drawn for the page are written as they are, not drawn again.
    again = write_plots(report, tmp_path / "again", pictures={"confusion": pictures["confusion"]})
    assert list(again) == ["confusion"] and again["confusion"].read_bytes() == pictures["confusion"]
    assert 'id="picture-confusion"' in text and "<td>prior</td>" in text


# --- without a search ------------------------------------------------------------------------------


def test_a_run_without_finished_trials_renders_without_pictures(tmp_path):
    from lstmtune.report.html import render_html
    from lstmtune.report.pictures import render_plots, write_plots
    from lstmtune.run.atomic import write_json

    run = tmp_path / "run"
    write_json(
        run / "run.json",
        {
            "status": "running",
            "task": "forecast",
            "hyperparameters": {"names": ["units"], "tunable": ["units"], "space": {}},
        },
    )
    report = load_report(run)
    assert render_plots(report) == {} and write_plots(report, tmp_path / "plots") == {}
    text = render_html(report, {})
    assert_self_contained(text, {})
    assert "No trial has finished yet." in text and "No trial was flagged." in text


def test_pictures_and_html_import_neither_tensorflow_nor_pyplot():
    code = (
        "import sys, lstmtune.report.pictures, lstmtune.report.html; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'keras_tuner', 'matplotlib.pyplot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.search
def test_parallel_coordinates_place_values_on_their_axes(forecast_run):
    from lstmtune.report.pictures.parallel import axis_positions, plot_parallel

    report = load_report(forecast_run)
    # kernel_l2 is sampled on a log scale: its geometric middle lies half way up the axis.
    places, ticks = axis_positions(report, "kernel_l2", pd.Series([1e-5, 1e-4, 1e-3]))
    np.testing.assert_allclose(places, [0.0, 0.5, 1.0])
    assert [text for _, text in ticks] == ["1e-05", "0.001"]
    places, _ = axis_positions(report, "dropout", pd.Series([0.0, 0.05, 0.2]))
    np.testing.assert_allclose(places, [0.0, 0.25, 1.0])  # linear
    places, ticks = axis_positions(report, "optimizer", pd.Series(["rmsprop", "adam", "adamw", "adam"]))
    assert [text for _, text in ticks] == ["adam", "adamw", "rmsprop"] and places.tolist() == [1.0, 0.0, 0.5, 0.0]
    assert plot_parallel(report)  # three trials, three tuned hyperparameters
    few = dataclasses.replace(report, table=report.table.head(2))
    assert plot_parallel(few) is None  # fewer than three trials draw no lines worth reading
