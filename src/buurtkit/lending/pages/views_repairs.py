"""Repair pages: the list, reporting a broken device (also from its QR code: the device's
repair URL leads to its open ticket or to the form), one ticket with its next step."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.lending import selectors, services
from buurtkit.lending.models import Repairer, RepairState
from buurtkit.lending.pages.forms_repairs import RepairCloseForm, RepairOpenForm
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _may_report(request: HttpRequest) -> bool:
    actor = actor_of(request)
    return actor.has("lending.repair") or (
        actor.has("lending.refer") and bool(actor.organisation_ids)
    )


def _optional_url(name: str, *args: Any) -> str:
    """A page of another part of the device bank, if it is there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@community_page()
def repairs(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "active")
    state = state if state in [*RepairState.values, "active", "all"] else "active"
    repairer = request.GET.get("repairer", "")
    repairer = repairer if repairer in Repairer.values else ""
    qs = selectors.repairs_for(
        actor=actor, state="" if state == "all" else state, repairer=repairer
    )
    return render(
        request,
        "lending/repairs_list.html",
        {
            "page": paginate(request, qs),
            "state": state,
            "states": [("active", _("open or in repair")), *RepairState.choices, ("all", _("all"))],
            "repairer": repairer,
            "repairers": Repairer.choices,
            "can_report": _may_report(request),
        },
    )


@community_page()
def device_repair(request: HttpRequest, device_id: int) -> HttpResponse:
    """Where a device's QR code (and its page) send someone who reports it broken."""
    actor = actor_of(request)
    device = selectors.device_for_repair(actor=actor, device_id=device_id)
    ticket = selectors.repair_open_for_device(actor=actor, device_id=device.pk)
    slug = actor.community.slug
    if ticket is not None:
        return redirect("web:lending_repair", slug, ticket.pk)
    return redirect(reverse("web:lending_repair_new", args=[slug]) + f"?device={device.label}")


@community_page()
def repair_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not _may_report(request):
        actor.require("lending.repair")
    initial = {"device": request.GET.get("device", "")[:20], "idempotency_key": uuid.uuid4().hex}
    form = RepairOpenForm(request.POST or None, initial=initial)
    device = None
    if initial["device"] and request.method != "POST":
        try:
            device = selectors.device_for_repair(actor=actor, label=initial["device"])
        except NotFound:
            device = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            device = selectors.device_for_repair(actor=actor, label=data["device"])
            ticket = services.repair_open(
                actor=actor,
                device_id=device.pk,
                problem=data["problem"],
                repairer=data["repairer"],
                repairer_name=data["repairer_name"],
                idempotency_key=data["idempotency_key"],
            )
        except NotFound:
            form.add_error("device", _("No device with this label that you may report."))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if not getattr(ticket, "replayed", False):
                flash(request, _("The repair ticket is open."))
            return redirect("web:lending_repair", actor.community.slug, ticket.pk)
    return render(
        request,
        "lending/repairs_new.html",
        {"form": form, "device": device},
        status=400 if form.is_bound else 200,
    )


def _detail(request: HttpRequest, ticket_id: int, close_form: Any = None) -> HttpResponse:
    actor = actor_of(request)
    ticket = selectors.repair_get(actor=actor, ticket_id=ticket_id)
    can_manage = actor.has("lending.manage")
    replacements = []
    if can_manage and ticket.state in ("open", "in_repair") and ticket.handover_id:
        replacements = [
            (d.pk, f"{d.label} {d.brand} {d.model}".strip())
            for d in selectors.replacement_candidates(actor=actor, kind=ticket.device.kind)[:50]
        ]
    slug = actor.community.slug
    return render(
        request,
        "lending/repairs_detail.html",
        {
            "ticket": ticket,
            "device": ticket.device,
            "can_manage": can_manage,
            "is_open": ticket.state in ("open", "in_repair"),
            "close_form": close_form or RepairCloseForm(replacements=replacements),
            "has_replacements": bool(replacements),
            "history": selectors.repairs_for(actor=actor, device_id=ticket.device_id)[:10]
            if actor.has("lending.repair")
            else [],
            "device_url": _optional_url("web:lending_device", slug, ticket.device_id)
            if actor.has("lending.view")
            else "",
            "counter_url": _optional_url("web:lending_counter", slug)
            if ticket.replacement_id
            else "",
        },
        status=400 if close_form is not None else 200,
    )


@community_page()
def repair_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _detail(request, ticket_id)


@community_page("lending.manage")
@require_POST
def repair_start(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.repair_get(actor=actor, ticket_id=ticket_id)  # another community's: not found
    try:
        services.repair_start(actor=actor, ticket_id=ticket_id)
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(request, _("The repair has started: the device is in repair."))
    return redirect("web:lending_repair", actor.community.slug, ticket_id)


@community_page("lending.manage")
@require_POST
def repair_close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    ticket = selectors.repair_get(actor=actor, ticket_id=ticket_id)
    choices = [
        (d.pk, d.label)
        for d in selectors.replacement_candidates(actor=actor, kind=ticket.device.kind)[:50]
    ]
    form = RepairCloseForm(request.POST, replacements=choices)
    if form.is_valid():
        try:
            services.repair_close(
                actor=actor,
                ticket_id=ticket_id,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                replacement_device_id=form.cleaned_data["replacement"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The repair ticket is closed."))
            return redirect("web:lending_repair", actor.community.slug, ticket_id)
    return _detail(request, ticket_id, close_form=form)
