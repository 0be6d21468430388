"""Barrier reports: staff tag a ticket with the public service where the resident got stuck;
the list of services is the community's own (seeded, editable by coordinators)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.helpdesk import access
from buurtkit.helpdesk.models import Barrier, PublicService
from buurtkit.helpdesk.services.setup import _clean_names

#: The seeded services (key, names per language): where residents get stuck most.
DEFAULT_SERVICES: list[tuple[str, dict[str, str]]] = [
    ("itsme", {"nl": "itsme", "en": "itsme", "fr": "itsme"}),
    ("myminfin", {"nl": "MyMinfin / Tax-on-web", "en": "MyMinfin / Tax-on-web",
                  "fr": "MyMinfin / Tax-on-web"}),
    ("citizen-profile", {"nl": "Mijn Burgerprofiel", "en": "Citizen profile (Mijn Burgerprofiel)",
                         "fr": "Profil citoyen (Mijn Burgerprofiel)"}),
    ("e-box", {"nl": "eBox", "en": "e-box", "fr": "eBox"}),
    ("health-insurer", {"nl": "Ziekenfonds", "en": "Health insurer", "fr": "Mutualité"}),
    ("bank-app", {"nl": "Bankapp", "en": "Bank app", "fr": "Application bancaire"}),
    ("school-app", {"nl": "Schoolapp (Smartschool)", "en": "School app (Smartschool)",
                    "fr": "Application scolaire (Smartschool)"}),
    ("city-e-loket", {"nl": "E-loket van de stad", "en": "City e-counter (e-loket)",
                      "fr": "Guichet en ligne de la ville"}),
    ("mycareer", {"nl": "Mijn VDAB", "en": "Employment service (Mijn VDAB)",
                  "fr": "Service de l'emploi (Mijn VDAB)"}),
]  # fmt: skip


@transaction.atomic
def public_services_ensure_defaults(*, actor: Actor) -> list[PublicService]:
    """The seeded list of public services, once per community (edits are kept)."""
    actor.require("helpdesk.manage")
    made = []
    for position, (key, name) in enumerate(DEFAULT_SERVICES):
        service, created = PublicService.objects.get_or_create(
            community=actor.community, key=key, defaults={"name": name, "position": position}
        )
        if created:
            made.append(service.key)
    if made:
        audit_record(
            actor=actor,
            verb="helpdesk.services_seeded",
            obj=actor.community,
            data={"services": made},
        )
    return list(PublicService.objects.in_community(actor.community))


@transaction.atomic
def public_service_save(
    *,
    actor: Actor,
    key: str,
    name: dict[str, str],
    active: bool = True,
    position: int | None = None,
) -> PublicService:
    """Add a public service to the list, or rename (or retire) the one with this key."""
    actor.require("helpdesk.manage")
    key = (key or "").strip().lower()[:40]
    if not key or not key.replace("-", "").isalnum():
        msg = _("Use lower-case letters, digits and dashes for the key.")
        raise ValidationFailed(msg, fields={"key": msg})
    names = _clean_names(name)
    service, created = PublicService.objects.select_for_update().get_or_create(
        community=actor.community,
        key=key,
        defaults={
            "name": names,
            "position": position
            if position is not None
            else PublicService.objects.in_community(actor.community).count(),
        },
    )
    if not created:
        service.name, service.active = names, active
        if position is not None:
            service.position = position
        service.save(update_fields=["name", "active", "position"])
    audit_record(actor=actor, verb="helpdesk.service_saved", obj=service, data={"key": key})
    return service


@transaction.atomic
def ticket_barriers_set(*, actor: Actor, ticket_id: int, service_ids: list[int]) -> list[Barrier]:
    """Tag a ticket with the public services where the resident got stuck (the whole set:
    services left out are untagged)."""
    actor.require("helpdesk.handle")
    ticket = access.workable(actor).select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("There is no such ticket."))
    wanted = set(service_ids)
    found = {
        s.pk: s for s in PublicService.objects.in_community(actor.community).filter(pk__in=wanted)
    }
    if set(found) != wanted:
        msg = _("Choose public services from the list.")
        raise ValidationFailed(msg, fields={"service_ids": msg})
    current = {b.service_id: b for b in Barrier.objects.filter(ticket=ticket)}
    removed = [pk for pk in current if pk not in wanted]
    added = [pk for pk in sorted(wanted) if pk not in current]
    if removed:
        Barrier.objects.filter(ticket=ticket, service_id__in=removed).delete()
    now = clock.now()
    Barrier.objects.bulk_create(
        [
            Barrier(
                community=actor.community,
                ticket=ticket,
                service=found[pk],
                occurred_at=ticket.created_at,
                created_at=now,
            )
            for pk in added
        ]
    )
    if added or removed:
        audit_record(
            actor=actor,
            verb="helpdesk.barriers_set",
            obj=ticket,
            data={
                "added": [found[pk].key for pk in added],
                "removed": sorted(removed),
            },
        )
    return list(Barrier.objects.filter(ticket=ticket).select_related("service"))
