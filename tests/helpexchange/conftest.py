from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and the public list's cache live in the cache: each test starts empty."""
    cache.clear()
    yield
    cache.clear()
