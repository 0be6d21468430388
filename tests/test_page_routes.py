"""Every page's URL name and path stay as they are: users bookmark them, tests and other
systems reverse them, and printed QR codes carry ``/q/<code>`` and ``/Q/<CODE>`` for ever.

``page_routes.txt`` is the list of (name, path) pairs of the ``web`` namespace, written down
when the modules' pages moved out of ``web`` into their own apps. A new page adds its line;
a changed or removed line is a broken link somewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

ROUTES = Path(__file__).with_name("page_routes.txt")
SAMPLE = {"int": "7", "str": "x1", "slug": "rabot", "path": "x1"}


def _walk(patterns: list, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(
                p.url_patterns,
                prefix + str(p.pattern),
                ns + (f"{p.namespace}:" if p.namespace else ""),
            )
        elif isinstance(p, URLPattern) and ns == "web:":
            yield f"{ns}{p.name}", prefix + str(p.pattern)


def _pages() -> list[tuple[str, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_page_names_and_paths_are_unchanged() -> None:
    expected = [tuple(line.split("\t")) for line in ROUTES.read_text().splitlines() if line]
    assert sorted(_pages()) == sorted(expected)


def test_every_page_path_resolves_to_its_own_name() -> None:
    """No route hides another one (the modules' lists are joined in one namespace)."""
    for name, route in _pages():
        args = [
            SAMPLE.get(conv or "str", "x1") for conv, _ in re.findall(r"<(?:(\w+):)?(\w+)>", route)
        ]
        path = reverse(name, args=args)
        assert resolve(path).view_name == name, (name, path)
