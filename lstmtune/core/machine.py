"""What this machine offers a search: the memory a trial may plan on."""

from __future__ import annotations

import os

# A trial may plan on at most this share of the machine's memory (the data and TensorFlow need the rest).
SHARE_OF_MEMORY = 0.5


def memory_limit() -> int:
    """Bytes a trial may plan on: a share of this machine's physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        total = 8 * 2**30
    return int(total * SHARE_OF_MEMORY)
