"""Confirming a participant's phone number before Buurbel ever calls it.

A mobile gets a 6-digit code by SMS (stored as a ``messaging.Message``); a landline (or any
other number) gets a call that reads the code digit by digit, twice, in the participant's
language, with a key to hear it again. The code itself is never stored: a row keeps a random
seed and an HMAC (with ``SECRET_KEY``) of the code. The code is derived from the seed with the
same key, so the call flow can read it out while the database alone reveals nothing.

Limits: a code is valid for :data:`VALID_FOR`; after :data:`MAX_TRIES` wrong tries a new code
is needed; at most :data:`MAX_PER_HOUR` codes per participant per hour; a new code replaces
the older ones. A participant counts as verified only for the number that was verified: when
the person's phone number changes, they are unverified again (:func:`callable_filter`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ServiceError, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.neighbours.models import Participant, PhoneVerification, VerificationChannel
from buurtkit.people.models import Person
from buurtkit.people.phones import normalise_phone
from buurtkit.telephony.interface import Gather, Hangup, Pause, Redirect, Say, Verb, register_flow
from buurtkit.telephony.models import Call

CODE_DIGITS = 6
VALID_FOR = dt.timedelta(minutes=15)
MAX_TRIES = 5
MAX_PER_HOUR = 3
MAX_REPEATS = 3  # times the caller may ask to hear the code again
PURPOSE = "buurbel.verify"
SUBJECT_TYPE = "neighbours.phoneverification"
#: ``PhoneVerification.channel`` of a number staff checked in person (no code was sent).
IN_PERSON = VerificationChannel.IN_PERSON


class TooManyCodes(ServiceError):
    code = "too_many_codes"
    status = 429


# --- codes ---------------------------------------------------------------------------------


def _mac(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def code_from_seed(seed: str) -> str:
    """The code a seed stands for (needs ``SECRET_KEY``)."""
    number = int(_mac(f"buurbel-code:{seed}"), 16) % 10**CODE_DIGITS
    return f"{number:0{CODE_DIGITS}d}"


def _digest(participant_id: int, phone: str, seed: str, code: str) -> str:
    return _mac(f"buurbel-verify:{participant_id}:{phone}:{seed}:{code}")


def _seal(participant_id: int, phone: str) -> tuple[str, str]:
    """A new ``(code, code_hash)``; the hash field keeps ``seed$hmac``."""
    seed = secrets.token_hex(8)
    code = code_from_seed(seed)
    return code, f"{seed}${_digest(participant_id, phone, seed, code)}"


def _matches(v: PhoneVerification, code: str) -> bool:
    seed, _sep, digest = v.code_hash.partition("$")
    if not seed or not digest:
        return False
    return hmac.compare_digest(digest, _digest(v.participant_id, v.phone, seed, code))


def _code_of(v: PhoneVerification) -> str:
    seed, _sep, _digest_value = v.code_hash.partition("$")
    return code_from_seed(seed)


# --- who is verified -----------------------------------------------------------------------


def _current_phone(person: Person) -> str:
    try:
        number, _kind = normalise_phone(person.phone or "")
    except ValidationFailed:
        return ""
    return number


def verified_phone(participant: Participant) -> str:
    """The number last verified for this participant ('' when none)."""
    if participant.phone_verified_at is None:
        return ""
    row = (
        PhoneVerification.objects.filter(participant=participant, verified_at__isnull=False)
        .order_by("-verified_at", "-id")
        .values_list("phone", flat=True)
        .first()
    )
    return row or ""


def is_verified(participant: Participant) -> bool:
    """Verified for the person's *current* phone number."""
    phone = verified_phone(participant)
    return bool(phone) and phone == _current_phone(participant.person)


def is_callable(participant: Participant) -> bool:
    """Buurbel may call: active, consented, not opted out, verified for the current number."""
    return bool(
        participant.active
        and participant.consent_at
        and participant.opted_out_at is None
        and is_verified(participant)
    )


def with_verified_phone(qs: QuerySet[Participant]) -> QuerySet[Participant]:
    """Annotate ``verified_phone``: the number last verified ('' or None when none)."""
    last = (
        PhoneVerification.objects.filter(participant=OuterRef("pk"), verified_at__isnull=False)
        .order_by("-verified_at", "-id")
        .values("phone")[:1]
    )
    return qs.annotate(verified_phone=Subquery(last))


def verified_q() -> Q:
    """For a queryset annotated by :func:`with_verified_phone`: verified for the current number."""
    return Q(phone_verified_at__isnull=False, verified_phone=F("person__phone"))


def callable_filter(qs: QuerySet[Participant]) -> QuerySet[Participant]:
    """Only the participants Buurbel may call (see :func:`is_callable`)."""
    return (
        with_verified_phone(qs)
        .filter(verified_q())
        .filter(active=True, consent_at__isnull=False, opted_out_at__isnull=True)
    )


def latest_open(participant: Participant) -> PhoneVerification | None:
    """The code waiting to be typed in, if any (not expired, not used up, same number)."""
    v = (
        PhoneVerification.objects.filter(participant=participant, verified_at__isnull=True)
        .exclude(channel=IN_PERSON)
        .order_by("-created_at", "-id")
        .first()
    )
    if v is None or v.expires_at <= clock.now() or v.attempts >= MAX_TRIES:
        return None
    if v.phone != _current_phone(participant.person):
        return None
    return v


# --- writes --------------------------------------------------------------------------------


def _may_act(actor: Actor, participant: Participant) -> None:
    if actor.person_id != participant.person_id:
        actor.require("neighbours.manage")


def _sender(actor: Actor) -> Actor:
    """Sending an SMS or placing a call is part of the service, also for a resident."""
    return Actor.system(actor.community, label=f"{actor.label} (Buurbel)"[:150])


@transaction.atomic
def start(*, actor: Actor, participant_id: int) -> PhoneVerification:
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    _may_act(actor, participant)
    person = participant.person
    if participant.opted_out_at is not None:
        raise Conflict(
            _("This person asked never to be called again. They can opt in again at a counter."),
            code="opted_out",
        )
    if not person.phone:
        message = _("Buurbel needs a phone number to call.")
        raise ValidationFailed(message, fields={"phone": message})
    phone, kind = normalise_phone(person.phone)
    if is_verified(participant):
        raise Conflict(_("This phone number is already confirmed."), code="already_verified")
    now = clock.now()
    recent = list(
        PhoneVerification.objects.filter(
            participant=participant, created_at__gt=now - dt.timedelta(hours=1)
        )
        .exclude(channel=IN_PERSON)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= MAX_PER_HOUR:
        again = recent[len(recent) - MAX_PER_HOUR] + dt.timedelta(hours=1)
        minutes = max(1, math.ceil((again - now).total_seconds() / 60))
        raise TooManyCodes(
            _(
                "You asked for %(n)d codes in the last hour. "
                "You can ask for a new code in %(minutes)d minutes."
            )
            % {"n": MAX_PER_HOUR, "minutes": minutes}
        )
    # A new code replaces the older ones.
    PhoneVerification.objects.filter(
        participant=participant, verified_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    channel = VerificationChannel.SMS if kind == "mobile" else VerificationChannel.CALL
    code, code_hash = _seal(participant.pk, phone)
    verification = PhoneVerification.objects.create(
        community=actor.community,
        participant=participant,
        phone=phone,
        channel=channel,
        code_hash=code_hash,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    sender = _sender(actor)
    if channel == VerificationChannel.SMS:
        from buurtkit.messaging.services import notify

        notify(
            actor=sender,
            person_id=person.pk,
            template="buurbel_code",
            context={"code": code, "minutes": int(VALID_FOR.total_seconds() // 60)},
            channel="sms",
            idempotency_key=f"buurbel-verify-{verification.pk}",
            requested=True,
            language=participant.language,
        )
    else:
        from buurtkit.telephony.services import call_create

        verification.call = call_create(
            actor=sender,
            to_number=phone,
            purpose=PURPOSE,
            subject_type=SUBJECT_TYPE,
            subject_id=verification.pk,
            language=participant.language,
        )
        verification.save(update_fields=["call"])
    audit_record(
        actor=actor,
        verb="neighbours.verification_sent",
        obj=participant,
        data={"channel": channel, "verification": verification.pk},
    )
    return verification


@dataclass(frozen=True)
class _Checked:
    participant: Participant | None
    error: ServiceError | None


def check(*, actor: Actor, participant_id: int, code: str) -> Participant:
    """Check a typed code. A wrong try is counted (and kept) even though an error is raised."""
    result = _check(actor=actor, participant_id=participant_id, code=code)
    if result.error is not None:
        raise result.error
    assert result.participant is not None
    return result.participant


@transaction.atomic
def _check(*, actor: Actor, participant_id: int, code: str) -> _Checked:
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    _may_act(actor, participant)
    typed = "".join(ch for ch in str(code or "") if not ch.isspace())
    if len(typed) != CODE_DIGITS or not typed.isdigit():
        message = _("Type the %(n)d digits of the code.") % {"n": CODE_DIGITS}
        raise ValidationFailed(message, fields={"code": message})
    latest = (
        PhoneVerification.objects.select_for_update()
        .filter(participant=participant, verified_at__isnull=True)
        .exclude(channel=IN_PERSON)
        .order_by("-created_at", "-id")
        .first()
    )
    now = clock.now()
    if (
        latest is None
        or latest.expires_at <= now
        or latest.phone != _current_phone(participant.person)
    ):
        message = _("This code is no longer valid. Ask for a new code.")
        return _Checked(
            None, ValidationFailed(message, fields={"code": message}, code="code_expired")
        )
    if latest.attempts >= MAX_TRIES:
        message = _("The code was typed wrong too many times. Ask for a new code.")
        return _Checked(
            None, ValidationFailed(message, fields={"code": message}, code="code_locked")
        )
    if not _matches(latest, typed):
        latest.attempts += 1
        latest.save(update_fields=["attempts"])
        left = MAX_TRIES - latest.attempts
        if left:
            message = _("This code is not right. You can try %(n)d more times.") % {"n": left}
        else:
            message = _("The code was typed wrong too many times. Ask for a new code.")
        audit_record(
            actor=actor,
            verb="neighbours.verification_failed",
            obj=participant,
            data={"verification": latest.pk, "attempts": latest.attempts},
        )
        return _Checked(
            None,
            ValidationFailed(
                message, fields={"code": message}, code="code_wrong" if left else "code_locked"
            ),
        )
    latest.verified_at = now
    latest.save(update_fields=["verified_at"])
    participant.phone_verified_at = now
    participant.save(update_fields=["phone_verified_at", "updated_at"])
    audit_record(
        actor=actor,
        verb="neighbours.phone_verified",
        obj=participant,
        data={"channel": latest.channel, "verification": latest.pk},
    )
    return _Checked(participant, None)


def record_in_person(*, actor: Actor, participant: Participant) -> PhoneVerification:
    """Staff checked the number in person: keep which number (no code was sent)."""
    now = clock.now()
    phone = _current_phone(participant.person)
    if not phone:
        message = _("Buurbel needs a phone number to call.")
        raise ValidationFailed(message, fields={"phone": message})
    return PhoneVerification.objects.create(
        community=actor.community,
        participant=participant,
        phone=phone,
        channel=IN_PERSON,
        code_hash="",
        created_at=now,
        expires_at=now,
        verified_at=now,
    )


# --- the call that reads the code ----------------------------------------------------------


def _spoken(code: str) -> str:
    return ", ".join(code)


def verify_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    """Read the code twice, digit by digit; 1 hears it again; then goodbye."""
    lang = call.language
    with translation.override(lang):
        v = (
            PhoneVerification.objects.filter(
                pk=call.subject_id or 0, community_id=call.community_id
            )
            .select_related("participant")
            .first()
        )
        valid = (
            v is not None
            and v.verified_at is None
            and v.expires_at > clock.now()
            and v.attempts < MAX_TRIES
        )
        if v is None or not valid:
            call.flow_state["outcome"] = "expired"
            return [
                Say(_("This code is no longer valid. Please ask for a new one. Goodbye."), lang),
                Hangup(),
            ]
        repeats = int(call.flow_state.get("repeats", 0))
        if step == "again" and digits == "1" and repeats < MAX_REPEATS:
            call.flow_state["repeats"] = repeats + 1
        elif step != "start":
            call.flow_state["outcome"] = "read"
            return [Say(_("Goodbye."), lang), Hangup()]
        spoken = _spoken(_code_of(v))
        verbs: list[Verb] = []
        if step == "start":
            verbs.append(
                Say(_("Hello, this is Buurbel, with the code to confirm your phone number."), lang)
            )
        verbs += [
            Say(_("Your code is: %(digits)s.") % {"digits": spoken}, lang),
            Pause(1),
            Say(_("Once more: %(digits)s.") % {"digits": spoken}, lang),
            Gather(
                prompt=(Say(_("To hear the code again, press 1."), lang),),
                action="again",
                num_digits=1,
                timeout=8,
            ),
            Redirect("bye"),
        ]
        return verbs


def register() -> None:
    register_flow(PURPOSE, verify_flow)
