"""Signing up, the waiting list and its time-limited offers, cancelling, attendance.

No overbooking, ever: a sign-up locks the session row, counts the seat in ``seats_taken`` in
the same transaction, and the database's check constraint (``seats_taken <= capacity``)
refuses whatever slips past. A sign-up for a whole series locks its sessions in id order
(two sign-ups never wait on each other crosswise) and takes a seat in every one, or waits.

When a seat frees up (a cancellation, an expired offer), the first person on that session's
waiting list gets an offer that holds the seat until ``offer_expires_at``; accepting makes
it a registration, an offer that is not accepted in time is cancelled and the seat moves on
to the next person (``offers_expire``, run every few minutes by the worker).
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from buurtkit.activities import rules
from buurtkit.activities.models import (
    ActivitySettings,
    Channel,
    Registration,
    RegistrationState,
    Session,
)
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.idempotency import clean_key, fingerprint, replay, same_fingerprint
from buurtkit.core.public_url import public_url
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify
from buurtkit.people.models import Organisation, Person
from buurtkit.people.selectors import current_consents, reminder_channel
from buurtkit.telephony.services import call_create

DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # tests and development; production sets its own


def _settings(community_id: int) -> ActivitySettings:
    found = ActivitySettings.objects.filter(community_id=community_id).first()
    return found or ActivitySettings(community_id=community_id)


def _may_register_for(actor: Actor, person_id: int) -> None:
    """Staff, volunteers and partners sign anyone up; a resident only themself."""
    if actor.person_id == person_id and actor.on_behalf_of_id is None:
        return
    actor.require("activities.register")


def _is_partner(actor: Actor) -> bool:
    """A partner's worker (``activities.register`` without ``activities.view``): they see and
    change only the sign-ups their own organisation made (act-ops, issue 13)."""
    return actor.has("activities.register") and not actor.has("activities.view")


def _may_change(actor: Actor, registration: Registration) -> None:
    """Cancelling or accepting someone else's sign-up: staff yes; a partner only the people
    their organisation referred; a resident only their own."""
    if actor.person_id == registration.person_id and actor.on_behalf_of_id is None:
        return
    if _is_partner(actor) and registration.referred_by_id not in actor.organisation_ids:
        raise PermissionDenied(_("This is someone else's sign-up: you cannot change it."))


def _move(registration: Registration, new: str, *, now: datetime) -> None:
    """Change a locked registration's state and the session's seat count with it."""
    delta = rules.seat_change(registration.state, new)
    waiting_delta = (new == rules.WAITING) - (registration.state == rules.WAITING)
    if delta or waiting_delta:
        Session.objects.filter(pk=registration.session_id).update(
            seats_taken=F("seats_taken") + delta, waiting=F("waiting") + waiting_delta
        )
    registration.state = new
    registration.changed_at = now
    if new != rules.OFFERED:
        registration.offer_expires_at = None
    registration.save(update_fields=["state", "changed_at", "offer_expires_at"])


def registration_create(
    *,
    actor: Actor,
    session_id: int,
    person_id: int,
    channel: str = Channel.WEB,
    referred_by_id: int | None = None,
    language: str = "",
    join_waiting_list: bool = True,
    idempotency_key: str | None = None,
    loaded_session: Session | None = None,
    loaded_person: Person | None = None,
) -> tuple[list[Registration], str]:
    """Sign a person up for a session (or, for a whole-series activity, all its sessions
    still to come). Returns the registrations and the secret for the cancel link ("" on a
    replay: the secret was given the first time and is not kept).

    A full session puts the person on the waiting list (``join_waiting_list``), or refuses.
    ``loaded_session`` (with its activity and place) and ``loaded_person``: the rows of
    ``session_id`` and ``person_id`` when the caller read them already (the public sign-up),
    so they are not read again; the session is locked all the same.
    """
    _may_register_for(actor, person_id)
    if (
        _is_partner(actor)
        and actor.person_id != person_id
        and (channel != Channel.PARTNER or referred_by_id not in actor.organisation_ids)
    ):
        raise PermissionDenied(_("You can only refer people for your own organisation."))
    if channel not in Channel.values:
        msg = _("Say how the person signed up.")
        raise ValidationFailed(msg, fields={"channel": msg})
    if channel == Channel.PARTNER and not referred_by_id:
        msg = _("Say which partner referred the person.")
        raise ValidationFailed(msg, fields={"referred_by_id": msg})
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint([session_id, person_id, channel, referred_by_id, join_waiting_list])
    token = secrets.token_urlsafe(16)

    # One savepoint: a refusal (or a unique-constraint race) inside rolls back to here, so a
    # caller that goes on after a Conflict (the demo) finds its transaction intact.
    with transaction.atomic():
        first = _register(
            actor=actor,
            session_id=session_id,
            person_id=person_id,
            channel=channel,
            referred_by_id=referred_by_id,
            language=language,
            join_waiting_list=join_waiting_list,
            key=key,
            request_hash=request_hash,
            token=token,
            loaded_session=loaded_session,
            loaded_person=loaded_person,
        )
        replayed = getattr(first, "replayed", False)
        if not first.group and getattr(first, "_loaded_session", False):
            return [first], "" if replayed else token  # its session, activity and place are here
        group = Registration.objects.filter(pk=first.pk)
        if first.group:
            group = Registration.objects.in_community(actor.community).filter(group=first.group)
        # With what the confirmation says (the session, its activity and place): no more trips.
        group = group.select_related("session__series", "session__place")
        return list(group.order_by("session__starts_at", "pk")), "" if replayed else token


def _register(
    *,
    actor: Actor,
    session_id: int,
    person_id: int,
    channel: str,
    referred_by_id: int | None,
    language: str,
    join_waiting_list: bool,
    key: str,
    request_hash: str,
    token: str,
    loaded_session: Session | None = None,
    loaded_person: Person | None = None,
) -> Registration:
    community = actor.community
    first = loaded_session
    if first is None or first.pk != session_id or first.community_id != community.pk:
        first = (
            Session.objects.in_community(community)
            .select_related("series", "place")
            .filter(pk=session_id)
            .first()
        ) or get_scoped(Session, community, pk=0)  # not found, worded as everywhere
    person = loaded_person
    if person is None or person.pk != person_id or person.community_id != community.pk:
        person = get_scoped(Person, community, pk=person_id)
    if person.anonymised_at is not None:
        raise NotFound(_("There is no such person."))
    partner = get_scoped(Organisation, community, pk=referred_by_id) if referred_by_id else None
    now = clock.now()
    series = first.series
    if series.whole_series:
        ids = list(
            Session.objects.filter(series=series, cancelled_at__isnull=True, starts_at__gt=now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        ids = [first.pk]
    # Lock in id order: two sign-ups for overlapping sessions never wait on each other crosswise.
    sessions = list(Session.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # One look under the locks: did this idempotency key sign someone up already (a retry, or
    # a double click that waited for the first click's lock), and is the person signed up?
    seen = Q(session__in=sessions, person=person) & ~Q(state=rules.CANCELLED)
    if key:
        seen |= Q(community=community, idempotency_key=key)
    found = list(Registration.objects.filter(seen).order_by("pk")) if sessions or key else []
    mine = [r for r in found if key and r.idempotency_key == key]
    if mine:
        return replay(
            mine[0],
            same=same_fingerprint(request_hash),
            conflict=_("This idempotency key was used for another sign-up."),
        )
    if not sessions or any(s.cancelled_at or s.starts_at <= now for s in sessions):
        msg = _("You can no longer sign up for this: it has started or was cancelled.")
        raise Conflict(msg, code="closed")
    if found:
        raise Conflict(
            _("%(name)s is already signed up.") % {"name": person.full_name}, code="already"
        )
    full = any(s.seats_taken >= s.capacity for s in sessions)
    if full and not join_waiting_list:
        raise Conflict(_("This session is full."), code="full")
    state = rules.WAITING if full else rules.REGISTERED
    group = uuid.uuid4().hex if len(sessions) > 1 else ""
    made = []
    try:
        # No savepoint of its own: registration_create's rolls a failure back.
        for session in sessions:
            made.append(
                Registration.objects.create(
                    community=community,
                    session=session,
                    person=person,
                    group=group,
                    state=state,
                    channel=channel,
                    referred_by=partner,
                    registered_at=now,
                    registered_by_label=actor.label,
                    language=language or person.preferred_language,
                    waiting_since=now if full else None,
                    changed_at=now,
                    cancel_token_hash=rules.token_hash(token),
                    idempotency_key=key,
                    request_hash=request_hash,
                )
            )
        Session.objects.filter(pk__in=ids).update(
            seats_taken=F("seats_taken") + (0 if full else 1),
            waiting=F("waiting") + (1 if full else 0),
        )
    except IntegrityError as exc:
        # Only a race can get here (the checks above ran under the session locks).
        raise Conflict(_("%(name)s is already signed up.") % {"name": person.full_name}) from exc
    audit_record(
        actor=actor,
        verb="activities.registered",
        obj=made[0],
        data={"state": state, "sessions": len(made), "channel": channel},
    )
    if not group:
        # The locked row has the new counts' old values; the one read first has the activity
        # and the place the confirmation names.
        made[0].session = first
        made[0]._loaded_session = True  # type: ignore[attr-defined]
        made[0].person = person
    return made[0]


def _group_of(registration: Registration) -> list[Registration]:
    if not registration.group:
        return [registration]
    return list(
        Registration.objects.select_for_update()
        .filter(community_id=registration.community_id, group=registration.group)
        .order_by("session_id")
    )


@transaction.atomic
def registration_cancel(
    *, actor: Actor | None, registration_id: int, token: str = "", community_id: int | None = None
) -> list[Registration]:
    """Cancel a sign-up (all of a whole-series sign-up): by staff, by the person themself, or
    by anyone holding the secret of the confirmation's cancel link (``actor`` None). A held
    seat goes to the first on the waiting list as an offer."""
    if actor is not None:
        registration = get_scoped(Registration, actor.community, pk=registration_id)
        _may_register_for(actor, registration.person_id)
        _may_change(actor, registration)
    else:
        found = Registration.objects.filter(
            pk=registration_id, community_id=community_id or 0
        ).first()
        if found is None or not secrets.compare_digest(
            found.cancel_token_hash, rules.token_hash(token or "")
        ):
            raise NotFound(_("This link is not valid (any more)."))
        registration = found
    # Lock the sessions first, then the registrations: the same order as a sign-up.
    group = _group_of(registration)
    list(
        Session.objects.select_for_update()
        .filter(pk__in=[r.session_id for r in group])
        .order_by("pk")
    )
    group = _group_of(registration)
    now = clock.now()
    if all(r.state == rules.CANCELLED for r in group):
        return group  # a second click: already done
    if any(
        not rules.may_follow(r.state, rules.CANCELLED) for r in group if r.state != rules.CANCELLED
    ):
        raise Conflict(_("This sign-up can no longer be cancelled."), code="too_late")
    freed = []
    for r in group:
        if r.state == rules.CANCELLED:
            continue
        held = r.state in rules.HOLDS_SEAT
        _move(r, rules.CANCELLED, now=now)
        if held:
            freed.append(r.session_id)
    for session_id in freed:
        _offer_next(session_id, now=now)
    audit_record(
        actor=actor or _link_actor(registration),
        verb="activities.cancelled",
        obj=registration,
        data={"sessions": len(group)},
    )
    return group


def _link_actor(registration: Registration) -> Actor:
    return Actor.system(registration.community, label="cancel link")


def _offer_next(session_id: int, *, now: datetime) -> Registration | None:
    """Offer a freed seat of a (locked) session to the first on its waiting list."""
    session = Session.objects.get(pk=session_id)
    if session.seats_taken >= session.capacity or session.starts_at <= now:
        return None
    nxt = (
        Registration.objects.select_for_update()
        .filter(session_id=session_id, state=rules.WAITING)
        .order_by("waiting_since", "pk")
        .first()
    )
    if nxt is None:
        return None
    hours = _settings(session.community_id).offer_hours
    expires = min(now + timedelta(hours=hours), session.starts_at)
    # A whole-series sign-up is offered its seats together: one message for the group.
    first_of_group = not nxt.group or not (
        Registration.objects.filter(group=nxt.group, state=rules.OFFERED)
        .exclude(pk=nxt.pk)
        .exists()
    )
    _move(nxt, rules.OFFERED, now=now)
    token = secrets.token_urlsafe(16)
    nxt.offer_expires_at = expires
    nxt.offer_token_hash = rules.token_hash(token)
    nxt.save(update_fields=["offer_expires_at", "offer_token_hash"])
    if first_of_group:
        _send_offer(nxt, token, session, expires)
    return nxt


def offer_path(registration: Registration, token: str, slug: str) -> str:
    return f"/{slug}/activities/offer/{registration.pk}/{token}/"


def _send_offer(
    registration: Registration, token: str, session: Session, expires: datetime
) -> None:
    """Tell the person a seat is theirs if they want it, with the link to say yes or no, by
    SMS or e-mail in their language (they gave the number for this). Someone with neither a
    mobile nor an e-mail address who allows phone calls gets an automated call (press 1 or
    2, ``activities.calls``); anyone else is phoned by staff from the session's waiting list."""
    community = registration.community
    if _offer_by_call(registration):
        return
    url = public_url(fallback=DEFAULT_BASE_URL) + offer_path(registration, token, community.slug)
    with contextlib.suppress(ValidationFailed):
        notify(
            actor=Actor.system(community, label="waiting list"),
            person_id=registration.person_id,
            template="activities_offer",
            context={
                "title": translated(session.series.title, registration.language),
                "starts_at": session.starts_at,
                "place": session.place,
                "expires": expires,
                "url": url,
            },
            idempotency_key=f"activities-offer-{registration.pk}-{int(expires.timestamp())}",
            requested=True,
            language=registration.language,
        )


def _offer_by_call(registration: Registration) -> bool:
    """act-ops (issue 13): place the automated offer call when it is the way to reach them."""
    person = registration.person
    if person.email or not person.phone or person.phone_kind == "mobile":
        return False
    if reminder_channel(person, current_consents(person=person)) != "call":
        return False
    try:
        with transaction.atomic():
            call_create(
                actor=Actor.system(registration.community, label="waiting list"),
                to_number=person.phone,
                purpose=rules.OFFER_CALL,
                subject_type="activities.registration",
                subject_id=registration.pk,
                language=registration.language,
            )
    except ServiceError:
        return False  # no public address for the call's webhooks: staff phone them
    return True


@transaction.atomic
def offer_answer_by_call(*, community_id: int, registration_id: int, accept: bool) -> Registration:
    """The answer to the automated offer call: 1 takes the seat; 2, silence or no answer
    passes it to the next person on the waiting list. An offer no longer open is left as is."""
    registration = Registration.objects.filter(
        pk=registration_id, community_id=community_id
    ).first()
    if registration is None:
        raise NotFound(_("There is no such sign-up."))
    actor = Actor.system(registration.community, label="offer call")
    if accept:
        return _accept(actor, registration)
    if registration.state == rules.OFFERED:
        registration_cancel(actor=actor, registration_id=registration.pk)
        registration.refresh_from_db()
    return registration


@transaction.atomic
def offer_accept(*, actor: Actor, registration_id: int) -> Registration:
    registration = get_scoped(Registration, actor.community, pk=registration_id)
    _may_register_for(actor, registration.person_id)
    _may_change(actor, registration)
    return _accept(actor, registration)


def _accept(actor: Actor, registration: Registration) -> Registration:
    """Accept the offered seat(s): a whole-series sign-up takes all its offered seats."""
    group = _group_of(registration)
    list(
        Session.objects.select_for_update()
        .filter(pk__in=[r.session_id for r in group])
        .order_by("pk")
    )
    group = _group_of(registration)
    mine = next(r for r in group if r.pk == registration.pk)
    now = clock.now()
    if mine.state == rules.REGISTERED:
        return mine  # a second click
    if mine.state != rules.OFFERED or (mine.offer_expires_at and mine.offer_expires_at <= now):
        raise Conflict(
            _("This offer has expired: the seat went to the next person."), code="expired"
        )
    for r in group:
        if r.state == rules.OFFERED and (r.offer_expires_at is None or r.offer_expires_at > now):
            _move(r, rules.REGISTERED, now=now)
    audit_record(actor=actor, verb="activities.offer_accepted", obj=mine, data={})
    return mine


def _by_offer_link(community_id: int, registration_id: int, token: str) -> Registration:
    found = Registration.objects.filter(pk=registration_id, community_id=community_id).first()
    if (
        found is None
        or not found.offer_token_hash
        or not secrets.compare_digest(found.offer_token_hash, rules.token_hash(token or ""))
    ):
        raise NotFound(_("This link is not valid (any more)."))
    return found


@transaction.atomic
def offer_answer_by_link(
    *, community_id: int, registration_id: int, token: str, accept: bool
) -> Registration:
    """The person answers the offer's message: yes (the seat is theirs) or no (it goes on to
    the next person on the waiting list)."""
    registration = _by_offer_link(community_id, registration_id, token)
    actor = Actor.system(registration.community, label="offer link")
    if accept:
        return _accept(actor, registration)
    if registration.state != rules.CANCELLED:
        if registration.state not in (rules.OFFERED, rules.WAITING):
            raise Conflict(_("This sign-up can no longer be cancelled."), code="too_late")
        registration_cancel(actor=actor, registration_id=registration.pk)
        registration.refresh_from_db()
    return registration


def offers_expire() -> int:
    """Cancel offers not accepted in time and offer their seats to the next person. Each
    session in its own transaction; returns how many offers expired."""
    now = clock.now()
    due = (
        Registration.objects.filter(state=rules.OFFERED, offer_expires_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    expired = 0
    for session_id in list(due):
        with transaction.atomic():
            Session.objects.select_for_update().filter(pk=session_id).first()
            stale = list(
                Registration.objects.select_for_update().filter(
                    session_id=session_id, state=rules.OFFERED, offer_expires_at__lte=now
                )
            )
            for registration in stale:
                _move(registration, rules.CANCELLED, now=now)
                expired += 1
            for _registration in stale:
                _offer_next(session_id, now=now)
    return expired


@transaction.atomic
def attendance_mark(
    *, actor: Actor, registration_id: int, session_id: int, attended: bool
) -> Registration:
    """Check someone in at the door (or enter a paper list afterwards): came / did not come.
    The registration must belong to ``session_id`` (a check-in at the wrong session is refused)."""
    actor.require("activities.attend")
    get_scoped(Session, actor.community, pk=session_id)  # another community's: not found
    registration = get_scoped(Registration, actor.community, for_update=True, pk=registration_id)
    if registration.session_id != session_id:
        raise Conflict(_("This person is signed up for another session."), code="wrong_session")
    new = rules.ATTENDED if attended else rules.NO_SHOW
    if registration.state == new:
        return registration
    if not rules.may_follow(registration.state, new):
        raise Conflict(
            _("%(state)s: this person cannot be checked in.")
            % {"state": RegistrationState(registration.state).label},
            code="not_expected",
        )
    _move(registration, new, now=clock.now())
    audit_record(
        actor=actor, verb="activities.attendance", obj=registration, data={"attended": attended}
    )
    return registration


# --- the paper attendance list, entered afterwards (act-eval) --------------------------------


@transaction.atomic
def attendance_enter(*, actor: Actor, session_id: int, marks: dict[int, bool]) -> dict[str, int]:
    """Enter a paper attendance list after the session: for each registration id, came (True)
    or did not come (False). All or nothing: one wrong row writes none. Returns the counts
    of the session afterwards: ``attended`` and ``no_show``."""
    actor.require("activities.attend")
    session = get_scoped(Session, actor.community, pk=session_id)
    if session.starts_at > clock.now():
        raise Conflict(
            _("The paper list can be entered once the session has started."), code="not_yet"
        )
    Session.objects.select_for_update().filter(pk=session.pk).first()
    rows = {
        r.pk: r
        for r in Registration.objects.select_for_update()
        .filter(pk__in=list(marks), community_id=actor.community.pk)
        .select_related("person")
    }
    now = clock.now()
    changed = 0
    for registration_id, attended in marks.items():
        registration = rows.get(registration_id)
        if registration is None or registration.session_id != session.pk:
            raise Conflict(_("This person is signed up for another session."), code="wrong_session")
        new = rules.ATTENDED if attended else rules.NO_SHOW
        if registration.state == new:
            continue
        if not rules.may_follow(registration.state, new):
            raise Conflict(
                _("%(name)s: %(state)s, cannot be marked on the list.")
                % {
                    "name": registration.person.full_name,
                    "state": RegistrationState(registration.state).label,
                },
                code="not_expected",
            )
        _move(registration, new, now=now)
        changed += 1
    counts = {
        state: Registration.objects.filter(session=session, state=state).count()
        for state in (rules.ATTENDED, rules.NO_SHOW)
    }
    audit_record(
        actor=actor,
        verb="activities.attendance",
        obj=session,
        data={"paper_list": True, "changed": changed, **counts},
    )
    return {"attended": counts[rules.ATTENDED], "no_show": counts[rules.NO_SHOW]}
