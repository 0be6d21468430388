"""Hand-overs at the counter with a signed agreement; loans, their extensions, returns and the
nightly reminders.

A hand-over is one transaction: the agreement text version in the resident's language, the
signature, the agreement PDF (and its sha256), a "handed_over" event per device through the
stock's :func:`device_record_event` (which refuses a device not wiped since it came in), the
loans, and the referral set to "handed over". A retry with the same idempotency key answers
the first hand-over; a device already handed over is refused; two counters handing over the
same device at once: the device row lock lets one through.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ServiceError, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.lending import agreements, rules
from buurtkit.lending.models import (
    AgreementKind,
    AgreementText,
    Connectivity,
    Device,
    DeviceKind,
    HandOver,
    HandOverDevice,
    IdentityDocument,
    Loan,
    LoanState,
    Referral,
    ReferralState,
)
from buurtkit.lending.services.stock import device_record_event
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents_of, reminder_channel
from buurtkit.places.models import Place

MAX_DEVICES_PER_HANDOVER = 10
MAX_TITLE = 150
MAX_BODY = 10_000
#: Reminder stages, in order, with the day they start relative to the due date.
REMINDER_STAGES: tuple[tuple[str, int], ...] = (
    ("before", -7),
    ("due", 0),
    ("after", 7),
    ("after2", 21),
)
REMINDER_PURPOSE = "lending.reminder"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def loan_limits() -> dict[str, int]:
    """The loan rules (settings ``LENDING_LOAN_MAX_DAYS``, ``LENDING_LOAN_MAX_EXTENSIONS``,
    ``LENDING_LOAN_MAX_TOTAL_DAYS``): a first due date at most so many days after the
    hand-over, so many extensions, and never past so many days after the hand-over."""
    return {
        "max_days": int(getattr(settings, "LENDING_LOAN_MAX_DAYS", 183)),
        "max_extensions": int(getattr(settings, "LENDING_LOAN_MAX_EXTENSIONS", 2)),
        "max_total_days": int(getattr(settings, "LENDING_LOAN_MAX_TOTAL_DAYS", 365)),
    }


def _refuse(field: str, message: str, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message}, code=code)


def _today() -> date:
    return clock.now().astimezone(agreements.BRUSSELS).date()


# --- agreement texts ----------------------------------------------------------------------------


def _check_kind_language(kind: str, language: str) -> None:
    if kind not in AgreementKind.values:
        raise _refuse("kind", _("Choose gift, loan or sale."))
    if language not in LANGUAGES:
        raise _refuse("language", _("Choose a language we offer."))


def _publish(
    community: Community, kind: str, language: str, title: str, body: str, by: str
) -> AgreementText:
    # One publisher at a time per community: the versions are numbered without gaps.
    Community.objects.select_for_update().get(pk=community.pk)
    last = AgreementText.objects.in_community(community).filter(kind=kind, language=language)
    version = (last.aggregate(v=Max("version"))["v"] or 0) + 1
    return AgreementText.objects.create(
        community=community,
        kind=kind,
        language=language,
        version=version,
        title=title,
        body=body,
        created_by_label=by[:150],
    )


def agreement_text_current(*, community: Community, kind: str, language: str) -> AgreementText:
    """The newest version of a text; the standard text is published (as version 1) on first
    use, so every community starts with a text in each language. Call it in a transaction."""
    _check_kind_language(kind, language)
    found = (
        AgreementText.objects.in_community(community)
        .filter(kind=kind, language=language)
        .order_by("-version")
        .first()
    )
    if found is not None:
        return found
    title, body = agreements.default_text(kind, language)
    return _publish(community, kind, language, title, body, "buurtkit")


@transaction.atomic
def agreement_text_publish(
    *,
    actor: Actor,
    kind: str,
    language: str,
    title: str,
    body: str,
    expected_version: int | None = None,
) -> AgreementText:
    """Publish a new version of the text residents sign for ``kind`` in ``language``. Signed
    agreements keep pointing at the version they were signed on; texts are never edited.

    ``expected_version`` is the version the publisher read (the page sends it): when another
    version was published since — by someone else, or by a second click — nothing is published
    and the conflict says which version is current now."""
    actor.require("lending.agreements")
    _check_kind_language(kind, language)
    title, body = title.strip(), body.strip()
    if not title or len(title) > MAX_TITLE:
        raise _refuse("title", _("Give a title of 1 to %(n)d characters.") % {"n": MAX_TITLE})
    if not body or len(body) > MAX_BODY:
        raise _refuse("body", _("Give a text of 1 to %(n)d characters.") % {"n": MAX_BODY})
    # One publisher at a time per community (the lock _publish takes, taken first here).
    Community.objects.select_for_update().get(pk=actor.community.pk)
    published = AgreementText.objects.in_community(actor.community).filter(
        kind=kind, language=language
    )
    current = published.aggregate(v=Max("version"))["v"] or 0  # 0: still the standard text
    if expected_version is not None and current != expected_version:
        raise Conflict(
            _(
                "Version %(version)d of this text was published in the meantime. Read it, "
                "then publish your changes again if they are still needed."
            )
            % {"version": current},
            code="agreement_text_changed",
        )
    # The standard text is version 1: a community's own text comes after it.
    agreement_text_current(community=actor.community, kind=kind, language=language)
    text = _publish(actor.community, kind, language, title, body, actor.label)
    audit_record(
        actor=actor,
        verb="lending.agreement_text_published",
        obj=text,
        data={"kind": kind, "language": language, "version": text.version},
    )
    return text


# --- hand-over -------------------------------------------------------------------------------------


def signature_from_data_url(value: str) -> bytes:
    """The PNG bytes of ``data:image/png;base64,…`` (or plain base64); b"" when unreadable."""
    value = (value or "").strip()
    if value.startswith("data:"):
        header, _sep, value = value.partition(",")
        if header != "data:image/png;base64":
            return b""
    if len(value) > agreements.MAX_SIGNATURE_BYTES * 2:
        return b"\x00" * (agreements.MAX_SIGNATURE_BYTES + 1)  # refused as too large
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _agreement_facts(handover: HandOver, devices: Iterable[Device], png: bytes) -> Any:
    text = handover.agreement_text
    return agreements.AgreementFacts(
        community=handover.community.name,
        kind=handover.kind,
        language=handover.language,
        text_id=text.pk,
        text_version=text.version,
        title=text.title,
        body=text.body,
        devices=[
            agreements.DeviceLine(
                label=d.label,
                kind=DeviceKind(d.kind).label,
                brand_model=f"{d.brand} {d.model}".strip(),
                serial=d.serial,
            )
            for d in devices
        ],
        recipient=handover.recipient_label,
        handed_by=handover.handed_by_label,
        handed_at=handover.handed_at,
        place=handover.place.name if handover.place else "",
        due_on=getattr(handover, "_due_on", None),
        price_cents=handover.price_cents,
        receipt_number=handover.receipt_number,
        identity_document=(
            IdentityDocument(handover.identity_document).label if handover.identity_document else ""
        ),
        signature_png=png,
        handover_id=handover.pk,
    )


def _clean_handover(
    *,
    actor: Actor,
    kind: str,
    device_ids: list[int],
    person_id: int | None,
    recipient_name: str,
    language: str,
    signature_png: bytes,
    price_cents: int,
    receipt_number: str,
    due_on: date | None,
    connectivity: str,
    identity_checked: bool,
    identity_document: str,
    referral_id: int | None,
) -> dict[str, Any]:
    if kind not in AgreementKind.values:
        raise _refuse("kind", _("Choose gift, loan or sale."))
    ids = sorted({int(i) for i in device_ids or []})
    if not ids:
        raise _refuse("device_ids", _("Choose at least one device."))
    if len(ids) > MAX_DEVICES_PER_HANDOVER:
        raise _refuse(
            "device_ids",
            _("At most %(n)d devices in one hand-over.") % {"n": MAX_DEVICES_PER_HANDOVER},
        )
    if language not in LANGUAGES:
        raise _refuse("language", _("Choose a language we offer."))
    if connectivity not in Connectivity.values:
        raise _refuse("connectivity", _("Say whether the household is online, and how."))
    if not identity_checked:
        raise _refuse(
            "identity_checked", _("Check the resident's identity document first."), "identity"
        )
    if identity_document not in IdentityDocument.values:
        raise _refuse("identity_document", _("Say which identity document you saw."))
    name = recipient_name.strip()
    if not name and person_id is None and referral_id is None:
        raise _refuse("recipient_name", _("Write the name of the person who receives it."))
    if len(name) > 150:
        raise _refuse("recipient_name", _("At most %(n)d characters.") % {"n": 150})
    problem = agreements.signature_problem(signature_png)
    if problem:
        code = "signature_missing" if not signature_png else "signature_invalid"
        raise _refuse("signature_png", problem, code)
    receipt = receipt_number.strip()
    if kind == AgreementKind.LOAN:
        limits = loan_limits()
        if due_on is None:
            raise _refuse("due_on", _("A loan needs the date it is due back."))
        today = _today()
        if due_on <= today:
            raise _refuse("due_on", _("The due date is after today."))
        if due_on > today + timedelta(days=limits["max_days"]):
            raise _refuse(
                "due_on",
                _("A loan is at most %(n)d days; choose an earlier date.")
                % {"n": limits["max_days"]},
                "loan_too_long",
            )
    elif due_on is not None:
        raise _refuse("due_on", _("Only a loan has a due date."))
    if kind == AgreementKind.SALE:
        if price_cents < 0 or price_cents > 1_000_000:
            raise _refuse("price_cents", _("Give the price paid, in cents."))
        if not receipt or len(receipt) > 30:
            raise _refuse("receipt_number", _("Give the receipt number (at most 30 characters)."))
    elif price_cents or receipt:
        raise _refuse("price_cents", _("Only a sale has a price and a receipt."))
    return {"ids": ids, "name": name, "receipt": receipt}


@transaction.atomic
def handover_create(
    *,
    actor: Actor,
    kind: str,
    device_ids: list[int],
    recipient_name: str = "",
    person_id: int | None = None,
    referral_id: int | None = None,
    place_id: int | None = None,
    language: str,
    signature_png: bytes,
    price_cents: int = 0,
    receipt_number: str = "",
    due_on: date | None = None,
    connectivity: str,
    connectivity_note: str = "",
    identity_checked: bool = False,
    identity_document: str = "",
    idempotency_key: str | None,
) -> HandOver:
    """Hand one or several devices over to a household, with the signed agreement.

    Everything or nothing: the hand-over with its PDF, a "handed_over" event per device, a
    loan per device for a loan, and the referral (when given) set to handed over.
    """
    actor.require("lending.hand_over")
    key = clean_key(
        idempotency_key,
        message=_("A hand-over needs an idempotency key (the form sends one)."),
    )
    cleaned = _clean_handover(
        actor=actor,
        kind=kind,
        device_ids=device_ids,
        person_id=person_id,
        recipient_name=recipient_name,
        language=language,
        signature_png=signature_png,
        price_cents=price_cents,
        receipt_number=receipt_number,
        due_on=due_on,
        connectivity=connectivity,
        identity_checked=identity_checked,
        identity_document=identity_document,
        referral_id=referral_id,
    )
    request_hash = fingerprint(
        {
            "kind": kind,
            "devices": cleaned["ids"],
            "person": person_id,
            "name": cleaned["name"],
            "referral": referral_id,
            "place": place_id,
            "language": language,
            "signature": agreements.sha256(signature_png),
            "price": price_cents,
            "receipt": cleaned["receipt"],
            "due_on": due_on,
            "connectivity": connectivity,
            "identity": identity_document,
        }
    )

    def create() -> HandOver:
        return _handover(
            actor=actor,
            kind=kind,
            ids=cleaned["ids"],
            name=cleaned["name"],
            person_id=person_id,
            referral_id=referral_id,
            place_id=place_id,
            language=language,
            png=signature_png,
            price_cents=price_cents,
            receipt=cleaned["receipt"],
            due_on=due_on,
            connectivity=connectivity,
            connectivity_note=connectivity_note,
            identity_document=identity_document,
            key=key,
            request_hash=request_hash,
        )

    return run_once(
        queryset=HandOver.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another hand-over."),
    )


def _handover(
    *,
    actor: Actor,
    kind: str,
    ids: list[int],
    name: str,
    person_id: int | None,
    referral_id: int | None,
    place_id: int | None,
    language: str,
    png: bytes,
    price_cents: int,
    receipt: str,
    due_on: date | None,
    connectivity: str,
    connectivity_note: str,
    identity_document: str,
    key: str,
    request_hash: str,
) -> HandOver:
    community = actor.community
    person = get_scoped(Person, community, pk=person_id) if person_id else None
    place = get_scoped(Place, community, pk=place_id) if place_id else None
    # Lock the devices in id order (two counters with overlapping devices never deadlock).
    devices = list(
        Device.objects.in_community(community).filter(pk__in=ids).select_for_update().order_by("pk")
    )
    if len(devices) != len(ids):
        raise _refuse("device_ids", _("One of these devices is not in this device bank."))
    for device in devices:
        if device.state == rules.HANDED_OVER:
            msg = _("%(label)s was already handed over.") % {"label": device.label}
            raise Conflict(msg, code="already_handed_over", fields={"device_ids": msg})
        if not rules.may_follow(device.state, rules.HANDED_OVER):
            msg = _("%(label)s is not ready to be handed over (it is %(state)s).") % {
                "label": device.label,
                "state": device.get_state_display(),
            }
            raise Conflict(msg, code="not_available", fields={"device_ids": msg})
    referral = None
    if referral_id:
        referral = get_scoped(Referral, community, for_update=True, pk=referral_id)
        if referral.state not in (ReferralState.MATCHED, ReferralState.INVITED):
            msg = _("This referral has no device set aside to hand over.")
            raise Conflict(msg, code="referral_state", fields={"referral_id": msg})
        if referral.device_id not in ids:
            msg = _("The device set aside for this referral is not among these devices.")
            raise Conflict(msg, code="referral_device", fields={"device_ids": msg})
        if person is None and referral.person_id:
            person = get_scoped(Person, community, pk=referral.person_id)
    recipient = (name or (person.full_name if person else ""))[:150]
    if not recipient:
        raise _refuse("recipient_name", _("Write the name of the person who receives it."))
    text = agreement_text_current(community=community, kind=kind, language=language)
    now = clock.now()
    handover = HandOver(
        community=community,
        kind=kind,
        person=person,
        recipient_label=recipient,
        referral=referral,
        organisation_id=referral.organisation_id if referral else None,
        place=place,
        handed_at=now,
        handed_by_label=actor.label[:150],
        agreement_text=text,
        language=language,
        price_cents=price_cents,
        receipt_number=receipt,
        signature_png=png,
        connectivity=connectivity,
        connectivity_note=connectivity_note.strip()[:200],
        identity_checked=True,
        identity_document=identity_document,
        idempotency_key=key,
        request_hash=request_hash,
    )
    # The PDF names the hand-over's number: take the id first, then write the row once.
    handover.pk = _next_handover_id()
    handover._due_on = due_on  # type: ignore[attr-defined]  # printed on the agreement
    pdf = agreements.agreement_pdf(_agreement_facts(handover, devices, png))
    handover.agreement_pdf = pdf
    handover.pdf_sha256 = agreements.sha256(pdf)
    handover.save(force_insert=True)
    HandOverDevice.objects.bulk_create(
        [HandOverDevice(community=community, handover=handover, device=d) for d in devices]
    )
    # The stock's rules move each device (and refuse one not wiped since it came in). The
    # counter's right to hand over includes recording that step.
    mover = dataclasses.replace(actor, permissions=actor.permissions | {"lending.manage"})
    for device in devices:
        device_record_event(
            actor=mover,
            device_id=device.pk,
            kind=rules.HANDED_OVER,
            note=_("hand-over %(id)d") % {"id": handover.pk},
        )
    if kind == AgreementKind.LOAN and due_on is not None:
        Loan.objects.bulk_create(
            [Loan(community=community, handover=handover, device=d, due_on=due_on) for d in devices]
        )
    if referral is not None:
        referral.state = ReferralState.HANDED_OVER
        referral.save(update_fields=["state"])
    audit_record(
        actor=actor,
        verb="lending.handed_over",
        obj=handover,
        data={
            "kind": kind,
            "devices": [d.label for d in devices],
            "referral": referral_id,
            "agreement_text": text.pk,
        },
    )
    return handover


def _next_handover_id() -> int:
    """A new id for a hand-over before its row is written (a sequence on PostgreSQL)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('lending_handover', 'id'))")
            return int(cursor.fetchone()[0])
    # SQLite serialises writers: the highest id so far plus one is free inside this write.
    last = HandOver.objects.aggregate(m=Max("id"))["m"] or 0
    return int(last) + 1


def agreement_pdf(handover: HandOver) -> bytes:
    """The signed agreement's PDF as it was stored at the hand-over (b"" once anonymised)."""
    return bytes(handover.agreement_pdf or b"")


def handover_email_copy(*, actor: Actor, handover_id: int) -> Any:
    """Send the resident a copy of the agreement by e-mail (with their consent)."""
    from buurtkit.messaging.services import notify

    actor.require("lending.hand_over")
    handover = get_scoped(HandOver, actor.community, pk=handover_id)
    if handover.person_id is None:
        raise Conflict(_("This hand-over names no resident with an e-mail address."))
    loan = Loan.objects.filter(handover=handover).order_by("due_on").first()
    text = handover.agreement_text
    with transaction.atomic():
        message = notify(
            actor=actor,
            person_id=handover.person_id,
            template="lending_agreement_copy",
            context={
                "title": text.title,
                "body": text.body,
                "version": text.version,
                "handover": handover,
                "devices": [item.device.label for item in handover.items.select_related("device")],
                "due_on": loan.due_on if loan else None,
                "price": f"{handover.price_cents // 100},{handover.price_cents % 100:02d}",
            },
            channel="email",
            idempotency_key=f"lending-agreement-{handover.pk}",
            language=handover.language,
        )
        audit_record(actor=actor, verb="lending.agreement_emailed", obj=handover)
    return message


# --- loans -----------------------------------------------------------------------------------------


def _open_loan(actor: Actor, loan_id: int) -> Loan:
    loan = get_scoped(Loan, actor.community, for_update=True, pk=loan_id)
    if loan.state != LoanState.OPEN:
        raise Conflict(_("This loan is closed already."), code="loan_closed")
    return loan


@transaction.atomic
def loan_extend(*, actor: Actor, loan_id: int, due_on: date) -> Loan:
    """Give a loan a later due date, within the number of extensions and the longest loan."""
    actor.require("lending.hand_over")
    loan = _open_loan(actor, loan_id)
    limits = loan_limits()
    if loan.extensions >= limits["max_extensions"]:
        msg = _("This loan was extended %(n)d times already: that is the most.") % {
            "n": loan.extensions
        }
        raise Conflict(msg, code="too_many_extensions", fields={"due_on": msg})
    if due_on <= loan.due_on:
        raise _refuse("due_on", _("Choose a date after the current due date."))
    handed_on = loan.handover.handed_at.astimezone(agreements.BRUSSELS).date()
    latest = handed_on + timedelta(days=limits["max_total_days"])
    if due_on > latest:
        msg = _("A loan lasts at most %(n)d days in all: the latest date is %(date)s.") % {
            "n": limits["max_total_days"],
            "date": latest.isoformat(),
        }
        raise Conflict(msg, code="loan_too_long", fields={"due_on": msg})
    previous = loan.due_on
    loan.due_on = due_on
    loan.extensions += 1
    loan.last_reminder, loan.reminder_via = "", ""  # reminders start again for the new date
    loan.save(update_fields=["due_on", "extensions", "last_reminder", "reminder_via"])
    audit_record(
        actor=actor,
        verb="lending.loan_extended",
        obj=loan,
        data={"from": previous.isoformat(), "to": due_on.isoformat()},
    )
    return loan


@transaction.atomic
def loan_return(
    *, actor: Actor, loan_id: int, complete: bool, damaged: bool, note: str = ""
) -> Loan:
    """Take a lent device back after a check (complete? damaged?). The device is "returned":
    it must be wiped again before anything else (the life cycle demands it)."""
    actor.require("lending.hand_over")
    loan = _open_loan(actor, loan_id)
    note = note.strip()
    if len(note) > 300:
        raise _refuse("note", _("At most %(n)d characters.") % {"n": 300})
    if (damaged or not complete) and not note:
        raise _refuse("note", _("Say what is missing or damaged."))
    mover = dataclasses.replace(actor, permissions=actor.permissions | {"lending.manage"})
    device_record_event(actor=mover, device_id=loan.device_id, kind=rules.RETURNED, note=note)
    loan.state = LoanState.RETURNED
    loan.returned_at = clock.now()
    loan.returned_complete, loan.returned_damaged = bool(complete), bool(damaged)
    loan.return_note = note
    loan.save(
        update_fields=[
            "state",
            "returned_at",
            "returned_complete",
            "returned_damaged",
            "return_note",
        ]
    )
    audit_record(
        actor=actor,
        verb="lending.loan_returned",
        obj=loan,
        data={"complete": loan.returned_complete, "damaged": loan.returned_damaged},
    )
    return loan


@transaction.atomic
def loan_mark_lost(*, actor: Actor, loan_id: int, note: str = "") -> Loan:
    """The device will not come back: the loan closes as lost and the device is written off."""
    actor.require("lending.hand_over")
    loan = _open_loan(actor, loan_id)
    note = note.strip()[:300]
    mover = dataclasses.replace(actor, permissions=actor.permissions | {"lending.manage"})
    device_record_event(
        actor=mover, device_id=loan.device_id, kind=rules.WRITTEN_OFF, note=note or _("lost")
    )
    loan.state = LoanState.LOST
    loan.return_note = note
    loan.save(update_fields=["state", "return_note"])
    audit_record(actor=actor, verb="lending.loan_lost", obj=loan)
    return loan


# --- the nightly reminders ---------------------------------------------------------------------------


def _stage_filter(today: date) -> Q:
    """Loans that need a reminder today: the stage they are in is later than the last sent."""
    names = [name for name, _offset in REMINDER_STAGES]
    cond = Q()
    for i, (_name, offset) in enumerate(REMINDER_STAGES):
        window = Q(due_on__lte=today - timedelta(days=offset))
        if i + 1 < len(REMINDER_STAGES):
            window &= Q(due_on__gt=today - timedelta(days=REMINDER_STAGES[i + 1][1]))
        cond |= window & Q(last_reminder__in=["", *names[:i]])
    return cond


def _stage_of(due_on: date, today: date) -> str:
    stage = ""
    for name, offset in REMINDER_STAGES:
        if today >= due_on + timedelta(days=offset):
            stage = name
    return stage


def loans_needing_reminder(community: Community, today: date) -> QuerySet[Loan]:
    """Open loans whose reminder stage today was not sent yet: one indexed query."""
    return (
        Loan.objects.in_community(community)
        .filter(state=LoanState.OPEN)
        .filter(_stage_filter(today))
        .select_related("handover__person", "device", "handover__place")
        .order_by("due_on", "pk")
    )


def _remind(actor: Actor, loan: Loan, stage: str, channel: str) -> str:
    """Send one loan's reminder by ``channel``; the channel it went by ("staff" if none)."""
    person = loan.handover.person
    context = {
        "stage": stage,
        "device": loan.device.label,
        "kind": loan.device.get_kind_display(),
        "due_on": loan.due_on,
        "place": loan.handover.place.name if loan.handover.place else "",
    }
    key = f"lending-reminder-{loan.pk}-{loan.due_on.isoformat()}-{stage}"
    if person is None or channel == "staff":
        return "staff"
    if channel in ("sms", "email"):
        from buurtkit.messaging.services import notify

        notify(
            actor=actor,
            person_id=person.pk,
            template="lending_loan_reminder",
            context=context,
            channel=channel,
            idempotency_key=key,
        )
        return channel
    from buurtkit.telephony.services import call_create

    call_create(
        actor=actor,
        to_number=person.phone,
        purpose=REMINDER_PURPOSE,
        subject_type="lending.loan",
        subject_id=loan.pk,
        language=person.preferred_language,
    )
    return "call"


def loans_remind_community(community: Community, *, today: date | None = None) -> dict[str, int]:
    """Send today's loan reminders in one community; each stage once per loan and due date."""
    today = today or _today()
    actor = Actor.system(community, label=_("loan reminders"))
    loans = list(loans_needing_reminder(community, today))
    person_ids = {loan.handover.person_id for loan in loans if loan.handover.person_id}
    consents = current_consents_of(person_ids)
    sent: dict[str, int] = {}
    # One transaction per batch (a commit per loan costs more than the reminder itself). A
    # refused message or call writes nothing (notify and call_create refuse before writing),
    # and the stages reached are written per batch in a few set-based updates.
    for start in range(0, len(loans), REMIND_BATCH):
        marks: dict[tuple[str, str], list[int]] = {}
        with transaction.atomic():
            for loan in loans[start : start + REMIND_BATCH]:
                stage = _stage_of(loan.due_on, today)
                via = _remind_one(actor, loan, stage, consents)
                marks.setdefault((stage, via), []).append(loan.pk)
                sent[via] = sent.get(via, 0) + 1
            for (stage, via), pks in marks.items():
                Loan.objects.filter(pk__in=pks).update(last_reminder=stage, reminder_via=via)
    return sent


REMIND_BATCH = 500


def _remind_one(actor: Actor, loan: Loan, stage: str, consents: dict[int, dict[str, bool]]) -> str:
    person = loan.handover.person
    channel = reminder_channel(person, consents.get(person.pk, {}) if person else {}) or "staff"
    try:
        return _remind(actor, loan, stage, channel)
    except ServiceError:
        # Not reachable after all (a number that does not parse, no public address for
        # calls): staff follow it up from the loans page.
        return "staff"


def loans_remind(*, today: date | None = None) -> str:
    """The nightly sweep (``core.scheduler``): every community with the device bank on."""
    totals: dict[str, int] = {}
    for community in Community.objects.order_by("pk"):
        if not community.has_module("lending"):
            continue
        for via, n in loans_remind_community(community, today=today).items():
            totals[via] = totals.get(via, 0) + n
    return ", ".join(f"{via}: {n}" for via, n in sorted(totals.items())) or "nothing to send"
