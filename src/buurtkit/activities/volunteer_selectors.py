"""Reads of the digibuddy register: the list, one volunteer with their duties and training,
a volunteer's own schedule, duties offered for a swap, and the coordinator's gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from buurtkit.activities.models import (
    ActivityKind,
    DigipuntSlot,
    Duty,
    DutyRole,
    DutyState,
    Registration,
    RegistrationState,
    Series,
    Session,
    TrainingTrack,
    Volunteer,
)
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice

GAP_WEEKS = 4


def volunteers_search(
    *, actor: Actor, q: str = "", track: str = "", active: bool | None = True
) -> QuerySet[Volunteer]:
    actor.require("activities.volunteers")
    require_choice("track", track, TrainingTrack.values)
    qs = Volunteer.objects.in_community(actor.community).select_related("person")
    term = q.strip()
    if term:
        cond = (
            Q(person__first_name__icontains=term)
            | Q(person__last_name__icontains=term)
            | Q(skills__icontains=term)
            | Q(neighbourhoods__icontains=term)
        )
        parts = term.split()
        if len(parts) >= 2:
            cond |= Q(
                person__first_name__icontains=parts[0],
                person__last_name__icontains=" ".join(parts[1:]),
            )
        qs = qs.filter(cond)
    if track:
        qs = qs.filter(track=track)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("person__last_name", "person__first_name", "pk")


def volunteer_get(*, actor: Actor, volunteer_id: int) -> Volunteer:
    actor.require("activities.volunteers")
    return get_scoped(Volunteer, actor.community, pk=volunteer_id)


def _duties() -> QuerySet[Duty]:
    return Duty.objects.select_related(
        "session__series", "session__place", "place", "volunteer__person"
    ).order_by("starts_at", "pk")


def volunteer_duties(*, actor: Actor, volunteer_id: int, upcoming: bool = True) -> QuerySet[Duty]:
    actor.require("activities.volunteers")
    qs = _duties().filter(community=actor.community, volunteer_id=volunteer_id)
    if upcoming:
        qs = qs.filter(ends_at__gt=clock.now())
    return qs


def duties_search(
    *, actor: Actor, volunteer_id: int | None = None, state: str = "", upcoming: bool = True
) -> QuerySet[Duty]:
    """Duties for the API: a coordinator sees all; a volunteer their own."""
    require_choice("state", state, DutyState.values)
    qs = _duties().filter(community=actor.community)
    if not actor.has("activities.volunteers"):
        actor.require("activities.duties")
        qs = qs.filter(volunteer__person_id=actor.person_id or 0)
    if volunteer_id:
        qs = qs.filter(volunteer_id=volunteer_id)
    if state:
        qs = qs.filter(state=state)
    if upcoming:
        qs = qs.filter(ends_at__gt=clock.now())
    return qs


def own_schedule(*, actor: Actor) -> tuple[Volunteer | None, list[Duty]]:
    """The signed-in volunteer and their duties still to come (cancelled ones too, a week)."""
    actor.require("activities.duties")
    volunteer = (
        Volunteer.objects.in_community(actor.community)
        .filter(person_id=actor.person_id or 0, active=True)
        .first()
    )
    if volunteer is None:
        return None, []
    now = clock.now()
    duties = list(
        _duties()
        .filter(volunteer=volunteer, ends_at__gt=now, starts_at__lt=now + timedelta(days=120))
        .exclude(state=DutyState.CANCELLED)
    )
    return volunteer, duties


def swaps_offered(*, actor: Actor) -> list[Duty]:
    """Duties other volunteers offer for a swap, still to come."""
    actor.require("activities.duties")
    return list(
        _duties()
        .filter(community=actor.community, state=DutyState.SWAP_ASKED, starts_at__gt=clock.now())
        .exclude(volunteer__person_id=actor.person_id or 0)
    )


@dataclass
class Gap:
    """A session with fewer digibuddies than it needs, or a digipunt slot nobody covers."""

    starts_at: datetime
    ends_at: datetime
    place: Any
    title: Any
    needed: int
    planned: int
    swap_asked: int
    session: Session | None = None
    duty: Duty | None = None  #: the cancelled (or offered) digipunt duty
    slot: DigipuntSlot | None = None  #: digipunt hours that say how many they need
    reasons: list[str] | None = None

    @property
    def missing(self) -> int:
        return max(self.needed - self.planned, 0)


def gaps(*, actor: Actor, weeks: int = GAP_WEEKS) -> list[Gap]:
    """Sessions in the coming weeks without enough digibuddies on duty (a duty offered for a
    swap counts as a gap until someone takes it), and digipunt slots whose duty was cancelled
    or is offered with nobody else planned there."""
    if not actor.has("activities.volunteers"):
        actor.require("activities.duties")
    now = clock.now()
    until = now + timedelta(weeks=weeks)
    found: list[Gap] = []
    sessions = (
        Session.objects.in_community(actor.community)
        .filter(cancelled_at__isnull=True, starts_at__gt=now, starts_at__lt=until)
        .filter(buddies_needed__gt=0)
        .select_related("series", "place")
        .annotate(
            planned=Count(
                "duties",
                filter=Q(duties__state=DutyState.PLANNED, duties__role=DutyRole.BUDDY),
            ),
            swapping=Count(
                "duties",
                filter=Q(duties__state=DutyState.SWAP_ASKED, duties__role=DutyRole.BUDDY),
            ),
        )
    )
    reasons: dict[int, list[str]] = {}
    for duty in Duty.objects.filter(
        community=actor.community,
        state=DutyState.CANCELLED,
        session__starts_at__gt=now,
        session__starts_at__lt=until,
    ).exclude(cancel_reason=""):
        reasons.setdefault(duty.session_id or 0, []).append(duty.cancel_reason)
    for s in sessions:
        if s.planned < s.buddies_needed:  # type: ignore[attr-defined]
            found.append(
                Gap(
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    place=s.place,
                    title=s.series.title,
                    needed=s.buddies_needed,
                    planned=s.planned,  # type: ignore[attr-defined]
                    swap_asked=s.swapping,  # type: ignore[attr-defined]
                    session=s,
                    reasons=reasons.get(s.pk, []),
                )
            )
    # Digipunt hours: the duties at a place and time, counted against what the slot needs
    # (``DigipuntSlot.buddies_needed``; hours with duties but no slot row need one).
    slots: dict[tuple[int, datetime, datetime], list[Duty]] = {}
    for duty in (
        Duty.objects.filter(
            community=actor.community,
            session__isnull=True,
            starts_at__gt=now,
            starts_at__lt=until,
        )
        .select_related("place")
        .order_by("starts_at", "pk")
    ):
        if duty.place_id and duty.starts_at and duty.ends_at:
            slots.setdefault((duty.place_id, duty.starts_at, duty.ends_at), []).append(duty)
    rows = {
        (slot.place_id, slot.starts_at, slot.ends_at): slot
        for slot in DigipuntSlot.objects.filter(
            community=actor.community, starts_at__gt=now, starts_at__lt=until
        ).select_related("place")
    }
    for key in sorted(set(slots) | set(rows), key=lambda k: (k[1], k[0])):
        duties, slot = slots.get(key, []), rows.get(key)
        needed = slot.buddies_needed if slot is not None else 1
        planned = sum(d.state == DutyState.PLANNED for d in duties)
        if planned >= needed:
            continue
        open_duty = next((d for d in duties if d.state == DutyState.CANCELLED), None)
        if slot is None and open_duty is None:
            open_duty = duties[0]  # offered for a swap, nobody else planned
        found.append(
            Gap(
                starts_at=key[1],
                ends_at=key[2],
                place=slot.place if slot is not None else duties[0].place,
                title=None,
                needed=needed,
                planned=planned,
                swap_asked=sum(d.state == DutyState.SWAP_ASKED for d in duties),
                duty=None if slot is not None else open_duty,
                slot=slot,
                reasons=[d.cancel_reason for d in duties if d.cancel_reason],
            )
        )
    found.sort(key=lambda g: g.starts_at)
    return found


def open_gaps_for_volunteer(*, actor: Actor) -> list[Gap]:
    """Gaps a volunteer can fill themself (sessions short of digibuddies, cancelled digipunt
    slots), leaving out those where they are already on duty."""
    actor.require("activities.duties")
    live = Duty.objects.filter(
        community=actor.community, volunteer__person_id=actor.person_id or 0
    ).exclude(state=DutyState.CANCELLED)
    mine = set(live.values_list("session_id", flat=True))
    my_hours = set(
        live.filter(session__isnull=True).values_list("place_id", "starts_at", "ends_at")
    )
    return [
        g
        for g in gaps(actor=actor)
        if (g.session is None or g.session.pk not in mine)
        and (g.slot is None or (g.slot.place_id, g.starts_at, g.ends_at) not in my_hours)
        and (g.duty is None or g.duty.state == DutyState.CANCELLED)
        # A place held by someone who offers it for a swap is taken over, not added to.
        and g.planned + g.swap_asked < g.needed
    ]


def training_series(*, actor: Actor) -> QuerySet[Series]:
    actor.require("activities.volunteers")
    return Series.objects.in_community(actor.community).filter(kind=ActivityKind.BUDDY_TRAINING)


@dataclass
class TrainingProgress:
    attended: int
    sessions: int
    signed_up: bool


def training_progress(volunteer: Volunteer) -> TrainingProgress | None:
    """How many sessions of their training series the volunteer came to (attendance there
    is the progress)."""
    if volunteer.training_series_id is None:
        return None
    sessions = Session.objects.filter(
        series_id=volunteer.training_series_id, cancelled_at__isnull=True
    ).count()
    registrations = Registration.objects.filter(
        session__series_id=volunteer.training_series_id, person_id=volunteer.person_id
    )
    return TrainingProgress(
        attended=registrations.filter(state=RegistrationState.ATTENDED).count(),
        sessions=sessions,
        signed_up=registrations.exclude(state=RegistrationState.CANCELLED).exists(),
    )


def sessions_to_staff(*, actor: Actor, weeks: int = 8) -> QuerySet[Session]:
    """Sessions still to come that a coordinator can put someone on (for the choice list)."""
    actor.require("activities.volunteers")
    now = clock.now()
    return (
        Session.objects.in_community(actor.community)
        .filter(
            cancelled_at__isnull=True, starts_at__gt=now, starts_at__lt=now + timedelta(weeks=weeks)
        )
        .select_related("series", "place")
        .order_by("starts_at", "pk")
    )
