"""Referral pages. A partner (``lending.refer``): their organisation's requests with their
place in the queue, a new request, one request (withdraw it while it waits). Staff who
triage (``lending.triage``): the queue of all partners with its actions, and the caps.
Thin: a form in, one service call, a redirect."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import PermissionDenied, ServiceError
from buurtkit.lending import selectors, services
from buurtkit.lending.models import DeviceKind, DeviceState, Pool, ReferralState
from buurtkit.lending.pages.forms_referrals import (
    CapForm,
    InviteForm,
    MatchForm,
    ReasonForm,
    ReferralForm,
)
from buurtkit.places.selectors import places_search
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else ""


def _partners(request: HttpRequest) -> list[tuple[int, str]]:
    return [(o.pk, o.name) for o in selectors.referral_partners(actor=actor_of(request))[:500]]


@community_page("lending.refer")
def referrals(request: HttpRequest) -> HttpResponse:
    """A partner's requests (staff who triage see every partner's here too)."""
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    state = _choice(request.GET.get("state"), ReferralState.values)
    page = paginate(request, selectors.referrals_for(actor, q=q, state=state))
    return render(
        request,
        "lending/referrals_home.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "states": ReferralState.choices,
            "caps": selectors.cap_usage(actor=actor),
            "can_triage": services.referrals.may_triage(actor),
        },
    )


@community_page("lending.refer")
def referral_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    partners = _partners(request)
    if not partners and not services.referrals.may_triage(actor):
        raise PermissionDenied(
            _("Your login is not linked to a partner organisation. Ask a coordinator."),
            code="permission_denied",
        )
    form = ReferralForm(request.POST or None, partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_file(actor=actor, **form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
            for name, message in exc.fields.items():  # "resident.phone" → the phone field
                field = name.removeprefix("resident.")
                if name.startswith("resident") and field in form.fields:
                    form.add_error(field, str(message))
        else:
            flash(request, _("Your request is filed. You see its place in the queue below."))
            return redirect("web:lending_referral", actor.community.slug, referral.pk)
    return render(
        request,
        "lending/referrals_new.html",
        {"form": form, "caps": selectors.cap_usage(actor=actor)},
        status=400 if form.is_bound and form.errors else 200,
    )


def _detail(request: HttpRequest, referral_id: int, **forms: Any) -> HttpResponse:
    actor = actor_of(request)
    referral = selectors.referral_get(actor=actor, referral_id=referral_id)
    can_triage = services.referrals.may_triage(actor)
    context: dict[str, Any] = {
        "referral": referral,
        "resident": selectors.resident_name(referral),
        "can_triage": can_triage,
        "can_cancel": referral.state in services.referrals.QUEUED
        or (can_triage and referral.state in services.referrals.HOLDING),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
    }
    if can_triage:
        devices = selectors.devices_search(
            actor=actor, state=DeviceState.AVAILABLE, kind=referral.kind, pool=Pool.HANDOUT
        )[:50]
        places = places_search(actor=actor, q="")[:200] if actor.has("places.view") else []
        context.update(
            refuse_form=forms.get("refuse_form") or ReasonForm(),
            match_form=forms.get("match_form")
            or MatchForm(devices=[(d.pk, f"{d.label} {d.brand} {d.model}") for d in devices]),
            invite_form=forms.get("invite_form")
            or InviteForm(
                places=[(p.pk, p.name) for p in places],
                initial={"place": referral.pickup_place_id},
            ),
            available=len(devices),
        )
    return render(request, "lending/referrals_detail.html", context, status=400 if forms else 200)


@community_page("lending.refer")
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _detail(request, referral_id)


def _act(request: HttpRequest, referral_id: int, done: str, action: Any) -> HttpResponse:
    """Run one action on a request from a button; back to where the button was."""
    actor = actor_of(request)
    selectors.referral_get(actor=actor, referral_id=referral_id)  # another's: not found
    back = request.POST.get("next", "")
    if request.method == "POST":
        try:
            action(actor)
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
        else:
            flash(request, done)
    if back == "queue" and services.referrals.may_triage(actor):
        return redirect("web:lending_referral_queue", actor.community.slug)
    return redirect("web:lending_referral", actor.community.slug, referral_id)


@community_page("lending.refer")
def referral_cancel(request: HttpRequest, referral_id: int) -> HttpResponse:
    form = ReasonForm(request.POST or None)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        referral_id,
        _("The request is withdrawn."),
        lambda actor: services.referral_cancel(actor=actor, referral_id=referral_id, reason=reason),
    )


@community_page("lending.triage")
def referral_approve(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _act(
        request,
        referral_id,
        _("Approved. The request keeps its place in the queue."),
        lambda actor: services.referral_approve(actor=actor, referral_id=referral_id),
    )


@community_page("lending.triage")
def referral_refuse(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.referral_get(actor=actor, referral_id=referral_id)
    if request.method != "POST":
        return redirect("web:lending_referral", actor.community.slug, referral_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.referral_refuse(
                actor=actor, referral_id=referral_id, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Refused. The partner sees your reason."))
            return redirect("web:lending_referral", actor.community.slug, referral_id)
    return _detail(request, referral_id, refuse_form=form)


@community_page("lending.triage")
def referral_match(request: HttpRequest, referral_id: int) -> HttpResponse:
    device_id = _int(request.POST.get("device"))
    return _act(
        request,
        referral_id,
        _("A device is set aside for this request."),
        lambda actor: services.referral_match(
            actor=actor, referral_id=referral_id, device_id=device_id
        ),
    )


@community_page("lending.triage")
def referral_invite(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.referral_get(actor=actor, referral_id=referral_id)
    if request.method != "POST":
        return redirect("web:lending_referral", actor.community.slug, referral_id)
    places = places_search(actor=actor, q="")[:200] if actor.has("places.view") else []
    form = InviteForm(request.POST, places=[(p.pk, p.name) for p in places])
    if form.is_valid():
        try:
            referral = services.referral_invite(
                actor=actor,
                referral_id=referral_id,
                place_id=form.cleaned_data["place"],
                pickup_at=form.pickup_at(),
                channel=form.cleaned_data["channel"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            if "pickup_at" in exc.fields:
                form.add_error("day", str(exc.fields["pickup_at"]))
        else:
            if referral.invited_via == "referrer":
                flash(request, _("Saved. The partner sees that they must tell the household."))
            else:
                flash(request, _("The invitation is on its way."))
            return redirect("web:lending_referral", actor.community.slug, referral_id)
    return _detail(request, referral_id, invite_form=form)


@community_page("lending.triage")
def referral_queue(request: HttpRequest) -> HttpResponse:
    """Every partner's requests, the oldest waiting first, with their actions."""
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    state = _choice(request.GET.get("state", "waiting"), ReferralState.values)
    kind = _choice(request.GET.get("kind"), DeviceKind.values)
    organisation_id = _int(request.GET.get("partner"))
    qs = selectors.referrals_for(
        actor, q=q, state=state, kind=kind, organisation_id=organisation_id
    )
    if state in services.referrals.QUEUED or not state:
        qs = qs.order_by("filed_at", "pk")
    page = paginate(request, qs)
    return render(
        request,
        "lending/referrals_queue.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "kind": kind,
            "partner": organisation_id,
            "states": ReferralState.choices,
            "kinds": DeviceKind.choices,
            "partners": _partners(request),
            "stats": selectors.referral_wait_stats(actor=actor),
        },
    )


@community_page("lending.triage")
def referral_caps(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = CapForm(request.POST or None, partners=_partners(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.cap_set(
                actor=actor,
                organisation_id=form.cleaned_data["organisation"],
                period=form.cleaned_data["period"],
                max_referrals=form.cleaned_data["max_referrals"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The limit is saved."))
            return redirect("web:lending_referral_caps", actor.community.slug)
    return render(
        request,
        "lending/referrals_caps.html",
        {"form": form, "caps": selectors.cap_usage(actor=actor)},
        status=400 if form.is_bound and form.errors else 200,
    )
