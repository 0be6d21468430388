"""The reminders the day before a session: by SMS, e-mail or an automated call in the
person's language, each only if the person allows it, each sent once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from buurtkit.activities import rules
from buurtkit.activities.models import Registration
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import Community
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify
from buurtkit.people.selectors import current_consents_of, reminder_channel
from buurtkit.telephony.services import call_create

BRUSSELS = ZoneInfo("Europe/Brussels")


def _tomorrow(now: datetime) -> tuple[datetime, datetime]:
    day = now.astimezone(BRUSSELS).date() + timedelta(days=1)
    start = datetime.combine(day, time.min, tzinfo=BRUSSELS)
    return start, start + timedelta(days=1)


def _remind(actor: Actor, registration: Registration, channel: str) -> str:
    session = registration.session
    if channel in ("sms", "email"):
        notify(
            actor=actor,
            person_id=registration.person_id,
            template="activities_reminder",
            context={
                "title": translated(session.series.title, registration.language),
                "starts_at": session.starts_at,
                "place": session.place,
            },
            channel=channel,
            idempotency_key=f"activities-reminder-{registration.pk}",
            language=registration.language,
        )
        return channel
    if channel == "call":
        call_create(
            actor=actor,
            to_number=registration.person.phone,
            purpose=rules.REMINDER_CALL,
            subject_type="activities.registration",
            subject_id=registration.pk,
            language=registration.language,
        )
        return "call"
    return "staff"


def reminders_send_community(
    community: Community, *, now: datetime | None = None
) -> dict[str, int]:
    """Remind everyone expected at a session tomorrow (Brussels days), once each."""
    now = now or clock.now()
    start, end = _tomorrow(now)
    due = list(
        Registration.objects.in_community(community)
        .filter(
            state__in=rules.EXPECTED,
            reminded_at__isnull=True,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
            session__cancelled_at__isnull=True,
        )
        .select_related("person", "session__series", "session__place")
        .order_by("pk")
    )
    consents = current_consents_of({r.person_id for r in due})
    actor = Actor.system(community, label="reminders")
    sent: dict[str, int] = {}
    for registration in due:
        channel = reminder_channel(registration.person, consents.get(registration.person_id, {}))
        try:
            with transaction.atomic():
                via = _remind(actor, registration, channel)
                _mark(registration, via, now)
        except ServiceError:
            # Not reachable after all (a number that does not parse, no public address for
            # calls): staff phone them from the session's list.
            with transaction.atomic():
                via = "staff"
                _mark(registration, via, now)
        sent[via] = sent.get(via, 0) + 1
    return sent


def _mark(registration: Registration, via: str, now: datetime) -> None:
    Registration.objects.filter(pk=registration.pk, reminded_at__isnull=True).update(
        reminded_at=now, reminded_via=via
    )


def reminders_send(*, now: datetime | None = None) -> str:
    """The daily sweep (``core.scheduler``): every community with activities switched on."""
    totals: dict[str, int] = {}
    for community in Community.objects.order_by("pk"):
        if not community.has_module("activities"):
            continue
        for via, n in reminders_send_community(community, now=now).items():
            totals[via] = totals.get(via, 0) + n
    return ", ".join(f"{via}: {n}" for via, n in sorted(totals.items())) or "nothing to send"
