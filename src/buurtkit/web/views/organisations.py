from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.people import selectors, services
from buurtkit.people.models import OrganisationKind
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import OrganisationForm, apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


@community_page("organisations.view")
def organisation_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    qs = selectors.organisations_search(actor=actor_of(request), q=q, kind=kind)
    context = {
        "page": paginate(request, qs),
        "q": q,
        "kind": kind,
        "kinds": OrganisationKind.choices,
    }
    template = (
        "web/organisations/_rows.html"
        if request.headers.get("HX-Request")
        else "web/organisations/list.html"
    )
    return render(request, template, context)


@community_page("organisations.manage")
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(actor=actor_of(request), **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("%(name)s has been added.") % {"name": org.name})
            return redirect("web:organisations", slug=request.community.slug)  # type: ignore[attr-defined]
    return render(request, "web/organisations/form.html", {"form": form, "creating": True})


@community_page("organisations.manage")
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.organisation_get(actor=actor, organisation_id=organisation_id)
    initial = {f: getattr(org, f) for f in services.ORGANISATION_FIELDS}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=actor, organisation_id=org.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The changes have been saved."))
            return redirect("web:organisations", slug=org.community.slug)
    return render(request, "web/organisations/form.html", {"form": form, "organisation": org})
