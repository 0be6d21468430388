"""Reads of the activities module."""

from __future__ import annotations

from django.db.models import QuerySet

from buurtkit.activities import rules
from buurtkit.activities.models import Registration, Session
from buurtkit.core.models import Community


def waiting_list(session: Session) -> QuerySet[Registration]:
    """The people waiting for a seat in ``session``, first come first served."""
    return Registration.objects.filter(session=session, state=rules.WAITING).order_by(
        "waiting_since", "pk"
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.state != rules.WAITING or registration.waiting_since is None:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id,
        state=rules.WAITING,
        waiting_since__lt=registration.waiting_since,
    ).count()
    ties = Registration.objects.filter(
        session_id=registration.session_id,
        state=rules.WAITING,
        waiting_since=registration.waiting_since,
        pk__lt=registration.pk,
    ).count()
    return ahead + ties + 1


def seats_held(session: Session) -> int:
    """The seats held according to the registrations (``seats_taken`` must always equal it)."""
    return Registration.objects.filter(session=session, state__in=rules.HOLDS_SEAT).count()


def sessions_upcoming(community: Community) -> QuerySet[Session]:
    from buurtkit.core import clock

    return (
        Session.objects.in_community(community)
        .filter(cancelled_at__isnull=True, starts_at__gt=clock.now(), series__published=True)
        .select_related("series", "place")
        .order_by("starts_at", "pk")
    )
