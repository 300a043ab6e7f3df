"""Leases of joined workers: the heartbeat a worker writes and the chief's reading of it (real files, a
real heartbeat thread; the chief's clock given explicitly). A worker killed mid-trial with real processes:
test_worker_failures.py."""

from __future__ import annotations

import time

from lstmtune.run.layout import RunDir
from lstmtune.tuning.parallel.lease import Leases, beat_file, start_heartbeat


def test_a_heartbeat_keeps_its_lease_and_a_silent_worker_loses_it(tmp_path):
    run_dir = RunDir(tmp_path / "run")
    heartbeat = start_heartbeat(run_dir, "alive", lease=0.4)  # rewrites its file every 0.1 s
    beat_file(run_dir, "silent").write_text("4711 3\n")  # written once, then nothing: a dead worker's file
    leases = Leases(run_dir, lease=0.4)
    start = time.monotonic()
    running = {"alive", "silent", "never"}
    assert leases.expired(running, now=start) == []  # the silence counts from now
    lapsed: list[str] = []
    while time.monotonic() - start < 1.0:
        lapsed += leases.expired(running)
        running -= set(lapsed)  # as the chief does: their trials end as failed
        time.sleep(0.05)
    # The living worker renewed its lease all along; the silent one and one that never wrote lost it.
    assert sorted(lapsed) == ["never", "silent"], lapsed
    assert heartbeat.beats >= 5 and heartbeat.is_alive()


def test_a_lease_counts_only_while_the_worker_holds_a_trial(tmp_path):
    run_dir = RunDir(tmp_path / "run")
    beat_file(run_dir, "w").parent.mkdir(parents=True)
    beat_file(run_dir, "w").write_text("1 1\n")
    leases = Leases(run_dir, lease=10.0)
    assert leases.expired({"w"}, now=0.0) == []
    assert leases.expired(set(), now=5.0) == []  # between trials: forgotten
    assert leases.expired({"w"}, now=12.0) == []  # a new trial: counted afresh from here
    assert leases.expired({"w"}, now=21.0) == []
    beat_file(run_dir, "w").write_text("1 2\n")  # renewed
    assert leases.expired({"w"}, now=30.0) == []
    assert leases.expired({"w"}, now=40.5) == ["w"]
