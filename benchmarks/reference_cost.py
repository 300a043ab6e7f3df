"""What the reference model costs against the search it is part of, on the shipped examples.

Each example runs one real `lstmtune search` with the default space and budget (plus --ensemble K when
asked), and the ratio printed is run.json's `times.reference_seconds` over `times.seconds`, both measured
in that same process. It also prints the best model's, the ensemble's and the reference's test figure on
the figure they are compared on.

    python benchmarks/reference_cost.py                       # all four examples (about an hour on 2 cores)
    python benchmarks/reference_cost.py --examples airline --ensemble 5
    python benchmarks/reference_cost.py --runs runs/airline runs/gunpoint   # read finished runs instead
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
SPACES = ROOT / "lstmtune" / "spaces"
EXAMPLES = {
    "airline": [
        str(DATA / "airline.csv"),
        "--target",
        "Passengers",
        "--time-col",
        "Date",
        "--season",
        "12",
        "--space",
        str(SPACES / "forecast.yaml"),
    ],
    "gunpoint": [
        str(DATA / "gunpoint.csv"),
        "--task",
        "sequence",
        "--wide",
        "--target",
        "label",
        "--split-col",
        "split",
        "--space",
        str(SPACES / "sequence.yaml"),
    ],
    "vowels": [
        str(DATA / "japanese_vowels_long.csv"),
        "--task",
        "sequence",
        "--id-col",
        "case_id",
        "--order-col",
        "t",
        "--target",
        "label",
        "--split-col",
        "split",
        "--space",
        str(SPACES / "sequence.yaml"),
    ],
    "reviews": [
        str(DATA / "rotten_tomatoes.csv"),
        "--task",
        "text",
        "--text-col",
        "text",
        "--target",
        "category",
        "--space",
        str(SPACES / "text.yaml"),
    ],
}


def search(name: str, out: Path, ensemble: int) -> Path:
    command = [sys.executable, "-m", "lstmtune", "search", *EXAMPLES[name], "--out", str(out / name), "--quiet"]
    if ensemble:
        command += ["--ensemble", str(ensemble)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out / name


def summary(run: Path) -> str:
    manifest = json.loads((run / "run.json").read_text())
    times, best = manifest["times"], manifest.get("best") or {}
    reference = manifest["baselines"].get("reference") or {}
    objective = manifest["search"]["objective"]["name"].removeprefix("val_")
    figure = objective if objective in ("accuracy", "macro_f1", "cross_entropy") else "rmse"
    ensemble = (best.get("ensemble") or {}).get("test", {}).get(figure)
    share = times.get("reference_seconds", 0.0) / times["seconds"]
    return (
        f"{run.name:10s} reference {times.get('reference_seconds', 0.0):6.1f} s of {times['seconds']:7.1f} s "
        f"({share:.1%}); test {figure}: best {best.get('test', {}).get(figure, float('nan')):.4g}, "
        f"ensemble {ensemble if ensemble is None else f'{ensemble:.4g}'}, reference "
        f"{reference.get('test', {}).get(figure, float('nan')):.4g} ({reference.get('name')})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", nargs="*", default=list(EXAMPLES), choices=list(EXAMPLES))
    parser.add_argument("--ensemble", type=int, default=0)
    parser.add_argument("--runs", nargs="*", type=Path, help="finished run directories to read instead")
    args = parser.parse_args()
    if args.runs:
        runs = args.runs
    else:
        out = Path(tempfile.mkdtemp(prefix="reference_cost."))
        runs = [search(name, out, args.ensemble) for name in args.examples]
    for run in runs:
        print(summary(run))


if __name__ == "__main__":
    main()
