"""The best LSTM against the reference model: the figure they are compared on, and who wins where.

The figure is the search's own objective where the reference has it (accuracy, macro-F1, cross-entropy),
else RMSE in original units (lstmtune.tasks.reference.compared_on). Validation decides the finding (the
search chose its best trial there too); test is the verdict, measured once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lstmtune.core.text import number
from lstmtune.run.manifest import Manifest
from lstmtune.tasks.reference import compared_on

# Bounded figures are compared in points, the others in per cent.
BOUNDED = ("accuracy", "macro_f1")


@dataclass(frozen=True)
class Comparison:
    """One figure of the best LSTM and of the reference on validation and test (None: not known)."""

    name: str
    figure: str
    maximised: bool
    best: dict[str, float | None]  # {"val": ..., "test": ...}
    reference: dict[str, float | None]
    ensemble: dict[str, float | None] | None = None  # the ensemble's, with --ensemble K
    ensemble_label: str = "ensemble"  # e.g. "ensemble of 3 of the top 5"
    targets: int = 1  # several forecast targets: the figure is scale-free over them

    @property
    def label(self) -> str:
        return f"{self.figure} (scale-free over {self.targets} targets)" if self.targets > 1 else self.figure

    def beats(self, split: str, ensemble: bool = False) -> bool | None:
        """Whether the best LSTM (or the ensemble) does better than the reference on `split` (None: a
        figure is missing)."""
        mine, theirs = (self.ensemble or {}).get(split) if ensemble else self.best.get(split), self.reference.get(split)
        if mine is None or theirs is None:
            return None
        return mine > theirs if self.maximised else mine < theirs

    def difference(self, split: str, ensemble: bool = False) -> str:
        """How far apart the two are: '0.042 higher' for bounded figures, '26% lower' for the others."""
        mine, theirs = (self.ensemble or {}).get(split) if ensemble else self.best[split], self.reference[split]
        assert mine is not None and theirs is not None
        direction = "higher" if mine > theirs else "lower"
        if self.figure in BOUNDED or theirs == 0:
            return f"{abs(mine - theirs):.3g} {direction}"
        return f"{abs(mine - theirs) / abs(theirs):.0%} {direction}"

    def verdict(self) -> str | None:
        """The line reports show: who wins on test (on validation while the search has no test figure),
        and with --ensemble, whether the ensemble does."""
        split = "test" if self.beats("test") is not None else "val"
        beats = self.beats(split)
        if beats is None:
            return None
        where = "on test" if split == "test" else "on validation so far"
        line = (
            f"The best LSTM {_outcome(beats)} the reference model ({self.name}) {where}: {self.label} "
            f"{self.best[split]:.4g} against {self.reference[split]:.4g} ({self.difference(split)})."
        )
        together = self.beats(split, ensemble=True)
        if together is not None and self.ensemble is not None:
            line += (
                f" The {self.ensemble_label} {_outcome(together)} it: {self.label} "
                f"{self.ensemble[split]:.4g} ({self.difference(split, ensemble=True)})."
            )
        return line

    def to_json(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "figure": self.figure,
            "higher_is_better": self.maximised,
            "best": self.best,
            "reference": self.reference,
            "beats_on_val": self.beats("val"),
            "beats_on_test": self.beats("test"),
        }
        if self.ensemble is not None:
            out.update({"ensemble": self.ensemble, "ensemble_beats_on_test": self.beats("test", ensemble=True)})
        return out


def _outcome(beats: bool) -> str:
    return "beats" if beats else "does not beat"


def compare(manifest: Manifest, table: pd.DataFrame) -> Comparison | None:
    """The comparison, or None when the run has no reference (or its fit failed)."""
    reference = manifest.reference
    if not isinstance(reference, dict) or reference.get("failed") or "name" not in reference:
        return None
    figure, maximised = compared_on(manifest.objective)
    best = manifest.best or {}
    completed = table[table["status"] == "completed"] if len(table) else table
    row = completed.iloc[0] if len(completed) else None
    val = number((best.get("val") or {}).get(figure))
    if val is None and row is not None:
        val = number(row.get(f"val_{figure}"))
    ensemble = best.get("ensemble") if isinstance(best.get("ensemble"), dict) else None
    return Comparison(
        name=str(reference["name"]),
        figure=figure,
        maximised=maximised,
        best={"val": val, "test": number((best.get("test") or {}).get(figure))},
        reference={split: number((reference.get(split) or {}).get(figure)) for split in ("val", "test")},
        ensemble={split: number((ensemble.get(split) or {}).get(figure)) for split in ("val", "test")}
        if ensemble and "failed" not in ensemble
        else None,
        ensemble_label=ensemble_label(ensemble or {}),
        targets=len(manifest.data.get("targets") or []) if figure == "rmse" else 1,
    )


def finding(comparison: Comparison | None, advice: str) -> list[str]:
    """A finding when the reference does better than the best trial on validation, with what to try."""
    if comparison is None or comparison.beats("val") is not False:
        return []
    return [
        f"The reference model ({comparison.name}) does better than the best trial on validation "
        f"({comparison.label} {comparison.reference['val']:.4g} against {comparison.best['val']:.4g}): "
        f"{advice}."
    ]


def ensemble_label(ensemble: dict[str, Any]) -> str:
    """How the report names a run's ensemble: its members and the candidates they were chosen from."""
    members = len(ensemble.get("members") or [])
    candidates = ensemble.get("candidates")
    if not isinstance(candidates, list):  # runs made before members were selected: the top K, all of them
        return f"ensemble of the top {members}"
    if members == 1:
        return f"ensemble chosen from the top {len(candidates)} (the best model alone)"
    return f"ensemble of {members} of the top {len(candidates)}"
