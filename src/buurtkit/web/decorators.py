"""Page access: resolve the community from the URL and the actor from the login, centrally."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from buurtkit.core.errors import NotFound
from buurtkit.core.modules import MODULES
from buurtkit.core.scoping import community_by_slug, get_scoped
from buurtkit.people.models import Person
from buurtkit.people.selectors import actor_for_user

View = Callable[..., HttpResponse]


def on_behalf_key(slug: str) -> str:
    return f"on_behalf:{slug}"


def module_of(view: View) -> str | None:
    """The switchable module a view belongs to: the app its code lives in (``buurtkit.ledger.
    pages.views`` belongs to ``ledger``), if that app is one of ``core.modules.MODULES``."""
    parts = getattr(view, "__module__", "").split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "buurtkit" and parts[1] in MODULES else None


def community_page(
    permission: str | None = None, *, module: str | None = None
) -> Callable[[View], View]:
    """Wrap a view under ``/<slug>/``: unknown community → 404 page; no place there → 403 page.

    Sets ``request.community`` and ``request.actor``. When staff act on behalf of a resident
    the actor carries that person, and the page shows a banner. A page of a module (``module``,
    or the app the view lives in) that the community has switched off is not found.
    """

    def decorate(view: View) -> View:
        owner = module or module_of(view)

        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                community = community_by_slug(slug)
            except NotFound as exc:
                return render(
                    request,
                    "web/error.html",
                    {"title": _("Not found"), "message": exc.detail},
                    status=404,
                )
            if owner is not None and not community.has_module(owner):
                return render(
                    request,
                    "web/error.html",
                    {
                        "title": _("Not found"),
                        "message": _("This service is not switched on in this community."),
                    },
                    status=404,
                )
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for_user(user=request.user, community=community)
            request.community = community  # type: ignore[attr-defined]
            if actor is None:
                return render(
                    request,
                    "web/error.html",
                    {
                        "title": _("No access"),
                        "message": _("Your login has no place in this community."),
                    },
                    status=403,
                )
            person_id = request.session.get(on_behalf_key(slug))
            if person_id and actor.has("people.act_on_behalf"):
                try:
                    person = get_scoped(Person, community, pk=person_id)
                except NotFound:
                    request.session.pop(on_behalf_key(slug), None)
                else:
                    actor = actor.acting_for(person.pk, channel="counter")
                    request.on_behalf = person  # type: ignore[attr-defined]
            request.actor = actor  # type: ignore[attr-defined]
            if permission and not actor.has(permission):
                return render(
                    request,
                    "web/error.html",
                    {
                        "title": _("No access"),
                        "message": _("You are not allowed to see this page."),
                    },
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def public_page(view: View) -> View:
    """Wrap a public page under ``/<slug>/`` (no login): unknown community → 404 page.

    Sets ``request.community``, and ``request.actor`` to the signed-in person's actor in that
    community or None, so a public page can add staff links for staff without needing them.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            community = community_by_slug(slug)
        except NotFound as exc:
            return render(
                request,
                "web/error.html",
                {"title": _("Not found"), "message": exc.detail},
                status=404,
            )
        request.community = community  # type: ignore[attr-defined]
        actor = None
        if request.user.is_authenticated:
            actor = actor_for_user(user=request.user, community=community)
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
