"""Evaluations: the link in the message after the last session, the self-assessment before
the course (from the "my sign-up" page), the paper form staff type in or the tablet handed
over at the last session, and what staff see per activity (counts and averages, no names)."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buurtkit.activities import rules, selectors, services
from buurtkit.activities.models import Evaluation, EvaluationChannel, EvaluationMoment
from buurtkit.activities.pages.forms_evaluations import EvaluationForm
from buurtkit.activities.questions import STATEMENTS
from buurtkit.activities.services.checkin import by_link_code
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash


def _answered(registration_id: int, moment: str) -> bool:
    return Evaluation.objects.filter(registration_id=registration_id, moment=moment).exists()


@public_page
@require_http_methods(["GET", "POST"])
def evaluate_link(request: HttpRequest, registration_id: int, evaluate_code: str) -> HttpResponse:
    """The link in the message after the last session: one answer per registration."""
    community = request.community  # type: ignore[attr-defined]
    code = evaluate_code
    registration = by_link_code(
        community=community, registration_id=registration_id, code=code, purpose="evaluate"
    )
    if registration is None:
        raise NotFound()
    series = registration.session.series
    statements = series.self_assessment
    form = EvaluationForm(request.POST or None, statements=statements)
    done = _answered(registration.pk, EvaluationMoment.AFTER)
    if request.method == "POST" and not done and form.is_valid():
        data = form.cleaned_data
        try:
            services.evaluation_by_link(
                community=community,
                registration_id=registration.pk,
                code=code,
                satisfaction=data["satisfaction"],
                learned=data["learned"],
                suggestion=data["suggestion"],
                answers=form.answers(),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect(request.path)
    return render(
        request,
        "activities/evaluation_form.html",
        {"registration": registration, "series": series, "form": form, "done": done},
    )


@public_page
@require_http_methods(["GET", "POST"])
def self_assessment_before(request: HttpRequest, registration_id: int, secret: str) -> HttpResponse:
    """Before the course: the six statements, from the "my sign-up" page."""
    community = request.community  # type: ignore[attr-defined]
    registration = selectors.registration_by_link(
        community=community, registration_id=registration_id, token=secret
    )
    if registration is None or not registration.session.series.self_assessment:
        raise NotFound()
    form = EvaluationForm(request.POST or None, statements=True, evaluation=False)
    done = _answered(registration.pk, EvaluationMoment.BEFORE)
    if request.method == "POST" and not done and form.is_valid():
        try:
            services.evaluation_by_link(
                community=community,
                registration_id=registration.pk,
                code=secret,
                moment=EvaluationMoment.BEFORE,
                answers=form.answers(),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect(request.path)
    return render(
        request,
        "activities/evaluation_before.html",
        {
            "registration": registration,
            "series": registration.session.series,
            "form": form,
            "done": done,
            "back": request.path.removesuffix("before/"),
        },
    )


@community_page("activities.attend")
@require_http_methods(["GET", "POST"])
def evaluation_entry(request: HttpRequest, session_id: int) -> HttpResponse:
    """Staff type in a paper form, or hand the tablet over at the last session (``?tablet=1``:
    big, no names to pick, answers are anonymous unless staff picked a name on paper)."""
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    series = session.series
    tablet = request.GET.get("tablet") == "1"
    people = None
    if not tablet:
        rows = selectors.attendance_rows(actor=actor, session_id=session.pk).filter(
            state__in=[rules.ATTENDED, rules.REGISTERED, rules.CONFIRMED]
        )
        people = [(str(r.pk), r.person.full_name) for r in rows]
    initial = {"idempotency_key": uuid.uuid4().hex}
    form = EvaluationForm(
        request.POST or None, initial=initial, statements=series.self_assessment, people=people
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = data.get("registration") or ""
        try:
            services.evaluation_create(
                actor=actor,
                series_id=series.pk,
                channel=EvaluationChannel.SESSION if tablet else EvaluationChannel.PAPER,
                registration_id=int(chosen) if chosen.isdigit() else None,
                satisfaction=data["satisfaction"],
                learned=data["learned"],
                suggestion=data["suggestion"],
                answers=form.answers(),
                idempotency_key=data["idempotency_key"] or None,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Thank you! The answers are saved."))
            return redirect(request.get_full_path())
    return render(
        request,
        "activities/evaluation_entry.html",
        {"session": session, "series": series, "form": form, "tablet": tablet},
    )


@community_page("activities.attend")
@require_http_methods(["GET", "POST"])
def self_assessment_entry(request: HttpRequest, session_id: int) -> HttpResponse:
    """Staff type in a participant's self-assessment *before* the course from paper (the
    "after" goes with the paper evaluation, next door), and see both side by side."""
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    series = session.series
    if not series.self_assessment:
        raise NotFound(_("This activity has no self-assessment."))
    rows = selectors.self_assessments_of_session(actor=actor, session_id=session.pk)
    # Everyone with a seat; those who answered already are marked (a double click on the
    # same form is still recognised by its idempotency key).
    done = _("already given")
    people = [
        (str(r["registration"].pk), f"{r['name']} ({done})" if r["before"] else r["name"])
        for r in rows
    ]
    form = EvaluationForm(
        request.POST or None,
        initial={"idempotency_key": uuid.uuid4().hex},
        statements=True,
        evaluation=False,
        people=people,
    )
    form.fields["registration"].required = True
    form.fields["registration"].choices = [("", _("Choose the person")), *people]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["registration"]
        try:
            services.evaluation_create(
                actor=actor,
                series_id=series.pk,
                channel=EvaluationChannel.PAPER,
                moment=EvaluationMoment.BEFORE,
                registration_id=int(chosen),
                answers=form.answers(),
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Thank you! The answers are saved."))
            return redirect(request.path)
    return render(
        request,
        "activities/self_assessment_entry.html",
        {
            "session": session,
            "series": series,
            "form": form,
            "rows": rows,
            "statements": list(STATEMENTS.values()),
        },
        status=400 if form.errors else 200,
    )


@community_page("activities.view")
def evaluation_summary(request: HttpRequest, series_id: int) -> HttpResponse:
    actor = actor_of(request)
    series = selectors.series_get(actor=actor, series_id=series_id)
    return render(
        request,
        "activities/evaluation_summary.html",
        {
            "series": series,
            "summary": selectors.evaluation_summary(actor=actor, series_id=series.pk),
        },
    )
