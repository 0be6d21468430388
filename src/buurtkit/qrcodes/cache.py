"""A small per-process cache of codes with their compiled routes: a scan needs no query.

Entries live ``QR_CACHE_SECONDS`` (default 2): a change made in one server process reaches every
other process within that time; the process that made the change drops its entry at once.
Unknown codes are cached too, so a flood of bad scans does not reach the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from buurtkit.qrcodes import codes as codes_mod
from buurtkit.qrcodes.routing import ScanContext, compile_condition, needs_audience


@dataclass(frozen=True)
class CachedRoute:
    id: int
    position: int
    name: str
    action: str
    params: dict[str, Any]
    tests: tuple[Callable[[ScanContext], bool], ...]

    def matches(self, ctx: ScanContext) -> bool:
        for test in self.tests:  # noqa: SIM110 - a plain loop is faster than all() on the scan path
            if not test(ctx):
                return False
        return True


@dataclass(frozen=True)
class CachedCode:
    id: int
    community_id: int
    community_slug: str
    default_language: str
    code: str
    slug: str
    status: str
    title: str
    contact: str
    owner_name: str
    version: int
    routes: tuple[CachedRoute, ...]
    needs_audience: bool


_entries: dict[str, tuple[float, CachedCode | None]] = {}
MAX_ENTRIES = 50_000


def _ttl() -> float:
    return float(getattr(settings, "QR_CACHE_SECONDS", 2))


def keys_for(text: str) -> list[str]:
    """Cache keys to try for a scanned or typed id, best first: the exact code (what printed
    codes carry), a vanity name, then the code read forgivingly (dashes, O for 0, I/L for 1)."""
    text = text.strip()
    if len(text) > 64:
        return []
    keys = []
    upper = text.upper()
    if codes_mod.is_code(upper):
        keys.append("C:" + upper)
    slug = text.lower()
    if codes_mod.SLUG_RE.match(slug):
        keys.append("S:" + slug)
    forgiving = codes_mod.normalise(text)
    if codes_mod.is_code(forgiving) and forgiving != upper:
        keys.append("C:" + forgiving)
    return keys


def compile_code(code: Any, routes: list[Any]) -> CachedCode:
    owner = code.owner
    contact = code.contact or (owner and (owner.phone or owner.email)) or ""
    compiled = tuple(
        CachedRoute(
            id=r.pk,
            position=r.position,
            name=r.name,
            action=r.action,
            params=r.params,
            tests=tuple(compile_condition(c) for c in r.conditions),
        )
        for r in sorted(routes, key=lambda r: r.position)
    )
    return CachedCode(
        id=code.pk,
        community_id=code.community_id,
        community_slug=code.community.slug,
        default_language=code.community.default_language,
        code=code.code,
        slug=code.slug or "",
        status=code.status,
        title=code.title,
        contact=str(contact),
        owner_name=owner.name if owner else "",
        version=code.version,
        routes=compiled,
        needs_audience=any(needs_audience(r.conditions) for r in routes),
    )


def _load(key: str) -> CachedCode | None:
    from buurtkit.qrcodes.models import Code

    kind, value = key[0], key[2:]
    qs = Code.objects.select_related("community", "owner").prefetch_related("routes")
    code = qs.filter(code=value).first() if kind == "C" else qs.filter(slug=value).first()
    if code is None:
        return None
    return compile_code(code, list(code.routes.all()))


def _cached(key: str, now: float) -> CachedCode | None:
    hit = _entries.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = _load(key)
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (now + _ttl(), value)
    return value


def get(text: str) -> CachedCode | None:
    now = time.monotonic()
    for key in keys_for(text):
        value = _cached(key, now)
        if value is not None:
            return value
    return None


def forget(*texts: str) -> None:
    for text in texts:
        if text:
            for key in keys_for(text):
                _entries.pop(key, None)


def clear() -> None:
    _entries.clear()
