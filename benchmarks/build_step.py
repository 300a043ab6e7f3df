"""Benchmark: keras-tuner's step before each trial (`clear_session` + `gc.collect` + building the model)
with and without lstmtune hiding the long-lived objects from the garbage collector (gc.freeze after
TensorFlow's import, `lstmtune.tuning.release.freeze_long_lived_objects`).

Prints figures; asserts nothing (timings on shared machines are noisy). Each mode runs in a fresh process:
`--searches` consecutive searches of `--trials` trials each on the shipped airline series (a tiny space:
1 epoch, 4 units), as a notebook or the Python API would run them one after the other. For each search:
the mean time of the build step per trial, and the search's wall time.

    python benchmarks/build_step.py [--searches 3] [--trials 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACE = """\
hyperparameters:
  lookback: 4
  units: {int: [2, 4], step: 2}
  dropout: {float: [0.0, 0.2]}
  learning_rate: 0.01
  batch_size: 32
search: {epochs: 1, patience: 1}
"""

CHILD = """
import gc, json, sys, time
from pathlib import Path
import lstmtune.tuning.release as release
if {frozen} is False:
    release._frozen = True  # as if frozen already: nothing is frozen in this process
import keras_tuner.src.engine.tuner as tuner_module
from lstmtune.plan import SearchRequest, plan_search
from lstmtune.tuning.events import Reporter
from lstmtune.tuning.search import run_search

builds = []
original = tuner_module.Tuner._try_build
def timed(self, hp):
    start = time.perf_counter()
    try:
        return original(self, hp)
    finally:
        builds.append(time.perf_counter() - start)
tuner_module.Tuner._try_build = timed

rows = []
for number in range({searches}):
    builds.clear()
    request = SearchRequest(
        Path({data!r}), Path({space!r}), Path({out!r}) / f"run{{number}}",
        columns={{"target": ("Passengers",), "time_col": "Date"}},
        search_flags={{"max_trials": {trials}, "reference": "off"}},
    )
    start = time.perf_counter()
    run_search(plan_search(request), Reporter())
    rows.append({{"build": sum(builds) / max(1, len(builds)), "search": time.perf_counter() - start,
                  "tracked": len(gc.get_objects())}})
print(json.dumps(rows))
"""


def run_mode(frozen: bool, searches: int, trials: int, work: Path) -> list[dict[str, float]]:
    out = work / ("frozen" if frozen else "unfrozen")
    code = CHILD.format(
        frozen=frozen,
        searches=searches,
        trials=trials,
        data=str(ROOT / "examples" / "data" / "airline.csv"),
        space=str(work / "space.yaml"),
        out=str(out),
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=3)
    parser.add_argument("--trials", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "space.yaml").write_text(SPACE)
        found = {frozen: run_mode(frozen, args.searches, args.trials, work) for frozen in (False, True)}
    print(
        "| search | build step per trial, unfrozen (s) | frozen (s) | ratio | search, unfrozen (s) | frozen (s) | ratio | objects the collector tracks, unfrozen | frozen |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for number, (plain, frozen) in enumerate(zip(found[False], found[True]), start=1):
        print(
            f"| {number} | {plain['build']:.3f} | {frozen['build']:.3f} | {frozen['build'] / plain['build']:.2f}x "
            f"| {plain['search']:.1f} | {frozen['search']:.1f} | {frozen['search'] / plain['search']:.2f}x "
            f"| {plain['tracked']:,} | {frozen['tracked']:,} |"
        )


if __name__ == "__main__":
    main()
