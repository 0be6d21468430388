"""The automated reminder call for a resident without a mobile phone: it reads the loan's
due date in the resident's language and hangs up (telephony's flow interface)."""

from __future__ import annotations

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from buurtkit.lending.models import Loan
from buurtkit.telephony.interface import Hangup, Pause, Say, Verb, register_flow
from buurtkit.telephony.models import Call

PURPOSE = "lending.reminder"


def reminder_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language or "nl"
    loan = (
        Loan.objects.filter(pk=call.subject_id or 0, community_id=call.community_id)
        .select_related("device", "community", "handover__place")
        .first()
    )
    with translation.override(lang):
        if loan is None or loan.state != "open":
            return [Say(_("This loan is closed. Thank you. Goodbye."), lang), Hangup()]
        when = date_format(loan.due_on, "j F Y")
        text = _(
            "Hello, this is the digibank of %(community)s. The %(kind)s you borrowed is due "
            "back on %(date)s. Please bring it back, or ask at the counter to keep it longer."
        ) % {
            "community": loan.community.name,
            "kind": loan.device.get_kind_display(),
            "date": when,
        }
        verbs: list[Verb] = [Say(text, lang), Pause(1), Say(text, lang)]
        if loan.handover.place:
            verbs.append(
                Say(_("You can bring it to %(place)s.") % {"place": loan.handover.place.name}, lang)
            )
        verbs += [Say(_("Thank you. Goodbye."), lang), Hangup()]
        return verbs


def register() -> None:
    register_flow(PURPOSE, reminder_flow)
