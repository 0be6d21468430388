"""What Buurbel's telephony costs a municipality in a year, set against the licence.

A pure calculation (no database): the inputs (:class:`Inputs`, parsed and checked by
:func:`parse_inputs`) and a price table in micro-dollars give a breakdown per price item
(:func:`project`). Quantities are :class:`~decimal.Decimal`; money is integer minor units
(USD micro-dollars, EUR cents); nothing is a float.

The model, per year (the seed's call durations are the defaults):

* participants = inhabitants × participation; introductions (pairs) = participants ×
  introductions per participant ÷ 2 (every introduction has two neighbours).
* A neighbour is called until reached, at most ``max_tries`` times; each call is answered by the
  person, reaches voicemail or is not answered (the shares given). With ``q`` the share of calls
  that do not reach the person, the expected calls per neighbour are ``1 + q + … + q^(tries-1)``
  and the share reached is ``1 − q^tries``.
* The first neighbour, reached, hears the introduction (``happy_minutes``); some listen to the
  "more info" loop too (``more_info_minutes`` more). Who agrees leads to a call to the second
  neighbour (``second_minutes``). Who agrees there is connected: both stay on the line in a
  conference (``conference_minutes``: two participants, each billed per minute on their line and
  per participant-minute for the conference). Each connected pair gets ``follow_up_calls``
  calls of ``follow_up_minutes`` later ("did you meet?").
* Every call is billed per started minute: each kind of call's average duration is rounded up to
  whole minutes. Minutes are split over mobile and landline rates by ``mobile_pct``.
* Answering machine detection (when on; off by default) is paid once per answered call.
* SMS: new participants per year (participants × turnover) × SMS verifications each.
* Studio (only for a Twilio Studio setup; buurtkit's own flows use none): executions and
  invocations per call; the monthly free tiers are taken off each month (a twelfth of the year).
* Licence: €0.30 per inhabitant per year, at least €5,000 (the seed's business model, which
  counts on €3,000 of telephony inside that licence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from buurtkit.core.errors import ValidationFailed
from buurtkit.telephony.models import MICROS, PriceItem

LICENCE_CENTS_PER_INHABITANT = 30  # €0.30
LICENCE_MINIMUM_CENTS = 500_000  # €5,000
MONTHS = 12
PROVIDERS = ("twilio", "simulator")
ONE = Decimal(1)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Field:
    """One input: its kind (``int``, ``dec``, ``bool``, ``choice``), default and range, and
    what the form says about it."""

    name: str
    kind: str
    default: Any
    label: Promise
    help: Promise
    low: Decimal = Decimal(0)
    high: Decimal = Decimal(100)
    group: str = "community"


FIELDS: tuple[Field, ...] = (
    Field(
        "inhabitants",
        "int",
        20_000,
        _("Inhabitants"),
        _("How many people live in the municipality."),
        Decimal(1),
        Decimal(10_000_000),
    ),
    Field(
        "participation_pct",
        "dec",
        Decimal("1"),
        _("Taking part (% of inhabitants)"),
        _("Which share of the inhabitants signs up for Buurbel."),
    ),
    Field(
        "introductions_per_participant",
        "dec",
        Decimal("4"),
        _("Introductions per participant per year"),
        _("How often a participant is introduced to a neighbour in a year."),
        high=Decimal(365),
    ),
    Field(
        "turnover_pct",
        "dec",
        Decimal("30"),
        _("New participants each year (% of participants)"),
        _("People who join each year (and replace those who stop); each new one gets a code."),
    ),
    Field(
        "sms_per_new_participant",
        "dec",
        Decimal("1"),
        _("Text messages per new participant"),
        _("Text messages with a code to check the phone number of a new participant."),
        high=Decimal(20),
    ),
    Field(
        "no_answer_pct",
        "dec",
        Decimal("15"),
        _("Calls nobody answers (%)"),
        _("These cost nothing, but the neighbour is called again later."),
        group="calls",
    ),
    Field(
        "voicemail_pct",
        "dec",
        Decimal("20"),
        _("Calls that reach voicemail (%)"),
        _("A short message is left; the neighbour is called again later."),
        group="calls",
    ),
    Field(
        "max_tries",
        "int",
        3,
        _("Tries per neighbour"),
        _("How many times we call a neighbour before we give up."),
        Decimal(1),
        Decimal(10),
        group="calls",
    ),
    Field(
        "agree_pct",
        "dec",
        Decimal("60"),
        _("Neighbours who say yes (%)"),
        _("Of the neighbours we reach, which share agrees to the introduction."),
        group="calls",
    ),
    Field(
        "mobile_pct",
        "dec",
        Decimal("50"),
        _("Calls to a mobile phone (%)"),
        _("The rest goes to landlines. The two have a different price per minute."),
        group="calls",
    ),
    Field(
        "happy_minutes",
        "dec",
        Decimal("1.2"),
        _("Minutes of the first call"),
        _("The first neighbour hears who lives nearby and answers (a little over 1 minute)."),
        high=Decimal(60),
        group="minutes",
    ),
    Field(
        "more_info_pct",
        "dec",
        Decimal("30"),
        _("First neighbours who ask for more information (%)"),
        _("They listen to the extra explanation."),
        group="minutes",
    ),
    Field(
        "more_info_minutes",
        "dec",
        Decimal("2"),
        _("Extra minutes for more information"),
        _("How much longer the call takes when someone asks for more information."),
        high=Decimal(60),
        group="minutes",
    ),
    Field(
        "voicemail_minutes",
        "dec",
        Decimal("0.8"),
        _("Minutes of a call to voicemail"),
        _("Less than a minute."),
        high=Decimal(60),
        group="minutes",
    ),
    Field(
        "second_minutes",
        "dec",
        Decimal("1"),
        _("Minutes of the call to the second neighbour"),
        _("About 1 minute."),
        high=Decimal(60),
        group="minutes",
    ),
    Field(
        "conference_minutes",
        "dec",
        Decimal("5"),
        _("Minutes the two neighbours talk together"),
        _("When both say yes we connect them; both lines are paid for these minutes."),
        high=Decimal(120),
        group="minutes",
    ),
    Field(
        "follow_up_calls",
        "int",
        2,
        _("Follow-up calls per connected pair"),
        _("Later we call to ask whether they met."),
        high=Decimal(10),
        group="minutes",
    ),
    Field(
        "follow_up_minutes",
        "dec",
        Decimal("1"),
        _("Minutes of a follow-up call"),
        _("About 1 minute."),
        high=Decimal(60),
        group="minutes",
    ),
    Field(
        "machine_detection",
        "bool",
        False,
        _("Answering machine detection"),
        _(
            "The provider tells us when a machine answers. This costs a little per answered "
            "call. Off by default: it adds a silence of up to four seconds before the call."
        ),
        group="provider",
    ),
    Field(
        "studio_executions_per_call",
        "dec",
        Decimal("0"),
        _("Studio flow executions per call"),
        _("Only when the calls run in Twilio Studio. buurtkit's own call flows use none."),
        group="provider",
    ),
    Field(
        "studio_invocations_per_call",
        "dec",
        Decimal("0"),
        _("Studio invocations per call"),
        _("Only when the calls run in Twilio Studio. buurtkit's own call flows use none."),
        high=Decimal(1000),
        group="provider",
    ),
    Field(
        "provider",
        "choice",
        "twilio",
        _("Price table"),
        _("Whose prices to use."),
        group="provider",
    ),
    Field(
        "usd_eur",
        "dec",
        Decimal("0.92"),
        _("Euros for one dollar"),
        _("The provider charges in dollars; the licence is in euros."),
        Decimal("0.01"),
        Decimal(10),
        group="provider",
    ),
    Field(
        "licence_telephony_eur",
        "int",
        3_000,
        _("Telephony budget in the licence (euros per year)"),
        _("The business model counts on this much telephony inside the licence."),
        high=Decimal(10_000_000),
        group="provider",
    ),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


@dataclass(frozen=True)
class Inputs:
    inhabitants: int = 20_000
    participation_pct: Decimal = Decimal("1")
    introductions_per_participant: Decimal = Decimal("4")
    turnover_pct: Decimal = Decimal("30")
    sms_per_new_participant: Decimal = Decimal("1")
    no_answer_pct: Decimal = Decimal("15")
    voicemail_pct: Decimal = Decimal("20")
    max_tries: int = 3
    agree_pct: Decimal = Decimal("60")
    mobile_pct: Decimal = Decimal("50")
    happy_minutes: Decimal = Decimal("1.2")
    more_info_pct: Decimal = Decimal("30")
    more_info_minutes: Decimal = Decimal("2")
    voicemail_minutes: Decimal = Decimal("0.8")
    second_minutes: Decimal = Decimal("1")
    conference_minutes: Decimal = Decimal("5")
    follow_up_calls: int = 2
    follow_up_minutes: Decimal = Decimal("1")
    machine_detection: bool = False  # off by default (CallSettings): not in the default model
    studio_executions_per_call: Decimal = Decimal("0")
    studio_invocations_per_call: Decimal = Decimal("0")
    provider: str = "twilio"
    usd_eur: Decimal = Decimal("0.92")
    licence_telephony_eur: int = 3_000

    def as_params(self) -> dict[str, str]:
        """The inputs as text, as a form or a query string carries them."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("1" if value else "") if isinstance(value, bool) else str(value)
        return out


def _check_defaults() -> None:
    defaults = Inputs()
    assert tuple(f.name for f in fields(Inputs)) == FIELD_NAMES
    assert all(getattr(defaults, f.name) == f.default for f in FIELDS)


_check_defaults()

_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}


def parse_inputs(raw: Mapping[str, Any]) -> Inputs:
    """Inputs from a form, a query string or keyword arguments; a missing one takes its default.

    Raises :class:`ValidationFailed` with a message per wrong field.
    """
    unknown = sorted(set(raw) - set(FIELD_NAMES))
    errors: dict[str, str] = {}
    for name in unknown:
        errors[name] = str(_("Unknown input."))
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.kind == "bool":
            text = str(value).strip().lower() if not isinstance(value, bool) else ""
            if isinstance(value, bool):
                values[f.name] = value
            elif text in _TRUE or text in _FALSE:
                values[f.name] = text in _TRUE
            else:
                errors[f.name] = str(_("Choose yes or no."))
            continue
        if f.kind == "choice":
            if str(value) not in PROVIDERS:
                errors[f.name] = str(_("Choose one of: %(list)s.") % {"list": ", ".join(PROVIDERS)})
            else:
                values[f.name] = str(value)
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an emptied field takes its default again
        if isinstance(value, float):
            value = repr(value)
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            errors[f.name] = str(_("Give a number."))
            continue
        if not number.is_finite():
            errors[f.name] = str(_("Give a number."))
            continue
        if f.kind == "int" and number != number.to_integral_value():
            errors[f.name] = str(_("Give a whole number."))
            continue
        if not f.low <= number <= f.high:
            errors[f.name] = str(
                _("Give a number from %(low)s to %(high)s.") % {"low": f.low, "high": f.high}
            )
            continue
        values[f.name] = int(number) if f.kind == "int" else number
    inputs = Inputs(**{**{f.name: f.default for f in FIELDS}, **values})
    both = "no_answer_pct" not in errors and "voicemail_pct" not in errors
    if both and inputs.no_answer_pct + inputs.voicemail_pct > HUNDRED:
        message = str(_("Unanswered calls and voicemail together cannot be more than 100%."))
        errors["voicemail_pct"] = message
    if errors:
        raise ValidationFailed(_("Some inputs are not right; see the fields."), fields=errors)
    return inputs


# --- the projection --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One price item per year: quantity (after free tiers) × unit price."""

    item: str
    label: str
    unit: str
    quantity: Decimal  # minutes, calls or messages, as billed
    free: Decimal  # units that were free (Studio's monthly tiers)
    unit_micros: int
    usd_micros: int
    eur_cents: int


@dataclass(frozen=True)
class Projection:
    inputs: Inputs
    participants: Decimal
    new_participants: Decimal
    introductions: Decimal
    connected_pairs: Decimal
    calls: Decimal
    answered_calls: Decimal
    minutes: Decimal
    lines: list[Line]
    total_usd_micros: int
    total_eur_cents: int
    per_participant_eur_cents: Decimal  # cents, two decimals
    per_inhabitant_eur_cents: Decimal
    licence_eur_cents: int
    licence_minimum_applies: bool
    telephony_pct_of_licence: Decimal  # one decimal
    licence_plus_telephony_eur_cents: int
    telephony_budget_eur_cents: int
    within_budget: bool


def _round(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def _billed(minutes: Decimal) -> Decimal:
    """A call's duration as billed: per started minute."""
    return Decimal(math.ceil(minutes)) if minutes > 0 else Decimal(0)


def _eur_cents(usd_micros: int, rate: Decimal) -> int:
    # micro-dollars × (EUR per USD) = micro-euros; 1 cent = 10,000 micro-euros.
    return _round(Decimal(usd_micros) * rate / Decimal(10_000))


def _free_tier(yearly: Decimal, free_per_month: int) -> tuple[Decimal, Decimal]:
    """(billable, free) units of a year, the free tier taken off every month."""
    monthly = yearly / MONTHS
    free = min(monthly, Decimal(free_per_month))
    return (monthly - free) * MONTHS, free * MONTHS


def licence_cents(inhabitants: int) -> int:
    return max(LICENCE_CENTS_PER_INHABITANT * inhabitants, LICENCE_MINIMUM_CENTS)


UNITS: dict[str, Promise] = {
    PriceItem.VOICE_LOCAL: _("minutes"),
    PriceItem.VOICE_MOBILE: _("minutes"),
    PriceItem.CONFERENCE: _("participant-minutes"),
    PriceItem.MACHINE_DETECTION: _("calls"),
    PriceItem.SMS: _("messages"),
    PriceItem.STUDIO_EXECUTION: _("executions"),
    PriceItem.STUDIO_INVOCATION: _("invocations"),
}


def project(
    inputs: Inputs, prices: Mapping[str, int], free_per_month: Mapping[str, int] | None = None
) -> Projection:
    """The yearly telephony costs for ``inputs`` with ``prices`` (micro-dollars per unit)."""
    free_per_month = free_per_month or {}
    i = inputs
    pct = HUNDRED
    participants = Decimal(i.inhabitants) * i.participation_pct / pct
    new_participants = participants * i.turnover_pct / pct
    pairs = participants * i.introductions_per_participant / 2

    miss = (i.no_answer_pct + i.voicemail_pct) / pct  # a call that does not reach the person
    calls_per_person, power = Decimal(0), ONE  # 1 + miss + miss² + … (tries terms)
    for _try in range(i.max_tries):
        calls_per_person += power
        power *= miss
    reached_share = ONE - power  # 1 − miss^tries
    voicemail_share = i.voicemail_pct / pct
    agree = i.agree_pct / pct

    # First neighbour: every introduction starts here.
    calls_a = pairs * calls_per_person
    reached_a = pairs * reached_share
    more = i.more_info_pct / pct
    minutes_a = reached_a * (
        (ONE - more) * _billed(i.happy_minutes)
        + more * _billed(i.happy_minutes + i.more_info_minutes)
    )
    # Second neighbour: only when the first agreed.
    agreed_a = reached_a * agree
    calls_b = agreed_a * calls_per_person
    reached_b = agreed_a * reached_share
    minutes_b = reached_b * _billed(i.second_minutes)
    connected = reached_b * agree

    voicemail_calls = (calls_a + calls_b) * voicemail_share
    minutes_voicemail = voicemail_calls * _billed(i.voicemail_minutes)
    conference_each = _billed(i.conference_minutes)
    conference_participant_minutes = connected * 2 * conference_each
    follow_calls = connected * i.follow_up_calls
    minutes_follow = follow_calls * _billed(i.follow_up_minutes)

    minutes = (
        minutes_a + minutes_b + minutes_voicemail + conference_participant_minutes + minutes_follow
    )
    calls = calls_a + calls_b + follow_calls
    answered = reached_a + reached_b + voicemail_calls + follow_calls
    mobile = i.mobile_pct / pct

    quantities: list[tuple[str, Decimal, Decimal]] = [
        (PriceItem.VOICE_LOCAL, minutes * (ONE - mobile), Decimal(0)),
        (PriceItem.VOICE_MOBILE, minutes * mobile, Decimal(0)),
        (PriceItem.CONFERENCE, conference_participant_minutes, Decimal(0)),
        (
            PriceItem.MACHINE_DETECTION,
            answered if i.machine_detection else Decimal(0),
            Decimal(0),
        ),
        (PriceItem.SMS, new_participants * i.sms_per_new_participant, Decimal(0)),
    ]
    studio: tuple[tuple[str, Decimal], ...] = (
        (PriceItem.STUDIO_EXECUTION, i.studio_executions_per_call),
        (PriceItem.STUDIO_INVOCATION, i.studio_invocations_per_call),
    )
    for item, per_call in studio:
        billable, free = _free_tier(calls * per_call, free_per_month.get(item, 0))
        quantities.append((item, billable, free))

    lines = []
    for item, quantity, free in quantities:
        unit = prices.get(item, 0)
        usd = _round(quantity * unit)
        lines.append(
            Line(
                item=str(item),
                label=str(PriceItem(item).label),
                unit=str(UNITS[item]),
                quantity=quantity.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                free=free.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                unit_micros=unit,
                usd_micros=usd,
                eur_cents=_eur_cents(usd, i.usd_eur),
            )
        )
    total_usd = sum(line.usd_micros for line in lines)
    total_eur = sum(line.eur_cents for line in lines)
    licence = licence_cents(i.inhabitants)
    cents2 = Decimal("0.01")
    per_participant = (
        (Decimal(total_eur) / participants).quantize(cents2, rounding=ROUND_HALF_UP)
        if participants
        else Decimal(0)
    )
    budget = i.licence_telephony_eur * 100
    return Projection(
        inputs=i,
        participants=participants.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        new_participants=new_participants.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        introductions=pairs.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        connected_pairs=connected.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        calls=calls.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        answered_calls=answered.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        minutes=minutes.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        lines=lines,
        total_usd_micros=total_usd,
        total_eur_cents=total_eur,
        per_participant_eur_cents=per_participant,
        per_inhabitant_eur_cents=(Decimal(total_eur) / i.inhabitants).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        ),
        licence_eur_cents=licence,
        licence_minimum_applies=licence == LICENCE_MINIMUM_CENTS,
        telephony_pct_of_licence=(Decimal(total_eur) * pct / licence).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        ),
        licence_plus_telephony_eur_cents=licence + total_eur,
        telephony_budget_eur_cents=budget,
        within_budget=total_eur <= budget,
    )


def usd(micros: int) -> str:
    """Micro-dollars as dollars with 4 decimals, or 6 when 4 would round: ``61500`` →
    ``"0.0615"``, ``150`` → ``"0.000150"`` (always exact, so a form shows what is stored)."""
    places = Decimal("0.0001") if micros % 100 == 0 else Decimal("0.000001")
    return f"{(Decimal(micros) / MICROS).quantize(places):f}"


def eur(cents: int) -> str:
    """Cents as euros with 2 decimals: ``123456`` → ``"1234.56"``."""
    return f"{Decimal(cents) / 100:.2f}"


def dollars_to_micros(text: str) -> int:
    """``"0.0600"`` → ``60000``; more than six decimals or a negative amount is refused."""
    try:
        amount = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed(_("Give an amount in dollars, like 0.0600."), fields={}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(_("Give an amount in dollars, like 0.0600."), fields={})
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise ValidationFailed(_("Use at most six decimals."), fields={})
    if micros > 10**12:
        raise ValidationFailed(_("That amount is too large."), fields={})
    return int(micros)
