"""Values quoted in one-line messages, cut to a readable length (a pasted file must not become the message)."""

from __future__ import annotations

SHOWN = 60  # characters of a value quoted in a message


def clip(text: str, limit: int = SHOWN) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}...{text[-12:]} ({len(text)} characters)"
