"""Reservations and check-ins behind codes.

Staff (under ``/<slug>/qr/``): bookable resources with their slots and the day's bookings
(mark who came, cancel, export), entrances with "who is in the building now" (check out,
register this tablet as the entrance's kiosk).

Public, phone first, no login (under ``/<slug>/``): book a time (``book/<id>/``), the booking's
own page behind its secret link (``booking/<token>/``: cancel, check in at the slot), and the
entrance's check-in page (``checkin/<id>/``). Posts are limited per address, except on a tablet
that staff registered as a kiosk for that code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buurtkit.core import exports
from buurtkit.core.apitools import actor_of, actor_or_none
from buurtkit.core.errors import ServiceError, ValidationFailed
from buurtkit.qrcodes import selectors, services
from buurtkit.qrcodes.routing import BRUSSELS
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.messages import flash

VISIT_COOKIE = "bk_visit_{point}"
VISIT_COOKIE_AGE = 24 * 3600


def _errors(exc: ServiceError) -> dict[str, str]:
    return {k: str(v) for k, v in exc.fields.items()} or {"": str(exc.detail)}


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _day(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return selectors.local_today()


def _time(value: str, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        message = _("Write times as HH:MM, for example 08:30.")
        raise ValidationFailed(message, fields={field: message}) from None


def _code_id(actor: Any, text: str) -> int | None:
    """The code typed as printed (7KM-3QX-9TD) or its vanity name; empty: none."""
    if not text:
        return None
    try:
        return selectors.code_by_public_id(actor=actor, text=text).pk
    except ServiceError:
        message = _("No QR code of this community reads like this.")
        raise ValidationFailed(message, fields={"code": message}) from None


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _kiosk(request: HttpRequest) -> str:
    return request.COOKIES.get(services.KIOSK_COOKIE, "")


# --- staff: resources -----------------------------------------------------------------------


@community_page("qrcodes.view")
@require_http_methods(["GET", "POST"])
def resource_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    errors: dict[str, str] = {}
    values = {"name": "", "capacity": "1", "keep_days": "14", "code": ""}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            resource = services.resource_create(
                actor=actor,
                name=values["name"],
                capacity=_int(values["capacity"]) or 0,
                keep_days=_int(values["keep_days"]) or 0,
                code_id=_code_id(actor, values["code"]),
            )
        except ServiceError as exc:
            errors, status = _errors(exc), exc.status
        else:
            flash(request, _("The resource has been added. Now add its time slots."))
            return redirect("web:qr_resource", slug=actor.community.slug, resource_id=resource.pk)
    return render(
        request,
        "qrcodes/staff/resources.html",
        {
            "resources": selectors.resources_list(actor=actor),
            "can_manage": actor.has("qrcodes.manage"),
            "values": values,
            "errors": errors,
        },
        status=status,
    )


@community_page("qrcodes.view")
@require_http_methods(["GET", "POST"])
def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    actor = actor_of(request)
    resource = selectors.resource_get(actor=actor, resource_id=resource_id)
    day = _day(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "slots":
                day = dt.date.fromisoformat(request.POST.get("day", "") or day.isoformat())
                made = services.slots_add(
                    actor=actor,
                    resource_id=resource.pk,
                    day=day,
                    start=_time(request.POST.get("start", ""), "start"),
                    end=_time(request.POST.get("end", ""), "end"),
                    minutes=_int(request.POST.get("minutes")) or 0,
                )
                flash(request, _("%(n)s time slots added.") % {"n": len(made)})
            elif op in ("came", "cancel", "book"):
                booking_id = _int(request.POST.get("booking"))
                if op == "came" and booking_id:
                    services.booking_check_in(actor=actor, booking_id=booking_id)
                    flash(request, _("Marked as come."))
                elif op == "cancel" and booking_id:
                    services.booking_cancel(actor=actor, booking_id=booking_id)
                    flash(request, _("The booking is cancelled; the place is free again."))
                elif op == "book":
                    services.booking_create(
                        community=actor.community,
                        actor=actor,
                        slot_id=_int(request.POST.get("slot")) or 0,
                        name=request.POST.get("name", ""),
                        contact=request.POST.get("contact", ""),
                        idempotency_key=request.POST.get("idempotency_key", ""),
                    )
                    flash(request, _("Booked."))
            elif op == "settings":
                services.resource_update(
                    actor=actor,
                    resource_id=resource.pk,
                    code_id=_code_id(actor, request.POST.get("code", "").strip()),
                    keep_days=_int(request.POST.get("keep_days")) or 0,
                    active=bool(request.POST.get("active")),
                )
                flash(request, _("Saved."))
        except (ServiceError, ValueError) as exc:
            if isinstance(exc, ServiceError):
                errors, status = _errors(exc), exc.status
            else:
                errors, status = {"day": _("Write dates as YYYY-MM-DD.")}, 422
        else:
            return redirect(
                f"{request.path}?day={day.isoformat()}",
            )
    can_read = actor.has("qrcodes.submissions")
    slots = list(selectors.slots_list(actor=actor, resource_id=resource.pk, day=day))
    bookings = (
        list(selectors.bookings_list(actor=actor, resource_id=resource.pk, day=day))
        if can_read
        else []
    )
    for slot in slots:
        slot.local = slot.starts_at.astimezone(BRUSSELS)  # type: ignore[attr-defined]
    for booking in bookings:
        booking.local = booking.slot.starts_at.astimezone(BRUSSELS)  # type: ignore[attr-defined]
    return render(
        request,
        "qrcodes/staff/resource.html",
        {
            "resource": resource,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "slots": slots,
            "bookings": bookings,
            "can_manage": actor.has("qrcodes.manage"),
            "can_read": can_read,
            "errors": errors,
            "idempotency_key": uuid.uuid4().hex,
        },
        status=status,
    )


def _export(request: HttpRequest, resource_id: int, fmt: str) -> HttpResponse:
    actor = actor_of(request)
    resource = selectors.resource_get(actor=actor, resource_id=resource_id)
    day = _day(request)
    rows = selectors.booking_rows(actor=actor, resource_id=resource.pk, day=day)
    filename = f"bookings-{resource.pk}-{day.isoformat()}.{fmt}"
    if fmt == "csv":
        return exports.csv_response(rows, filename=filename)
    return exports.xlsx_response(rows, filename=filename, sheet_title=_("Bookings"))


@community_page("qrcodes.submissions")
def resource_csv(request: HttpRequest, resource_id: int) -> HttpResponse:
    """The day's bookings (``?day=``) as CSV, through core.exports."""
    return _export(request, resource_id, "csv")


@community_page("qrcodes.submissions")
def resource_xlsx(request: HttpRequest, resource_id: int) -> HttpResponse:
    """The day's bookings (``?day=``) as an Excel sheet, through core.exports."""
    return _export(request, resource_id, "xlsx")


# --- staff: entrances -------------------------------------------------------------------------


@community_page("qrcodes.view")
@require_http_methods(["GET", "POST"])
def point_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    errors: dict[str, str] = {}
    values = {"name": "", "keep_days": "14", "code": ""}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            point = services.point_create(
                actor=actor,
                name=values["name"],
                keep_days=_int(values["keep_days"]) or 0,
                code_id=_code_id(actor, values["code"]),
            )
        except ServiceError as exc:
            errors, status = _errors(exc), exc.status
        else:
            flash(request, _("The entrance has been added."))
            return redirect("web:qr_point", slug=actor.community.slug, point_id=point.pk)
    return render(
        request,
        "qrcodes/staff/points.html",
        {
            "points": selectors.points_list(actor=actor),
            "can_manage": actor.has("qrcodes.manage"),
            "values": values,
            "errors": errors,
        },
        status=status,
    )


@community_page("qrcodes.view")
@require_http_methods(["GET", "POST"])
def point_detail(request: HttpRequest, point_id: int) -> HttpResponse:
    actor = actor_of(request)
    point = selectors.point_get(actor=actor, point_id=point_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "out":
                services.visit_check_out(actor=actor, visit_id=_int(request.POST.get("visit")))
                flash(request, _("Checked out."))
            elif op == "in":
                services.visit_check_in(
                    community=actor.community,
                    actor=actor,
                    point_id=point.pk,
                    name=request.POST.get("name", ""),
                )
                flash(request, _("Checked in."))
            elif op == "kiosk" and point.code_id:
                _kiosk_row, token = services.kiosk_register(
                    actor=actor, code_id=point.code_id, label=request.POST.get("label", "")
                )
                flash(
                    request,
                    _(
                        "This device is now the kiosk of this entrance. Open the check-in page on it."
                    ),
                )
                response = redirect("web:qr_checkin", slug=actor.community.slug, point_id=point.pk)
                response.set_cookie(
                    services.KIOSK_COOKIE,
                    token,
                    max_age=services.KIOSK_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
                return response
            elif op == "revoke":
                services.kiosk_revoke(actor=actor, kiosk_id=_int(request.POST.get("kiosk")) or 0)
                flash(request, _("The tablet is no longer a kiosk."))
            elif op == "settings":
                services.point_update(
                    actor=actor,
                    point_id=point.pk,
                    code_id=_code_id(actor, request.POST.get("code", "").strip()),
                    keep_days=_int(request.POST.get("keep_days")) or 0,
                    active=bool(request.POST.get("active")),
                )
                flash(request, _("Saved."))
        except ServiceError as exc:
            errors, status = _errors(exc), exc.status
        else:
            return redirect("web:qr_point", slug=actor.community.slug, point_id=point.pk)
    can_read = actor.has("qrcodes.submissions")
    visits = list(selectors.present(actor=actor, point_id=point.pk)) if can_read else []
    for visit in visits:
        visit.local = visit.in_at.astimezone(BRUSSELS)  # type: ignore[attr-defined]
    return render(
        request,
        "qrcodes/staff/point.html",
        {
            "point": point,
            "visits": visits,
            "count": len(visits),
            "kiosks": selectors.kiosks_list(actor=actor, code_id=point.code_id)
            if point.code_id
            else [],
            "can_manage": actor.has("qrcodes.manage"),
            "can_read": can_read,
            "errors": errors,
        },
        status=status,
    )


# --- public: book a time ------------------------------------------------------------------------


def _person_id(request: HttpRequest) -> int | None:
    actor = actor_or_none(request)
    return actor.person_id if actor is not None else None


@public_page
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, resource_id: int) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    resource = selectors.resource_public(community=community, resource_id=resource_id)
    person_id = _person_id(request)
    errors: dict[str, str] = {}
    values = {"slot": "", "name": "", "contact": "", "key": uuid.uuid4().hex}
    status = 200
    if request.method == "POST" and resource.active:
        values = {k: request.POST.get(k, "").strip() for k in values}
        if services.public_post_limited(
            _address(request),
            f"book:{community.pk}:{resource.pk}",
            kiosk=_kiosk(request),
            code_id=resource.code_id,
        ):
            errors, status = (
                {
                    "": _(
                        "You sent this form many times in a short while. Please wait a few minutes and try again."
                    )
                },
                429,
            )
        else:
            try:
                booking = services.booking_create(
                    community=community,
                    slot_id=_int(values["slot"]) or 0,
                    name=values["name"],
                    contact=values["contact"],
                    person_id=person_id,
                    idempotency_key=values["key"],
                )
            except ServiceError as exc:
                errors, status = _errors(exc), exc.status
            else:
                return redirect("web:qr_booking", slug=community.slug, booking_token=booking.token)
    slots = list(selectors.free_slots(community=community, resource_id=resource.pk))
    for slot in slots:
        slot.local = slot.starts_at.astimezone(BRUSSELS)  # type: ignore[attr-defined]
        slot.free = slot.capacity - slot.booked  # type: ignore[attr-defined]
    return render(
        request,
        "qrcodes/book.html",
        {
            "resource": resource,
            "slots": slots,
            "values": values,
            "errors": errors,
            "signed_in": person_id is not None,
        },
        status=status,
    )


@public_page
@require_http_methods(["GET", "POST"])
def booking_page(request: HttpRequest, booking_token: str) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    booking = selectors.booking_by_token(community=community, token=booking_token)
    error = ""
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "cancel":
                services.booking_cancel(community=community, token=booking.token)
            elif op == "check_in":
                services.booking_check_in(community=community, token=booking.token)
        except ServiceError as exc:
            error, status = str(exc.detail), exc.status
        else:
            return redirect("web:qr_booking", slug=community.slug, booking_token=booking.token)
    booking.refresh_from_db()
    return render(
        request,
        "qrcodes/booking.html",
        {
            "booking": booking,
            "resource": booking.resource,
            "local": booking.slot.starts_at.astimezone(BRUSSELS),
            "local_end": booking.slot.ends_at.astimezone(BRUSSELS),
            "link": request.build_absolute_uri(),
            "error": error,
        },
        status=status,
    )


# --- public: check in at an entrance -------------------------------------------------------------


@public_page
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, point_id: int) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    point = selectors.point_public(community=community, point_id=point_id)
    cookie = VISIT_COOKIE.format(point=point.pk)
    kiosk = services.kiosk_allows(_kiosk(request), point.code_id)
    mine = (
        None
        if kiosk
        else selectors.visit_by_token(community=community, token=request.COOKIES.get(cookie, ""))
    )
    if mine is not None and mine.out_at is not None:
        mine = None
    errors: dict[str, str] = {}
    status = 200
    done = ""
    if request.method == "POST" and point.active:
        op = request.POST.get("op", "in")
        if services.public_post_limited(
            _address(request),
            f"checkin:{community.pk}:{point.pk}",
            kiosk=_kiosk(request),
            code_id=point.code_id,
        ):
            errors, status = (
                {
                    "": _(
                        "You sent this form many times in a short while. Please wait a few minutes and try again."
                    )
                },
                429,
            )
        else:
            try:
                if op == "out" and kiosk:
                    services.visit_check_out(
                        community=community,
                        kiosk_point_id=point.pk,
                        visit_id=_int(request.POST.get("visit")),
                    )
                    done = _("Goodbye! You are checked out.")
                elif op == "out" and mine is not None:
                    services.visit_check_out(community=community, token=mine.token)
                    mine = None
                    done = _("Goodbye! You are checked out.")
                elif op == "in":
                    visit = services.visit_check_in(
                        community=community,
                        point_id=point.pk,
                        name=request.POST.get("name", ""),
                        person_id=_person_id(request),
                        kiosk=kiosk,
                    )
                    done = _("Welcome, %(name)s! You are checked in.") % {"name": visit.name}
                    if not kiosk:
                        mine = visit
            except ServiceError as exc:
                errors, status = _errors(exc), exc.status
    response = render(
        request,
        "qrcodes/checkin.html",
        {
            "point": point,
            "mine": mine,
            "kiosk": kiosk,
            "present": selectors.present_at_kiosk(community=community, point_id=point.pk)
            if kiosk
            else [],
            "signed_in": _person_id(request) is not None,
            "errors": errors,
            "done": done,
        },
        status=status,
    )
    if mine is not None:
        response.set_cookie(
            cookie,
            mine.token,
            max_age=VISIT_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    elif request.method == "POST" and not kiosk:
        response.delete_cookie(cookie)
    response["Cache-Control"] = "no-store"
    return response
