"""Idempotency keys: a retried or double-clicked request does its work once.

Every write that moves money or sends a message takes a key from the caller (an API
client, a form's hidden field, a task). The first request with a key does the work and
stores the key with the row it made (a unique ``(community, idempotency_key)`` constraint
on that model); a retry with the same key and the same request gets that row back
(``replayed`` is set, so the API can answer 200 instead of 201); the same key with a
*different* request is refused with ``idempotency_conflict``. Two requests racing with
one key are settled by the unique constraint: the loser reads the winner's row.

    key = clean_key(idempotency_key, message=_("Every transfer needs …"))
    fp = fingerprint({"debit": 1, "credit": 2, "amount": 500})
    transfer = run_once(
        queryset=Transfer.objects.in_community(community),
        key=key,
        same=same_fingerprint(fp),
        create=lambda: _transfer(...),
        conflict=_("This idempotency key was already used for a different transfer."),
    )
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from buurtkit.core.errors import Conflict, ValidationFailed

KEY_MAX_LENGTH = 100

M = TypeVar("M", bound=models.Model)


class _Fingerprinted(Protocol):
    request_hash: str


def clean_key(
    raw: str | None,
    *,
    required: bool = True,
    field: str = "idempotency_key",
    message: str | Promise | None = None,
) -> str:
    """The key without surrounding blanks; empty (when required) or too long is refused."""
    key = (raw or "").strip()
    if (required and not key) or len(key) > KEY_MAX_LENGTH:
        msg = str(message or _("Use an idempotency key of 1 to 100 characters."))
        raise ValidationFailed(msg, fields={field: msg})
    return key


def fingerprint(request: Any) -> str:
    """A stable digest of what was asked: the same request gives the same fingerprint.

    ``request`` is anything JSON can write (dicts are sorted by key; other values are
    written with ``str``).
    """
    payload = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def same_fingerprint(expected: str) -> Callable[[Any], bool]:
    """A ``same`` test for models that store the request's fingerprint in ``request_hash``."""

    def same(existing: _Fingerprinted) -> bool:
        return existing.request_hash == expected

    return same


def run_once(
    *,
    queryset: models.QuerySet[M],
    key: str,
    same: Callable[[M], bool],
    create: Callable[[], M],
    conflict: str | Promise,
    key_field: str = "idempotency_key",
) -> M:
    """``create()`` unless ``key`` was used already: then that first row, or a conflict.

    ``queryset`` is the model's rows of one community (keys are unique per community);
    ``same(existing)`` says whether the earlier request with this key asked for the same
    thing. ``create`` runs in a savepoint, so a unique-key race inside a longer transaction
    rolls back only the loser's attempt.
    """
    existing = queryset.filter(**{key_field: key}).first()
    if existing is None:
        try:
            with transaction.atomic():
                return create()
        except IntegrityError:
            existing = queryset.filter(**{key_field: key}).first()
            if existing is None:
                raise
    return replay(existing, same=same, conflict=conflict)


def replay(existing: M, *, same: Callable[[M], bool], conflict: str | Promise) -> M:
    """The row made by the first request with this key, if the retry asks the same."""
    if not same(existing):
        raise Conflict(str(conflict), code="idempotency_conflict")
    existing.replayed = True  # type: ignore[attr-defined]  # the API answers 200, not 201
    return existing
