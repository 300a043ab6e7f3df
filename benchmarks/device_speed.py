"""What --mixed-precision and --gpu-fast buy on this machine, and trials per hour of the default searches:
real `lstmtune search` runs on the shipped examples (airline, reviews: rotten_tomatoes, gunpoint).

    python benchmarks/device_speed.py epochs   [--examples airline ...] [--epochs 20] [--reps 2]
    python benchmarks/device_speed.py searches [--examples airline ...] [--budget 10m]
    python benchmarks/device_speed.py seeds    [--examples airline ...] [--seeds 1 2 3 4 5] [--modes float32 gpu-fast]

epochs    one fixed configuration per example (2 LSTM layers of 64 units, dropout 0.1, recurrent_dropout
          0.2, the shipped space's batch size) trained for --epochs epochs (patience as long, no pruning,
          no reference model), in four modes: float32 (the anchor), mixed (--mixed-precision), gpu-fast
          (recurrent_dropout 0, which a GPU's cuDNN kernel needs) and both; interleaved repetitions. It
          prints the median seconds per epoch (the trial's seconds over its epochs: scoring included) and
          each mode's ratio to float32.
searches  the default search of each example (its shipped space, seed 42) for --budget of wall time,
          plain and with --gpu-fast --mixed-precision: trials completed per hour, epochs trained per hour,
          and the best validation score (different configurations are drawn in the two modes: gpu-fast
          narrows the space).
seeds     the default search of each example at its shipped trial budget, once per seed and mode (default:
          float32 against gpu-fast): wall seconds, epochs trained, the best trial's validation score and its
          test figure (RMSE, or accuracy for classification); per mode the medians over seeds, and the
          median over seeds of each mode's ratio to float32's wall time. What a flag saves at the same
          number of trials, and what it costs in quality.

Every run records where it trained (run.json `device`), printed first. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_cost import EXAMPLES  # noqa: E402  (the shipped examples' flags)

SHIPPED = ("airline", "reviews", "gunpoint")  # reviews: rotten_tomatoes
MODES = {
    "float32": [],
    "mixed": ["--mixed-precision"],
    "gpu-fast": ["--gpu-fast"],
    "gpu-fast+mixed": ["--gpu-fast", "--mixed-precision"],
}
BATCH = {"airline": 32, "reviews": 64, "gunpoint": 16}


def flags(example: str, space: Path | None = None) -> list[str]:
    """The example's search flags, with `space` in place of its shipped space."""
    args = list(EXAMPLES[example])
    if space is not None:
        args[args.index("--space") + 1] = str(space)
    return args


def search(example: str, args: list[str], out: Path) -> dict:
    command = [sys.executable, "-m", "lstmtune", "search", *args, "--out", str(out), "--quiet", "--overwrite"]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    manifest = json.loads((out / "run.json").read_text())
    rows = json.loads((out / "trials.json").read_text())
    return {"manifest": manifest, "rows": rows, "wall": wall}


def trained(result: dict) -> tuple[int, float]:
    """Epochs trained over all trials, and the best completed trial's validation score (NaN: none)."""
    rows = result["rows"]
    scores = [r["score"] for r in rows if r["status"] == "completed" and r["score"] is not None]
    direction = result["manifest"]["search"]["objective"]["direction"]
    best = (min if direction == "min" else max)(scores) if scores else float("nan")
    return sum(r.get("epochs_run") or 0 for r in rows), best


def device(manifest: dict) -> str:
    found = manifest.get("device") or {}
    return ", ".join(found.get("gpus") or []) or f"CPU ({found.get('cpu_cores')} cores)"


def fixed_space(example: str, mode: str, epochs: int, folder: Path) -> Path:
    recurrent = 0.0 if mode.startswith("gpu-fast") else 0.2
    path = folder / f"{example}_{mode}.yaml"
    path.write_text(
        "hyperparameters:\n  units: 64\n  layers: 2\n  dropout: 0.1\n"
        f"  recurrent_dropout: {recurrent}\n  batch_size: {BATCH[example]}\n"
        f"search: {{max_trials: 1, epochs: {epochs}, patience: {epochs}, prune: 'off', reference: 'off'}}\n"
    )
    return path


def epochs_part(examples: list[str], epochs: int, reps: int, folder: Path) -> None:
    seconds: dict[tuple[str, str], list[float]] = {}
    where = ""
    for rep in range(reps):
        for example in examples:
            for mode, extra in MODES.items():
                space = fixed_space(example, mode, epochs, folder)
                result = search(example, [*flags(example, space), *extra], folder / f"{example}_{mode}_{rep}")
                row = result["rows"][0]
                seconds.setdefault((example, mode), []).append(row["seconds"] / max(row["epochs_run"], 1))
                where = device(result["manifest"])
    print(f"device: {where}; {epochs} epochs, {reps} repetitions, median seconds per epoch (ratio to float32)")
    print(f"{'example':<16}" + "".join(f"{mode:>20}" for mode in MODES))
    for example in examples:
        anchor = median(seconds[(example, "float32")])
        cells = [
            f"{median(seconds[(example, m)]):8.3f} ({median(seconds[(example, m)]) / anchor:4.2f}x)" for m in MODES
        ]
        print(f"{example:<16}" + "".join(f"{cell:>20}" for cell in cells))


def searches_part(examples: list[str], budget: str, folder: Path) -> None:
    print(f"default searches, seed 42, --time-budget {budget} each")
    print(f"{'example':<16}{'mode':<18}{'trials/h':>10}{'epochs/h':>10}{'best val':>12}  device")
    for example in examples:
        for mode in ("float32", "gpu-fast+mixed"):
            args = [*flags(example), "--time-budget", budget, "--max-trials", "1000", "--reference", "off"]
            result = search(example, [*args, *MODES[mode]], folder / f"{example}_{mode}_search")
            hours = result["wall"] / 3600
            done = [r for r in result["rows"] if r["status"] in ("completed", "pruned")]
            epochs, best = trained(result)
            print(
                f"{example:<16}{mode:<18}{len(done) / hours:>10.0f}{epochs / hours:>10.0f}{best:>12.4f}  "
                f"{device(result['manifest'])}"
            )


def seeds_part(examples: list[str], seeds: list[int], modes: list[str], folder: Path) -> None:
    print(f"default searches at their trial budget, seeds {seeds}")
    print(f"{'example':<16}{'mode':<18}{'seed':>5}{'wall s':>9}{'epochs':>8}{'best val':>11}{'test':>10}")
    for example in examples:
        found: dict[str, list[dict]] = {}
        for seed in seeds:
            for mode in modes:
                args = [*flags(example), "--seed", str(seed), "--reference", "off", *MODES[mode]]
                result = search(example, args, folder / f"{example}_{mode}_seed{seed}")
                best = result["manifest"].get("best") or {}
                test = best.get("test") or {}
                epochs, val = trained(result)
                figure = test.get("accuracy", test.get("rmse", float("nan")))
                row = {"wall": result["wall"], "epochs": epochs, "val": val, "test": figure}
                found.setdefault(mode, []).append(row)
                print(
                    f"{example:<16}{mode:<18}{seed:>5}{row['wall']:>9.0f}{row['epochs']:>8}"
                    f"{row['val']:>11.4f}{row['test']:>10.4f}",
                    flush=True,
                )
        for mode, rows in found.items():
            ratios = [r["wall"] / base["wall"] for r, base in zip(rows, found[modes[0]])]
            print(
                f"{example:<16}{mode:<18}{'median':>5}{median(r['wall'] for r in rows):>9.0f}"
                f"{median(r['epochs'] for r in rows):>8.0f}{median(r['val'] for r in rows):>11.4f}"
                f"{median(r['test'] for r in rows):>10.4f}  wall {median(ratios):.2f}x {modes[0]}'s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("epochs", "searches", "seeds"))
    parser.add_argument("--examples", nargs="+", default=list(SHIPPED), choices=SHIPPED)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--budget", default="10m")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--modes", nargs="+", default=["float32", "gpu-fast"], choices=list(MODES))
    parser.add_argument("--keep", type=Path, help="write the runs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        if args.part == "epochs":
            epochs_part(args.examples, args.epochs, args.reps, folder)
        elif args.part == "searches":
            searches_part(args.examples, args.budget, folder)
        else:
            seeds_part(args.examples, args.seeds, args.modes, folder)


if __name__ == "__main__":
    main()
