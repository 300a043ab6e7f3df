"""What a search tells about its progress: the interface the search, its workers and the tuner call.

The base does nothing (quiet runs); lstmtune.progress draws it on a terminal or writes lines.
"""

from __future__ import annotations

import sys
from typing import Any


class Reporter:
    """Does nothing: the base for quiet runs and the interface for the others."""

    def search_begin(
        self,
        total: int | None,
        done: int,
        epochs: int,
        objective: str = "val_mse",
        figure: str = "val_rmse",
        worker: str | None = None,
    ) -> None: ...
    def trial_begin(self, number: int, trial_id: str) -> None: ...
    def epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...
    def trial_end(self, number: int, record: dict[str, Any], best: float | None) -> None: ...
    def search_end(self) -> None: ...
    def reference(self, line: str) -> None:
        """The reference model was fitted: one line saying which, and its validation figures."""

    def warn(self, text: str) -> None:
        """Something a person must hear even with -q (a worker died)."""
        print(text, file=sys.stderr, flush=True)
