"""Account numbers people can read out over the phone: 8 digits and a Damm check digit.

The Damm check digit catches every single-digit error and every swap of two neighbouring
digits, the two mistakes people make when they read a number aloud or type it.
Shown as ``1234 5678 9``.
"""

from __future__ import annotations

import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> int:
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim


def new_account_number() -> str:
    body = f"{secrets.randbelow(90_000_000) + 10_000_000}"
    return body + str(damm_digit(body))


def normalise_account_number(raw: str) -> str | None:
    """Digits only, if they form a valid number; None otherwise."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) != 9 or damm_digit(digits) != 0:
        return None
    return digits


def format_account_number(number: str) -> str:
    return f"{number[:4]} {number[4:8]} {number[8:]}"
