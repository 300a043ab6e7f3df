"""The run directory's layout: one place that knows where each file of a run lives (no TensorFlow).

RUN_DIR/run.json            manifest
RUN_DIR/space.yaml          the space used (with the effective search and data settings)
RUN_DIR/trials.csv|md|json  the ranked table
RUN_DIR/best.yaml           the space with the best values fixed
RUN_DIR/best_model.keras    the best model, with preprocessing.json beside it
RUN_DIR/history/            trial_<id>.json (record), trial_<id>.csv (per-epoch history) and, with
                            --executions N, executions_<id>.json (each execution's figures)
RUN_DIR/tuner/              keras-tuner's own files (tuner/search/oracle.json: its state)
RUN_DIR/workers/            a parallel search's worker logs (search --workers)
RUN_DIR/refit/              the best configuration trained on train + validation (lstmtune refit)
"""

from __future__ import annotations

from pathlib import Path


class RunDir:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    manifest = property(lambda self: self.root / "run.json")
    space = property(lambda self: self.root / "space.yaml")
    best_space = property(lambda self: self.root / "best.yaml")
    best_model = property(lambda self: self.root / "best_model.keras")
    preprocessing = property(lambda self: self.root / "preprocessing.json")
    predictions = property(lambda self: self.root / "predictions.csv")  # the best model on the test split
    # A few validation and test sequences and their reconstructions by the best model (autoencoder runs).
    reconstructions = property(lambda self: self.root / "reconstructions.csv")
    # Each test step's score along a windowed series (autoencoder runs with --window).
    step_scores = property(lambda self: self.root / "step_scores.csv")
    history = property(lambda self: self.root / "history")
    tuner = property(lambda self: self.root / "tuner")
    tensorboard = property(lambda self: self.root / "tensorboard")
    workers = property(lambda self: self.root / "workers")
    ensemble = property(lambda self: self.root / "ensemble")  # the top trials' models, with --ensemble K
    refit = property(lambda self: self.root / "refit")  # the best configuration on train + val (lstmtune refit)
    refit_model = property(lambda self: self.root / "refit" / "model.keras")
    refit_preprocessing = property(lambda self: self.root / "refit" / "preprocessing.json")
    # keras-tuner's state: the project directory, and its oracle's file (needed to resume).
    tuner_project = property(lambda self: self.tuner / "search")
    oracle_state = property(lambda self: self.tuner / "search" / "oracle.json")

    def table(self, extension: str) -> Path:
        return self.root / f"trials.{extension}"

    def trial_record(self, trial_id: str) -> Path:
        return self.history / f"trial_{trial_id}.json"

    def trial_history(self, trial_id: str) -> Path:
        return self.history / f"trial_{trial_id}.csv"

    def trial_executions(self, trial_id: str) -> Path:
        """Each finished execution's figures, with --executions N (kept when the trial is run again)."""
        return self.history / f"executions_{trial_id}.json"

    @property
    def lock(self) -> Path:
        return self.root / LOCK_NAME

    def is_empty(self) -> bool:
        """No run here: nothing, or only a lock file left by a search that ended."""
        return not self.root.exists() or (self.root.is_dir() and all(p.name == LOCK_NAME for p in self.root.iterdir()))


LOCK_NAME = ".lock"
REFIT_FILE = "refit.json"  # RUN_DIR/refit/refit.json: what was trained, and its test figures
ENSEMBLE_MEMBERS = "members.json"  # RUN_DIR/ensemble/members.json: each member's model file and preprocessing
# What a search writes at the top of its run directory (the rest of it is the user's).
RUN_FILES = (
    "run.json",
    "space.yaml",
    "best.yaml",
    "best_model.keras",
    "preprocessing.json",
    "predictions.csv",
    "reconstructions.csv",
    "step_scores.csv",
    "history",
    "tuner",
    "trials.csv",
    "trials.md",
    "trials.json",
    "tensorboard",
    "workers",
    "ensemble",
    "refit",
    LOCK_NAME,
)


def owning_run(path: Path) -> Path | None:
    """The run directory whose own file (or folder) `path` is, or None: reports and JUnit files may be
    written into a run directory, but never over what the search wrote."""
    resolved = Path(path).resolve()
    for depth, folder in enumerate(resolved.parents):
        if depth > 3:
            return None
        top = resolved.relative_to(folder).parts[0]
        if top in RUN_FILES and (folder / "run.json").is_file():
            return folder
    return None


def sort_key(trial_id: str) -> tuple[int, str]:
    """Trial ids are zero-padded to the width of max_trials, which can change on resume: sort as integers."""
    return (int(trial_id), trial_id) if str(trial_id).isdigit() else (10**9, str(trial_id))
