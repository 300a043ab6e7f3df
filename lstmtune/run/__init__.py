"""The run directory: its layout, the lock, atomic writes, the manifest (run.json), trial records and
the ranked table. JSON and pandas only: report, gate and check read runs through this package."""
