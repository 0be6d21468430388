from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound

router = Router(tags=["communities"])


class ModuleOut(Schema):
    key: str
    name: str


class CommunityOut(Schema):
    slug: str
    name: str
    default_language: str
    enabled_modules: list[ModuleOut]


def _out(actor: Actor) -> CommunityOut:
    c = actor.community
    return CommunityOut(
        slug=c.slug,
        name=c.name,
        default_language=c.default_language,
        enabled_modules=[ModuleOut(key=m.key, name=str(m.name)) for m in c.modules()],
    )


@router.get("", response=list[CommunityOut], summary="The community this key belongs to")
def list_communities(request: HttpRequest) -> list[CommunityOut]:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    actor.require("community.view")
    return [_out(actor)]


@router.get("/{slug}", response=CommunityOut)
def get_community(request: HttpRequest, slug: str) -> CommunityOut:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    actor.require("community.view")
    if slug != actor.community.slug:
        raise NotFound(_("There is no such community for this key."))
    return _out(actor)
