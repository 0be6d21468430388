"""Every telephony write: placing calls, answering webhooks, status callbacks, prices.

A call is written (``queued``) and committed before any provider is asked to dial it; the
dialling runs in a task after commit and is never retried automatically. Webhooks are logged
as append-only :class:`CallEvent` rows with a dedupe key unique per call, so a repeated
webhook gets the first answer again and changes nothing. Status callbacks only move a call
to a higher :data:`STATUS_RANK`, so they may arrive in any order.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.messaging.models import Message
from buurtkit.people.phones import normalise_phone
from buurtkit.telephony import flowdata, links
from buurtkit.telephony.interface import (
    CALL_HOOKS,
    FLOWS,
    Conference,
    Hangup,
    Say,
    Verb,
    get_provider,
    inbound_handlers,
)
from buurtkit.telephony.models import (
    FINAL_RANK,
    MICROS,
    STATUS_RANK,
    AnsweredBy,
    Call,
    CallEvent,
    CallStatus,
    Direction,
    FlowStatus,
    FlowVersion,
    LineKind,
    Price,
    PriceItem,
    PriceTable,
    Recording,
)

#: The seed's Twilio prices (USD, 2019 "starting prices"), in micro-dollars, with free tiers.
TWILIO_PRICES: dict[str, tuple[int, int]] = {
    PriceItem.VOICE_LOCAL: (60_000, 0),  # $0.0600 per minute
    PriceItem.VOICE_MOBILE: (30_000, 0),  # $0.0300 per minute
    PriceItem.CONFERENCE: (1_800, 0),  # $0.0018 per participant per minute
    PriceItem.MACHINE_DETECTION: (7_500, 0),  # $0.0075 per call
    PriceItem.SMS: (100_000, 0),  # $0.1000 per SMS
    PriceItem.STUDIO_EXECUTION: (1_000, 1_000),  # $0.001, first 1,000 a month free
    PriceItem.STUDIO_INVOCATION: (100, 10_000),  # $0.0001, first 10,000 a month free
    PriceItem.STUDIO_ASSET: (100, 10_000),  # $0.0001 per request, first 10,000 free
}
#: The simulator is priced like Twilio, so demos and projections show realistic costs.
SEEDED_PROVIDERS = ("twilio", "simulator")
SIMULATOR_FROM_NUMBER = "+3293000000"
STEP_RE = re.compile(r"^[a-z0-9_-]{1,60}$")


def _from_number() -> str:
    return settings.TWILIO_FROM_NUMBER or SIMULATOR_FROM_NUMBER


# --- prices ---------------------------------------------------------------------------------


@transaction.atomic
def ensure_prices(*, community: Community) -> list[PriceTable]:
    """Create the seeded price tables of ``community`` if missing; edited prices are kept."""
    now = clock.now()
    tables = []
    for provider in SEEDED_PROVIDERS:
        table, _created = PriceTable.objects.get_or_create(
            community=community, provider=provider, defaults={"currency": "USD", "updated_at": now}
        )
        for item, (unit, free) in TWILIO_PRICES.items():
            Price.objects.get_or_create(
                community=community,
                table=table,
                item=item,
                defaults={"unit_micros": unit, "free_per_month": free},
            )
        tables.append(table)
    return tables


@transaction.atomic
def price_set(
    *, actor: Actor, provider: str, item: str, unit_micros: int, free_per_month: int = 0
) -> Price:
    """Change one price of a provider's table (staff edit the table when the provider does)."""
    actor.require("telephony.prices")
    if item not in PriceItem.values:
        raise ValidationFailed(_("Unknown price item."), fields={"item": _("Unknown price item.")})
    if unit_micros < 0 or free_per_month < 0:
        message = _("A price cannot be negative.")
        raise ValidationFailed(message, fields={"unit_micros": message})
    ensure_prices(community=actor.community)
    table = get_scoped(PriceTable, actor.community, for_update=True, provider=provider)
    price, _created = Price.objects.update_or_create(
        community=actor.community,
        table=table,
        item=item,
        defaults={"unit_micros": unit_micros, "free_per_month": free_per_month},
    )
    table.updated_at = clock.now()
    table.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        verb="telephony.price_changed",
        obj=price,
        data={"provider": provider, "item": item, "unit_micros": unit_micros},
    )
    return price


def _price_map(community_id: int, provider: str) -> tuple[dict[str, int], str]:
    table = PriceTable.objects.in_community(community_id).filter(provider=provider).first()
    if table is None:
        ensure_prices(community=Community.objects.get(pk=community_id))
        table = PriceTable.objects.in_community(community_id).get(provider=provider)
    prices = {p.item: p.unit_micros for p in table.prices.all()}
    return prices, table.currency


def call_cost(call: Call, prices: Mapping[str, int]) -> int:
    """What ``call`` costs in micro-units: started minutes × the line's rate (+ conference
    participant-minutes when it joined one, + answering machine detection once per answered
    call). Unanswered calls (no duration) cost nothing."""
    seconds = call.duration_seconds or 0
    if seconds <= 0:
        return 0
    minutes = math.ceil(seconds / 60)
    rate = PriceItem.VOICE_MOBILE if call.line_kind == LineKind.MOBILE else PriceItem.VOICE_LOCAL
    cost = minutes * prices.get(rate, 0)
    if call.conference:
        cost += minutes * prices.get(PriceItem.CONFERENCE, 0)
    if call.machine_detection:
        cost += prices.get(PriceItem.MACHINE_DETECTION, 0)
    return cost


CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_money(micros: int, currency: str = "USD") -> str:
    """A cost as people read it, in the active language's number format with two decimals:
    ``9_014_100`` → ``"$ 9,01"`` in Dutch, ``"$ 9.01"`` in English (half up)."""
    amount = (Decimal(micros) / MICROS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = CURRENCY_SIGNS.get(currency, currency)
    return f"{sign} {number_format(amount, 2, force_grouping=True)}"


# --- placing calls --------------------------------------------------------------------------


@transaction.atomic
def call_create(
    *,
    actor: Actor,
    to_number: str,
    purpose: str,
    subject_type: str = "",
    subject_id: int | None = None,
    language: str = "",
    machine_detection: bool = False,
    provider: str = "",
) -> Call:
    """Record an outgoing call and dial it once this transaction has committed.

    Refused (``PublicUrlMissing``) on a server without ``BUURTKIT_PUBLIC_URL``: the provider
    would send the call's webhooks nowhere and the call would hang.
    """
    actor.require("telephony.call")
    links.public_base()
    number, kind = normalise_phone(to_number, field="to_number")
    if not number:
        message = _("A phone number is needed.")
        raise ValidationFailed(message, fields={"to_number": message})
    call = Call.objects.create(
        community=actor.community,
        direction=Direction.OUT,
        from_number=_from_number(),
        to_number=number,
        line_kind=LineKind.MOBILE if kind == "mobile" else LineKind.LOCAL,
        language=language or actor.community.default_language,
        machine_detection=machine_detection,
        provider=provider or settings.TELEPHONY_PROVIDER,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
        flow_state={"seq": 0},
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="call.created",
        obj=call,
        data={"purpose": purpose, "provider": call.provider, "subject_id": subject_id},
    )
    enqueue_after_commit("buurtkit.telephony.tasks.dial_call", call.pk)  # by path: no circle
    return call


def call_dial(*, call_id: int) -> Call:
    """Ask the provider to dial a committed, queued call: at most once, never retried.

    The claim (``dial_started_at``) is one conditional update, so two workers never both
    dial. A provider error marks the call failed; the owning app decides about a new call.
    """
    now = clock.now()
    claimed = Call.objects.filter(
        pk=call_id, status=CallStatus.QUEUED, dial_started_at__isnull=True
    ).update(dial_started_at=now)
    call = Call.objects.get(pk=call_id)
    if not claimed:
        return call
    try:
        sid = get_provider(call.provider).place_call(call)
    except Exception as exc:  # recorded, not retried: a retry could ring someone twice
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if call.status_rank < FINAL_RANK:
                _set_status(call, CallStatus.FAILED, clock.now())
            call.error = f"{type(exc).__name__}: {exc}"[:300]
            call.save()
            _event(call, CallEvent.Kind.DIAL, "dial", status=CallStatus.FAILED)
            hooks = CALL_HOOKS.get(call.purpose)
            if hooks and hooks.ended:  # the owner decides about another call later
                hooks.ended(call)
        return call
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if not call.provider_sid:
            call.provider_sid = sid
        if call.status_rank < STATUS_RANK[CallStatus.INITIATED]:
            _set_status(call, CallStatus.INITIATED, now)
        call.save()
        _event(call, CallEvent.Kind.DIAL, "dial", params={"sid": sid})
    return call


# --- webhooks -------------------------------------------------------------------------------


def _event(call: Call, kind: str, key: str, **fields: Any) -> CallEvent:
    return CallEvent.objects.create(
        community_id=call.community_id,
        call=call,
        kind=kind,
        dedupe_key=key[:200],
        at=clock.now(),
        **fields,
    )


def _set_status(call: Call, status: str, at: datetime) -> None:
    call.status = status
    call.status_rank = STATUS_RANK[status]
    if status == CallStatus.INITIATED:
        call.started_at = call.started_at or at
    if status == CallStatus.IN_PROGRESS:
        call.answered_at = call.answered_at or at
    if call.status_rank >= FINAL_RANK:
        call.ended_at = call.ended_at or at


def _answered_by(value: str) -> str:
    if not value:
        return ""
    return AnsweredBy.HUMAN if value == "human" else AnsweredBy.MACHINE


def goodbye(language: str = "nl") -> list[Verb]:
    with translation.override(language):
        return [Say(_("Thank you for calling. Goodbye."), language), Hangup()]


def _render(provider_name: str, verbs: list[Verb], call_id: int, seq: int) -> tuple[str, str]:
    def step_url(step: str) -> str:
        return links.voice_path(call_id, step, seq)

    callback = ""
    if any(isinstance(verb, Conference) for verb in verbs):
        callback = links.absolute(links.conference_path(call_id))
    return get_provider(provider_name).render(verbs, step_url, callback)


def _goodbye_answer(provider_name: str = "") -> tuple[str, str]:
    return get_provider(provider_name or None).render(goodbye(settings.LANGUAGE_CODE), str)


def _sid_mismatch(call: Call, params: Mapping[str, str]) -> bool:
    sid = params.get("CallSid", "")
    return bool(call.provider_sid and sid and sid != call.provider_sid)


def voice_answer(
    *, call_id: int, step: str, seq: int, params: Mapping[str, str]
) -> tuple[str, str]:
    """Answer a call step webhook with the verbs of the call's flow: ``(body, content_type)``.

    An unknown call (or a call sid that is not this call's) gets a polite goodbye and
    nothing is written. The same webhook twice returns the stored first answer.
    """
    key = f"voice:{params.get('CallSid', '')}:{step}:{seq}"
    try:
        return _voice_answer(call_id=call_id, step=step, seq=seq, params=params, key=key)
    except IntegrityError:  # the same webhook at the same moment: the first one answered
        event = CallEvent.objects.filter(call_id=call_id, dedupe_key=key).first()
        if event is None:
            raise
        return event.response, _content_type(event.call)


def _content_type(call: Call) -> str:
    return get_provider(call.provider).render([], str)[1]


@transaction.atomic
def _voice_answer(
    *, call_id: int, step: str, seq: int, params: Mapping[str, str], key: str
) -> tuple[str, str]:
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None or _sid_mismatch(call, params) or not STEP_RE.match(step):
        return _goodbye_answer(call.provider if call else "")
    done = CallEvent.objects.filter(call=call, dedupe_key=key).first()
    if done is not None:
        return done.response, _content_type(call)
    if not call.provider_sid and params.get("CallSid"):
        call.provider_sid = params["CallSid"][:64]
    answered_by = _answered_by(params.get("AnsweredBy", ""))
    if answered_by and not call.answered_by:
        call.answered_by = answered_by
    if call.status_rank < STATUS_RANK[CallStatus.IN_PROGRESS]:
        _set_status(call, CallStatus.IN_PROGRESS, clock.now())
    digits = re.sub(r"[^0-9*#]", "", params.get("Digits", ""))[:20]
    facts = {name: str(params[name])[:300] for name in FACT_PARAMS if params.get(name)}
    if facts:  # what the provider reports about this step: a <Dial>'s end, a recording
        call.flow_state["facts"] = facts
    else:
        call.flow_state.pop("facts", None)
    handler = FLOWS.get(call.purpose)
    with translation.override(call.language):
        verbs = handler(call, step, digits, call.answered_by) if handler else goodbye(call.language)
    state = dict(call.flow_state or {})
    next_seq = int(state.get("seq", 0)) + 1
    call.flow_state = {**state, "seq": next_seq}
    for verb in verbs:
        if isinstance(verb, Conference):
            call.conference = verb.name[:100]
    body, content_type = _render(call.provider, verbs, call.pk, next_seq)
    call.save()
    _event(
        call,
        CallEvent.Kind.VOICE,
        key,
        step=step,
        digits=digits,
        status=params.get("CallStatus", "")[:20],
        params=_kept(params),
        response=body,
    )
    return body, content_type


#: The provider's facts about a step a flow may need (``call.flow_state["facts"]``): how a
#: ``Transfer`` ended, and a ``Record``'s recording.
FACT_PARAMS = (
    "DialCallStatus",
    "RecordingSid",
    "RecordingUrl",
    "RecordingDuration",
    "RecordingStatus",
)

#: Parameters kept in the event log (no caller names or addresses Twilio may add).
KEPT_PARAMS = (
    "CallSid",
    "ConferenceSid",
    "StatusCallbackEvent",
    "DialCallStatus",
    "CallStatus",
    "Digits",
    "AnsweredBy",
    "CallDuration",
    "SequenceNumber",
    "Timestamp",
    "Direction",
    "RecordingSid",
    "RecordingDuration",
    "RecordingStatus",
)


def _kept(params: Mapping[str, str]) -> dict[str, str]:
    return {name: str(params[name])[:100] for name in KEPT_PARAMS if name in params}


def _timestamp(params: Mapping[str, str]) -> datetime:
    try:
        return parsedate_to_datetime(params["Timestamp"])
    except (KeyError, TypeError, ValueError, IndexError):
        return clock.now()


def status_callback(*, call_id: int, params: Mapping[str, str]) -> bool:
    """Apply a status callback; False when the call is unknown. Order does not matter."""
    key = "status:{}:{}:{}".format(
        params.get("CallSid", ""), params.get("SequenceNumber", ""), params.get("CallStatus", "")
    )
    try:
        return _status_callback(call_id=call_id, params=params, key=key)
    except IntegrityError:
        if CallEvent.objects.filter(call_id=call_id, dedupe_key=key).exists():
            return True
        raise


@transaction.atomic
def _status_callback(*, call_id: int, params: Mapping[str, str], key: str) -> bool:
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None or _sid_mismatch(call, params):
        return False
    if CallEvent.objects.filter(call=call, dedupe_key=key).exists():
        return True
    status = params.get("CallStatus", "")
    at = _timestamp(params)
    rank = STATUS_RANK.get(status)
    applied = rank is not None and rank > call.status_rank
    if not call.provider_sid and params.get("CallSid"):
        call.provider_sid = params["CallSid"][:64]
    if applied:
        _set_status(call, status, at)
    elif status == CallStatus.IN_PROGRESS:  # late, but still a fact: when it was answered
        call.answered_at = call.answered_at or at
    elif status == CallStatus.INITIATED:
        call.started_at = call.started_at or at
    answered_by = _answered_by(params.get("AnsweredBy", ""))
    if answered_by and not call.answered_by:
        call.answered_by = answered_by
    if rank == FINAL_RANK and params.get("CallDuration", "").isdigit():
        call.duration_seconds = int(params["CallDuration"])
    if call.status_rank >= FINAL_RANK and call.duration_seconds is not None:
        prices, currency = _price_map(call.community_id, call.provider)
        call.price_micros = call_cost(call, prices)
        call.price_currency = currency
    elif call.status_rank >= FINAL_RANK and call.price_micros is None:
        call.price_micros, call.price_currency = 0, _price_map(call.community_id, call.provider)[1]
    call.save()
    _event(
        call,
        CallEvent.Kind.STATUS,
        key,
        status=status[:20],
        applied=applied,
        params=_kept(params),
    )
    hooks = CALL_HOOKS.get(call.purpose)
    if applied and call.status_rank >= FINAL_RANK and hooks and hooks.ended:
        hooks.ended(call)
    return True


CONFERENCE_EVENTS = {"participant-join": "join", "participant-leave": "leave"}


def conference_event(*, call_id: int, params: Mapping[str, str]) -> bool:
    """A conference room reports that this call's leg joined or left (once per event)."""
    event = CONFERENCE_EVENTS.get(params.get("StatusCallbackEvent", ""))
    if event is None:
        return False
    key = "conference:{}:{}:{}".format(
        params.get("CallSid", ""), params.get("ConferenceSid", ""), event
    )
    try:
        return _conference_event(call_id=call_id, params=params, key=key, event=event)
    except IntegrityError:
        if CallEvent.objects.filter(call_id=call_id, dedupe_key=key).exists():
            return True
        raise


@transaction.atomic
def _conference_event(*, call_id: int, params: Mapping[str, str], key: str, event: str) -> bool:
    call = Call.objects.select_for_update().filter(pk=call_id).first()
    if call is None or _sid_mismatch(call, params):
        return False
    if CallEvent.objects.filter(call=call, dedupe_key=key).exists():
        return True
    _event(call, CallEvent.Kind.CONFERENCE, key, status=event, params=_kept(params))
    hooks = CALL_HOOKS.get(call.purpose)
    if hooks and hooks.conference:
        hooks.conference(call, event)
    return True


def call_give_up(*, call: Call, reason: str) -> Call:
    """Mark a call that never reported its end as failed (the scheduler's sweep), once.

    ``call`` is locked by the caller. No hook runs: the caller decides what comes next.
    """
    if call.is_final:
        return call
    _set_status(call, CallStatus.FAILED, clock.now())
    call.error = reason[:300]
    call.price_micros = call.price_micros or 0
    call.save()
    _event(call, CallEvent.Kind.STATUS, "gave-up", status=CallStatus.FAILED, applied=True)
    return call


def call_redirect(*, call_id: int, step: str) -> bool:
    """Make a live call continue at ``step`` of its flow (after this transaction commits).

    False when the call is already over (nothing to do). The provider is asked once; a
    failure is logged on the call, never retried (the call may have ended meanwhile).
    """
    call = Call.objects.get(pk=call_id)
    if call.is_final or not STEP_RE.match(step):
        return False
    seq = int((call.flow_state or {}).get("seq", 0))
    url = links.voice_path(call.pk, step, seq)

    def ask() -> None:
        try:
            get_provider(call.provider).redirect_call(call, url)
        except Exception as exc:  # recorded, not retried
            Call.objects.filter(pk=call.pk).update(error=f"redirect: {exc}"[:300])

    transaction.on_commit(ask)
    return True


def inbound_answer(*, params: Mapping[str, str]) -> tuple[str, str]:
    """Answer an incoming call: the first inbound handler that knows the caller owns it.

    Nobody recognises the caller → a polite goodbye and no row (no community to keep it in).
    """
    sid = params.get("CallSid", "")
    provider_name = settings.TELEPHONY_PROVIDER
    call = _inbound_call(sid, provider_name)
    if call is None and sid:
        try:
            call = _inbound_create(params=params, provider_name=provider_name)
        except IntegrityError:  # the same call delivered twice at once
            call = _inbound_call(sid, provider_name)
    if call is None:
        return _goodbye_answer()
    return voice_answer(call_id=call.pk, step="start", seq=0, params=params)


def _inbound_call(sid: str, provider_name: str) -> Call | None:
    if not sid:
        return None
    return Call.objects.filter(provider=provider_name, provider_sid=sid).first()


@transaction.atomic
def _inbound_create(*, params: Mapping[str, str], provider_name: str) -> Call | None:
    from_number, to_number = params.get("From", ""), params.get("To", "")
    for handler in inbound_handlers():
        match = handler(from_number, to_number)
        if match is None:
            continue
        now = clock.now()
        call = Call.objects.create(
            community=match.community,
            direction=Direction.IN,
            from_number=from_number[:20],
            to_number=to_number[:20],
            language=match.language or match.community.default_language,
            status=CallStatus.IN_PROGRESS,
            status_rank=STATUS_RANK[CallStatus.IN_PROGRESS],
            provider=provider_name,
            provider_sid=params["CallSid"][:64],
            purpose=match.purpose,
            subject_type=match.subject_type,
            subject_id=match.subject_id,
            flow_state={"seq": 0, **match.extra},
            created_at=now,
            started_at=now,
            answered_at=now,
        )
        audit_record(
            actor=Actor.system(match.community, label="telephony"),
            verb="call.received",
            obj=call,
            data={"purpose": match.purpose, "subject_id": match.subject_id},
        )
        return call
    return None


def inbound_status_callback(*, params: Mapping[str, str]) -> bool:
    """A status callback for an incoming call (the number's callback URL carries no id)."""
    call = _inbound_call(params.get("CallSid", ""), settings.TELEPHONY_PROVIDER)
    if call is None:
        return False
    return status_callback(call_id=call.pk, params=params)


SMS_FAILED = ("failed", "undelivered")


@transaction.atomic
def sms_status_callback(*, params: Mapping[str, str]) -> bool:
    """Keep a delivery failure reported for an SMS on its message; False when unknown."""
    sid = params.get("MessageSid", "") or params.get("SmsSid", "")
    status = params.get("MessageStatus", "") or params.get("SmsStatus", "")
    if not sid:
        return False
    message = Message.objects.select_for_update().filter(provider_id=sid).first()
    if message is None:
        return False
    if status in SMS_FAILED and not message.error:
        code = params.get("ErrorCode", "")
        message.error = f"delivery: {status} {code}".strip()[:2000]
        message.save(update_fields=["error"])
    return True


# --- recordings (content management for call prompts) ---------------------------------------

MAX_RECORDING_BYTES = 5 * 1024 * 1024
#: What the provider is told the file is; decided by the file's first bytes, never its name.
AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def audio_kind(head: bytes) -> str | None:
    """``wav`` or ``mp3`` from a file's first bytes (its "magic"), else None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3":  # an MP3 with an ID3v2 tag in front
        return "mp3"
    # A bare MPEG audio frame: 11 sync bits, then MPEG version and layer III (not "reserved").
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
        if version != 0b01 and layer == 0b01:
            return "mp3"
    return None


@transaction.atomic
def recording_upload(*, actor: Actor, name: str, language: str, upload: Any) -> Recording:
    """Keep an uploaded prompt (WAV or MP3, at most 5 MB) for call flows and announcements.

    ``upload`` is a Django ``UploadedFile`` (or any ``File``). The file is checked by its first
    bytes, not by its name or the content type the browser sent.
    """
    actor.require("telephony.recordings")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the recording a name."), fields={"name": _("Give the recording a name.")}
        )
    if len(name) > 120:
        message = _("Keep the name to 120 characters.")
        raise ValidationFailed(message, fields={"name": message})
    if language not in {code for code, _name in settings.LANGUAGES}:
        message = _("Choose one of the languages.")
        raise ValidationFailed(message, fields={"language": message})
    if upload is None:
        message = _("Choose a sound file (WAV or MP3).")
        raise ValidationFailed(message, fields={"file": message})
    size = int(upload.size or 0)
    if size > MAX_RECORDING_BYTES:
        message = _("The file is too big: at most %(mb)d MB.") % {
            "mb": MAX_RECORDING_BYTES // (1024 * 1024)
        }
        raise ValidationFailed(message, fields={"file": message})
    upload.seek(0)
    kind = audio_kind(upload.read(12))
    upload.seek(0)
    if size == 0 or kind is None:
        message = _("This is not a WAV or MP3 sound file.")
        raise ValidationFailed(message, fields={"file": message})
    recording = Recording(
        community=actor.community,
        name=name,
        language=language,
        content_type=AUDIO_TYPES[kind],
        size=size,
        uploaded_by=actor.label[:150],
        uploaded_at=clock.now(),
    )
    recording.audio.save(f"{uuid.uuid4().hex}.{kind}", upload, save=False)
    try:
        recording.save()
        audit_record(
            actor=actor,
            verb="telephony.recording_upload",
            obj=recording,
            data={"name": name, "language": language, "size": size, "type": kind},
        )
    except Exception:
        recording.audio.delete(save=False)  # nothing half-written is left behind
        raise
    return recording


#: Checks other apps register (``register_recording_use``): given a community id and a recording
#: id, what still plays that recording (said in the error), or "" when nothing does.
RECORDING_USES: list[Callable[[int, int], str]] = []


def register_recording_use(check: Callable[[int, int], str]) -> None:
    if check not in RECORDING_USES:
        RECORDING_USES.append(check)


def _flows_using(community_id: int, recording_id: int) -> str:
    """The draft or active call flows whose nodes play the recording (``"play": {lang: id}``)."""
    names = []
    versions = FlowVersion.objects.in_community(community_id).exclude(status=FlowStatus.RETIRED)
    for version in versions.order_by("key", "number"):
        nodes = (version.definition or {}).get("nodes") or {}
        for node in nodes.values() if isinstance(nodes, dict) else []:
            play = node.get("play") if isinstance(node, dict) else None
            if isinstance(play, dict) and str(recording_id) in {str(v) for v in play.values()}:
                names.append(
                    _("call flow %(flow)s, version %(number)d")
                    % {"flow": version.key, "number": version.number}
                )
                break
    return ", ".join(names)


@transaction.atomic
def recording_delete(*, actor: Actor, recording_id: int) -> None:
    """Delete a recording that nothing plays any more (a draft or active call flow, or an
    announcement that has not ended, refuses it). The file goes once the delete is committed."""
    actor.require("telephony.recordings")
    recording = get_scoped(Recording, actor.community, for_update=True, pk=recording_id)
    checks = [_flows_using, *RECORDING_USES]
    uses = [use for check in checks if (use := check(actor.community.pk, recording.pk))]
    if uses:
        raise Conflict(
            _("This recording is still used by: %(uses)s. Choose another one there first.")
            % {"uses": "; ".join(uses)}
        )
    audit_record(
        actor=actor,
        verb="telephony.recording_delete",
        obj=recording,
        data={"name": recording.name, "language": recording.language},
    )
    audio = recording.audio
    recording.delete()
    transaction.on_commit(lambda: audio.delete(save=False))


# --- call flows as data ---------------------------------------------------------------------


def _check_recordings(community: Community, definition: Mapping[str, Any]) -> None:
    """Every recording a flow plays is one of the community's, in the node's language."""
    for name, node in definition.get("nodes", {}).items():
        for language, recording_id in (node.get("play") or {}).items():
            if (
                not Recording.objects.in_community(community)
                .filter(pk=recording_id, language=language)
                .exists()
            ):
                message = _(
                    "Node “%(name)s”: recording %(id)s is not one of this community's "
                    "recordings in that language."
                ) % {"name": name, "id": recording_id}
                raise ValidationFailed(message, fields={"definition": message})


def _flow_kind(key: str) -> flowdata.FlowKind:
    kind = flowdata.FLOW_KINDS.get(key)
    if kind is None:
        message = _("Unknown call flow.")
        raise ValidationFailed(message, fields={"key": message})
    return kind


@transaction.atomic
def flow_ensure(*, community: Community, key: str) -> FlowVersion:
    """The active version of flow ``key``; version 1 (the default) is made when none exists."""
    active = (
        FlowVersion.objects.in_community(community)
        .filter(key=key, status=FlowStatus.ACTIVE)
        .first()
    )
    if active is not None:
        return active
    kind = _flow_kind(key)
    if FlowVersion.objects.in_community(community).filter(key=key).exists():
        # Versions exist but none is active (never the case through the services): the
        # newest one that is valid is used as is, nothing is invented.
        newest = FlowVersion.objects.in_community(community).filter(key=key).first()
        assert newest is not None
        return newest
    now = clock.now()
    try:
        with transaction.atomic():  # a savepoint: two first calls at once make one version
            return FlowVersion.objects.create(
                community=community,
                key=key,
                number=1,
                status=FlowStatus.ACTIVE,
                definition=flowdata.clean_definition(kind.default(), outcomes=set(kind.outcomes)),
                notes="Default",
                created_by="buurtkit",
                created_at=now,
                activated_at=now,
            )
    except IntegrityError:
        return FlowVersion.objects.in_community(community).get(key=key, number=1)


@transaction.atomic
def flow_version_create(
    *,
    actor: Actor,
    key: str,
    definition: Mapping[str, Any] | None = None,
    copy_of_id: int | None = None,
    notes: str = "",
) -> FlowVersion:
    """A new draft of flow ``key``: a given definition or a copy of a version to change."""
    actor.require("telephony.flows")
    kind = _flow_kind(key)
    flow_ensure(community=actor.community, key=key)
    if copy_of_id is not None:
        source = get_scoped(FlowVersion, actor.community, pk=copy_of_id, key=key)
        definition = source.definition if definition is None else definition
    clean = flowdata.clean_definition(
        definition if definition is not None else kind.default(), outcomes=set(kind.outcomes)
    )
    _check_recordings(actor.community, clean)
    # The community row is the lock for numbering (an aggregate takes no row locks).
    Community.objects.select_for_update(of=("self",)).filter(pk=actor.community.pk).first()
    last = (
        FlowVersion.objects.in_community(actor.community)
        .filter(key=key)
        .aggregate(n=Max("number"))["n"]
    )
    version = FlowVersion.objects.create(
        community=actor.community,
        key=key,
        number=(last or 0) + 1,
        definition=clean,
        notes=notes[:2000],
        created_by=actor.label[:150],
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="telephony.flow_created",
        obj=version,
        data={"key": key, "number": version.number, "copy_of": copy_of_id},
    )
    return version


@transaction.atomic
def flow_version_update(
    *, actor: Actor, version_id: int, definition: Mapping[str, Any], notes: str | None = None
) -> FlowVersion:
    """Change a draft; an active or retired version never changes (make a copy)."""
    actor.require("telephony.flows")
    version = get_scoped(FlowVersion, actor.community, for_update=True, pk=version_id)
    if version.status != FlowStatus.DRAFT:
        raise Conflict(
            _("This version is in use or was used and can no longer change. Make a copy."),
            code="flow_immutable",
        )
    kind = _flow_kind(version.key)
    version.definition = flowdata.clean_definition(definition, outcomes=set(kind.outcomes))
    _check_recordings(actor.community, version.definition)
    if notes is not None:
        version.notes = notes[:2000]
    version.save(update_fields=["definition", "notes"])
    audit_record(actor=actor, verb="telephony.flow_updated", obj=version)
    return version


@transaction.atomic
def flow_version_activate(*, actor: Actor, version_id: int) -> FlowVersion:
    """Use a draft from the next call on; calls under way keep the version they started with."""
    actor.require("telephony.flows")
    version = get_scoped(FlowVersion, actor.community, for_update=True, pk=version_id)
    if version.status != FlowStatus.DRAFT:
        raise Conflict(_("Only a draft version can be activated."), code="not_draft")
    kind = _flow_kind(version.key)
    flowdata.clean_definition(version.definition, outcomes=set(kind.outcomes))
    now = clock.now()
    previous = list(
        FlowVersion.objects.in_community(actor.community)
        .select_for_update()
        .filter(key=version.key, status=FlowStatus.ACTIVE)
    )
    for old in previous:
        old.status = FlowStatus.RETIRED
        old.save(update_fields=["status"])
    version.status, version.activated_at = FlowStatus.ACTIVE, now
    version.save(update_fields=["status", "activated_at"])
    audit_record(
        actor=actor,
        verb="telephony.flow_activated",
        obj=version,
        data={"key": version.key, "number": version.number},
    )
    return version


def flow_for_call(call: Call, key: str) -> dict[str, Any]:
    """The definition a call follows: the version it started with (kept in its state)."""
    state = call.flow_state
    version_id = state.get("flow_version")
    if version_id:
        version = FlowVersion.objects.filter(pk=version_id, community_id=call.community_id).first()
        if version is not None:
            return dict(version.definition)
    version = flow_ensure(community=call.community, key=key)
    state["flow_version"] = version.pk
    return dict(version.definition)


# --- demo calls -----------------------------------------------------------------------------


def demo_inbound_call(
    *,
    from_number: str,
    to_number: str,
    keys: tuple[str, ...] = (),
    transfer: str = "completed",
    message: str = "",
    hang_up_at_menu: int = 0,
) -> list[str]:
    """A simulated caller phones ``to_number`` inside this process (no HTTP, no waits): for
    demo loaders. The same flows, hooks and logs as a real call; returns what was said."""
    from buurtkit.telephony import simulator

    script = simulator.Script(
        keys=keys, transfer=transfer, message=message, hang_up_at_menu=hang_up_at_menu
    )
    result = simulator.run_inbound(
        from_number=from_number, to_number=to_number, script=script, post=_in_process_webhook
    )
    return result.said


def _in_process_webhook(path: str, params: dict[str, str]) -> tuple[int, str]:
    """A simulated webhook handed straight to the service its view calls (no HTTP and no
    signature: nothing leaves the process)."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import resolve

    parts = urlsplit(path)
    match = resolve(parts.path)
    name = match.url_name or ""
    if name == "telephony_voice":
        seq = parse_qs(parts.query).get("seq", ["0"])[0]
        body, _type = voice_answer(
            call_id=int(match.kwargs["call_id"]),
            step=str(match.kwargs["step"]),
            seq=int(seq) if seq.isdigit() else 0,
            params=params,
        )
        return 200, body
    if name == "telephony_inbound":
        return 200, inbound_answer(params=params)[0]
    if name == "telephony_inbound_status":
        inbound_status_callback(params=params)
        return 204, ""
    if name == "telephony_status":
        status_callback(call_id=int(match.kwargs["call_id"]), params=params)
        return 204, ""
    return 404, ""
