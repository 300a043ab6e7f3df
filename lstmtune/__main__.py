"""`python -m lstmtune`: the same command line as `lstmtune`."""

from lstmtune.cli import app

app(prog_name="lstmtune")
