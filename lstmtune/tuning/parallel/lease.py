"""Leases on joined workers' trials: a worker renews its lease by rewriting a heartbeat file in the run
directory; the chief ends the running trial of a joined worker whose heartbeat has not changed for the
lease's length as failed, instead of waiting for it forever (a worker on another machine that died, or
lost the shared file system or its network).

The chief compares the file's contents, never its time stamps, and measures the silence on its own clock:
the machines' clocks need not agree. The search's own local workers are its child processes; their
deaths are seen at once (chief.LocalWorkers).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lstmtune.run.atomic import write_text
from lstmtune.run.layout import RunDir

DEFAULT_LEASE = 60.0  # seconds without a heartbeat before a joined worker's trial is failed
BEATS_PER_LEASE = 4  # a worker rewrites its file this many times a lease: one late write is no loss


def beat_file(run_dir: RunDir, tuner_id: str) -> Path:
    return run_dir.workers / f"{tuner_id}.beat"


class Heartbeat(threading.Thread):
    """Rewrites the worker's heartbeat file every `interval` seconds, for as long as its process lives."""

    def __init__(self, run_dir: RunDir, tuner_id: str, interval: float):
        super().__init__(name=f"lstmtune-heartbeat-{tuner_id}", daemon=True)
        self.path, self.interval = beat_file(run_dir, tuner_id), interval
        self.beats = 0

    def beat(self) -> None:
        self.beats += 1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.path, f"{os.getpid()} {self.beats}\n")
        except OSError:  # a full or unreachable disk: the lease lapses, which is what the chief should see
            pass

    def run(self) -> None:
        while True:
            self.beat()
            time.sleep(self.interval)


def start_heartbeat(run_dir: RunDir, tuner_id: str, lease: float) -> Heartbeat:
    heartbeat = Heartbeat(run_dir, tuner_id, max(0.1, lease / BEATS_PER_LEASE))
    heartbeat.beat()  # written before the worker asks for a trial
    heartbeat.start()
    return heartbeat


@dataclass
class Leases:
    """The chief's view of joined workers' heartbeats: what each file last held and when that changed."""

    run_dir: RunDir
    lease: float
    seen: dict[str, tuple[str | None, float]] = field(default_factory=dict)

    def _contents(self, tuner_id: str) -> str | None:
        try:
            return beat_file(self.run_dir, tuner_id).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None

    def expired(self, running: set[str], now: float | None = None) -> list[str]:
        """The workers among `running` (ids of joined workers with a trial) whose heartbeat has not changed
        for longer than the lease; silence is counted from when the chief first saw the worker running."""
        now = time.monotonic() if now is None else now
        lapsed = []
        for tuner_id in sorted(running):
            contents = self._contents(tuner_id)
            before = self.seen.get(tuner_id)
            if before is None or before[0] != contents:
                self.seen[tuner_id] = (contents, now)
            elif now - before[1] > self.lease:
                lapsed.append(tuner_id)
                del self.seen[tuner_id]
        for tuner_id in set(self.seen) - running:  # its trial ended: a later one starts a fresh count
            del self.seen[tuner_id]
        return lapsed
