"""Text that people enter in several languages, stored as ``{"nl": …, "fr": …}``."""

from __future__ import annotations

from typing import Any


def translated(values: Any, language: str, fallback: str = "nl") -> str:
    """The text in ``language``, else in ``fallback``, else in any language there is."""
    if isinstance(values, str):
        return values
    if not isinstance(values, dict) or not values:
        return ""
    return str(
        values.get(language) or values.get(fallback) or next(iter(values.values()), "") or ""
    )
