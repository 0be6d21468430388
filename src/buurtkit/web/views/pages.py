from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from buurtkit.core.apitools import actor_of
from buurtkit.core.models import Community
from buurtkit.people.selectors import (
    communities_for_user,
    current_consents,
    invitations_for_user,
    person_get,
)
from buurtkit.people.services import person_gdpr_export
from buurtkit.web.decorators import community_page
from buurtkit.web.registry import (
    DASHBOARD,
    RESIDENT_HOME,
    home_sections,
    module_tiles,
    visible_links,
)


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        mine = list(communities_for_user(user=request.user)[:2])
        if len(mine) == 1:
            return redirect("web:community", slug=mine[0].slug)
        invitations = invitations_for_user(user=request.user).count()
        return render(
            request, "web/home.html", {"communities": mine or [], "invitations": invitations}
        )
    return render(request, "web/home.html", {"communities": Community.objects.all()[:20]})


@community_page()
def community_home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if actor.has("people.view") and not getattr(request, "on_behalf", None):
        context = {
            "modules": module_tiles(actor),
            "tiles": visible_links(DASHBOARD.values(), actor),
            "sections": home_sections(request, actor),
        }
        return render(request, "web/dashboard.html", context)
    return resident_home(request, actor)


def resident_home(request: HttpRequest, actor: object) -> HttpResponse:
    from buurtkit.core.actor import Actor

    assert isinstance(actor, Actor)
    person_id = actor.on_behalf_of_id or actor.person_id
    person = person_get(actor=actor, person_id=person_id) if person_id else None
    consents = current_consents(person=person) if person else {}
    return render(
        request,
        "web/resident_home.html",
        {
            "person": person,
            "consents": consents,
            "links": visible_links(RESIDENT_HOME.values(), actor),
            "tiles": visible_links(DASHBOARD.values(), actor),
            "sections": home_sections(request, actor),
        },
    )


@community_page()
def my_data_export(request: HttpRequest) -> HttpResponse:
    """A resident downloads everything we hold about them (GDPR right of access)."""
    actor = actor_of(request)
    if not actor.person_id:
        return redirect("web:community", slug=actor.community.slug)
    data = person_gdpr_export(actor=actor, person_id=actor.person_id)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
