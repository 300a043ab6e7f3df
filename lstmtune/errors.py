"""Errors that reach the user as one clear line (the CLI maps them to exit code 2)."""


class LstmtuneError(Exception):
    """Base class: the message names the file, column, key or flag and says what must hold."""

    exit_code = 2


class SpaceError(LstmtuneError):
    """The search-space file is malformed or invalid."""


class DataError(LstmtuneError):
    """The CSV cannot be used as asked."""


class OptionError(LstmtuneError):
    """A command-line flag has a bad value or contradicts another."""


class RunDirError(LstmtuneError):
    """The run directory cannot be created, resumed or read."""


class SearchFailed(LstmtuneError):
    """The search itself stopped (for example: too many trials failed in a row)."""

    exit_code = 1


class DiskFull(SearchFailed):
    """The run directory's disk (or quota) filled during a search; the run can be resumed once there is room."""
