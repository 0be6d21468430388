"""Demo data: forty requests and offers of help in the demo neighbourhood over the last months,
across the categories; some rewarded in torekes by the demo organisations, a few posted by the
counter for residents without a smartphone. Open ones, agreed ones waiting for confirmation,
done ones (rewards paid), cancelled and expired ones. Everything through the services, with the
clock frozen at each moment."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.helpexchange import services
from buurtkit.helpexchange.models import Settings
from buurtkit.ledger.models import Account, AccountKind
from buurtkit.people.models import Person

POSTS = [
    ("request", "moving", "Wie helpt me zaterdag een kast naar boven dragen?"),
    ("offer", "language", "Ik help met formulieren in het Arabisch"),
    ("request", "digital", "Hulp bij itsme op mijn nieuwe smartphone"),
    ("offer", "garden", "Ik maai graag uw gras in de Rabotwijk"),
    ("request", "errands", "Boodschappen doen na mijn operatie (2 weken)"),
    ("offer", "children", "Huiswerkbegeleiding wiskunde voor het 1ste middelbaar"),
    ("request", "paperwork", "Brief van de huisvestingsmaatschappij begrijpen"),
    ("offer", "repairs", "Kleine herstellingen: lamp, kraan, kastdeur"),
    ("request", "company", "Iemand om samen een koffie te drinken op woensdag"),
    ("offer", "transport", "Ik rij op dinsdag naar het ziekenhuis AZ Sint-Lucas"),
    ("request", "garden", "Haag snoeien voor de zomer"),
    ("offer", "digital", "Student informatica helpt met laptop en tablet"),
    ("request", "language", "Oefenen met Nederlands praten"),
    ("offer", "errands", "Ik haal brood mee voor de buren in mijn blok"),
    ("request", "repairs", "Fiets met een lekke band"),
    ("offer", "company", "Samen wandelen in het park op zondag"),
    ("request", "children", "Iemand die mijn zoon naar de voetbal brengt"),
    ("offer", "moving", "Sterke armen voor een verhuis (studentenjob-vrij)"),
    ("request", "transport", "Lift naar de markt op vrijdag"),
    ("offer", "paperwork", "Ik help met de belastingaangifte (vrijwilliger)"),
]
STATES = ["done"] * 13 + ["open"] * 14 + ["agreed"] * 6 + ["cancelled"] * 4 + ["expired"] * 3
COUNTER_PHONE = "09 266 12 34"


def _staff(community: Any, organisation_ids: frozenset[int]) -> Actor:
    return Actor(
        community=community,
        label="Balie Rabot",
        roles=frozenset({"staff"}),
        permissions=permissions_for_roles({"staff", "coordinator"}, community.enabled_modules),
        organisation_ids=organisation_ids,
        channel="counter",
    )


def _resident(community: Any, person: Person) -> Actor:
    return Actor(
        community=community,
        label=person.first_name,
        person_id=person.pk,
        roles=frozenset({"resident"}),
        permissions=permissions_for_roles({"resident"}, community.enabled_modules),
    )


def load(community: Any) -> list[tuple[str, str, str]]:
    """Forty posts and their deals. Adds no logins."""
    rng = random.Random(1616)
    Settings.objects.update_or_create(
        community=community, defaults={"counter_phone": COUNTER_PHONE}
    )
    people = list(
        Person.objects.in_community(community).filter(anonymised_at__isnull=True).order_by("pk")
    )
    if len(people) < 4:
        return []
    issuers = list(
        Account.objects.in_community(community)
        .filter(kind=AccountKind.ORGANISATION)
        .order_by("pk")[:3]
    )
    staff = _staff(community, frozenset(a.organisation_id for a in issuers if a.organisation_id))
    without_phone = [p for p in people if not p.has_smartphone][:6]
    now = clock.now()
    for n, state in enumerate(STATES):
        kind, category, title = POSTS[n % len(POSTS)]
        poster = rng.choice(people)
        helper = rng.choice([p for p in people if p.pk != poster.pk])
        at = now - timedelta(days=(0 if state == "open" else 8) + rng.randint(0, 100))
        if state in ("open", "agreed"):
            at = now - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 20))
        rewarded = issuers and kind == "request" and n % 3 == 0
        on_behalf = n % 7 == 3 and without_phone
        if on_behalf:
            poster = without_phone[n % len(without_phone)]
            if helper.pk == poster.pk:
                continue
        with clock.frozen(at):
            try:
                post = services.post_create(
                    actor=staff,
                    person_id=poster.pk,
                    kind=kind,
                    category=category,
                    title=title,
                    text="",
                    neighbourhood=poster.neighbourhood or rng.choice(["Rabot", "Blaisantvest"]),
                    when_note=rng.choice(["zaterdagvoormiddag", "na 17 uur", "in het weekend", ""]),
                    duration_minutes=rng.choice([30, 60, 90, 120]),
                    reward=rng.choice([10, 15, 20]) if rewarded else None,
                    reward_account_id=issuers[n % len(issuers)].pk if rewarded else None,
                )
            except ServiceError:  # no budget left that day: the same post without a reward
                post = services.post_create(
                    actor=staff,
                    person_id=poster.pk,
                    kind=kind,
                    category=category,
                    title=title,
                    neighbourhood=poster.neighbourhood or "Rabot",
                )
            if state == "expired":
                post.expires_at = at + timedelta(days=1)
                post.save(update_fields=["expires_at"])
                continue
            if state == "open" and n % 2:
                continue
            response = services.post_respond(
                actor=_resident(community, helper),
                post_id=post.pk,
                message=rng.choice(["Ik kan helpen!", "Dat lukt me zaterdag.", ""]),
            )
            if state == "open":
                continue
        with clock.frozen(at + timedelta(hours=5)):
            try:
                deal = services.response_accept(actor=staff, response_id=response.pk)
            except ServiceError:
                continue
        if state == "done":
            with clock.frozen(at + timedelta(days=2)):
                services.deal_confirm(actor=staff, deal_id=deal.pk)
        elif state == "cancelled":
            with clock.frozen(at + timedelta(days=1)):
                services.deal_cancel(actor=staff, deal_id=deal.pk, reason="Kan toch niet")
    # Open posts past their date: expired (and their holds released) by the daily sweep.
    services.helpexchange_sweep()
    return []
