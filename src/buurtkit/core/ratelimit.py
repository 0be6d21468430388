"""A fixed-window counter in the cache: how many times something happened lately.

Works across web processes when the cache is Redis (``REDIS_URL``); in-process otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache


class Limit(NamedTuple):
    """One counter to count and check: at most ``limit`` for ``who`` in ``bucket`` per
    ``seconds``."""

    bucket: str
    who: str
    limit: int
    seconds: int


def _key(bucket: str, who: str) -> str:
    digest = hashlib.sha256(f"{bucket}|{who}".encode()).hexdigest()[:32]
    return f"rl:{bucket}:{digest}"


def over_limit(bucket: str, who: str, *, limit: int, seconds: int) -> bool:
    """Count one more for ``who`` in ``bucket``; True when that makes more than ``limit`` in
    the window. ``who`` (an address, a phone number) is stored hashed."""
    return over_limits([Limit(bucket, who, limit, seconds)])[0]


def over_limits(limits: Sequence[Limit]) -> list[bool]:
    """Count one more on each counter and say, per counter, whether it is over its limit.

    On Redis all counters go in one round trip (a pipeline of ``SET key 0 EX seconds NX`` and
    ``INCR key`` per counter, the same window as ``cache.add`` then ``cache.incr``), which a
    sign-up rush that checks an address and a phone number feels; elsewhere one by one.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [backend.make_and_validate_key(_key(lim.bucket, lim.who)) for lim in limits]
        client = backend._cache.get_client(keys[0], write=True)
        pipe = client.pipeline(transaction=False)
        for key, lim in zip(keys, limits, strict=True):
            pipe.set(key, 0, ex=lim.seconds, nx=True)
            pipe.incr(key)
        answers = pipe.execute()
        counts = answers[1::2]
        return [int(n) > lim.limit for n, lim in zip(counts, limits, strict=True)]
    result = []
    for lim in limits:
        key = _key(lim.bucket, lim.who)
        cache.add(key, 0, timeout=lim.seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=lim.seconds)
            count = 1
        result.append(count > lim.limit)
    return result
