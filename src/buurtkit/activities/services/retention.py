"""Retention: participants' personal data is kept ``ActivitySettings.retention_months`` after
the session ended, then anonymised; the rows stay, so seats, attendance, no-shows and
satisfaction figures are the same before and after.

The daily job ``activities_retention`` (:func:`retention_sweep`) takes every registration
whose session ended before the limit and that was not anonymised yet:

- someone known to buurtkit only through these old sign-ups (no login, no newer sign-up, no
  row in another module) is anonymised as a person (``people.services.person_anonymise``:
  name, number and e-mail go everywhere, their rows keep pointing at the anonymous record);
- someone still known for other reasons (a resident with a wallet, a newer sign-up) keeps
  their record, but their old sign-ups and evaluations move to an anonymous stand-in record
  (one per person per sweep, so "unique participants" of that period stays right);
- the cancel and offer secrets, who typed the sign-up and the idempotency key are cleared,
  and the person's name and numbers are taken out of evaluations' free text.

Running it again changes nothing more (``Registration.anonymised_at``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext as _

from buurtkit.activities.models import ActivitySettings, Evaluation, Registration, Volunteer
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.anonymising import scrub_rows
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person
from buurtkit.people.services import person_anonymise

#: Bounds a community may choose (months): at least the season's evidence, at most ten years.
MIN_MONTHS = 1
MAX_MONTHS = 120
MIN_OFFER_HOURS = 1
MAX_OFFER_HOURS = 168

#: Rows that do not make a person "known elsewhere": their consents, messages sent to them,
#: and the activities rows this sweep handles itself.
_NOT_A_TIE = frozenset({"people.consent", "activities.registration", "activities.evaluation"})
_NOT_A_TIE_APPS = frozenset({"messaging", "audit"})


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the 31st → the month's last)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _known_elsewhere(person: Person, old_ids: set[int]) -> bool:
    """Whether the person has anything in buurtkit besides the sign-ups about to expire."""
    if person.user_id:
        return True
    newer = (
        Registration.objects.filter(person_id=person.pk)
        .exclude(pk__in=old_ids)
        .filter(anonymised_at__isnull=True)
    )
    if newer.exists() or Volunteer.objects.filter(person_id=person.pk).exists():
        return True
    for relation in Person._meta.get_fields(include_hidden=True):
        # The reverse side of every foreign key to Person, whatever app holds it.
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        model = relation.related_model
        if model is None or not isinstance(model, type):
            continue
        label = model._meta.label_lower
        if label in _NOT_A_TIE or model._meta.app_label in _NOT_A_TIE_APPS:
            continue
        if model._default_manager.filter(**{relation.field.name: person.pk}).exists():
            return True
    return False


def _stand_in(person: Person, now: datetime) -> Person:
    stand_in = Person.objects.create(
        community_id=person.community_id,
        first_name=_("Anonymous"),
        last_name="",
        preferred_language=person.preferred_language,
        anonymised_at=now,
    )
    stand_in.last_name = f"#{stand_in.pk}"
    stand_in.save(update_fields=["last_name"])
    return stand_in


def _identifiers(person: Person) -> tuple[str, ...]:
    """The full name, every written form of the number, the e-mail address."""
    return PersonTraces(
        person=person,
        person_id=person.pk,
        community_id=person.community_id,
        first_name=person.first_name,
        last_name=person.last_name,
        phones=(person.phone,) if person.phone else (),
        emails=(person.email,) if person.email else (),
        usernames=(),
        label="",
    ).identifiers()


def retention_sweep_community(
    community: Community, *, now: datetime | None = None
) -> dict[str, int]:
    """Anonymise the community's sign-ups older than its retention period (see the module)."""
    now = now or clock.now()
    months = (
        ActivitySettings.objects.filter(community=community)
        .values_list("retention_months", flat=True)
        .first()
    ) or ActivitySettings._meta.get_field("retention_months").default
    limit = months_before(now, int(months))
    system = Actor.system(community, label="retention")
    counts = {"registrations": 0, "people": 0, "stand_ins": 0}
    with transaction.atomic():
        due = Registration.objects.in_community(community).filter(
            anonymised_at__isnull=True, session__ends_at__lt=limit
        )
        old = dict(due.select_for_update().values_list("pk", "person_id"))
        if not old:
            return counts
        old_ids = set(old)
        for person in Person.objects.filter(pk__in=set(old.values())).order_by("pk"):
            if person.anonymised_at is not None:
                continue
            mine = [pk for pk, person_id in old.items() if person_id == person.pk]
            needles = _identifiers(person)
            if _known_elsewhere(person, old_ids):
                stand_in = _stand_in(person, now)
                Registration.objects.filter(pk__in=mine).update(person=stand_in)
                Evaluation.objects.in_community(community).filter(
                    person=person, created_at__lt=limit
                ).update(person=stand_in, learned="", suggestion="")
                counts["stand_ins"] += 1
            else:
                person_anonymise(actor=system, person_id=person.pk)
                counts["people"] += 1
            # Old evaluations may name the person (a participant thanked by name).
            scrub_rows(
                Evaluation.objects.in_community(community)
                .filter(created_at__lt=limit)
                .exclude(learned="", suggestion=""),
                ("learned", "suggestion"),
                needles,
            )
        counts["registrations"] = Registration.objects.filter(pk__in=old_ids).update(
            anonymised_at=now,
            cancel_token_hash="",
            offer_token_hash="",
            registered_by_label="",
            idempotency_key="",
            request_hash="",
        )
        audit_record(
            actor=system,
            verb="activities.retention",
            obj=community,
            data={**counts, "months": int(months)},
        )
    return counts


def retention_sweep(*, now: datetime | None = None) -> str:
    """The daily job (``core.scheduler``): every community with activities switched on."""
    totals = {"registrations": 0, "people": 0, "stand_ins": 0}
    for community in Community.objects.order_by("pk"):
        if not community.has_module("activities"):
            continue
        for key, n in retention_sweep_community(community, now=now).items():
            totals[key] += n
    return ", ".join(f"{key}: {n}" for key, n in totals.items())


@transaction.atomic
def activity_settings_update(
    *, actor: Actor, retention_months: int, offer_hours: int
) -> ActivitySettings:
    """Set how long participants' data is kept and how long a freed seat is held."""
    actor.require("activities.manage")
    errors: dict[str, str] = {}
    if not MIN_MONTHS <= retention_months <= MAX_MONTHS:
        errors["retention_months"] = _("Choose between %(low)d and %(high)d months.") % {
            "low": MIN_MONTHS,
            "high": MAX_MONTHS,
        }
    if not MIN_OFFER_HOURS <= offer_hours <= MAX_OFFER_HOURS:
        errors["offer_hours"] = _("Choose between %(low)d and %(high)d hours.") % {
            "low": MIN_OFFER_HOURS,
            "high": MAX_OFFER_HOURS,
        }
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    found, _created = ActivitySettings.objects.select_for_update().get_or_create(
        community=actor.community
    )
    before = {"retention_months": found.retention_months, "offer_hours": found.offer_hours}
    found.retention_months = retention_months
    found.offer_hours = offer_hours
    found.save()
    audit_record(
        actor=actor,
        verb="activities.settings",
        obj=found,
        data={"before": before, "retention_months": retention_months, "offer_hours": offer_hours},
    )
    return found
