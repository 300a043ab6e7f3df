"""Validators: one type for every rule a value obeys, in a space file, on the command line or in the API.

Calling a validator returns the cleaned value ("3.0" from a command line becomes 3) or raises ValueError
with the rule that must hold and the value given ("must be an integer >= 1, but got 0"); its `schema` is
the JSON-Schema fragment of what it accepts, so `lstmtune schema` is generated from the same rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from lstmtune.core.text import shown


class Validator:
    """A rule: `validator(value)` is the cleaned value or a ValueError saying what must hold."""

    def __init__(self, check: Callable[[Any], Any], schema: dict[str, Any]):
        self.check = check
        self.schema = schema

    def __call__(self, value: Any) -> Any:
        return self.check(value)

    def accepts(self, value: Any) -> bool:
        try:
            self.check(value)
        except (ValueError, TypeError):
            return False
        return True


ANY = Validator(lambda value: value, {})


def between(low: float, high: float) -> Validator:
    """A number in [low, high] (the type is the Spec's concern)."""

    def check(value: Any) -> Any:
        if not low <= value <= high:
            raise ValueError(f"must be in [{low:g}, {high:g}], but got {shown(value)}")
        return value

    return Validator(check, {"minimum": low, "maximum": high})


def _fraction(value: Any) -> Any:
    if not 0 <= value < 1:
        raise ValueError(f"must be in [0, 1), but got {shown(value)}")
    return value


fraction = Validator(_fraction, {"minimum": 0, "exclusiveMaximum": 1})


def member(options: tuple[Any, ...]) -> Validator:
    """One of `options`, exactly as written."""

    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(map(str, options))}, but got {shown(value)}")
        return value

    return Validator(check, {"enum": list(options)})


def integer(minimum: int, maximum: int | None = None) -> Validator:
    """An integer in range; "3" and 3.0 (from a command line or YAML) count as 3."""
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"

    def check(value: Any) -> int:
        rule = f"must be an integer {bounds}, but got {shown(value)}"
        if isinstance(value, bool):
            raise ValueError(rule)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                try:
                    value = float(value)  # "3.0" from a command line
                except ValueError:
                    raise ValueError(rule) from None
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
            raise ValueError(rule)
        return value

    return Validator(
        check, {"type": "integer", "minimum": minimum, **({"maximum": maximum} if maximum is not None else {})}
    )


def one_of(options: tuple[str, ...]) -> Validator:
    """A name among `options`, in any case (returned in lower case)."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise ValueError(f"must be one of {', '.join(options)}, but got {shown(value)}")
        return value.lower()

    return Validator(check, {"type": "string", "enum": list(options)})


def _name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value.strip().lower()):
        raise ValueError(f"must be a name (letters, digits and _), but got {shown(value)}")
    return value.strip().lower()


# A name whose meaning another layer checks (a task's reference models): letters, digits and _.
name = Validator(_name, {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"})


def optional(validator: Validator) -> Validator:
    """`validator`, or unset: None, "none", "null" or ""."""

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        return validator(value)

    return Validator(check, {"anyOf": [validator.schema, {"type": "null"}]})


def _fractions(value: Any) -> tuple[float, float, float]:
    rule = "must be three fractions train,validation,test, each > 0, summing to 1 (like 0.7,0.15,0.15)"
    parts = value.split(",") if isinstance(value, str) else value
    try:
        fractions = tuple(float(p) for p in parts)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{rule}, but got {shown(value)}") from None
    if len(fractions) != 3 or not all(math.isfinite(f) and f > 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"{rule}, but got {shown(value)}")
    return fractions[0], fractions[1], fractions[2]


split_fractions = Validator(
    _fractions,
    {
        "anyOf": [
            {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 3, "maxItems": 3},
            {"type": "string", "pattern": r"^\s*[0-9.]+\s*,\s*[0-9.]+\s*,\s*[0-9.]+\s*$"},
        ]
    },
)

DURATION = re.compile(r"^(?:(\d*\.?\d+)h)?(?:(\d*\.?\d+)m)?(?:(\d*\.?\d+)s)?$", re.ASCII)


def _seconds(value: Any) -> float:
    """Seconds from 90, "90s", "10m", "1h" or "1h30m"; more than zero."""
    rule = f"must be a duration like 90s, 10m, 1h or 1h30m (or seconds), more than zero, but got {shown(value)}"
    if isinstance(value, bool):
        raise ValueError(rule)
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            raise ValueError(rule) from None
    else:
        text = str(value).strip().lower()
        match = DURATION.match(text) if text else None
        if re.fullmatch(r"\d+(\.\d*)?|\.\d+", text, re.ASCII):
            seconds = float(text)
        elif match and any(match.groups()):
            hours, minutes, secs = (float(part) if part else 0.0 for part in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
        else:
            raise ValueError(rule)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(rule)
    return seconds


duration = Validator(
    _seconds,
    {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "string", "pattern": r"^(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"},
        ]
    },
)


def number_in(low: float, high: float) -> Validator:
    """A finite number in [low, high]; "99.5" from a command line counts as 99.5."""

    def check(value: Any) -> float:
        rule = f"must be a number in [{low:g}, {high:g}], but got {shown(value)}"
        if isinstance(value, bool):
            raise ValueError(rule)
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(rule) from None
        if not (math.isfinite(number) and low <= number <= high):
            raise ValueError(rule)
        return number

    return Validator(check, {"type": "number", "minimum": low, "maximum": high})


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        raise ValueError(f"must be a value of the column (text or a number), but got {shown(value)}")
    return str(value).strip()


# A value of a data column as text (a class such as "1", "normal" or "true"), compared with the column's
# values written the same way.
column_value = Validator(_value, {"type": ["string", "number", "boolean"]})
