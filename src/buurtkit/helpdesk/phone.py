"""The helpdesk line's call flow (purpose ``helpdesk.phone``) and its inbound handler.

A call to a community's helpdesk number is owned here (``register_inbound(by_number=True)``:
the dialled number decides, before Buurbel's handlers that go by the caller's number).

1. A short menu in the caller's language: a known caller (their number is a person's in the
   register) hears their preferred language; anyone else the community's language (Dutch),
   with "pour le français, appuyez sur 8" said in French (8 switches: in French it offers
   Dutch). Keys 1–4: online public services, a device, a course, something else; 0 repeats.
   Nothing or a wrong key twice: the call goes on as "something else" (nobody is lost in the
   menu).
2. In office hours, with a staff phone on duty: put through (``Transfer``). Outside office
   hours, or when the staff phone does not answer (busy, no answer): leave a message
   (``Record``).
3. The message left, or the end of the call, makes the call's one ticket
   (``services.phone``).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.helpdesk.services import phone as service
from buurtkit.people.models import Person
from buurtkit.telephony.interface import (
    CallHooks,
    Gather,
    Hangup,
    InboundMatch,
    Record,
    Redirect,
    Say,
    Transfer,
    Verb,
    register_call_hooks,
    register_callback_handler,
    register_flow,
    register_inbound,
)
from buurtkit.telephony.models import Call

MAX_TRIES = 2
SWITCH_KEY = "8"
REPEAT_KEY = "0"
LANGUAGES = ("nl", "fr", "en")


def inbound(from_number: str, to_number: str) -> InboundMatch | None:
    """A call to a helpdesk number; the caller is linked when their number is one person's."""
    line = service.line_for_number(to_number)
    if line is None:
        return None
    community = line.community
    people = list(
        Person.objects.in_community(community)
        .filter(phone=from_number, anonymised_at__isnull=True)
        .exclude(phone="")
        .only("pk", "preferred_language")[:2]
    )
    if len(people) == 1:
        person = people[0]
        language = person.preferred_language if person.preferred_language in LANGUAGES else ""
        return InboundMatch(
            community=community,
            purpose=service.PURPOSE,
            subject_type=service.SUBJECT_PERSON,
            subject_id=person.pk,
            language=language or community.default_language,
            extra={"known": True},
        )
    return InboundMatch(
        community=community, purpose=service.PURPOSE, language=community.default_language
    )


def _other_language(language: str) -> str:
    return "nl" if language == "fr" else "fr"


def _switch_offer(language: str) -> Say:
    other = _other_language(language)
    with translation.override(other):
        if other == "fr":
            text = _("For French, press %(key)s.") % {"key": SWITCH_KEY}
        else:
            text = _("For Dutch, press %(key)s.") % {"key": SWITCH_KEY}
    return Say(text, other)


def _menu(call: Call, before: list[Say] | None = None) -> list[Verb]:
    language = call.language
    with translation.override(language):
        prompt: list[Say] = list(before or [])
        if not call.flow_state.get("welcomed"):
            prompt.append(Say(_("Welcome to the helpdesk."), language))
            call.flow_state["welcomed"] = True
        for key, (_code, _category, label) in service.TOPICS.items():
            prompt.append(
                Say(
                    _("For a question about %(topic)s, press %(key)s.")
                    % {"topic": label, "key": key},
                    language,
                )
            )
        prompt.append(Say(_("To hear this again, press %(key)s.") % {"key": REPEAT_KEY}, language))
    if not call.flow_state.get("known"):
        prompt.append(_switch_offer(language))
    call.flow_state["stage"] = "menu"
    return [Gather(prompt=tuple(prompt), action="menu", timeout=8), Redirect("menu-timeout")]


def _message(call: Call, reason: str) -> list[Verb]:
    language = call.language
    call.flow_state["stage"] = "message"
    with translation.override(language):
        if reason == "closed":
            intro = _("The helpdesk is closed now.")
        else:
            intro = _("Nobody can answer right now.")
        return [
            Say(intro, language),
            Say(
                _(
                    "Leave your name, your phone number and your question after the beep. "
                    "Press the hash key when you are done. We will call you back."
                ),
                language,
            ),
            Record(action="recorded", status="recording-status", max_length=120, timeout=5),
            Say(_("We did not hear a message. We will call you back. Goodbye."), language),
            Hangup(),
        ]


def _chosen(call: Call, key: str) -> list[Verb]:
    call.flow_state["topic"] = key
    found = service.settings_of(call.community)
    number = service.staff_on_duty(found, clock.now())
    if not number:
        return _message(call, "closed")
    call.flow_state["stage"] = "transfer"
    call.flow_state["transfer_to"] = number
    with translation.override(call.language):
        return [Say(_("One moment, we are putting you through."), call.language), Transfer(number)]


def _again(call: Call, sorry: str) -> list[Verb]:
    tries = int(call.flow_state.get("tries", 0)) + 1
    call.flow_state["tries"] = tries
    if tries > MAX_TRIES:
        return _chosen(call, "4")  # nobody is lost in the menu: "something else"
    with translation.override(call.language):
        return _menu(call, before=[Say(sorry, call.language)])


def flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    state = call.flow_state
    if step == "start":
        return _menu(call)
    if step == "menu":
        key = digits[:1]
        if key in service.TOPICS:
            return _chosen(call, key)
        if key == SWITCH_KEY and not state.get("known"):
            call.language = _other_language(call.language)
            state["welcomed"] = False
            return _menu(call)
        if key == REPEAT_KEY:
            return _menu(call)
        with translation.override(call.language):
            return _again(call, _("Sorry, I do not know that key."))
    if step == "menu-timeout":
        with translation.override(call.language):
            return _again(call, _("Sorry, I did not hear a key."))
    if step == "after-transfer":
        dialled = str((state.get("facts") or {}).get("DialCallStatus", ""))
        if dialled == "completed":
            state["transferred"] = True
            state["stage"] = "done"
            return [Hangup()]
        return _message(call, "no_answer")
    if step in ("recorded", "recording-status"):
        service.phone_recording_keep(call=call)
        if step == "recorded":
            state["stage"] = "done"
            with translation.override(call.language):
                return [
                    Say(_("Thank you. We will call you back. Goodbye."), call.language),
                    Hangup(),
                ]
        return [Hangup()]
    with translation.override(call.language):
        return [Say(_("Thank you for calling. Goodbye."), call.language), Hangup()]


def ended(call: Call) -> None:
    service.phone_call_ended(call=call)


def register() -> None:
    register_flow(service.PURPOSE, flow)
    register_call_hooks(service.PURPOSE, CallHooks(ended=ended))
    register_inbound(inbound, by_number=True)
    register_callback_handler(service.callback_request_take)
