"""The device bank's stock pages: the device list with the stock overview, a device with its
history and next step, donations (intake, receipt, certificates, QR labels), and the public
"please bring it back" page a scanned label opens. Thin: forms in, one service call, render."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.lending import documents, rules, selectors, services
from buurtkit.lending.models import Device, DeviceKind, DeviceState, Pool
from buurtkit.lending.pages.forms import WIPE_FIELDS, DeviceRows, DeviceStepForm, DonationForm
from buurtkit.qrcodes.exports import scan_url
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else ""


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- devices ----------------------------------------------------------------------------------


@community_page("lending.view")
def device_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    filters = {
        "state": _choice(request.GET.get("state"), DeviceState.values),
        "kind": _choice(request.GET.get("kind"), DeviceKind.values),
        "pool": _choice(request.GET.get("pool"), Pool.values),
    }
    page = paginate(request, selectors.devices_search(actor=actor, q=q, **filters))
    stock = selectors.stock_overview(actor=actor)
    states = [(s, label) for s, label in DeviceState.choices]
    return render(
        request,
        "lending/devices.html",
        {
            "page": page,
            "q": q,
            "filters": filters,
            "states": states,
            "kinds": DeviceKind.choices,
            "pools": Pool.choices,
            "stock_rows": _stock_rows(stock["by_kind"], states),
            "stock_states": [
                sum(row.get(s, 0) for row in stock["by_kind"].values()) for s, _l in states
            ],
            "pool_rows": [(label, stock["by_pool"].get(p, 0)) for p, label in Pool.choices],
            "total": stock["total"],
            "can_manage": actor.has("lending.manage"),
        },
    )


def _stock_rows(by_kind: dict[str, dict[str, int]], states: list[tuple[str, str]]) -> list[Any]:
    """(kind, [count per state], total) for every kind that has devices."""
    rows = []
    for kind, label in DeviceKind.choices:
        counts = by_kind.get(kind)
        if counts:
            rows.append((label, [counts.get(s, 0) for s, _l in states], counts["total"]))
    return rows


def _steps(device: Device) -> list[str]:
    """The steps this page records. A hand-over is not one of them: it happens at the counter,
    with the identity check and the signed agreement (the page links there)."""
    allowed = rules.NEXT.get(device.state, frozenset()) - {rules.HANDED_OVER}
    return [s for s in DeviceState.values if s in allowed]


def _device_page(
    request: HttpRequest, device: Device, form: DeviceStepForm | None = None, error: str = ""
) -> HttpResponse:
    actor = actor_of(request)
    steps = _steps(device)
    if form is None:
        form = DeviceStepForm(steps=steps, initial={"expected_seq": device.events_count})
    codes = selectors.label_codes(community=actor.community, devices=[device])
    return render(
        request,
        "lending/device.html",
        {
            "device": device,
            "events": selectors.device_events(actor=actor, device_id=device.pk),
            "wipes": [
                (event, documents.certificate_number(event))
                for event in selectors.wipe_events(actor=actor, device_ids=[device.pk])
            ],
            "form": form,
            "steps": steps,
            "wiped": DeviceState.WIPED,
            "code": codes.get(device.pk),
            "photos": selectors.device_photos(actor=actor, device_id=device.pk),
            "can_manage": actor.has("lending.manage"),
            "error": error,
        },
        status=400 if form.is_bound or error else 200,
    )


@community_page("lending.view")
def device_page(request: HttpRequest, device_id: int) -> HttpResponse:
    device = selectors.device_get(actor=actor_of(request), device_id=device_id)
    return _device_page(request, device)


@community_page("lending.view")
def device_by_label(request: HttpRequest, label: str) -> HttpResponse:
    """Where a staff member's scan of a device's label lands."""
    device = selectors.device_by_label(actor=actor_of(request), label=label)
    return redirect("web:lending_device", device.community.slug, device.pk)


@community_page("lending.manage")
def device_step(request: HttpRequest, device_id: int) -> HttpResponse:
    actor = actor_of(request)
    device = selectors.device_get(actor=actor, device_id=device_id)
    if request.method != "POST":
        return redirect("web:lending_device", actor.community.slug, device.pk)
    form = DeviceStepForm(request.POST, steps=_steps(device))
    if form.is_valid():
        try:
            event = services.device_record_event(
                actor=actor, device_id=device.pk, **form.service_data()
            )
        except ServiceError as exc:
            if exc.code == "conflict" and not exc.fields:
                # A stale page (a second click, or a colleague was quicker): show the device as
                # it is now, keeping what was typed; nothing was recorded twice.
                device.refresh_from_db()
                typed = {k: form.cleaned_data.get(k) for k in ("note", *WIPE_FIELDS)}
                fresh = DeviceStepForm(
                    steps=_steps(device), initial={**typed, "expected_seq": device.events_count}
                )
                return _device_page(request, device, fresh, error=str(exc.detail))
            exc.fields = {form.field_of(name): msg for name, msg in exc.fields.items()}
            apply_service_error(form, exc)
        else:
            flash(request, _("Recorded: %(step)s.") % {"step": DeviceState(event.kind).label})
            return redirect("web:lending_device", actor.community.slug, device.pk)
    return _device_page(request, device, form)


@community_page("lending.view")
def device_certificate(request: HttpRequest, device_id: int, seq: int) -> HttpResponse:
    event = selectors.wipe_event(actor=actor_of(request), device_id=device_id, seq=seq)
    data = documents.erasure_certificates_pdf(community=event.device.community.name, events=[event])
    return _pdf(data, f"{documents.certificate_number(event)}.pdf")


@community_page("lending.manage")
def device_label(request: HttpRequest, device_id: int) -> HttpResponse:
    """Give the device its QR label (it keeps the one it has), then print it."""
    actor = actor_of(request)
    device = selectors.device_get(actor=actor, device_id=device_id)
    if request.method == "POST":
        services.device_label_codes(actor=actor, device_ids=[device.pk])
        return redirect("web:lending_device_label_pdf", actor.community.slug, device.pk)
    return redirect("web:lending_device", actor.community.slug, device.pk)


def _labels_pdf(
    request: HttpRequest, devices: list[Device], filename: str, back: str
) -> HttpResponse:
    actor = actor_of(request)
    codes = selectors.label_codes(community=actor.community, devices=devices)
    labels = [(d, scan_url(codes[d.pk].code)) for d in devices if d.pk in codes]
    if not labels:
        flash(request, _("These devices have no QR label yet: make the labels first."), "error")
        return redirect(back)
    data = documents.label_sheet_pdf(community=actor.community.name, labels=labels)
    return _pdf(data, filename)


@community_page("lending.view")
def device_label_pdf(request: HttpRequest, device_id: int) -> HttpResponse:
    device = selectors.device_get(actor=actor_of(request), device_id=device_id)
    back = reverse("web:lending_device", args=[device.community.slug, device.pk])
    return _labels_pdf(request, [device], f"label-{device.label}.pdf", back)


# --- donations --------------------------------------------------------------------------------


@community_page("lending.view")
def donation_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "lending/donations.html",
        {
            "page": paginate(request, selectors.donations_list(actor=actor)),
            "can_manage": actor.has("lending.manage"),
        },
    )


@community_page("lending.manage")
def donation_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    choices = selectors.intake_choices(actor=actor)
    data = request.POST if request.method == "POST" else None
    form = DonationForm(data, initial={"idempotency_key": uuid.uuid4().hex}, **choices)
    rows = DeviceRows(data, prefix="devices")
    if data is not None and form.is_valid() and rows.is_valid():
        devices = rows.devices()
        try:
            donation = services.donation_receive(
                actor=actor,
                devices=devices,
                **form.cleaned_data,
            )
        except ServiceError as exc:
            _row_errors(rows, exc)
            apply_service_error(form, exc)
        else:
            if not getattr(donation, "replayed", False):
                flash(
                    request,
                    _("%(n)d devices taken in. Print their QR labels next.") % {"n": len(devices)},
                )
            return redirect("web:lending_donation", actor.community.slug, donation.pk)
    return render(
        request,
        "lending/donation_form.html",
        {"form": form, "rows": rows},
        status=400 if data is not None else 200,
    )


def _row_errors(rows: Any, exc: ServiceError) -> None:
    """``devices.2.serial`` → the error under the third filled-in row's serial field."""
    filled = [f for f in rows.forms if f.has_changed()]
    for name in list(exc.fields):
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "devices" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(filled) and parts[2] in filled[index].fields:
                filled[index].add_error(parts[2], str(exc.fields.pop(name)))


@community_page("lending.view")
def donation_page(request: HttpRequest, donation_id: int) -> HttpResponse:
    actor = actor_of(request)
    donation = selectors.donation_get(actor=actor, donation_id=donation_id)
    devices = list(selectors.donation_devices(actor=actor, donation_id=donation.pk))
    codes = selectors.label_codes(community=actor.community, devices=devices)
    return render(
        request,
        "lending/donation.html",
        {
            "donation": donation,
            "rows": [(d, codes.get(d.pk)) for d in devices],
            "labelled": len(codes),
            "wipes": selectors.wipe_events(actor=actor, device_ids=[d.pk for d in devices]).count(),
            "can_manage": actor.has("lending.manage"),
        },
    )


@community_page("lending.view")
def donation_receipt(request: HttpRequest, donation_id: int) -> HttpResponse:
    actor = actor_of(request)
    donation = selectors.donation_get(actor=actor, donation_id=donation_id)
    devices = list(selectors.donation_devices(actor=actor, donation_id=donation.pk))
    data = documents.donation_receipt_pdf(
        community=actor.community.name, donation=donation, devices=devices
    )
    return _pdf(data, f"receipt-DON-{donation.pk:06d}.pdf")


@community_page("lending.view")
def donation_certificates(request: HttpRequest, donation_id: int) -> HttpResponse:
    actor = actor_of(request)
    devices = selectors.donation_devices(actor=actor, donation_id=donation_id)
    events = list(selectors.wipe_events(actor=actor, device_ids=[d.pk for d in devices]))
    data = documents.erasure_certificates_pdf(community=actor.community.name, events=events)
    return _pdf(data, f"erasure-certificates-DON-{donation_id:06d}.pdf")


@community_page("lending.manage")
def donation_labels(request: HttpRequest, donation_id: int) -> HttpResponse:
    """Give every device of the donation its QR label (idempotent), then print the sheet."""
    actor = actor_of(request)
    donation = selectors.donation_get(actor=actor, donation_id=donation_id)
    if request.method == "POST":
        services.device_label_codes(actor=actor, donation_id=donation.pk)
        return redirect("web:lending_donation_labels_pdf", actor.community.slug, donation.pk)
    return redirect("web:lending_donation", actor.community.slug, donation.pk)


@community_page("lending.view")
def donation_labels_pdf(request: HttpRequest, donation_id: int) -> HttpResponse:
    actor = actor_of(request)
    devices = list(selectors.donation_devices(actor=actor, donation_id=donation_id))
    back = reverse("web:lending_donation", args=[actor.community.slug, donation_id])
    return _labels_pdf(request, devices, f"labels-DON-{donation_id:06d}.pdf", back)


# --- public -----------------------------------------------------------------------------------


@public_page
def device_return(request: HttpRequest, label: str) -> HttpResponse:
    """What anyone who scans a device's label sees: whose it is and where to bring it back.
    No personal data: the label, the kind of device, the digibank and a place's address."""
    community = request.community  # type: ignore[attr-defined]
    if not community.has_module("lending"):
        raise Http404
    device = Device.objects.in_community(community).filter(label=label.upper()[:20]).first()
    if device is None:
        raise Http404
    return render(
        request,
        "lending/device_return.html",
        {
            "device": device,
            "owner": documents.property_line(community.name),
            "place": selectors.return_place(device=device),
        },
    )
