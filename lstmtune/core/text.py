"""Values in one-line messages and table cells, formatted one way everywhere.

A value quoted in a message is cut to a readable length: a pasted file must not become the message.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

SHOWN = 60  # characters of a value quoted in a message


def clip(text: str, limit: int = SHOWN) -> str:
    """`text` cut to about `limit` characters, keeping its start and end and saying how long it was."""
    return text if len(text) <= limit else f"{text[: limit - 20]}...{text[-12:]} ({len(text)} characters)"


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    if not isinstance(value, (str, bytes)) and hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):  # an array of several values
            return value
    return value


def shown(value: Any) -> str:
    """A given value for a message: its repr (numpy scalars as plain values), clipped."""
    return clip(repr(plain(value)))


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, text, NaN, inf)."""
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def cell(value: Any) -> str:
    """A table cell: numbers to 4 significant digits, missing or non-finite values as '-'."""
    if value is None or type(value).__name__ == "NAType":  # pandas.NA, without importing pandas
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.2e}"
    return str(value)


def plural(count: int, word: str) -> str:
    """'1 trial', '2 trials'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def listed(items: Iterable[Any], limit: int = 8) -> str:
    """'a, b, c' with at most `limit` items, then 'and N more'."""
    items = [str(item) for item in items]
    shown_items = ", ".join(items[:limit])
    return shown_items + (f" and {len(items) - limit} more" if len(items) > limit else "")


def either(items: Iterable[Any]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(item) for item in items]
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def suggestion(word: Any, known: Iterable[Any]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
