"""Check-in at the door by the QR code of the confirmation.

The confirmation links to the person's "my sign-up" page (the secret of the cancel link opens
it); that page shows a QR code holding ``/<community>/activities/check-in/<id>/<code>/`` on the
community's public address. The code is derived from the stored hash of the cancel secret
with the server's secret key: it opens no other page (whoever sees the QR cannot cancel), and
it stops working when the registration is anonymised (the hash is cleared).

Someone with ``activities.attend`` who scans it checks the person in at the session being
run; a code for another session, for someone waiting, for a cancelled sign-up, or a second
scan is refused with a clear message, and nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from buurtkit.activities import rules
from buurtkit.activities.models import Registration, Session
from buurtkit.activities.services.registrations import DEFAULT_BASE_URL, attendance_mark
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound
from buurtkit.core.idempotency import clean_key
from buurtkit.core.models import Community
from buurtkit.core.public_url import public_url
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated

BRUSSELS = ZoneInfo("Europe/Brussels")


def link_code(registration: Registration, purpose: str) -> str:
    """A secret for one purpose ("checkin", "evaluate") derived from the cancel secret's hash:
    nothing more to store, and void once the registration is anonymised."""
    if not registration.cancel_token_hash:
        return ""
    message = f"activities-{purpose}:{registration.pk}:{registration.cancel_token_hash}"
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def by_link_code(
    *, community: Community, registration_id: int, code: str, purpose: str
) -> Registration | None:
    found = (
        Registration.objects.in_community(community)
        .filter(pk=registration_id)
        .select_related("session__series", "session__place", "person")
        .first()
    )
    if found is None:
        return None
    expected = link_code(found, purpose)
    if not expected or not hmac.compare_digest(expected, code or ""):
        return None
    return found


def checkin_path(registration: Registration) -> str:
    code = link_code(registration, "checkin")
    return f"/{registration.community.slug}/activities/check-in/{registration.pk}/{code}/"


def checkin_url(registration: Registration) -> str:
    """The absolute address in the QR code: the community's public address, never a guess."""
    return public_url(fallback=DEFAULT_BASE_URL) + checkin_path(registration)


def _when(session: Session) -> str:
    local = timezone.localtime(session.starts_at, BRUSSELS)
    return str(formats.date_format(local, "l j F H:i"))


def _group(registration: Registration) -> list[Registration]:
    if not registration.group:
        return [registration]
    return list(
        Registration.objects.filter(
            community_id=registration.community_id, group=registration.group
        ).select_related("session__series", "person")
    )


def is_today(session: Session, now: datetime) -> bool:
    return timezone.localtime(session.starts_at, BRUSSELS).date() == (
        timezone.localtime(now, BRUSSELS).date()
    )


def checkin_session_today(registration: Registration) -> int | None:
    """The session (of this sign-up, or of its whole-series group) that is on today."""
    now = clock.now()
    for r in _group(registration):
        if is_today(r.session, now) and r.session.cancelled_at is None:
            return r.session_id
    return None


def checkin_check(registration: Registration, session_id: int | None) -> Registration:
    """The registration to check in at ``session_id`` (None: the one on today), or a
    :class:`Conflict` saying why not. Writes nothing."""
    if session_id is None:
        session_id = checkin_session_today(registration)
    mine = next((r for r in _group(registration) if r.session_id == session_id), None)
    session = registration.session
    title = translated(session.series.title, registration.language)
    if mine is None:
        if session_id is None:
            msg = _("This code is for %(title)s on %(when)s, not for today.")
        else:
            msg = _(
                "This code is for %(title)s on %(when)s, not for the session you are "
                "checking in for."
            )
        raise Conflict(msg % {"title": title, "when": _when(session)}, code="wrong_session")
    name = mine.person.full_name
    if mine.state == rules.CANCELLED:
        raise Conflict(
            _("The sign-up of %(name)s was cancelled.") % {"name": name}, code="cancelled"
        )
    if mine.state in (rules.WAITING, rules.OFFERED):
        raise Conflict(
            _("%(name)s is on the waiting list and has no seat at this session.") % {"name": name},
            code="waiting",
        )
    if mine.state == rules.ATTENDED:
        local = timezone.localtime(mine.changed_at, BRUSSELS)
        raise Conflict(
            _("%(name)s is already checked in (at %(time)s).")
            % {"name": name, "time": formats.time_format(local.time().replace(second=0))},
            code="already",
        )
    return mine


def checkin_by_code(
    *,
    actor: Actor,
    registration_id: int,
    code: str,
    session_id: int,
    idempotency_key: str | None = None,
) -> Registration:
    """Check in the person whose QR code was scanned at ``session_id``. A retry with the same
    idempotency key answers with the check-in it made (``replayed``); a second scan is
    refused (``already``)."""
    actor.require("activities.attend")
    key = clean_key(idempotency_key, required=False)
    get_scoped(Session, actor.community, pk=session_id)  # another community's: not found
    scanned = by_link_code(
        community=actor.community, registration_id=registration_id, code=code, purpose="checkin"
    )
    if scanned is None:
        raise NotFound(_("This code is not valid (any more)."))
    with transaction.atomic():
        # The same lock order as a sign-up: the session, then the registrations. Two phones
        # scanning the same code at once: the second one waits, then sees "already".
        Session.objects.select_for_update().filter(pk=session_id).first()
        ids = [r.pk for r in _group(scanned)]
        list(Registration.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        # Read it again under the locks: another phone may have checked the person in while
        # this one waited (a sign-up without a group is not read again by ``_group``).
        scanned = Registration.objects.select_related("session__series", "person").get(
            pk=scanned.pk
        )
        try:
            mine = checkin_check(scanned, session_id)
        except Conflict as exc:
            if exc.code == "already" and key:
                again = next(r for r in _group(scanned) if r.session_id == session_id)
                if again.checkin_key == key:
                    again.replayed = True  # type: ignore[attr-defined]
                    return again
            raise
        done = attendance_mark(
            actor=actor, registration_id=mine.pk, session_id=session_id, attended=True
        )
        done.checkin_key = key
        done.save(update_fields=["checkin_key"])
        return done
