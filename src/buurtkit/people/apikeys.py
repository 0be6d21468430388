"""The shape of an API key, shared by the service that makes keys and the selector that reads them.

A key reads ``bk_<prefix>_<secret>``; only its SHA-256 digest is stored.
"""

from __future__ import annotations

import hashlib

API_KEY_PREFIX = "bk"


def hash_api_key(raw: str) -> str:
    # Keys carry 256 bits of randomness, so a plain SHA-256 is the right hash (no stretching needed).
    return hashlib.sha256(raw.encode()).hexdigest()
