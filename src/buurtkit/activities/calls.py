"""The automated reminder call for someone without a mobile phone: it reads the session's
day, time and place in the person's language and hangs up (telephony's flow interface)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from buurtkit.activities.models import Registration
from buurtkit.core.texts import translated
from buurtkit.telephony.interface import Hangup, Pause, Say, Verb, register_flow
from buurtkit.telephony.models import Call

PURPOSE = "activities.reminder"
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
