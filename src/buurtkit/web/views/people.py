from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.audit.selectors import audit_events_about
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.people import selectors, services
from buurtkit.people.models import ConsentKind
from buurtkit.web.decorators import community_page, on_behalf_key
from buurtkit.web.forms import (
    ConsentForm,
    GiveLoginForm,
    PasswordSetForm,
    PersonForm,
    apply_service_error,
)
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate
from buurtkit.web.registry import person_sections


@community_page("people.view")
def person_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    smartphone = request.GET.get("smartphone", "")
    has_smartphone = {"yes": True, "no": False}.get(smartphone)
    qs = selectors.people_search(actor=actor_of(request), q=q, has_smartphone=has_smartphone)
    page = paginate(request, qs)
    context = {"page": page, "q": q, "smartphone": smartphone}
    template = (
        "web/people/_rows.html" if request.headers.get("HX-Request") else "web/people/list.html"
    )
    return render(request, template, context)


@community_page("people.manage")
def person_create(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    form = PersonForm(
        request.POST or None, initial={"preferred_language": community.default_language}
    )
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        consent = request.POST.get("consent_data_processing") == "on"
        try:
            person = services.person_create(
                actor=actor_of(request),
                consents={"data_processing": True} if consent else {},
                allow_duplicate=request.POST.get("allow_duplicate") == "1",
                **data,
            )
        except services.DuplicatePerson as exc:
            # Offer the person already there; "add anyway" posts the same form again.
            form.add_error(None, str(exc.detail))
            duplicate = selectors.person_get(
                actor=actor_of(request),
                person_id=exc.fields["duplicate_of"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("%(name)s has been added.") % {"name": person.full_name})
            return redirect("web:person", slug=community.slug, person_id=person.pk)
    return render(
        request, "web/people/form.html", {"form": form, "creating": True, "duplicate": duplicate}
    )


@community_page("people.view")
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, person_id=person_id)
    consents = selectors.current_consents(person=person)
    history = (
        audit_events_about(
            community_id=person.community_id, object_type="people.person", object_id=str(person.pk)
        )[:20]
        if actor.has("audit.view") or actor.has("people.manage")
        else []
    )
    return render(
        request,
        "web/people/detail.html",
        {
            "person": person,
            "consent_rows": [
                (kind, label, consents.get(kind)) for kind, label in ConsentKind.choices
            ],
            "history": history,
            "password_form": PasswordSetForm(),
            "login_form": GiveLoginForm(),
            "person_sections": person_sections(request, actor, person),
        },
    )


@community_page("people.manage")
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, person_id=person_id)
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=actor, person_id=person.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The changes have been saved."))
            return redirect("web:person", slug=person.community.slug, person_id=person.pk)
    return render(request, "web/people/form.html", {"form": form, "person": person})


@require_POST
@community_page("people.manage")
def person_consent(request: HttpRequest, person_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.person_record_consent(
            actor=actor_of(request),
            person_id=person_id,  # type: ignore[attr-defined]
            kind=form.cleaned_data["kind"],
            granted=form.cleaned_data["granted"],
        )
        flash(request, _("The consent has been recorded."))
    return redirect("web:person", slug=request.community.slug, person_id=person_id)  # type: ignore[attr-defined]


@require_POST
@community_page("people.act_on_behalf")
def act_on_behalf_start(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(actor=actor_of(request), person_id=person_id)
    request.session[on_behalf_key(person.community.slug)] = person.pk
    flash(request, _("You are now acting on behalf of %(name)s.") % {"name": person.full_name})
    return redirect("web:community", slug=person.community.slug)


@require_POST
@community_page()
def act_on_behalf_stop(request: HttpRequest) -> HttpResponse:
    slug = request.community.slug  # type: ignore[attr-defined]
    person_id = request.session.pop(on_behalf_key(slug), None)
    flash(request, _("You are acting as yourself again."))
    if person_id:
        return redirect("web:person", slug=slug, person_id=person_id)
    return redirect("web:community", slug=slug)


@community_page("people.gdpr")
def person_export(request: HttpRequest, person_id: int) -> HttpResponse:
    data = services.person_gdpr_export(actor=actor_of(request), person_id=person_id)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="person-{person_id}.json"'
    return response


@community_page("people.gdpr")
def person_anonymise(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, person_id=person_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.person_anonymise(actor=actor, person_id=person.pk)
        flash(request, _("The personal data have been removed."))
        return redirect("web:person", slug=person.community.slug, person_id=person.pk)
    return render(request, "web/people/anonymise.html", {"person": person})


@require_POST
@community_page("passwords.reset")
def person_password(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, person_id=person_id)
    form = PasswordSetForm(request.POST)
    if form.is_valid() and person.user_id:
        try:
            services.password_set_by_staff(
                actor=actor, user_id=person.user_id, password=form.cleaned_data["password"]
            )
        except ServiceError as exc:
            flash(request, str(exc.detail), level="error")
        else:
            flash(request, _("The new password has been set. Give it to the person in private."))
    return redirect("web:person", slug=person.community.slug, person_id=person.pk)


@require_POST
@community_page("people.manage")
def person_give_login(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, person_id=person_id)
    form = GiveLoginForm(request.POST)
    if form.is_valid():
        try:
            services.person_give_login(actor=actor, person_id=person.pk, **form.cleaned_data)
        except ServiceError as exc:
            flash(request, str(exc.detail), level="error")
        else:
            flash(request, _("The login has been created."))
    return redirect("web:person", slug=person.community.slug, person_id=person.pk)
