"""The helpdesk's phone line: its settings, and the tickets calls leave behind.

A call to the helpdesk number (``HelpdeskSettings.phone_number``, the number the city line
forwards to) is answered by the flow in ``helpdesk/phone.py`` through ``telephony``. Whatever
happens in the call, it ends as exactly one ticket (channel ``phone``, idempotency key
``phone:<call sid>``): a message left (with its recording), a call put through to staff, a
caller who was not put through and left no message, a caller who hung up in the menu.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.helpdesk.models import (
    Category,
    Channel,
    HelpdeskSettings,
    MessageKind,
    PhoneRecording,
    Ticket,
)
from buurtkit.helpdesk.services.setup import settings_of
from buurtkit.helpdesk.services.tickets import Contact, message_add, ticket_create
from buurtkit.people.phones import normalise_phone
from buurtkit.telephony.interface import CallbackRequest
from buurtkit.telephony.models import Call

TZ = ZoneInfo("Europe/Brussels")
PURPOSE = "helpdesk.phone"
SUBJECT_PERSON = "people.person"
MAX_STAFF_NUMBERS = 5
MAX_WINDOWS = 14

#: The menu: key → (topic, category key, what the caller hears / staff read).
TOPICS: dict[str, tuple[str, str, Any]] = {
    "1": ("online", "citizen-profile", gettext_lazy("online public services")),
    "2": ("device", "device-problems", gettext_lazy("a computer, tablet or smartphone")),
    "3": ("course", "other", gettext_lazy("a course")),
    "4": ("other", "other", gettext_lazy("something else")),
}
#: Office hours a new line starts with (Monday to Friday, 9–12 and 13–16).
DEFAULT_HOURS = [
    {"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"},
    {"days": [1, 2, 3, 4, 5], "from": "13:00", "to": "16:00"},
]

#: How a call ended, for its ticket.
VOICEMAIL = "voicemail"
TRANSFERRED = "transferred"
NO_MESSAGE = "no_message"
MENU_HANGUP = "menu_hangup"


# --- office hours --------------------------------------------------------------------------

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LINE_RE = re.compile(r"^\s*([1-7])(?:\s*-\s*([1-7]))?\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clean_hours(hours: Any) -> list[dict[str, Any]]:
    """Check office hours: a list of ``{"days": [1..7], "from": "HH:MM", "to": "HH:MM"}``."""
    message = _("Write office hours like “1-5 09:00-12:00” (1 is Monday, 7 is Sunday).")
    if not isinstance(hours, list) or len(hours) > MAX_WINDOWS:
        raise ValidationFailed(message, fields={"hours": message})
    out = []
    for window in hours:
        if not isinstance(window, Mapping):
            raise ValidationFailed(message, fields={"hours": message})
        days = window.get("days")
        start, end = str(window.get("from", "")), str(window.get("to", ""))
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 1 <= d <= 7 for d in days)
            or not TIME_RE.match(start)
            or not TIME_RE.match(end)
            or _minutes(start) >= _minutes(end)
        ):
            raise ValidationFailed(message, fields={"hours": message})
        out.append({"days": sorted(set(days)), "from": start, "to": end})
    return out


def parse_hours(text: str) -> list[dict[str, Any]]:
    """``"1-5 09:00-12:00"`` lines → office-hour windows (for the settings page)."""
    windows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        found = LINE_RE.match(line)
        if not found:
            message = _("Write office hours like “1-5 09:00-12:00” (1 is Monday, 7 is Sunday).")
            raise ValidationFailed(message, fields={"hours": message})
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        windows.append(
            {"days": list(range(first, last + 1)), "from": found.group(3), "to": found.group(4)}
        )
    return clean_hours(windows)


def hours_text(hours: Iterable[Mapping[str, Any]]) -> str:
    """Office-hour windows → ``"1-5 09:00-12:00"`` lines (days that are no range: a line each)."""
    lines: list[str] = []
    for window in hours:
        days = list(window["days"])
        times = f"{window['from']}-{window['to']}"
        if days == list(range(days[0], days[-1] + 1)):
            span = str(days[0]) if len(days) == 1 else f"{days[0]}-{days[-1]}"
            lines.append(f"{span} {times}")
        else:
            lines.extend(f"{day} {times}" for day in days)
    return "\n".join(lines)


def in_hours(hours: Iterable[Mapping[str, Any]], at: dt.datetime) -> bool:
    """Whether ``at`` falls in the office hours (Brussels time)."""
    local = at.astimezone(TZ)
    minute = local.hour * 60 + local.minute
    return any(
        local.isoweekday() in w["days"] and _minutes(w["from"]) <= minute < _minutes(w["to"])
        for w in hours
    )


def staff_on_duty(found: HelpdeskSettings, at: dt.datetime) -> str:
    """The staff phone a call is put through to now, or "" (closed, or nobody on the list)."""
    numbers = list(found.phone_staff_numbers or [])
    if not numbers or not in_hours(found.phone_hours or [], at):
        return ""
    return str(numbers[0])


# --- settings ------------------------------------------------------------------------------


@transaction.atomic
def phone_settings_update(
    *,
    actor: Actor,
    phone_number: str,
    staff_numbers: list[str],
    hours: list[dict[str, Any]],
) -> HelpdeskSettings:
    """Set the helpdesk's phone line: its number, the staff phones on duty, office hours."""
    actor.require("helpdesk.manage")
    errors: dict[str, str] = {}
    number = ""
    try:
        number, _kind = normalise_phone(phone_number, field="phone_number")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    staff: list[str] = []
    for raw in staff_numbers:
        if not (raw or "").strip():
            continue
        try:
            staff_number, _kind = normalise_phone(raw, field="staff_numbers")
        except ValidationFailed as exc:
            errors.update(exc.fields)
            continue
        if staff_number not in staff:
            staff.append(staff_number)
    if len(staff) > MAX_STAFF_NUMBERS:
        errors["staff_numbers"] = _("At most %(n)d staff phones.") % {"n": MAX_STAFF_NUMBERS}
    try:
        windows = clean_hours(hours)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        windows = []
    if number and staff and number in staff:
        errors["staff_numbers"] = _("A staff phone cannot be the helpdesk number itself.")
    if (
        number
        and HelpdeskSettings.objects.filter(phone_number=number)
        .exclude(community=actor.community)
        .exists()
    ):
        errors["phone_number"] = _("This number is already the helpdesk number of another place.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    found = settings_of(actor.community)
    found = HelpdeskSettings.objects.select_for_update().get(pk=found.pk)
    found.phone_number, found.phone_staff_numbers, found.phone_hours = number, staff, windows
    found.save(update_fields=["phone_number", "phone_staff_numbers", "phone_hours"])
    audit_record(
        actor=actor,
        verb="helpdesk.phone_settings_changed",
        obj=found,
        data={"phone_number": number, "staff_numbers": len(staff), "windows": len(windows)},
    )
    return found


def line_for_number(to_number: str) -> HelpdeskSettings | None:
    """The helpdesk whose number was dialled."""
    if not to_number:
        return None
    return (
        HelpdeskSettings.objects.filter(phone_number=to_number).select_related("community").first()
    )


# --- tickets from calls --------------------------------------------------------------------


def _system(community: Community) -> Actor:
    return Actor.system(community, label=_("helpdesk phone line"))


def _topic(call: Call) -> tuple[str, int | None]:
    """What the caller chose in the menu (in words) and its category."""
    key = str(call.flow_state.get("topic", ""))
    if key not in TOPICS:
        return "", None
    _code, category_key, label = TOPICS[key]
    category_id = (
        Category.objects.in_community(call.community_id)
        .filter(key=category_key, active=True)
        .values_list("pk", flat=True)
        .first()
    )
    return str(label), category_id


def _local_time(at: dt.datetime | None) -> str:
    return (at or clock.now()).astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def _texts(call: Call, outcome: str) -> tuple[str, str]:
    topic, _category = _topic(call)
    caller = call.from_number or _("an unknown number")
    base = {"topic": topic, "number": caller, "at": _local_time(call.created_at)}
    if outcome == VOICEMAIL:
        subject = (
            _("Call back: phone message about %(topic)s") % base
            if topic
            else _("Call back: phone message")
        )
        body = _("%(number)s called on %(at)s and left a message.") % base
    elif outcome == TRANSFERRED:
        subject = (
            _("Phone call about %(topic)s, put through to staff") % base
            if topic
            else _("Phone call, put through to staff")
        )
        staff = str(call.flow_state.get("transfer_to", ""))
        body = _("%(number)s called on %(at)s and was put through to %(staff)s.") % {
            **base,
            "staff": staff,
        }
    elif outcome == NO_MESSAGE:
        subject = (
            _("Call back: called about %(topic)s, left no message") % base
            if topic
            else _("Call back: called, left no message")
        )
        body = _("%(number)s called on %(at)s; nobody could answer and no message was left.") % (
            base
        )
    else:
        subject = _("Call back: called, hung up in the menu")
        body = _("%(number)s called on %(at)s and hung up before choosing in the menu.") % base
    return subject, body


def _who(call: Call) -> tuple[int | None, Contact]:
    if call.subject_type == SUBJECT_PERSON and call.subject_id:
        return call.subject_id, Contact()
    try:
        number, _kind = normalise_phone(call.from_number, field="contact_phone")
    except ValidationFailed:  # a hidden or odd caller id
        number = ""
    if number:
        return None, Contact(phone=number)
    return None, Contact(name=_("Unknown caller"))


def phone_ticket_for_call(*, call: Call, outcome: str) -> Ticket:
    """The one ticket of a helpdesk call: made once (key ``phone:<call sid>``), whoever asks
    first — the message left, or the end of the call. The call row is locked by the caller
    (telephony's webhook), so two webhooks of one call never race here."""
    key = f"phone:{call.provider_sid or call.pk}"
    existing = Ticket.objects.in_community(call.community_id).filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    person_id, contact = _who(call)
    with translation.override(call.community.default_language):
        subject, body = _texts(call, outcome)
    _topic_words, category_id = _topic(call)
    ticket = ticket_create(
        actor=_system(call.community),
        channel=Channel.PHONE,
        subject=subject,
        body=body,
        category_id=category_id,
        person_id=person_id,
        contact=contact,
        language=call.language,
        idempotency_key=key,
        received_at=call.created_at,
    )
    call.flow_state["ticket_id"] = ticket.pk
    return ticket


def _duration(facts: Mapping[str, Any]) -> int:
    text = str(facts.get("RecordingDuration", ""))
    return int(text) if text.isdigit() else 0


def phone_recording_keep(*, call: Call) -> PhoneRecording | None:
    """Keep the message the caller left (the provider's facts of the ``Record`` step, or its
    recording status callback) with the call's ticket; the same recording twice is kept once.
    None when the step carries no recording."""
    facts = call.flow_state.get("facts") or {}
    sid = str(facts.get("RecordingSid", ""))[:64]
    if not sid:
        return None
    with transaction.atomic():
        had_ticket = (
            Ticket.objects.in_community(call.community_id)
            .filter(idempotency_key=f"phone:{call.provider_sid or call.pk}")
            .exists()
        )
        ticket = phone_ticket_for_call(call=call, outcome=VOICEMAIL)
        recording, created = PhoneRecording.objects.get_or_create(
            community_id=call.community_id,
            recording_sid=sid,
            defaults={
                "ticket": ticket,
                "provider": call.provider,
                "call_sid": call.provider_sid[:64],
                "url": str(facts.get("RecordingUrl", ""))[:300],
                "duration_seconds": _duration(facts),
                "created_at": clock.now(),
            },
        )
        if not created:
            if _duration(facts) and recording.duration_seconds != _duration(facts):
                recording.duration_seconds = _duration(facts)
                recording.save(update_fields=["duration_seconds"])
            return recording
        if had_ticket:  # the call's end was heard first: the message joins its ticket
            with translation.override(call.community.default_language):
                text = _("Left a phone message of %(seconds)s seconds.") % {
                    "seconds": recording.duration_seconds
                }
            message_add(
                actor=_system(call.community),
                ticket_id=ticket.pk,
                kind=MessageKind.INCOMING,
                body=text,
                idempotency_key=f"phone-recording:{sid}",
            )
        audit_record(
            actor=_system(call.community),
            verb="helpdesk.phone_message",
            obj=recording,
            data={"ticket": ticket.number, "seconds": recording.duration_seconds},
        )
    return recording


def phone_call_ended(*, call: Call) -> Ticket:
    """The call is over: make its ticket if the message left has not made it already."""
    state = call.flow_state or {}
    stage = state.get("stage", "menu")
    if stage == "menu" or not state.get("topic"):
        outcome = MENU_HANGUP
    elif state.get("transferred"):
        outcome = TRANSFERRED
    else:
        outcome = NO_MESSAGE
    return phone_ticket_for_call(call=call, outcome=outcome)


# --- callback requests from other lines (Buurbel) ------------------------------------------


def callback_request_take(request: CallbackRequest) -> Ticket:
    """A callback asked for on another line (Buurbel's "talk to a person" outside office hours,
    "call me back to sign up") becomes a ticket (channel ``buurbel``), once per call and
    reason."""
    call = request.call
    key = f"buurbel:{call.provider_sid or call.pk}:{request.reason}"[:100]
    existing = Ticket.objects.in_community(call.community_id).filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    person_id = request.person_id
    contact = Contact()
    if person_id is None:
        person_id, contact = _who(call)
    with translation.override(call.community.default_language):
        if request.reason == "talk_to_person":
            subject = _("Buurbel: asked to talk to a person, call back")
        else:
            subject = _("Buurbel: asked to be called back")
        body = _("%(number)s called the Buurbel line on %(at)s.") % {
            "number": call.from_number or _("an unknown number"),
            "at": _local_time(call.created_at),
        }
        if request.note:
            body += "\n" + request.note
    return ticket_create(
        actor=_system(call.community),
        channel=Channel.BUURBEL,
        subject=subject,
        body=body,
        person_id=person_id,
        contact=contact,
        language=call.language,
        idempotency_key=key,
        received_at=call.created_at,
    )
