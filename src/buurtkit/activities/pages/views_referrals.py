"""act-ops (issue 13): a partner organisation (role ``referrer``) signs up a person they help
for a session, and follows the people *they* referred — never anyone else's sign-ups.

``/<slug>/activities/referrals/``: the form and the list of their referrals with the state
of each (signed up, waiting, came, did not come, cancelled).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from buurtkit.activities import selectors
from buurtkit.activities.models import Channel
from buurtkit.activities.pages.views_onbehalf import PersonFields
from buurtkit.activities.services.onbehalf import CONFIRM_MESSAGE, NewPerson, sign_up_on_behalf
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.core.texts import translated
from buurtkit.people.models import Organisation
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


class ReferralForm(PersonFields):
    session = forms.TypedChoiceField(label=gettext_lazy("Session"), coerce=int, choices=[])
    organisation = forms.TypedChoiceField(label=gettext_lazy("Referred by"), coerce=int, choices=[])

    field_order = [
        "session", "organisation", "first_name", "last_name", "phone", "email", "language",
        "confirm", "consent",
    ]  # fmt: skip

    def __init__(
        self, *args: Any, sessions: list[tuple[int, str]], orgs: list[tuple[int, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["session"].choices = sessions
        self.fields["organisation"].choices = orgs
        self.fields["first_name"].required = True
        if len(orgs) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()


def _session_choices(request: HttpRequest) -> list[tuple[int, str]]:
    language = translation.get_language() or "nl"
    choices = []
    for s in selectors.sessions_open_for_sign_up(community=request.community):  # type: ignore[attr-defined]
        when = date_format(s.starts_at.astimezone(selectors.BRUSSELS), "l j F H:i")
        full = _(" (full: waiting list)") if s.seats_taken >= s.capacity else ""
        choices.append(
            (s.pk, f"{when} · {translated(s.series.title, language)} · {s.place.name}{full}")
        )
    return choices


@community_page("activities.register")
@require_http_methods(["GET", "POST"])
def referrals(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    orgs = [
        (o.pk, o.name)
        for o in Organisation.objects.in_community(actor.community)
        .filter(pk__in=actor.organisation_ids, active=True)
        .order_by("name")
    ]
    if not orgs and not actor.has("activities.view"):
        return render(
            request,
            "web/error.html",
            {
                "title": _("No access"),
                "message": _("Only a partner organisation refers people here."),
            },
            status=403,
        )
    sessions = _session_choices(request) if orgs else []
    form: ReferralForm | None = None
    if request.method == "POST" and orgs:
        form = ReferralForm(request.POST, sessions=sessions, orgs=orgs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made, _token, person = sign_up_on_behalf(
                    actor=actor,
                    session_id=data["session"],
                    channel=Channel.PARTNER,
                    partner_id=data["organisation"],
                    consent_aloud=data["consent"],
                    confirm=data["confirm"],
                    new_person=NewPerson(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        phone=data["phone"],
                        email=data["email"],
                        language=data["language"],
                    ),
                    language=data["language"],
                    idempotency_key=data["idempotency_key"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                waiting = made[0].state == "waiting"
                flash(
                    request,
                    (
                        _("%(name)s is on the waiting list.")
                        if waiting
                        else _("%(name)s is signed up.")
                    )
                    % {"name": person.full_name},
                )
                return redirect("web:activities_registration", actor.community.slug, made[0].pk)
    elif orgs:
        form = ReferralForm(
            sessions=sessions,
            orgs=orgs,
            initial={
                "organisation": orgs[0][0],
                "language": actor.community.default_language,
                "confirm": CONFIRM_MESSAGE,
                "idempotency_key": uuid.uuid4().hex,
                "session": request.GET.get("session", ""),
            },
        )
    page = paginate(request, selectors.referrals_list(actor=actor))
    return render(
        request,
        "activities/onbehalf_referrals.html",
        {"form": form, "page": page, "has_sessions": bool(sessions), "partner": bool(orgs)},
    )
