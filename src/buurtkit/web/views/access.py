"""Memberships (who has which role), API keys and the audit log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.audit.selectors import audit_events
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.people import selectors, services
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import ApiKeyForm, MembershipEditForm, MembershipForm, apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _organisation_choices(request: HttpRequest) -> list[tuple[int, str]]:
    actor = actor_of(request)
    if not actor.has("organisations.view"):
        return []
    return [(o.pk, o.name) for o in selectors.organisations_search(actor=actor)]


@community_page("memberships.view")
def membership_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    qs = selectors.memberships_list(actor=actor_of(request), q=q)
    return render(request, "web/memberships/list.html", {"page": paginate(request, qs), "q": q})


@community_page("memberships.manage")
def membership_create(request: HttpRequest) -> HttpResponse:
    form = MembershipForm(request.POST or None, organisations=_organisation_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_invite(
                actor=actor_of(request),
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                organisation_id=form.cleaned_data["organisation"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            # The same words whether or not the user name exists (issue 18, item 9).
            flash(
                request, _("The invitation has been made. The role is given when it is accepted.")
            )
            return redirect("web:memberships", slug=request.community.slug)  # type: ignore[attr-defined]
    return render(request, "web/memberships/form.html", {"form": form, "creating": True})


@community_page("memberships.manage")
def membership_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    actor = actor_of(request)
    membership = selectors.membership_get(actor=actor, membership_id=membership_id)
    form = MembershipEditForm(
        request.POST or None, initial={"roles": membership.roles, "active": membership.active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                actor=actor, membership_id=membership.pk, **form.cleaned_data
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The changes have been saved."))
            return redirect("web:memberships", slug=membership.community.slug)
    return render(request, "web/memberships/form.html", {"form": form, "membership": membership})


@community_page("apikeys.manage")
def apikey_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = ApiKeyForm(request.POST or None, organisations=_organisation_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.apikey_create(
                actor=actor,
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
                organisation_id=form.cleaned_data["organisation"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            # Shown once, on this response only; never stored or shown again.
            response = render(request, "web/apikeys/created.html", {"key": key, "raw": raw})
            response["Cache-Control"] = "no-store"
            return response
    keys = selectors.apikeys_list(actor=actor)
    return render(request, "web/apikeys/list.html", {"keys": keys, "form": form})


@require_POST
@community_page("apikeys.manage")
def apikey_revoke(request: HttpRequest, apikey_id: int) -> HttpResponse:
    key = services.apikey_revoke(actor=actor_of(request), apikey_id=apikey_id)
    flash(request, _("The key “%(name)s” no longer works.") % {"name": key.name})
    return redirect("web:apikeys", slug=request.community.slug)  # type: ignore[attr-defined]


@community_page("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    qs = audit_events(actor=actor_of(request))
    verb = request.GET.get("verb", "")
    if verb:
        qs = qs.filter(verb__startswith=verb)
    return render(request, "web/audit.html", {"page": paginate(request, qs), "verb": verb})
