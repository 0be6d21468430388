"""The automated reminder call for someone without a mobile phone: it reads the session's
day, time and place in the person's language and hangs up (telephony's flow interface)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from buurtkit.activities import rules
from buurtkit.activities.models import Registration
from buurtkit.activities.services.registrations import offer_answer_by_call
from buurtkit.core.errors import ServiceError
from buurtkit.core.texts import translated
from buurtkit.telephony.interface import (
    CallHooks,
    Gather,
    Hangup,
    Pause,
    Redirect,
    Say,
    Verb,
    register_call_hooks,
    register_flow,
)
from buurtkit.telephony.models import Call

PURPOSE = rules.REMINDER_CALL
BRUSSELS = ZoneInfo("Europe/Brussels")


def reminder_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language or "nl"
    registration = (
        Registration.objects.filter(pk=call.subject_id or 0, community_id=call.community_id)
        .select_related("session__series", "session__place", "community")
        .first()
    )
    with translation.override(lang):
        if registration is None or registration.state not in {"registered", "confirmed"}:
            return [Say(_("This sign-up was cancelled. Goodbye."), lang), Hangup()]
        session = registration.session
        starts = session.starts_at.astimezone(BRUSSELS)
        text = _(
            "Hello, this is %(community)s. A reminder: tomorrow, %(day)s at %(time)s, you are "
            "expected at %(title)s, at %(place)s, %(street)s. Cannot come? Please call us."
        ) % {
            "community": registration.community.name,
            "day": date_format(starts, "l j F"),
            "time": date_format(starts, "H:i"),
            "title": translated(session.series.title, lang),
            "place": session.place.name,
            "street": session.place.street,
        }
        return [Say(text, lang), Pause(1), Say(text, lang), Say(_("Goodbye."), lang), Hangup()]


def register() -> None:
    register_flow(PURPOSE, reminder_flow)
    register_offer_call()


# act-ops (issue 13): a freed seat offered by an automated call to someone without a mobile or
# e-mail address (a landline, with their consent to be phoned). 1 takes the seat; 2, silence,
# voicemail or no answer passes it on to the next person (the existing offer services).
OFFER_PURPOSE = rules.OFFER_CALL
ANSWER = "answer"
SILENT = "silent"


def _offered(call: Call) -> Registration | None:
    return (
        Registration.objects.filter(pk=call.subject_id or 0, community_id=call.community_id)
        .select_related("session__series", "session__place", "community")
        .first()
    )


def _answer(call: Call, accept: bool) -> Registration:
    return offer_answer_by_call(
        community_id=call.community_id, registration_id=call.subject_id or 0, accept=accept
    )


def offer_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language or "nl"
    registration = _offered(call)
    with translation.override(lang):
        if registration is None or (step == "start" and registration.state != "offered"):
            call.flow_state["outcome"] = "closed"
            return [Say(_("This seat is no longer free. Goodbye."), lang), Hangup()]
        session = registration.session
        starts = session.starts_at.astimezone(BRUSSELS)
        when = {
            "day": date_format(starts, "l j F"),
            "time": date_format(starts, "H:i"),
        }
        if step == "start":
            if answered_by == "machine":
                call.flow_state["outcome"] = "voicemail"
                _answer(call, accept=False)
                return [Hangup()]
            text = _(
                "Hello, this is %(community)s. A seat has become free for %(title)s, on "
                "%(day)s at %(time)s, at %(place)s, %(street)s. Press 1 to take the seat. "
                "Press 2 if you do not want it."
            ) % {
                **when,
                "community": registration.community.name,
                "title": translated(session.series.title, lang),
                "place": session.place.name,
                "street": session.place.street,
            }
            return [
                Gather(prompt=(Say(text, lang), Pause(1), Say(text, lang)), action=ANSWER),
                Redirect(SILENT),
            ]
        if step == ANSWER and digits[:1] == "1":
            try:
                _answer(call, accept=True)
            except ServiceError:
                call.flow_state["outcome"] = "too_late"
                return [Say(_("Sorry, the offer has expired. Goodbye."), lang), Hangup()]
            call.flow_state["outcome"] = "accepted"
            return [
                Say(_("The seat is yours. See you on %(day)s at %(time)s. Goodbye.") % when, lang),
                Hangup(),
            ]
        _answer(call, accept=False)
        if step == ANSWER and digits[:1] == "2":
            call.flow_state["outcome"] = "declined"
            return [
                Say(_("Thank you. We offer the seat to someone else. Goodbye."), lang),
                Hangup(),
            ]
        call.flow_state["outcome"] = "no_key"
        return [
            Say(_("We did not hear 1. We offer the seat to someone else. Goodbye."), lang),
            Hangup(),
        ]


def offer_call_ended(call: Call) -> None:
    """Nobody answered (no answer, busy, failed) or they hung up without a key: pass it on."""
    registration = _offered(call)
    if registration is not None and registration.state == "offered":
        _answer(call, accept=False)


def register_offer_call() -> None:
    register_flow(OFFER_PURPOSE, offer_flow)
    register_call_hooks(OFFER_PURPOSE, CallHooks(ended=offer_call_ended))
