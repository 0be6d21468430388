"""Buurbel participants: the staff list (search, filters, paging, CSV without phone numbers),
registering a resident on their behalf, one participant (profile, phone verification, opt-out
and opt-in, introductions and calls), editing; and the residents' own page to join, confirm
their number and opt out.
"""

from __future__ import annotations

import itertools
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core import exports
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, PermissionDenied, ServiceError
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Activity, Outcome, Participant, VerificationChannel, Wish
from buurtkit.people import selectors as people_selectors
from buurtkit.people.phones import display_phone
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate
from buurtkit.web.weekdays import DAYS

WINDOW_ROWS = 3
DISTANCES = [
    (250, gettext_lazy("250 m: in my street")),
    (500, gettext_lazy("500 m: a few streets")),
    (1000, gettext_lazy("1 km: my neighbourhood")),
    (2000, gettext_lazy("2 km")),
    (5000, gettext_lazy("5 km")),
    (10000, gettext_lazy("10 km")),
]
STATUSES = [
    ("verified", gettext_lazy("Number verified")),
    ("unverified", gettext_lazy("Number not verified")),
    ("opted_out", gettext_lazy("Opted out")),
    ("follow_up", gettext_lazy("Needs follow-up")),
]
#: The resident's own form: parts of the day instead of exact times.
PARTS_OF_DAY = [
    ("morning", gettext_lazy("Morning (9:00 – 12:00)"), "09:00", "12:00"),
    ("afternoon", gettext_lazy("Afternoon (13:00 – 17:00)"), "13:00", "17:00"),
    ("evening", gettext_lazy("Evening (18:00 – 20:00)"), "18:00", "20:00"),
]
OUTCOME_LABELS = dict(Outcome.choices)


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").split(",") if w.strip()]


def _apply(form: forms.Form, exc: ServiceError) -> None:
    placed = False
    for name, message in exc.fields.items():
        target = {"call_windows": "win0_days", "lon": "lat", "phone": None}.get(name, name)
        if target and target in form.fields:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


# --- forms ---------------------------------------------------------------------------------


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the calls"), choices=settings.LANGUAGES
    )
    activities = forms.MultipleChoiceField(
        label=gettext_lazy("What they would like to do"),
        choices=Activity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    wish = forms.ChoiceField(
        label=gettext_lazy("Looking for"), choices=Wish.choices, widget=forms.RadioSelect
    )
    max_distance_m = forms.TypedChoiceField(
        label=gettext_lazy("How far they can go"), choices=DISTANCES, coerce=int, initial=1000
    )
    interests = forms.CharField(
        label=gettext_lazy("Interests"),
        required=False,
        max_length=600,
        help_text=gettext_lazy("Separate with commas, for example: cards, gardening, music."),
    )
    can_offer = forms.CharField(
        label=gettext_lazy("Can offer"),
        required=False,
        max_length=600,
        help_text=gettext_lazy("Separate with commas, for example: shopping, a lift."),
    )
    needs = forms.CharField(
        label=gettext_lazy("Would like help with"),
        required=False,
        max_length=600,
        help_text=gettext_lazy("Separate with commas, for example: computer, garden."),
    )
    neighbourhood = forms.CharField(
        label=gettext_lazy("Neighbourhood"), required=False, max_length=40
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        help_text=gettext_lazy("Optional; kept rounded to about 100 m. Give both or neither."),
    )
    lon = forms.FloatField(label=gettext_lazy("Longitude"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(WINDOW_ROWS):
            self.fields[f"win{i}_days"] = forms.TypedMultipleChoiceField(
                label=_("Days"),
                choices=DAYS,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"win{i}_from"] = forms.TimeField(
                label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"win{i}_to"] = forms.TimeField(
                label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )

    def window_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "n": i + 1,
                "days": self[f"win{i}_days"],
                "from": self[f"win{i}_from"],
                "to": self[f"win{i}_to"],
            }
            for i in range(WINDOW_ROWS)
        ]

    def main_fields(self) -> list[Any]:
        return [self[name] for name in ("language", "activities", "wish", "max_distance_m")]

    def more_fields(self) -> list[Any]:
        names = ("interests", "can_offer", "needs", "neighbourhood", "lat", "lon")
        return [self[name] for name in names]

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data
        windows = []
        for i in range(WINDOW_ROWS):
            days, start, end = data[f"win{i}_days"], data[f"win{i}_from"], data[f"win{i}_to"]
            if not days and start is None and end is None:
                continue
            windows.append(
                {
                    "days": list(days),
                    "from": start.strftime("%H:%M") if start else "",
                    "to": end.strftime("%H:%M") if end else "",
                }
            )
        return {
            "language": data["language"],
            "call_windows": windows,
            "interests": _words(data["interests"]),
            "activities": list(data["activities"]),
            "max_distance_m": data["max_distance_m"],
            "wish": data["wish"],
            "can_offer": _words(data["can_offer"]),
            "needs": _words(data["needs"]),
            "neighbourhood": data["neighbourhood"],
            "lat": data["lat"],
            "lon": data["lon"],
        }


def _distance_choices(value: int) -> list[tuple[int, Any]]:
    known = [d for d, _label in DISTANCES]
    if value in known:
        return DISTANCES
    return sorted([*DISTANCES, (value, f"{value} m")])


def _profile_initial(p: Participant) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "language": p.language,
        "activities": p.activities,
        "wish": p.wish,
        "max_distance_m": p.max_distance_m,
        "interests": ", ".join(p.interests),
        "can_offer": ", ".join(p.can_offer),
        "needs": ", ".join(p.needs),
        "neighbourhood": p.neighbourhood,
        "lat": p.lat,
        "lon": p.lon,
    }
    for i, w in enumerate(p.call_windows[:WINDOW_ROWS]):
        initial[f"win{i}_days"] = w["days"]
        initial[f"win{i}_from"] = w["from"]
        initial[f"win{i}_to"] = w["to"]
    return initial


class FollowUpFields(forms.Form):
    """What staff record besides the profile: the partner who registered the participant and
    whether staff should check on them (the follow-up list)."""

    organisation = forms.TypedChoiceField(
        label=gettext_lazy("Registered by partner"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("The partner who registered this person and follows them up."),
    )
    needs_follow_up = forms.BooleanField(
        label=gettext_lazy("Needs follow-up: staff check on this person"), required=False
    )
    follow_up_note = forms.CharField(
        label=gettext_lazy("Why (for staff)"), max_length=200, required=False
    )

    def set_partners(self, partners: list[tuple[int, str]]) -> None:
        field = self.fields["organisation"]
        field.choices = [("", "—"), *partners]  # type: ignore[attr-defined]

    def staff_fields(self) -> list[Any]:
        return [self[name] for name in ("organisation", "needs_follow_up", "follow_up_note")]

    def staff_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "organisation_id": data["organisation"],
            "needs_follow_up": data["needs_follow_up"],
            "follow_up_note": data["follow_up_note"],
        }


class EditParticipantForm(ProfileForm, FollowUpFields):
    pass


class NewParticipantForm(ProfileForm, FollowUpFields):
    person = forms.IntegerField(widget=forms.HiddenInput)
    consent = forms.BooleanField(
        label=gettext_lazy(
            "The resident agrees that Buurbel calls them and keeps these details for it."
        ),
        required=False,
    )


class JoinForm(forms.Form):
    """The resident's own, simple form."""

    language = forms.ChoiceField(
        label=gettext_lazy("In which language may we call you?"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )
    days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("On which days may we call you?"),
        choices=DAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one day.")},
    )
    parts = forms.MultipleChoiceField(
        label=gettext_lazy("At what time of day?"),
        choices=[(key, label) for key, label, _f, _t in PARTS_OF_DAY],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one time of day.")},
    )
    activities = forms.MultipleChoiceField(
        label=gettext_lazy("What would you like to do with a neighbour?"),
        choices=Activity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    wish = forms.ChoiceField(
        label=gettext_lazy("What are you looking for?"),
        choices=Wish.choices,
        widget=forms.RadioSelect,
        initial=Wish.SOCIAL,
    )
    max_distance_m = forms.TypedChoiceField(
        label=gettext_lazy("How far can you go?"), choices=DISTANCES, coerce=int, initial=1000
    )
    interests = forms.CharField(
        label=gettext_lazy("What do you like? (for example: cards, walking, music)"),
        required=False,
        max_length=600,
    )
    can_offer = forms.CharField(
        label=gettext_lazy("What could you help a neighbour with?"),
        required=False,
        max_length=600,
    )
    consent = forms.BooleanField(
        label=gettext_lazy("Yes, Buurbel may call me and keep these details for it."),
        required=False,
    )

    def profile(self, neighbourhood: str) -> dict[str, Any]:
        data = self.cleaned_data
        windows = [
            {"days": list(data["days"]), "from": start, "to": end}
            for key, _label, start, end in PARTS_OF_DAY
            if key in data["parts"]
        ]
        return {
            "language": data["language"],
            "call_windows": windows,
            "activities": list(data["activities"]),
            "wish": data["wish"],
            "max_distance_m": data["max_distance_m"],
            "interests": _words(data["interests"]),
            "can_offer": _words(data["can_offer"]),
            "neighbourhood": neighbourhood,
        }


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )


# --- staff pages ---------------------------------------------------------------------------


def _status(p: Participant, verified: bool) -> str:
    if p.opted_out_at:
        return str(_("Opted out"))
    if not p.active:
        return str(_("Not active"))
    return str(_("Number verified")) if verified else str(_("Number not verified"))


def _partners(actor: Actor) -> list[tuple[int, str]]:
    return [(o.pk, o.name) for o in selectors.partners(actor=actor)]


def _partner_filter(request: HttpRequest, partners: list[tuple[int, str]]) -> int | None:
    text = request.GET.get("partner", "")
    return int(text) if text.isdigit() and int(text) in dict(partners) else None


@community_page("neighbours.view")
def participant_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in dict(STATUSES):
        status = ""
    partners = _partners(actor)
    partner = _partner_filter(request, partners)
    page = paginate(
        request,
        selectors.participants_search(actor=actor, q=q, status=status, organisation_id=partner),
    )
    rows = [
        {
            "id": p.pk,
            "name": p.person.full_name,
            "phone": display_phone(p.person.phone),
            "neighbourhood": p.neighbourhood,
            "language": p.language,
            "status": _status(p, bool(p.is_verified)),  # type: ignore[attr-defined]
            "follow_up": p.needs_follow_up,
            "follow_up_note": p.follow_up_note,
            "partner": p.organisation.name if p.organisation else "",
            "created_at": p.created_at,
        }
        for p in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "q": q,
        "status": status,
        "statuses": STATUSES,
        "partners": partners,
        "partner": partner,
        "partner_figures": selectors.partner_figures(actor=actor),
        "can_manage": actor.has("neighbours.manage"),
    }
    return render(request, "neighbours/participants.html", context)


@community_page("neighbours.view")
def participant_csv(request: HttpRequest) -> HttpResponse:
    """The list as a spreadsheet, without phone numbers or locations."""
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    qs = selectors.participants_search(
        actor=actor, q=q, status=status if status in dict(STATUSES) else ""
    )
    header = [
        _("Number"),
        _("Name"),
        _("Neighbourhood"),
        _("Language"),
        _("Activities"),
        _("Looking for"),
        _("Interests"),
        _("Can offer"),
        _("Would like help with"),
        _("How far (m)"),
        _("Status"),
        _("Registered on"),
    ]
    activity = dict(Activity.choices)
    wishes = dict(Wish.choices)
    rows = (
        [
            p.pk,
            p.person.full_name,
            p.neighbourhood,
            p.language,
            ", ".join(str(activity.get(a, a)) for a in p.activities),
            wishes.get(p.wish, p.wish),
            ", ".join(p.interests),
            ", ".join(p.can_offer),
            ", ".join(p.needs),
            p.max_distance_m,
            _status(p, bool(p.is_verified)),  # type: ignore[attr-defined]
            timezone.localtime(p.created_at).date().isoformat(),
        ]
        for p in qs.iterator(chunk_size=1000)
    )
    return exports.csv_response(
        itertools.chain([header], rows), filename="buurbel-participants.csv"
    )


def _person_choices(actor: Actor, q: str) -> list[dict[str, Any]]:
    if not q or not actor.has("people.view"):
        return []
    found = list(people_selectors.people_search(actor=actor, q=q).order_by("last_name", "id")[:20])
    taking_part = dict(
        selectors.participants(actor=actor)
        .filter(person_id__in=[p.pk for p in found])
        .values_list("person_id", "id")
    )
    return [
        {
            "id": p.pk,
            "name": p.full_name,
            "phone": display_phone(p.phone),
            "neighbourhood": p.neighbourhood,
            "participant_id": taking_part.get(p.pk),
        }
        for p in found
    ]


@community_page("neighbours.manage")
def participant_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    person_id = request.POST.get("person") or request.GET.get("person") or ""
    person = None
    if str(person_id).isdigit():
        found = people_selectors.people_search(actor=actor).filter(pk=int(person_id)).first()
        person = found
    form = None
    if person is not None:
        initial = {
            "person": person.pk,
            "language": person.preferred_language,
            "wish": Wish.SOCIAL,
            "max_distance_m": 1000,
            "neighbourhood": (person.neighbourhood or "")[:40],
        }
        if len(actor.organisation_ids) == 1:  # a partner's worker registers for their partner
            (initial["organisation"],) = actor.organisation_ids
        form = NewParticipantForm(request.POST or None, initial=initial)
        form.set_partners(_partners(actor))
        if request.method == "POST" and form.is_valid():
            if not form.cleaned_data["consent"]:
                form.add_error("consent", _("Buurbel can only call someone who agrees to it."))
            else:
                try:
                    p = services.participant_register(
                        actor=actor,
                        person_id=person.pk,
                        consent=True,
                        **form.staff_values(),
                        **form.profile(),
                    )
                except ServiceError as exc:
                    _apply(form, exc)
                else:
                    flash(
                        request,
                        _("%(name)s takes part in Buurbel. Now confirm the phone number.")
                        % {"name": person.full_name},
                    )
                    return redirect("web:buurbel_participant", actor.community.slug, p.pk)
    context = {
        "q": q,
        "people": _person_choices(actor, q),
        "person": person,
        "person_phone": display_phone(person.phone) if person else "",
        "form": form,
        "can_search": actor.has("people.view"),
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "neighbours/participant_new.html", context, status=status)


def _verification_rows(actor: Actor, p: Participant) -> list[dict[str, Any]]:
    channels = dict(VerificationChannel.choices)
    return [
        {
            "created_at": v.created_at,
            "channel": channels.get(v.channel, _("in person")),
            "phone": display_phone(v.phone),
            "verified_at": v.verified_at,
            "attempts": v.attempts,
        }
        for v in selectors.participant_verifications(actor=actor, participant=p)[:20]
    ]


@community_page("neighbours.view")
def participant_detail(request: HttpRequest, participant_id: int) -> HttpResponse:
    actor = actor_of(request)
    p = selectors.participant_get(actor=actor, participant_id=participant_id)
    verified = selectors.participant_verified(p)
    open_code = selectors.participant_open_code(actor=actor, participant=p)
    activity = dict(Activity.choices)
    days = dict(DAYS)
    introductions = [
        {
            "at": i.at,
            "other": (
                i.participant_b if i.participant_a_id == p.pk else i.participant_a
            ).person.full_name,
            "other_id": i.participant_b_id if i.participant_a_id == p.pk else i.participant_a_id,
            "outcome": OUTCOME_LABELS.get(i.outcome, i.outcome),
        }
        for i in selectors.participant_introductions(actor=actor, participant=p)[:50]
    ]
    calls = [
        {
            "created_at": c.created_at,
            "purpose": c.purpose,
            "direction": c.get_direction_display(),
            "status": c.get_status_display(),
            "duration": c.duration_seconds,
        }
        for c in selectors.participant_calls(actor=actor, participant=p)[:50]
    ]
    context = {
        "p": p,
        "phone": display_phone(p.person.phone),
        "verified": verified,
        "callable": selectors.participant_callable(p),
        "open_code": open_code,
        "code_form": CodeForm(),
        "verifications": _verification_rows(actor, p),
        "windows": [
            {
                "days": ", ".join(str(days.get(d, d)) for d in w["days"]),
                "from": w["from"],
                "to": w["to"],
            }
            for w in p.call_windows
        ],
        "activities": [activity.get(a, a) for a in p.activities],
        "wish": dict(Wish.choices).get(p.wish, p.wish),
        "introductions": introductions,
        "calls": calls,
        "can_manage": actor.has("neighbours.manage"),
    }
    return render(request, "neighbours/participant.html", context)


@community_page("neighbours.manage")
def participant_edit(request: HttpRequest, participant_id: int) -> HttpResponse:
    actor = actor_of(request)
    p = selectors.participant_get(actor=actor, participant_id=participant_id)
    initial = {
        **_profile_initial(p),
        "organisation": p.organisation_id,
        "needs_follow_up": p.needs_follow_up,
        "follow_up_note": p.follow_up_note,
    }
    form = EditParticipantForm(request.POST or None, initial=initial)
    form.set_partners(_partners(actor))
    form.fields["max_distance_m"].choices = _distance_choices(p.max_distance_m)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update(
                actor=actor, participant_id=p.pk, **form.staff_values(), **form.profile()
            )
        except ServiceError as exc:
            _apply(form, exc)
        else:
            flash(request, _("The profile is saved."))
            return redirect("web:buurbel_participant", actor.community.slug, p.pk)
    status = 422 if form.errors else 200
    return render(
        request, "neighbours/participant_edit.html", {"p": p, "form": form}, status=status
    )


def _act(request: HttpRequest, participant_id: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    try:
        if action == "send":
            v = services.verification_start(actor=actor, participant_id=participant_id)
            if v.channel == VerificationChannel.SMS:
                flash(request, _("A code was sent by text message. It is valid for 15 minutes."))
            else:
                flash(request, _("We are calling the number to read out the code."))
        elif action == "check":
            form = CodeForm(request.POST)
            code = form.data.get("code", "")
            services.verification_check(actor=actor, participant_id=participant_id, code=code)
            flash(request, _("The phone number is confirmed."))
        elif action == "in_person":
            services.participant_mark_verified(actor=actor, participant_id=participant_id)
            flash(request, _("The phone number is marked as checked in person."))
        elif action == "opt_out":
            services.participant_opt_out(actor=actor, participant_id=participant_id)
            flash(request, _("Opted out: Buurbel will not call this person any more."))
        elif action == "opt_in":
            services.participant_opt_in(actor=actor, participant_id=participant_id)
            flash(request, _("Opted in again: Buurbel may call this person again."))
    except (NotFound, PermissionDenied):
        raise
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
    return redirect("web:buurbel_participant", actor.community.slug, participant_id)


@require_POST
@community_page("neighbours.manage")
def participant_send_code(request: HttpRequest, participant_id: int) -> HttpResponse:
    return _act(request, participant_id, "send")


@require_POST
@community_page("neighbours.manage")
def participant_check_code(request: HttpRequest, participant_id: int) -> HttpResponse:
    return _act(request, participant_id, "check")


@require_POST
@community_page("neighbours.manage")
def participant_verified_in_person(request: HttpRequest, participant_id: int) -> HttpResponse:
    return _act(request, participant_id, "in_person")


@require_POST
@community_page("neighbours.manage")
def participant_opt_out(request: HttpRequest, participant_id: int) -> HttpResponse:
    return _act(request, participant_id, "opt_out")


@require_POST
@community_page("neighbours.manage")
def participant_opt_in(request: HttpRequest, participant_id: int) -> HttpResponse:
    return _act(request, participant_id, "opt_in")


# --- the resident's own page ---------------------------------------------------------------


def _join_initial(person: Any) -> dict[str, Any]:
    return {
        "language": person.preferred_language if person else "nl",
        "days": [1, 2, 3, 4, 5],
        "parts": ["morning"],
        "wish": Wish.SOCIAL,
        "max_distance_m": 1000,
    }


@community_page()
def join(request: HttpRequest) -> HttpResponse:
    """A resident registers themself, confirms their number and can opt out."""
    actor = actor_of(request)
    if actor.person_id is None:
        return render(
            request,
            "web/error.html",
            {
                "title": _("For residents"),
                "message": _(
                    "This page is for residents with their own login. To register "
                    "someone, use the Buurbel participants page."
                ),
            },
        )
    person = people_selectors.person_get(actor=actor, person_id=actor.person_id)
    p = selectors.participant_of_person(actor=actor, person_id=actor.person_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    join_form = None
    code_form = CodeForm()
    if p is None:
        join_form = JoinForm(request.POST or None, initial=_join_initial(person))
        if action == "join" and join_form.is_valid():
            if not join_form.cleaned_data["consent"]:
                join_form.add_error("consent", _("We can only call you if you agree to it."))
            else:
                try:
                    neighbourhood = (person.neighbourhood or "")[:40]
                    p = services.participant_register(
                        actor=actor,
                        person_id=actor.person_id,
                        consent=True,
                        **join_form.profile(neighbourhood),
                    )
                except ServiceError as exc:
                    _apply(join_form, exc)
                else:
                    _start_quietly(request, actor, p.pk)
                    return redirect("web:buurbel_join", actor.community.slug)
    elif action:
        try:
            if action == "send":
                _start(request, actor, p.pk)
            elif action == "check":
                code_form = CodeForm(request.POST)
                services.verification_check(
                    actor=actor, participant_id=p.pk, code=code_form.data.get("code", "")
                )
                flash(request, _("Thank you. Your phone number is confirmed."))
            elif action == "opt_out" and request.POST.get("confirm") != "yes":
                flash(request, _("Tick the box to confirm."), "error")
            elif action == "opt_out":
                services.participant_opt_out(actor=actor, participant_id=p.pk)
                flash(request, _("We will not call you any more."))
        except ServiceError as exc:
            if action == "check":
                code_form.add_error("code", str(exc.detail))
            else:
                flash(request, str(exc.detail), "error")
        else:
            return redirect("web:buurbel_join", actor.community.slug)
    context: dict[str, Any] = {"p": p, "join_form": join_form, "code_form": code_form}
    if p is not None:
        context.update(
            verified=selectors.participant_verified(p),
            open_code=selectors.participant_open_code(actor=actor, participant=p),
            phone=display_phone(p.person.phone),
        )
    status = 422 if (join_form is not None and join_form.errors) or code_form.errors else 200
    return render(request, "neighbours/join.html", context, status=status)


def _start(request: HttpRequest, actor: Actor, participant_id: int) -> None:
    v = services.verification_start(actor=actor, participant_id=participant_id)
    if v.channel == VerificationChannel.SMS:
        flash(request, _("We sent you a text message with a code. Type the code below."))
    else:
        flash(request, _("We are calling you now to read out a code. Type the code below."))


def _start_quietly(request: HttpRequest, actor: Actor, participant_id: int) -> None:
    flash(request, _("Welcome to Buurbel!"))
    try:
        _start(request, actor, participant_id)
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
