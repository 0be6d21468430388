"""The device bank's automated calls for residents without a mobile phone or e-mail, in their
language (telephony's flow interface):

- ``lending.reminder``: reads a loan's due date and hangs up;
- ``lending.invitation``: reads where and when to pick up the device set aside for them, twice.
  A call nobody heard (no answer, busy, failed) hands the invitation back to the partner.
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from buurtkit.lending.models import InvitedVia, Loan, Referral, ReferralState
from buurtkit.telephony.interface import (
    CallHooks,
    Hangup,
    Pause,
    Say,
    Verb,
    register_call_hooks,
    register_flow,
)
from buurtkit.telephony.models import Call

PURPOSE = "lending.reminder"
INVITATION = "lending.invitation"


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


def invitation_flow(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    lang = call.language or "nl"
    referral = (
        Referral.objects.filter(pk=call.subject_id or 0, community_id=call.community_id)
        .select_related("community", "pickup_place")
        .first()
    )
    with translation.override(lang):
        if (
            referral is None
            or referral.state != ReferralState.INVITED
            or referral.pickup_place is None
            or referral.pickup_at is None
        ):
            return [
                Say(_("This invitation is no longer valid. Thank you. Goodbye."), lang),
                Hangup(),
            ]
        place = referral.pickup_place
        when = timezone.localtime(referral.pickup_at, timezone.get_default_timezone())
        text = _(
            "Hello, this is the digibank of %(community)s. Good news: a %(kind)s is ready for "
            "you. Come and pick it up on %(day)s at %(time)s, at %(place)s, %(address)s. "
            "Bring your identity card."
        ) % {
            "community": referral.community.name,
            "kind": referral.get_kind_display(),
            "day": date_format(when, "l j F"),
            "time": time_format(when, "H:i"),
            "place": place.name,
            "address": " ".join(p for p in (place.street, place.postcode) if p),
        }
        call.flow_state["heard"] = True
        again = _("Once more.")
        return [
            Say(text, lang),
            Pause(1),
            Say(again, lang),
            Say(text, lang),
            Say(
                _("Can you not come then? Tell the person who asked the device for you. Goodbye."),
                lang,
            ),
            Hangup(),
        ]


def invitation_ended(call: Call) -> None:
    """A call nobody heard: the partner tells the household after all (their list says so)."""
    if call.flow_state.get("heard"):
        return
    Referral.objects.filter(
        pk=call.subject_id or 0,
        community_id=call.community_id,
        state=ReferralState.INVITED,
        invited_via=InvitedVia.CALL,
    ).update(invited_via=InvitedVia.REFERRER)


def register() -> None:
    register_flow(PURPOSE, reminder_flow)
    register_flow(INVITATION, invitation_flow)
    register_call_hooks(INVITATION, CallHooks(ended=invitation_ended))
