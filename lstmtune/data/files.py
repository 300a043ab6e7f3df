"""Input files checked before anything parses them: present, a regular file, not absurdly large.

`/dev/zero` or a named pipe given as the CSV would otherwise be read forever, and a file larger than
memory would end in the kernel's out-of-memory killer rather than a message.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from lstmtune.core.machine import memory_limit
from lstmtune.errors import LstmtuneError

SPACE_FILE_LIMIT = 1 << 20  # a search space is a few hundred bytes; a megabyte is a wrong file
UNLIMITED = 1 << 62  # for files read as a stream


def regular_file(path: Path, noun: str, error: type[LstmtuneError], max_bytes: int | None = None) -> Path:
    """`path` if it is a regular file of at most `max_bytes`; otherwise `error` naming it.

    `noun` says what the file should be: "CSV file", "space file"...
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        broken = os.path.islink(path)
        raise error(f"{path}: {noun} not found" + (" (a symbolic link to a missing file)" if broken else "")) from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a directory, but a {noun} is needed")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: is not a regular file (a device, pipe or socket), but a {noun} is needed")
    if not os.access(path, os.R_OK):
        raise error(f"{path}: permission denied")
    limit = memory_limit() if max_bytes is None else max_bytes
    if info.st_size > limit:
        raise error(f"{path}: the {noun} holds {_size(info.st_size)}, more than the {_size(limit)} it may hold here")
    return path


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def sha256(path: Path) -> str:
    """The SHA-256 of a file's contents, in hex (read in blocks: any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
