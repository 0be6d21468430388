"""The satisfaction survey by phone: telephony's flow ``helpdesk.survey`` asks the one
question and takes the answer as a keypress (1–5). The call's ``subject_id`` is the survey."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override

from buurtkit.helpdesk.services.survey import CALL_PURPOSE, survey_keypress
from buurtkit.telephony.interface import Gather, Hangup, Redirect, Say, Verb, register_flow
from buurtkit.telephony.models import AnsweredBy, Call


def survey_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language
    with override(lang):
        if step == "start":
            if answered_by == AnsweredBy.MACHINE:
                call.flow_state["outcome"] = "voicemail"
                return [Hangup()]
            return [
                Gather(
                    prompt=(
                        Say(
                            _(
                                "Hello, this is the helpdesk. We answered your question. "
                                "Were you helped well? Press a key from 1 to 5. "
                                "1 is bad, 5 is very good."
                            ),
                            lang,
                        ),
                    ),
                    action="pressed",
                    num_digits=1,
                    timeout=8,
                ),
                Redirect("silent"),
            ]
        if step == "pressed" and digits:
            answered = survey_keypress(survey_id=call.subject_id or 0, digits=digits)
            call.flow_state["pressed"] = digits
            call.flow_state["outcome"] = "answered" if answered else "not_counted"
            if answered:
                return [Say(_("Thank you for your answer. Goodbye."), lang), Hangup()]
            return [Say(_("Thank you. Goodbye."), lang), Hangup()]
        call.flow_state["outcome"] = "silent"
        return [Say(_("We did not hear a key. Thank you. Goodbye."), lang), Hangup()]


def register() -> None:
    from buurtkit.telephony.interface import FLOWS

    if FLOWS.get(CALL_PURPOSE) is None:  # AppConfig.ready() may run twice in tests
        register_flow(CALL_PURPOSE, survey_flow)
