"""What pruning saves and what it costs: real `lstmtune search` runs on the shipped examples with the
default space, once per pruning rule (off, median, halving) and seed, at the same trial budget.

    python benchmarks/pruning.py --examples airline --seeds 1 2 3 4 5 --trials 30
    python benchmarks/pruning.py --read DIR     # summarise runs this script wrote earlier into DIR
    python benchmarks/pruning.py --replay DIR   # the rules replayed on the unpruned runs in DIR

Compute is counted in epochs trained (the sum of every trial's `epochs_run`, read from its per-epoch
history), which is what pruning cuts; wall seconds are printed beside it. Quality is the best completed
trial's validation objective (what the search ranks on). Per example and rule it prints, over seeds, the
median ratio of epochs trained to the unpruned run's of the same seed and the median relative
difference of the best validation objective (positive: worse than unpruned). Asserts nothing.

--replay feeds each unpruned run's trials, in the order they ran, through the rules (lstmtune's own
Pruner, its peers the trials replayed before): the epochs a pruned search would have trained and its
best score, without running it. What a replay cannot show is how the Bayesian oracle would have
proposed other configurations after learning from pruned trials; the real pruned runs show that.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_cost import EXAMPLES  # noqa: E402  (the shipped examples' flags)

RULES = ("off", "median", "halving")


def run(example: str, seed: int, rule: str, trials: int, out: Path) -> Path:
    target = out / example / f"seed{seed}" / rule
    if (target / "run.json").is_file() and json.loads((target / "run.json").read_text()).get("status") == "completed":
        return target  # already done: the script can be re-run after an interruption
    command = [sys.executable, "-m", "lstmtune", "search", *EXAMPLES[example], "--out", str(target), "--quiet"]
    command += ["--max-trials", str(trials), "--seed", str(seed), "--prune", rule, "--reference", "off"]
    command += ["--overwrite"] if target.exists() else []
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return target


def finished(target: Path) -> bool:
    """A run this script may summarise: completed (a run still going, or cut off, is left out)."""
    manifest = target / "run.json"
    return manifest.is_file() and json.loads(manifest.read_text()).get("status") == "completed"


def figures(target: Path) -> dict[str, float]:
    manifest = json.loads((target / "run.json").read_text())
    objective = manifest["search"]["objective"]
    rows = json.loads((target / "trials.json").read_text())
    completed = [r["score"] for r in rows if r["status"] == "completed" and r["score"] is not None]
    best = min(completed) if objective["direction"] == "min" else max(completed)
    return {
        "epochs": float(sum(r.get("epochs_run") or 0 for r in rows)),
        "best": float(best),
        "seconds": float(manifest["times"]["seconds"]),
        "pruned": float(sum(r["status"] == "pruned" for r in rows)),
        "maximised": float(objective["direction"] == "max"),
    }


def compared(rule: str, rows: list[tuple[str, dict, dict, float, str]], label: str = "") -> None:
    """Print each seed's pruned figures against its unpruned run's, then the medians over seeds. `rows`:
    (seed, unpruned figures, pruned figures, the unpruned epochs, words to add to the seed's line)."""
    ratios, changes = [], []
    for seed, base, pruned, full, extra in rows:
        ratios.append(pruned["epochs"] / full)
        sign = -1 if base["maximised"] else 1
        changes.append(sign * (pruned["best"] - base["best"]) / abs(base["best"]))
        print(
            f"  {seed:7s} {rule:8s} epochs {pruned['epochs']:5.0f} vs {full:5.0f} ({ratios[-1]:.2f}x), "
            f"{pruned['pruned']:.0f} pruned; best val {pruned['best']:.4g} vs {base['best']:.4g}{extra}"
        )
    if ratios:
        print(
            f"  {rule}{label}: median epochs ratio {median(ratios):.2f} (compute saved {1 - median(ratios):.0%}), "
            f"median best-val change {median(changes):+.1%} (positive = worse) over {len(ratios)} seeds"
        )


def summarise(out: Path) -> None:
    for example_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        seeds = sorted(p for p in example_dir.iterdir() if finished(p / "off"))
        print(f"\n{example_dir.name}: {len(seeds)} seeds")
        for rule in RULES[1:]:
            rows = []
            for seed in (s for s in seeds if finished(s / rule)):
                base, pruned = figures(seed / "off"), figures(seed / rule)
                extra = f"; seconds {pruned['seconds']:.0f} vs {base['seconds']:.0f}"
                rows.append((seed.name, base, pruned, base["epochs"], extra))
            compared(rule, rows)


def replayed(target: Path, rule: str, warmup_trials: int = 5, warmup_epochs: int = 5) -> dict[str, float]:
    """An unpruned run's trials replayed through `rule`: epochs trained, best completed score, pruned count."""
    import numpy as np
    import pandas as pd

    from lstmtune.core.objective import Objective
    from lstmtune.run.layout import RunDir
    from lstmtune.tuning.pruning import Pruner, PruneRule

    manifest = json.loads((target / "run.json").read_text())
    objective = Objective(**{k: manifest["search"]["objective"][k] for k in ("name", "direction", "label")})
    rows = json.loads((target / "trials.json").read_text())
    order = sorted((r for r in rows if r["status"] == "completed"), key=lambda r: int(r["trial_id"]))
    with tempfile.TemporaryDirectory() as empty:
        pruner = Pruner(RunDir(Path(empty)), objective, PruneRule(rule, warmup_trials, warmup_epochs))
        epochs, full, kept, pruned = 0, 0, [], 0
        for row in order:
            curve = pd.read_csv(target / "history" / f"trial_{row['trial_id']}.csv")[objective.name].to_numpy(float)
            stop = next((e for e in range(1, len(curve) + 1) if pruner.verdict(row["trial_id"], list(curve[:e]))), 0)
            seen = curve[:stop] if stop else curve
            status = "pruned" if stop else "completed"
            pruner._finished[row["trial_id"]] = (status, pruner.best_so_far(seen))
            epochs += len(seen)
            full += len(curve)
            pruned += bool(stop)
            if not stop:
                kept.append(float(np.nanmin(curve) if not objective.maximised else np.nanmax(curve)))
    best = min(kept) if not objective.maximised else max(kept)
    return {
        "epochs": float(epochs),
        "full": float(full),
        "best": best,
        "pruned": float(pruned),
        "maximised": float(objective.maximised),
    }


def replay(out: Path, warmup_trials: int = 5, warmup_epochs: int = 5) -> None:
    for example_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        seeds = sorted(p for p in example_dir.iterdir() if finished(p / "off"))
        print(
            f"\n{example_dir.name}: {len(seeds)} unpruned runs replayed "
            f"(warm-up {warmup_trials} trials, {warmup_epochs} epochs)"
        )
        for rule in RULES[1:]:
            rows = []
            for seed in seeds:
                base, pruned = figures(seed / "off"), replayed(seed / "off", rule, warmup_trials, warmup_epochs)
                rows.append((seed.name, base, pruned, pruned["full"], ""))
            compared(rule, rows, " (replayed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", nargs="*", default=["airline", "reviews"], choices=list(EXAMPLES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--rules", nargs="*", default=list(RULES), choices=list(RULES))
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--out", type=Path, help="where the runs go (default: a new temporary folder)")
    parser.add_argument("--read", type=Path, help="only summarise the runs in this folder")
    parser.add_argument("--replay", type=Path, help="replay the rules on the unpruned runs in this folder")
    parser.add_argument("--warmup-trials", type=int, default=5, help="with --replay: the rules' warm-up in trials")
    parser.add_argument("--warmup-epochs", type=int, default=5, help="with --replay: the rules' warm-up in epochs")
    args = parser.parse_args()
    if args.read:
        summarise(args.read)
        return
    if args.replay:
        replay(args.replay, args.warmup_trials, args.warmup_epochs)
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="pruning."))
    print(f"runs in {out}", flush=True)
    for example in args.examples:
        for seed in args.seeds:
            for rule in args.rules:
                run(example, seed, rule, args.trials, out)
                print(f"done {example} seed {seed} {rule}", flush=True)
    summarise(out)


if __name__ == "__main__":
    main()
