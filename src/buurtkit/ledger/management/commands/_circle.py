"""What the circle setup commands share: the community and organisation by slug, the actor,
and a service error as a command error. Thin: the work is in ``ledger.services.setup``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import CommandError

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import Community
from buurtkit.people.models import Organisation

T = TypeVar("T")


def add_community(parser: Any) -> None:
    parser.add_argument("--community", required=True, help="community slug, e.g. rabot")


def actor(opts: dict[str, Any], label: str) -> Actor:
    community = Community.objects.filter(slug=opts["community"]).first()
    if community is None:
        raise CommandError(f"There is no community {opts['community']!r}.")
    return Actor.system(community, label=label)


def organisation_id(who: Actor, slug: str) -> int:
    org = Organisation.objects.in_community(who.community).filter(slug=slug).first()
    if org is None:
        raise CommandError(f"There is no organisation {slug!r} in {who.community.slug}.")
    return int(org.pk)


def run(call: Callable[[], T]) -> T:
    try:
        return call()
    except ServiceError as exc:
        fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items() if str(v) != str(exc.detail))
        raise CommandError(f"{exc.detail}" + (f" ({fields})" if fields else "")) from exc
