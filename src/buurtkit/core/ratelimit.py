"""A fixed-window counter in the cache: how many times something happened lately.

Works across web processes when the cache is Redis (``REDIS_URL``); in-process otherwise.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def over_limit(bucket: str, who: str, *, limit: int, seconds: int) -> bool:
    """Count one more for ``who`` in ``bucket``; True when that makes more than ``limit`` in
    the window. ``who`` (an address, a phone number) is stored hashed."""
    digest = hashlib.sha256(f"{bucket}|{who}".encode()).hexdigest()[:32]
    key = f"rl:{bucket}:{digest}"
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count > limit
