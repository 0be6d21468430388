"""API router for Buurbel (``/api/v1/buurbel/...``): thin, one service or selector call per
endpoint. Everything acts in the community of the key; reading needs ``neighbours.view``.

Sections (each kept together): participants and verification, rules and matching runs,
introductions by phone, announcements, costs and the dashboard.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict

from buurtkit.core.actor import Actor

router = Router(tags=["buurbel"])


class In(Schema):
    """Base of every request body: a field the API does not know is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined,no-any-return]
