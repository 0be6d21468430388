"""What every app's ``api.py`` and pages share: the request-body base and the actor.

- :class:`In` is the base of every request body: a field the API does not know is an
  error (422 with the field named), never silently ignored.
- :func:`actor_of` is who is asking: the API's authentication puts the :class:`Actor` on
  ``request.auth``; the pages' ``community_page`` decorator puts it on ``request.actor``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict

from buurtkit.core.actor import Actor


class In(Schema):
    """Base of every request body: a field the API does not know is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


def actor_of(request: HttpRequest) -> Actor:
    """The actor of an API call (``request.auth``) or of a community page (``request.actor``)."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):
        raise TypeError("this request has no actor: is the view behind community_page or the API?")
    return actor
