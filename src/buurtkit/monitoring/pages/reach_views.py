"""Pages of the reach per target group, the profile form, a person's digital track and the
surveys: thin views over ``monitoring.reach`` and ``monitoring.surveys``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.core.texts import translated
from buurtkit.monitoring import reach, selectors, surveys
from buurtkit.monitoring.models import TargetGroup
from buurtkit.monitoring.pages.reach_forms import (
    GroupFiguresForm,
    ProfileForm,
    SurveyEntryForm,
    SurveyLinkAnswerForm,
    SurveySendForm,
)
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash


def _month(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat((value or "").strip() + "-01")
    except ValueError:
        return default


@community_page("monitoring.view")
def reach_page(request: HttpRequest) -> HttpResponse:
    """ "Bereik per doelgroep": unique people across the modules, per target group."""
    actor = actor_of(request)
    this = selectors.local_today().replace(day=1)
    first = _month(request.GET.get("from"), date(this.year, 1, 1))
    last = _month(request.GET.get("to"), this)
    error, result = "", None
    try:
        result = reach.reach(actor=actor, first=first, last=last)
    except ServiceError as exc:
        error = str(exc.detail)
    return render(
        request,
        "monitoring/reach.html",
        {
            "r": result,
            "start": first,
            "end": last,
            "error": error,
            "counted_at": selectors.counted_at(actor=actor),
            "can_manage": actor.has("monitoring.manage"),
        },
    )


@community_page("monitoring.manage")
def reach_figures(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    figures = reach.group_figures(actor=actor)
    groups = [(key, str(label)) for key, label in TargetGroup.choices]
    initial: dict[str, Any] = {}
    for key, figure in figures.items():
        initial[f"{key}_population"] = figure.population
        initial[f"{key}_ambition"] = figure.ambition_percent
    form = GroupFiguresForm(request.POST or None, initial=initial, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reach.group_figures_save(
                actor=actor,
                figures={
                    key: (data[f"{key}_population"], data[f"{key}_ambition"])
                    for key, _label in groups
                },
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:monitoring_reach", actor.community.slug)
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "title": _("Residents per target group and ambition")},
    )


@community_page("people.manage")
def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    """The minimal profile, entered by staff at the counter with the person's consent."""
    actor = actor_of(request)
    view = reach.profile_get(actor=actor, person_id=person_id)
    p = view.profile
    initial = {
        "consent": view.consent,
        "age_band": view.derived_band or (p.age_band if p else ""),
        "postcode": p.postcode if p else view.person.postcode,
        "job_seeking": p.job_seeking if p else "",
        "groups": [f for f in reach.FLAGS if p and getattr(p, f)],
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if view.derived_band:
        form.fields["age_band"].disabled = True
    if request.method == "POST" and request.POST.get("withdraw"):
        reach.profile_withdraw(actor=actor, person_id=view.person.pk)
        flash(request, _("The consent is withdrawn and the profile removed."))
        return redirect("web:person", actor.community.slug, view.person.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reach.profile_save(
                actor=actor,
                person_id=view.person.pk,
                consent=data["consent"],
                age_band=data.get("age_band") or "",
                postcode=data["postcode"],
                job_seeking=data["job_seeking"],
                groups=list(data["groups"]),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The profile is saved."))
            return redirect("web:person", actor.community.slug, view.person.pk)
    return render(
        request,
        "monitoring/profile.html",
        {"form": form, "view": view, "person": view.person},
    )


@community_page("monitoring.track")
def track(request: HttpRequest, person_id: int) -> HttpResponse:
    person, lines = reach.track(actor=actor_of(request), person_id=person_id)
    return render(request, "monitoring/track.html", {"person": person, "lines": lines})


def person_section(actor: Any, person_id: int) -> dict[str, Any] | None:
    """The person page's "Statistics and track" card."""
    may_profile = actor.has("people.manage")
    may_track = actor.has("monitoring.track")
    if not may_profile and not may_track:
        return None
    view = reach.profile_get(actor=actor, person_id=person_id) if may_profile else None
    return {"profile_view": view, "may_profile": may_profile, "may_track": may_track}


# --- surveys ---------------------------------------------------------------------------------


@community_page()
def surveys_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = surveys.surveys_list(actor=actor)
    language = request.LANGUAGE_CODE
    return render(
        request,
        "monitoring/surveys.html",
        {
            "rows": [(s, translated(s.title, language)) for s in rows],
            "can_view": actor.has("monitoring.view"),
            "can_enter": actor.has("monitoring.surveys"),
        },
    )


@community_page("monitoring.view")
def survey_report(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = actor_of(request)
    report = surveys.survey_report(actor=actor, survey_id=survey_id, language=request.LANGUAGE_CODE)
    return render(
        request,
        "monitoring/survey_report.html",
        {
            "report": report,
            "title": translated(report.survey.title, request.LANGUAGE_CODE),
            "can_enter": actor.has("monitoring.surveys"),
            "send_form": SurveySendForm(),
        },
    )


def _entry_form(
    request: HttpRequest, survey: Any, *, kiosk: bool, data: Any = None
) -> SurveyEntryForm:
    language = request.LANGUAGE_CODE
    return SurveyEntryForm(
        data,
        questions=[(q.question.key, q.text) for q in surveys.questions_of(survey, language)],
        scale=surveys.scale_of(survey, language),
        anonymous_only=kiosk,
    )


def _enter(request: HttpRequest, survey_id: int, *, kiosk: bool) -> HttpResponse:
    actor = actor_of(request)
    survey = surveys.survey_get(actor=actor, survey_id=survey_id)
    form = _entry_form(request, survey, kiosk=kiosk, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            surveys.response_enter(
                actor=actor,
                survey_id=survey.pk,
                phase=data["phase"],
                answers=form.answers(),
                channel="kiosk" if kiosk else "paper",
                person_id=data.get("person_id"),
                pairing_code=data.get("pairing_code") or "",
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(
                request, _("Thank you! The answers are saved.") if kiosk else _("Saved. Next form.")
            )
            name = "web:monitoring_survey_kiosk" if kiosk else "web:monitoring_survey_enter"
            return redirect(name, actor.community.slug, survey.pk)
    return render(
        request,
        "monitoring/survey_enter.html",
        {
            "form": form,
            "survey": survey,
            "title": translated(survey.title, request.LANGUAGE_CODE),
            "kiosk": kiosk,
            "idempotency_key": uuid.uuid4().hex,
        },
    )


@community_page("monitoring.surveys")
def survey_enter(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Staff type in paper forms, one after the other."""
    return _enter(request, survey_id, kiosk=False)


@community_page("monitoring.surveys")
def survey_kiosk(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The tablet at the digipunt: staff open it, residents fill it in with a pairing code."""
    return _enter(request, survey_id, kiosk=True)


@require_POST
@community_page("monitoring.surveys")
def survey_send(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = actor_of(request)
    surveys.survey_get(actor=actor, survey_id=survey_id)  # another community's: not found
    form = SurveySendForm(request.POST)
    if form.is_valid():
        try:
            surveys.link_send(
                actor=actor,
                survey_id=survey_id,
                person_id=form.cleaned_data["person_id"],
                phase=form.cleaned_data["phase"],
                idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4().hex,
            )
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
        else:
            flash(request, _("The link is sent by text message."))
    else:
        flash(request, _("Give the person's number and before or after."), "error")
    return redirect("web:monitoring_survey", actor.community.slug, survey_id)


@public_page
def survey_link(request: HttpRequest, survey_link_token: str) -> HttpResponse:
    """The page behind the link in the text message: no login, once, until it expires (a used,
    expired or unknown link is a "not found" page that says so)."""
    community = request.community  # type: ignore[attr-defined]
    link = surveys.link_get(community=community, token=survey_link_token)
    language = link.person.preferred_language or request.LANGUAGE_CODE
    form = SurveyLinkAnswerForm(
        request.POST or None,
        questions=[(q.question.key, q.text) for q in surveys.questions_of(link.survey, language)],
        scale=surveys.scale_of(link.survey, language),
    )
    if request.method == "POST" and form.is_valid():
        try:
            surveys.response_by_link(
                community=community, token=survey_link_token, answers=form.answers()
            )
        except ServiceError as exc:
            if isinstance(exc, NotFound):
                raise
            apply_service_error(form, exc)
        else:
            return render(request, "monitoring/survey_link.html", {"done": True})
    return render(
        request,
        "monitoring/survey_link.html",
        {"form": form, "title": translated(link.survey.title, language)},
    )
