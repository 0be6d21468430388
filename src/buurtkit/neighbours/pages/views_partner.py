"""Buurbel for partners and the staff's follow-up list.

A partner's login (``neighbours.refer``: an OCMW or social service worker) registers the
residents it helps, sees only its own organisation's participants (their way through Buurbel,
never who the other neighbours are) and marks who needs follow-up. Staff see every
participant marked "needs follow-up" on one list, filtered by partner, with the last contact,
and take them off it when they checked on them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import IntroState, Participant, Wish
from buurtkit.neighbours.pages.views_participants import ProfileForm, _partners
from buurtkit.people.phones import display_phone
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

PARTNER_STATUSES = [
    ("waiting", gettext_lazy("Waiting for a match")),
    ("introduced", gettext_lazy("Introduced to a neighbour")),
    ("not_verified", gettext_lazy("Phone number not confirmed yet")),
    ("follow_up", gettext_lazy("Needs follow-up")),
    ("opted_out", gettext_lazy("Opted out")),
]
STATE_LABELS = {
    "waiting": gettext_lazy("Waiting for a match"),
    "introduced": gettext_lazy("Introduced to a neighbour"),
    "not_verified": gettext_lazy("Phone number not confirmed yet"),
    "opted_out": gettext_lazy("Opted out: Buurbel does not call"),
}
INTRO_LABELS = dict(IntroState.choices)


class FollowUpForm(forms.Form):
    needs_follow_up = forms.BooleanField(
        label=gettext_lazy("Needs follow-up: someone should check on this person"),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Why (a few words, for staff and your colleagues)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Needed when you mark follow-up."),
    )


class PartnerNewForm(ProfileForm):
    key = forms.CharField(widget=forms.HiddenInput)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=30,
        help_text=gettext_lazy("The number Buurbel will call, for example 0470 12 34 56."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    needs_follow_up = FollowUpForm.base_fields["needs_follow_up"]
    follow_up_note = forms.CharField(
        label=gettext_lazy("Why (a few words, for staff and your colleagues)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Needed when you mark follow-up."),
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "The resident agrees that Buurbel calls them and keeps these details for it."
        ),
        required=False,
    )

    def who_fields(self) -> list[Any]:
        return [self[name] for name in ("first_name", "last_name", "phone")]

    def follow_up_fields(self) -> list[Any]:
        return [self[name] for name in ("needs_follow_up", "follow_up_note")]


def _apply_errors(form: forms.Form, exc: ServiceError) -> None:
    """A refusal's messages next to the fields they are about (else above the form)."""
    placed = False
    for name, message in exc.fields.items():
        target = {"call_windows": "win0_days", "lon": "lat"}.get(name, name)
        if target in form.fields:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


def _row(p: Participant) -> dict[str, Any]:
    state = selectors.partner_state(p)
    latest = getattr(p, "latest_state", None)
    return {
        "id": p.pk,
        "name": p.person.full_name,
        "phone": display_phone(p.person.phone),
        "neighbourhood": p.neighbourhood,
        "state": STATE_LABELS[state],
        "latest": INTRO_LABELS.get(latest, latest) if latest else "",
        "introductions": getattr(p, "introductions", 0),
        "calls": getattr(p, "calls", 0),
        "last_contact": getattr(p, "last_contact", None),
        "follow_up": p.needs_follow_up,
        "follow_up_note": p.follow_up_note,
        "partner": p.organisation.name if p.organisation else "",
        "created_at": p.created_at,
    }


@community_page("neighbours.refer")
def partner_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in dict(PARTNER_STATUSES):
        status = ""
    page = paginate(request, selectors.partner_participants(actor=actor, q=q, status=status))
    context = {
        "page": page,
        "rows": [_row(p) for p in page.object_list],
        "q": q,
        "status": status,
        "statuses": PARTNER_STATUSES,
        "all_partners": selectors.partner_scope(actor) is None,
    }
    return render(request, "neighbours/partner_list.html", context)


@community_page("neighbours.refer")
def partner_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    selectors.partner_scope(actor, write=True)  # a login of no partner is told so at once
    initial = {
        "key": uuid.uuid4().hex,
        "language": actor.community.default_language,
        "wish": Wish.SOCIAL,
        "max_distance_m": 1000,
    }
    form = PartnerNewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["consent"]:
            form.add_error("consent", _("Buurbel can only call someone who agrees to it."))
        else:
            try:
                p = services.partner_participant_register(
                    actor=actor,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    phone=data["phone"],
                    consent=True,
                    needs_follow_up=data["needs_follow_up"],
                    follow_up_note=data["follow_up_note"],
                    idempotency_key=data["key"],
                    **form.profile(),
                )
            except ServiceError as exc:
                _apply_errors(form, exc)
            else:
                flash(
                    request,
                    _(
                        "%(name)s takes part in Buurbel. Buurbel calls only after the phone "
                        "number is confirmed: staff send a code or check it with them."
                    )
                    % {"name": p.person.full_name},
                )
                return redirect("web:buurbel_partner_participant", actor.community.slug, p.pk)
    status = 422 if form.errors else 200
    return render(request, "neighbours/partner_new.html", {"form": form}, status=status)


@community_page("neighbours.refer")
def partner_detail(request: HttpRequest, participant_id: int) -> HttpResponse:
    """One of the partner's participants; a POST marks or unmarks "needs follow-up"."""
    actor = actor_of(request)
    p = selectors.partner_participant_get(actor=actor, participant_id=participant_id)
    form = FollowUpForm(
        request.POST or None,
        initial={"needs_follow_up": p.needs_follow_up, "note": p.follow_up_note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_follow_up(
                actor=actor,
                participant_id=p.pk,
                needs_follow_up=form.cleaned_data["needs_follow_up"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            if form.cleaned_data["needs_follow_up"]:
                flash(
                    request,
                    _("Marked: staff will check on %(name)s.") % {"name": p.person.full_name},
                )
            else:
                flash(
                    request, _("%(name)s no longer needs follow-up.") % {"name": p.person.full_name}
                )
            return redirect("web:buurbel_partner_participant", actor.community.slug, p.pk)
    introductions = [
        {
            **i,
            "state": INTRO_LABELS.get(i["state"], i["state"]),
            "open": i["state"] not in ("completed", "declined", "gave_up", "cancelled"),
        }
        for i in selectors.partner_introductions(actor=actor, participant=p)[:50]
    ]
    context = {
        "p": p,
        "row": _row(p),
        "form": form,
        "introductions": introductions,
    }
    status = 422 if form.errors else 200
    return render(request, "neighbours/partner_participant.html", context, status=status)


# --- the staff's follow-up list ----------------------------------------------------------------


@community_page("neighbours.view")
def follow_up_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    partners = _partners(actor)
    text = request.GET.get("partner", "")
    partner = int(text) if text.isdigit() and int(text) in dict(partners) else None
    page = paginate(request, selectors.follow_up_list(actor=actor, organisation_id=partner))
    context = {
        "page": page,
        "rows": [_row(p) for p in page.object_list],
        "partners": partners,
        "partner": partner,
        "can_manage": actor.has("neighbours.manage"),
    }
    return render(request, "neighbours/follow_up.html", context)


@require_POST
@community_page("neighbours.manage")
def follow_up_done(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Staff checked on the person: off the follow-up list (audited)."""
    actor = actor_of(request)
    p = services.participant_follow_up(
        actor=actor, participant_id=participant_id, needs_follow_up=False
    )
    flash(request, _("%(name)s is off the follow-up list.") % {"name": p.person.full_name})
    back = request.POST.get("partner", "")
    url = redirect("web:buurbel_follow_up", actor.community.slug).url
    return redirect(f"{url}?partner={back}" if back.isdigit() else url)
