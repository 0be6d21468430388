"""Page access: resolve the community from the URL and the actor from the login, centrally."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
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
    A public page of a module the community has switched off is not found.
    """

    owner = module_of(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        community = community_by_slug(slug)  # unknown: NotFound, the 404 page (middleware)
        if owner is not None and not community.has_module(owner):
            raise NotFound(_("This service is not switched on in this community."))
        request.community = community  # type: ignore[attr-defined]
        actor = None
        user = getattr(request, "user", None)  # none on a sessionless page (web.middleware)
        if user is not None and user.is_authenticated:
            actor = actor_for_user(user=user, community=community)
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


# --- security headers per view ---------------------------------------------------------------


def _replace_csp(response: HttpResponse, directives: dict[str, list[str] | None]) -> None:
    """Merge ``directives`` into what django-csp's middleware will replace for this response
    (decorators stack: the outer one wins for a directive both set)."""
    replaced = dict(getattr(response, "_csp_replace", None) or {})
    replaced.update(directives)
    response._csp_replace = replaced  # type: ignore[attr-defined]


def csp_override(directives: dict[str, list[str] | None]) -> Callable[[View], View]:
    """Replace some directives of the Content-Security-Policy for one view (settings'
    ``CONTENT_SECURITY_POLICY`` keeps the rest); ``None`` drops a directive. Example:
    ``@csp_override({"img-src": ["'self'", "https://tiles.example.org"]})``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            _replace_csp(response, directives)
            return response

        return wrapper

    return decorate


def embeddable(view: View | None = None, *, origins: list[str] | None = None) -> Any:
    """A page other sites may show in an ``<iframe>`` (a neighbourhood website's widget):
    ``@embeddable`` or ``@embeddable(origins=["https://wijk.example.org"])``.

    Only this view loosens framing: its CSP ``frame-ancestors`` becomes ``origins`` (by default
    ``settings.EMBED_FRAME_ANCESTORS``, from ``BUURTKIT_EMBED_ORIGINS``) and it sends no
    ``X-Frame-Options: DENY``. Every other directive stays as strict as on any page.
    """

    def decorate(inner: View) -> View:
        @functools.wraps(inner)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = inner(request, *args, **kwargs)
            allowed = origins if origins is not None else settings.EMBED_FRAME_ANCESTORS
            _replace_csp(response, {"frame-ancestors": list(allowed) or ["'none'"]})
            response.xframe_options_exempt = True  # type: ignore[attr-defined]
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
