"""Public code ids: random, unguessable, easy to read aloud and to type.

Crockford's base-32 alphabet (no I, L, O, U), upper case, so that the scan URL fits QR's compact
alphanumeric mode (``HTTPS://HOST/Q/7KM3QX9TD``) and a code read from a sticker over the phone
cannot be confused. Nine symbols carry 45 random bits.
"""

from __future__ import annotations

import base64
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 9
BITS = LENGTH * 5

_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})
CODE_RE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,58}[a-z0-9])$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


# RFC 4648 base 32 → our alphabet: each character carries 5 random bits either way.
_FROM_B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def new_codes(count: int) -> list[str]:
    """``count`` new random ids at once (a batch): the same 45 random bits each, made in bulk."""
    size = -(-count * BITS // 8)
    size += -size % 5  # whole 5-byte groups: base 32 without padding
    text = base64.b32encode(secrets.token_bytes(size)).translate(_FROM_B32).decode()
    return [text[i * LENGTH : (i + 1) * LENGTH] for i in range(count)]


def normalise(text: str) -> str:
    """What someone typed or scanned → the stored form (case, dashes, look-alike letters)."""
    cleaned = text.strip().replace("-", "").replace(" ", "").upper()
    if len(cleaned) == LENGTH:
        cleaned = cleaned.translate(_CONFUSABLE)
    return cleaned


def is_code(text: str) -> bool:
    return bool(CODE_RE.match(text))


def readable(code: str) -> str:
    """``7KM3QX9TD`` → ``7KM-3QX-9TD`` for labels and for reading aloud."""
    return "-".join(code[i : i + 3] for i in range(0, len(code), 3))
