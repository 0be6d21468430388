"""Referrals: a partner (the OCMW, a school, an association) asks a device for a household.

The life of a request::

    waiting → approved → matched (a device set aside) → invited (to pick it up) → handed_over
       └──────────┴─→ refused            (waiting/approved) ─→ cancelled

- A referrer (``lending.refer``) files and cancels requests of their own organisation only.
  Staff who triage (``lending.triage``) may file for any partner, and approve, refuse, set a
  device aside ("match") and invite.
- The household is named by the partner's own pseudonymous reference. A resident's identity
  is stored only where a loan needs it, and a partner sees it only when they entered it.
- Caps: at most N requests per partner per month, quarter or year (Europe/Brussels). What
  counts is every request filed in the current period that was not refused or cancelled.
- Hand-over (state ``handed_over``) is the counter's work (``handover_create``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

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
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.lending import rules
from buurtkit.lending.models import (
    AgreementKind,
    CapPeriod,
    Device,
    DeviceKind,
    DeviceState,
    Eligibility,
    InvitedVia,
    Pool,
    Referral,
    ReferralCap,
    ReferralState,
)
from buurtkit.lending.periods import period_start
from buurtkit.lending.services.stock import device_record_event
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place

#: Requests that wait in the queue (their position is shown to the partner).
QUEUED = (ReferralState.WAITING, ReferralState.APPROVED)
#: Requests with a device set aside for them.
HOLDING = (ReferralState.MATCHED, ReferralState.INVITED)
#: Requests that no longer count against a partner's cap.
NOT_COUNTED = (ReferralState.REFUSED, ReferralState.CANCELLED)
MAX_HOUSEHOLD = 30
MAX_CAP = 100_000
INVITE_CHANNELS = ("auto", "sms", "email", "referrer")


def _refuse(field: str, msg: str) -> ValidationFailed:
    return ValidationFailed(msg, fields={field: msg})


def may_triage(actor: Actor) -> bool:
    return actor.has("lending.triage")


def partner_of(actor: Actor, organisation_id: int | None) -> Organisation:
    """The partner a request is filed for: the referrer's own organisation, or (staff who
    triage) any partner of the community."""
    if may_triage(actor):
        if organisation_id is None:
            msg = _("Choose the partner this request is for.")
            raise _refuse("organisation_id", msg)
        return get_scoped(Organisation, actor.community, pk=organisation_id)
    own = sorted(actor.organisation_ids)
    if not own:
        raise PermissionDenied(
            _("Your login is not linked to a partner organisation. Ask a coordinator."),
            code="permission_denied",
        )
    if organisation_id is None:
        if len(own) > 1:
            raise _refuse("organisation_id", _("Choose the partner this request is for."))
        organisation_id = own[0]
    if organisation_id not in own:
        raise PermissionDenied(
            _("You can only ask devices for your own organisation."), code="permission_denied"
        )
    return get_scoped(Organisation, actor.community, pk=organisation_id)


def referral_for_actor(actor: Actor, referral_id: int, *, for_update: bool = False) -> Referral:
    """One request as ``actor`` may reach it: staff who triage any, a referrer their own
    organisation's (another partner's request is simply not found)."""
    if not may_triage(actor):
        actor.require("lending.refer")
        if not actor.organisation_ids:
            raise PermissionDenied(
                _("Your login is not linked to a partner organisation. Ask a coordinator."),
                code="permission_denied",
            )
    referral = get_scoped(Referral, actor.community, for_update=for_update, pk=referral_id)
    if not may_triage(actor) and referral.organisation_id not in actor.organisation_ids:
        # Another partner's request: as if it did not exist (the same answer as a wrong id).
        thing = str(Referral._meta.verbose_name).capitalize()
        raise NotFound(_("%(thing)s not found.") % {"thing": thing})
    return referral


# --- filing -----------------------------------------------------------------------------------


def _text(raw: Any, field: str, limit: int, *, required: str = "") -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise _refuse(field, required)
    if len(value) > limit:
        raise _refuse(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def _resident(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    first = _text(raw.get("first_name"), "resident.first_name", 100)
    last = _text(raw.get("last_name"), "resident.last_name", 100)
    if not first:
        raise _refuse("resident.first_name", _("Give at least the resident's first name."))
    return {
        "first_name": first,
        "last_name": last,
        "phone": _text(raw.get("phone"), "resident.phone", 30),
        "email": _text(raw.get("email"), "resident.email", 254),
        "preferred_language": _text(raw.get("language"), "resident.language", 5),
        "contact_sms": bool(raw.get("contact_sms")),
        "contact_email": bool(raw.get("contact_email")),
        "contact_phone": bool(raw.get("contact_phone")),
    }


def _check_caps(organisation: Organisation, now: datetime) -> None:
    """Refuse a request beyond one of the partner's caps. The caller holds the caps' lock."""
    caps = list(
        ReferralCap.objects.in_community(organisation.community_id)
        .select_for_update()
        .filter(organisation=organisation)
        .order_by("pk")
    )
    for cap in caps:
        since = period_start(cap.period, now)
        used = (
            Referral.objects.in_community(organisation.community_id)
            .filter(organisation=organisation, filed_at__gte=since)
            .exclude(state__in=NOT_COUNTED)
            .count()
        )
        if used >= cap.max_referrals:
            msg = _(
                "%(partner)s has used all %(max)d requests %(period)s. A new request can be "
                "filed from %(next)s, or ask the device bank to raise the limit."
            ) % {
                "partner": organisation.name,
                "max": cap.max_referrals,
                "period": CapPeriod(cap.period).label,
                "next": _next_period_text(cap.period, now),
            }
            raise Conflict(msg, code="cap_reached")


def _next_period_text(period: str, now: datetime) -> str:
    from buurtkit.lending.periods import next_period_start

    return next_period_start(period, now).strftime("%d/%m/%Y")


@transaction.atomic
def referral_file(
    *,
    actor: Actor,
    kind: str,
    purpose: str,
    eligibility: str,
    client_ref: str,
    organisation_id: int | None = None,
    eligibility_note: str = "",
    household_size: int | None = None,
    wished: str = AgreementKind.GIFT,
    resident: dict[str, Any] | None = None,
    person_id: int | None = None,
    idempotency_key: str | None = None,
) -> Referral:
    """File a request for a device for one household.

    ``resident`` (first_name, last_name, phone, email, language, contact_sms, contact_email)
    is given only for a loan, which needs a name: the partner registers the resident, and only
    that partner sees them. Staff who triage may link a resident already known instead
    (``person_id``); the partner does not see that one. A retry with the same
    ``idempotency_key`` answers the first request instead of filing it twice.
    """
    actor.require("lending.refer")
    organisation = partner_of(actor, organisation_id)
    if kind not in DeviceKind.values:
        raise _refuse("kind", _("Choose the kind of device the household needs."))
    if eligibility not in Eligibility.values:
        raise _refuse("eligibility", _("Choose why the household may get a device."))
    if wished not in AgreementKind.values:
        raise _refuse("wished", _("Choose gift, loan or sale at social tariff."))
    purpose = _text(purpose, "purpose", 300, required=_("Say what the device is for."))
    client_ref = _text(
        client_ref, "client_ref", 60, required=_("Give your own reference for this household.")
    )
    note = _text(eligibility_note, "eligibility_note", 300)
    if eligibility == Eligibility.OTHER and not note:
        raise _refuse("eligibility_note", _("Say in a few words why the household may get one."))
    if household_size is not None and not 1 <= household_size <= MAX_HOUSEHOLD:
        raise _refuse("household_size", _("Give a number from 1 to %(n)d.") % {"n": MAX_HOUSEHOLD})
    details = _resident(resident)
    if person_id is not None and not may_triage(actor):
        raise PermissionDenied(
            _("Only the device bank links a known resident to a request."),
            code="permission_denied",
        )
    if (details or person_id) and wished != AgreementKind.LOAN:
        msg = _("Only a loan needs the resident's name. Leave it out for a gift or a sale.")
        raise _refuse("resident", msg)
    if details and person_id:
        raise _refuse("resident", _("Give a new resident or a known one, not both."))
    person = None
    if person_id is not None:
        from buurtkit.people.models import Person

        person = get_scoped(Person, actor.community, pk=person_id)
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint(
        {
            "organisation": organisation.pk,
            "kind": kind,
            "purpose": purpose,
            "eligibility": eligibility,
            "note": note,
            "client_ref": client_ref,
            "household": household_size,
            "wished": wished,
            "resident": details,
            "person": person_id,
        }
    )

    def create() -> Referral:
        now = clock.now()
        _check_caps(organisation, now)
        entered = None
        if details:
            entered = _register_resident(actor, details)
        referral = Referral.objects.create(
            community=actor.community,
            organisation=organisation,
            client_ref=client_ref,
            person=entered or person,
            person_by_referrer=entered is not None and not may_triage(actor),
            household_size=household_size,
            kind=kind,
            purpose=purpose,
            eligibility=eligibility,
            eligibility_note=note,
            wished=wished,
            filed_at=now,
            filed_by_label=actor.label[:150],
            idempotency_key=key,
            request_hash=request_hash,
        )
        audit_record(
            actor=actor,
            verb="lending.referral_filed",
            obj=referral,
            data={"organisation": organisation.pk, "kind": kind, "wished": wished},
        )
        return referral

    if not key:
        return create()
    return run_once(
        queryset=Referral.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another request."),
    )


def _register_resident(actor: Actor, details: dict[str, Any]) -> Any:
    """Register the resident a partner names for a loan. A referrer may register this one
    person (not change or read others): the right is lent for this call only. A namesake with
    the same number is not looked up, so filing tells nothing about who else is registered."""
    from buurtkit.people.services import person_create

    registering = replace(actor, permissions=actor.permissions | {"people.manage"})
    values = {k: v for k, v in details.items() if not k.startswith("contact_")}
    if not values["preferred_language"]:
        values.pop("preferred_language")
    consents = {"data_processing": True}
    if details["contact_sms"]:
        consents["contact_sms"] = True
    if details["contact_email"]:
        consents["contact_email"] = True
    if details["contact_phone"]:
        consents["contact_phone"] = True  # an automated call (a landline without SMS)
    try:
        return person_create(actor=registering, consents=consents, allow_duplicate=True, **values)
    except ValidationFailed as exc:
        fields = {f"resident.{name}": msg for name, msg in exc.fields.items()}
        raise ValidationFailed(exc.detail, fields=fields) from exc


# --- deciding ---------------------------------------------------------------------------------


def _state_conflict(referral: Referral) -> Conflict:
    msg = _("This request is %(state)s; that cannot be done now.") % {
        "state": ReferralState(referral.state).label
    }
    return Conflict(msg, code="wrong_state")


@transaction.atomic
def referral_approve(*, actor: Actor, referral_id: int) -> Referral:
    """Approve a waiting request (it keeps its place in the queue). A second click on
    "approve" changes nothing."""
    actor.require("lending.triage")
    referral = referral_for_actor(actor, referral_id, for_update=True)
    if referral.state == ReferralState.APPROVED:
        return referral
    if referral.state != ReferralState.WAITING:
        raise _state_conflict(referral)
    _decide(actor, referral, ReferralState.APPROVED)
    audit_record(actor=actor, verb="lending.referral_approved", obj=referral)
    return referral


def _decide(actor: Actor, referral: Referral, state: str, reason: str = "") -> None:
    referral.state = state
    referral.decided_at = clock.now()
    referral.decided_by_label = actor.label[:150]
    fields = ["state", "decided_at", "decided_by_label"]
    if reason:
        referral.refusal_reason = reason
        fields.append("refusal_reason")
    referral.save(update_fields=fields)


@transaction.atomic
def referral_refuse(*, actor: Actor, referral_id: int, reason: str) -> Referral:
    """Refuse a waiting or approved request, with a reason the partner reads."""
    actor.require("lending.triage")
    reason = _text(reason, "reason", 300, required=_("Say why the request is refused."))
    referral = referral_for_actor(actor, referral_id, for_update=True)
    if referral.state not in QUEUED:
        raise _state_conflict(referral)
    _decide(actor, referral, ReferralState.REFUSED, reason)
    audit_record(actor=actor, verb="lending.referral_refused", obj=referral)
    return referral


@transaction.atomic
def referral_cancel(*, actor: Actor, referral_id: int, reason: str = "") -> Referral:
    """Withdraw a request. The partner may while it waits (waiting or approved); staff who
    triage may also when a device is set aside, which goes back on the shelf."""
    actor.require("lending.refer")
    reason = _text(reason, "reason", 300)
    referral = referral_for_actor(actor, referral_id, for_update=True)
    allowed = QUEUED + HOLDING if may_triage(actor) else QUEUED
    if referral.state not in allowed:
        raise _state_conflict(referral)
    if referral.state in HOLDING and referral.device_id:
        device_record_event(
            actor=actor,
            device_id=referral.device_id,
            kind=rules.AVAILABLE,
            note=_("request %(id)s cancelled") % {"id": referral.pk},
        )
    referral.state = ReferralState.CANCELLED
    referral.cancelled_at = clock.now()
    referral.cancelled_by_label = actor.label[:150]
    if reason:
        referral.refusal_reason = reason
    referral.save(update_fields=["state", "cancelled_at", "cancelled_by_label", "refusal_reason"])
    audit_record(actor=actor, verb="lending.referral_cancelled", obj=referral)
    return referral


# --- a device set aside -----------------------------------------------------------------------


def _pick_device(actor: Actor, referral: Referral, device_id: int | None) -> Device:
    device: Device | None
    if device_id is not None:
        device = get_scoped(Device, actor.community, for_update=True, pk=device_id)
    else:
        # The device longest on the shelf; one another match holds is skipped (PostgreSQL).
        device = (
            Device.objects.in_community(actor.community)
            .filter(state=DeviceState.AVAILABLE, kind=referral.kind, pool=Pool.HANDOUT)
            .order_by("state_changed_at", "pk")
            .select_for_update(skip_locked=True)
            .first()
        )
        if device is None:
            msg = _("No %(kind)s is available now. The request keeps its place.") % {
                "kind": DeviceKind(referral.kind).label
            }
            raise Conflict(msg, code="no_device", fields={"device_id": msg})
    if device.kind != referral.kind:
        msg = _("The household needs a %(kind)s.") % {"kind": DeviceKind(referral.kind).label}
        raise _refuse("device_id", msg)
    if device.pool != Pool.HANDOUT:
        raise _refuse("device_id", _("This device is not for residents."))
    if device.state != DeviceState.AVAILABLE:
        msg = _("Device %(label)s is not available any more (%(state)s).") % {
            "label": device.label,
            "state": DeviceState(device.state).label,
        }
        raise Conflict(msg, code="device_taken", fields={"device_id": msg})
    return device


def _match(actor: Actor, referral: Referral, device_id: int | None) -> None:
    if referral.state not in QUEUED:
        raise _state_conflict(referral)
    device = _pick_device(actor, referral, device_id)
    device_record_event(
        actor=actor,
        device_id=device.pk,
        kind=rules.RESERVED,
        note=_("set aside for request %(id)s") % {"id": referral.pk},
    )
    now = clock.now()
    if referral.state == ReferralState.WAITING:  # setting a device aside approves the request
        referral.decided_at, referral.decided_by_label = now, actor.label[:150]
    referral.state = ReferralState.MATCHED
    referral.device = device
    referral.matched_at = now
    try:
        with transaction.atomic():
            referral.save(
                update_fields=["state", "device", "matched_at", "decided_at", "decided_by_label"]
            )
    except IntegrityError as exc:  # another request holds this device (the unique constraint)
        raise Conflict(
            _("Device %(label)s is not available any more.") % {"label": device.label},
            code="device_taken",
        ) from exc
    audit_record(
        actor=actor,
        verb="lending.referral_matched",
        obj=referral,
        data={"device": device.pk, "label": device.label},
    )


@transaction.atomic
def referral_match(*, actor: Actor, referral_id: int, device_id: int | None = None) -> Referral:
    """Set a device aside for a request (its event "reserved"). Without ``device_id``, the
    available device of the right kind that waited longest. A waiting request is approved by
    this too. Two people matching one device at once: one wins, the other gets a conflict."""
    actor.require("lending.triage")
    referral = referral_for_actor(actor, referral_id, for_update=True)
    _match(actor, referral, device_id)
    return referral


# --- the invitation ---------------------------------------------------------------------------


@transaction.atomic
def referral_invite(
    *,
    actor: Actor,
    referral_id: int,
    place_id: int,
    pickup_at: datetime,
    device_id: int | None = None,
    channel: str = "auto",
) -> Referral:
    """Invite the resident to pick the device up at a place and time.

    By text message or e-mail when the resident is known with a number or address and gave
    consent; otherwise (``channel="referrer"``, or nobody to reach) the partner sees that they
    must tell the household themselves. A request without a device yet gets one first
    (``device_id`` or the longest waiting one). Sending the same invitation again (a second
    click) sends nothing; a new place or time sends a new message.
    """
    actor.require("lending.triage")
    if channel not in INVITE_CHANNELS:
        raise _refuse("channel", _("Choose how to invite: text message, e-mail or the partner."))
    if pickup_at.tzinfo is None:
        raise _refuse("pickup_at", _("Give the time with its time zone."))
    if pickup_at <= clock.now():
        raise _refuse("pickup_at", _("Choose a moment in the future."))
    referral = referral_for_actor(actor, referral_id, for_update=True)
    place = get_scoped(Place, actor.community, pk=place_id)
    if referral.state in QUEUED:
        _match(actor, referral, device_id)
    elif referral.state not in HOLDING:
        raise _state_conflict(referral)
    if (
        referral.state == ReferralState.INVITED
        and referral.pickup_place_id == place.pk
        and referral.pickup_at == pickup_at
    ):
        referral.replayed = True  # type: ignore[attr-defined]
        return referral
    via = _send_invitation(actor, referral, place, pickup_at, channel)
    referral.state = ReferralState.INVITED
    referral.pickup_place = place
    referral.pickup_at = pickup_at
    referral.invited_at = clock.now()
    referral.invited_via = via
    referral.save(update_fields=["state", "pickup_place", "pickup_at", "invited_at", "invited_via"])
    audit_record(
        actor=actor,
        verb="lending.referral_invited",
        obj=referral,
        data={"place": place.pk, "pickup_at": pickup_at.isoformat(), "via": via},
    )
    return referral


def _send_invitation(
    actor: Actor, referral: Referral, place: Place, pickup_at: datetime, channel: str
) -> str:
    if channel == "referrer" or referral.person_id is None:
        return InvitedVia.REFERRER
    from buurtkit.messaging.services import notify

    key = "lending-invite-" + fingerprint([referral.pk, place.pk, pickup_at.isoformat()])[:40]
    try:
        message = notify(
            actor=actor,
            person_id=referral.person_id,
            template="lending_pickup",
            context={
                "place": place,
                "address": " ".join(p for p in (place.street, place.postcode) if p),
                "pickup_at": pickup_at,
                "kind": DeviceKind(referral.kind).label,
                "device": referral.device.label if referral.device else "",
            },
            channel=channel,
            idempotency_key=key,
        )
    except ServiceError as exc:
        if channel == "auto" and exc.code == "unreachable":
            # No mobile, no e-mail: a landline with consent to be phoned gets an automated
            # call; otherwise (or when no call can be placed) the partner tells the household.
            return _invite_by_call(actor, referral) or InvitedVia.REFERRER
        raise
    return InvitedVia.SMS if message.channel == "sms" else InvitedVia.EMAIL


INVITATION_PURPOSE = "lending.invitation"


def _invite_by_call(actor: Actor, referral: Referral) -> str:
    """Place the automated invitation call (``lending.calls.invitation_flow`` reads the place
    and time twice in the person's language) when the person may be phoned; "" when not."""
    from buurtkit.people.selectors import current_consents_of, reminder_channel
    from buurtkit.telephony.services import call_create

    person = referral.person
    consents = current_consents_of({person.pk}).get(person.pk, {}) if person else {}
    if person is None or reminder_channel(person, consents) != "call":
        return ""
    try:
        # The device bank's own call: placed as the system, in the name of who invited.
        call_create(
            actor=Actor.system(actor.community, label=actor.label),
            to_number=person.phone,
            purpose=INVITATION_PURPOSE,
            subject_type="lending.referral",
            subject_id=referral.pk,
            language=person.preferred_language,
        )
    except ServiceError:
        return ""  # a number that does not parse, no public address for the webhooks
    return InvitedVia.CALL


# --- caps -------------------------------------------------------------------------------------


@transaction.atomic
def cap_set(
    *, actor: Actor, organisation_id: int, period: str, max_referrals: int | None
) -> ReferralCap | None:
    """Set a partner's cap for a period (``None`` removes it). Requests already filed stay."""
    actor.require("lending.triage")
    if period not in CapPeriod.values:
        raise _refuse("period", _("Choose per month, per quarter or per year."))
    organisation = get_scoped(Organisation, actor.community, pk=organisation_id)
    existing = (
        ReferralCap.objects.in_community(actor.community)
        .select_for_update()
        .filter(organisation=organisation, period=period)
        .first()
    )
    if max_referrals is None:
        if existing is not None:
            existing.delete()
            audit_record(
                actor=actor,
                verb="lending.cap_removed",
                obj=organisation,
                data={"period": period},
            )
        return None
    if not 0 <= max_referrals <= MAX_CAP:
        raise _refuse("max_referrals", _("Give a number from 0 to %(n)d.") % {"n": MAX_CAP})
    if existing is None:
        existing = ReferralCap(
            community=actor.community, organisation=organisation, period=period, max_referrals=0
        )
    existing.max_referrals = max_referrals
    existing.save()
    audit_record(
        actor=actor,
        verb="lending.cap_set",
        obj=organisation,
        data={"period": period, "max": max_referrals},
    )
    return existing


__all__ = [
    "HOLDING",
    "QUEUED",
    "cap_set",
    "may_triage",
    "referral_approve",
    "referral_cancel",
    "referral_file",
    "referral_for_actor",
    "referral_invite",
    "referral_match",
    "referral_refuse",
]
