"""Built-in flows. ``test``: say hello, ask for one key, say which key, hang up."""

from __future__ import annotations

from django.utils.translation import gettext as _

from buurtkit.telephony.interface import Gather, Hangup, Redirect, Say, Verb, register_flow
from buurtkit.telephony.models import AnsweredBy, Call


def test_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language
    if step == "start":
        if answered_by == AnsweredBy.MACHINE:
            call.flow_state["outcome"] = "voicemail"
            return [Say(_("Hello, this is a test call from buurtkit. Goodbye."), lang), Hangup()]
        return [
            Gather(
                prompt=(Say(_("Hello, this is a test call from buurtkit. Press 1 or 2."), lang),),
                action="pressed",
                num_digits=1,
                timeout=8,
            ),
            Redirect("silent"),
        ]
    if step == "pressed" and digits:
        call.flow_state["pressed"] = digits
        call.flow_state["outcome"] = "pressed"
        return [Say(_("You pressed %(key)s. Goodbye.") % {"key": digits}, lang), Hangup()]
    call.flow_state["outcome"] = "silent"
    return [Say(_("We did not hear a key. Goodbye."), lang), Hangup()]


def register() -> None:
    register_flow("test", test_flow)
