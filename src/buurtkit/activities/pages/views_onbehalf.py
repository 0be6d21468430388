"""act-ops (issue 13): staff and digipunt volunteers sign someone up on their behalf — on the
phone or at the desk — and cancel for them; the printed slip for who has no phone or e-mail.

``/<slug>/activities/manage/sessions/<id>/sign-up/``: find the person (name or number) or add
them, say how they signed up and how they hear it, tick that they agreed aloud.
``/<slug>/activities/manage/registrations/<id>/``: the sign-up, its slip, cancelling it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from buurtkit.activities import selectors, services
from buurtkit.activities.models import Channel
from buurtkit.activities.rules import HOLDS_SEAT
from buurtkit.activities.services.onbehalf import (
    CONFIRM_MESSAGE,
    CONFIRM_SLIP,
    ExistingPerson,
    NewPerson,
    sign_up_on_behalf,
)
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.people.models import Person
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

CONFIRM_CHOICES = [
    (CONFIRM_MESSAGE, gettext_lazy("By SMS or e-mail, with a link to cancel")),
    (CONFIRM_SLIP, gettext_lazy("Told in person, with a printed slip")),
]


class PersonFields(forms.Form):
    """The person's name and how to reach them (for someone not known yet)."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Example: 0470 12 34 56 or 09 123 45 67."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language for messages"), choices=settings.LANGUAGES
    )
    confirm = forms.ChoiceField(
        label=gettext_lazy("How does the person hear they are signed up?"),
        choices=CONFIRM_CHOICES,
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I asked the person and they said yes: we keep their name and number to organise "
            "this activity."
        ),
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)


class OnBehalfForm(PersonFields):
    person = forms.IntegerField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("How did the person sign up?"),
        choices=[
            (Channel.PHONE, gettext_lazy("On the phone")),
            (Channel.DESK, gettext_lazy("At the desk")),
        ],
        widget=forms.RadioSelect,
    )

    field_order = [
        "channel", "first_name", "last_name", "phone", "email", "language", "confirm", "consent",
    ]  # fmt: skip

    def __init__(self, *args: Any, chosen: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Someone chosen from the register: no name to write; someone new: the name is needed.
        self.fields["first_name"].required = not chosen


def _chosen(actor: Any, value: str | None) -> Person | None:
    if not value or not value.isdigit():
        return None
    found = (
        Person.objects.in_community(actor.community)
        .filter(pk=int(value), anonymised_at__isnull=True)
        .first()
    )
    return found


@community_page("activities.register")
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)  # activities.view
    q = request.GET.get("q", "")[:100]
    existing: Person | None = None
    if request.method == "POST":
        chosen = _chosen(actor, request.POST.get("person"))
        form = OnBehalfForm(request.POST, chosen=chosen is not None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made, _token, _person = sign_up_on_behalf(
                    actor=actor,
                    session_id=session.pk,
                    channel=data["channel"],
                    consent_aloud=data["consent"],
                    confirm=data["confirm"],
                    person_id=chosen.pk if chosen else None,
                    new_person=None
                    if chosen
                    else NewPerson(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        phone=data["phone"],
                        email=data["email"],
                        language=data["language"],
                    ),
                    language=data["language"],
                    idempotency_key=data["idempotency_key"],
                )
            except ExistingPerson as exc:
                existing = _chosen(actor, str(exc.fields.get("duplicate_of", "")))
                form.add_error(None, str(exc.detail))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("web:activities_registration", actor.community.slug, made[0].pk)
    else:
        chosen = _chosen(actor, request.GET.get("person"))
        form = OnBehalfForm(
            chosen=chosen is not None,
            initial={
                "person": chosen.pk if chosen else None,
                "language": chosen.preferred_language
                if chosen
                else actor.community.default_language,
                "channel": Channel.PHONE,
                "confirm": CONFIRM_MESSAGE,
                "idempotency_key": uuid.uuid4().hex,
            },
        )
    return render(
        request,
        "activities/onbehalf_sign_up.html",
        {
            "session": session,
            "form": form,
            "chosen": chosen,
            "existing": existing,
            "q": q,
            "found": selectors.people_for_sign_up(actor=actor, q=q) if q and not chosen else [],
            "seats_left": max(session.capacity - session.seats_taken, 0),
        },
    )


@community_page("activities.register")
def registration(request: HttpRequest, registration_id: int) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.registration_get(actor=actor, registration_id=registration_id)
    return render(
        request,
        "activities/onbehalf_registration.html",
        {
            "r": found,
            "session": found.session,
            "position": selectors.waiting_position(found),
            "may_cancel": found.state not in ("cancelled", "attended", "no_show"),
            "staff": actor.has("activities.view"),
        },
    )


@community_page("activities.register")
def slip(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The slip to print (A6, or A4 folded) and hand over: what, when, where, what to bring."""
    actor = actor_of(request)
    found = selectors.registration_get(actor=actor, registration_id=registration_id)
    return render(
        request,
        "activities/onbehalf_slip.html",
        {"r": found, "session": found.session, "position": selectors.waiting_position(found)},
    )


@community_page("activities.register")
@require_POST
def cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.registration_get(actor=actor, registration_id=registration_id)
    try:
        services.registration_cancel(actor=actor, registration_id=found.pk)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        message = (
            _("The sign-up of %(name)s is cancelled. The seat goes to the next person waiting.")
            if found.state in HOLDS_SEAT
            else _("The sign-up of %(name)s is cancelled.")
        )
        flash(request, message % {"name": found.person.full_name})
    return redirect("web:activities_registration", actor.community.slug, found.pk)


class SettingsForm(forms.Form):
    retention_months = forms.IntegerField(
        label=gettext_lazy("Keep participants' names and numbers for (months after the session)"),
        help_text=gettext_lazy("Then they are anonymised; the counts stay. Between 1 and 120."),
    )
    offer_hours = forms.IntegerField(
        label=gettext_lazy(
            "A freed seat is kept for the next person on the waiting list for (hours)"
        ),
        help_text=gettext_lazy("Between 1 and 168."),
    )


@community_page("activities.manage")
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """How long participants' data is kept (retention) and how long an offer lasts."""
    actor = actor_of(request)
    current = selectors.activity_settings(actor=actor)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.activity_settings_update(
                    actor=actor,
                    retention_months=form.cleaned_data["retention_months"],
                    offer_hours=form.cleaned_data["offer_hours"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:activities_settings", actor.community.slug)
    else:
        form = SettingsForm(
            initial={
                "retention_months": current.retention_months,
                "offer_hours": current.offer_hours,
            }
        )
    return render(request, "activities/onbehalf_settings.html", {"form": form})
