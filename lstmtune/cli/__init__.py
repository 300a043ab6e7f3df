"""The `lstmtune` command line: parse flags, call one library function, print.

TensorFlow, Keras and keras-tuner are imported only inside `search`, after every input is validated:
`--help`, `check` and `report` answer in well under a second.

This module holds the app, its one-line usage errors and global options; the commands live in
search (search), runs (report, gate, worker, predict, forecast) and spaces (init, schema, check),
with the options they share in options.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated, Any

import typer

from lstmtune.cli import predict, refit, runs, search, spaces
from lstmtune.cli.common import state
from lstmtune.version import __version__

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[assignment]

__all__ = ["app"]


class _OneLineErrors(typer.core.TyperGroup):
    """Print usage errors as one line on stderr (typer prints usage, a hint and the error)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        # numpy's RuntimeWarnings (an empty slice, an overflow in a cast) would print above the one
        # line that says what is wrong with the input; every such case is checked and named instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)

    def _main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False  # errors and exit codes are handled here
        if not standalone_mode:
            return super().main(*args, **kwargs)
        given = kwargs.get("args", args[0] if args else None)
        tokens = [str(a) for a in (given if given is not None else sys.argv[1:])]
        odd = self._odd_value(tokens)
        if odd is not None:
            sys.stderr.write(f"error: {odd}\n")
            sys.exit(2)
        try:
            code = super().main(*args, **kwargs)
        except ClickException as error:
            context = getattr(error, "ctx", None)
            if type(error).__name__ == "NoArgsIsHelpError" or context is None:
                error.show()
            else:
                value = _value_of(tokens, getattr(error, "param", None))
                shown = f", but got {value!r}" if value is not None and "but got" not in error.format_message() else ""
                sys.stderr.write(f"error: {error.format_message()}{shown} (see '{context.command_path} --help')\n")
            sys.exit(error.exit_code)
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def _odd_value(self, tokens: list[str]) -> str | None:
        """What the parser would take silently: a path option or argument given as an empty string (Path("")
        is the current directory), or a number written with '_' ("1_0" would be read as 10)."""
        name = next((t for t in tokens if not t.startswith("-")), None)
        command = self.commands.get(name or "")
        if command is None:
            return None
        options = {
            opt: param
            for param in command.params
            for opt in [*param.opts, *param.secondary_opts]
            if opt.startswith("-")
        }
        arguments = [param for param in command.params if not param.opts[0].startswith("-")]
        rest, position = tokens[tokens.index(str(name)) + 1 :], 0
        while rest:
            token = rest.pop(0)
            flag, equals, value = token.partition("=")
            if flag in options:
                param = options[flag]
                if equals or getattr(param, "is_flag", False):
                    given = value if equals else None
                else:
                    given = rest.pop(0) if rest else None
                if given is not None and not given.strip() and _takes_paths(param):
                    return f"{flag}: an empty path was given; give a file or directory name"
                if given is not None and "_" in given and _takes_numbers(param):
                    return f"{flag}: must be a number written without '_', but got {given!r}"
            elif token.startswith("-"):
                return None  # an option the command does not take: the parser says so
            else:
                param = arguments[position] if position < len(arguments) else None
                position += 1
                if param is not None and not token.strip() and _takes_paths(param):
                    name = str(param.metavar or param.name.upper())
                    return f"{name}: an empty path was given; give a file or directory name"
        return None


def _value_of(tokens: list[str], param: Any) -> str | None:
    """The value given on the command line for an option (its last occurrence), for error messages."""
    flags = [opt for opt in getattr(param, "opts", None) or [] if opt.startswith("-")]
    found = None
    for i, token in enumerate(tokens):
        flag, equals, value = token.partition("=")
        if flag in flags:
            found = value if equals else (tokens[i + 1] if i + 1 < len(tokens) else None)
    return found


def _takes_numbers(param: Any) -> bool:
    """Whether a command's parameter is an int or a float, as typer describes it."""
    descriptor = getattr(param, "type_descriptor", None)
    return descriptor is not None and descriptor.annotation in (int, float)


def _takes_paths(param: Any) -> bool:
    """Whether a command's parameter is a path (or a list of paths), as typer describes it."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return "pathlib.Path" in repr(descriptor.annotation)
    return type(getattr(param, "type", None)).__name__ == "Path"


app = typer.Typer(
    name="lstmtune",
    cls=_OneLineErrors,
    help="Find well-regularised LSTM models for your own CSV data (Keras Tuner search + honest reports).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"lstmtune {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state["debug"] = debug


# In the order `lstmtune --help` lists them.
app.command()(search.search)
app.command()(runs.gate)
app.command()(runs.report)
app.command()(spaces.check)
app.command()(runs.worker)
app.command()(spaces.init)
app.command()(spaces.schema)
app.command()(refit.refit)
app.command()(predict.predict)
app.command()(predict.forecast)
