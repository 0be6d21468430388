"""A4 posters: the community's "where to get help" list, or one place with its week, each
with a QR code to the live page (so a poster never goes stale: the hours are online)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import segno
from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from buurtkit.core import clock

MARGIN = 18 * mm


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw ``url`` as a QR code with its lower-left corner at (x, y), ``size`` wide."""
    matrix = segno.make(url, error="m", micro=False).matrix
    n = len(matrix) + 8  # four modules of quiet zone on each side
    cell = size / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 4) * cell, y + size - (r + 5) * cell, cell, cell, 0, 1)


def _text(
    canvas: Canvas, text: str, x: float, y: float, font: str, size: float, width: float
) -> float:
    """Write ``text`` wrapped to ``width``; returns the y below it."""
    canvas.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        canvas.drawString(x, y, line)
        y -= size * 1.3
    return y


def _hours(period: Any) -> str:
    text = f"{period.opens:%H:%M} – {period.closes:%H:%M}"
    return text + (" " + _("(drop-in help)") if period.drop_in else "")


def directory_poster(
    *, community: str, url: str, entries: Sequence[Any], municipality: str = ""
) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Help with computers and the internet"))
    canvas.setSubject(url)  # the address the QR code holds, readable by tools and tests
    width, height = A4
    text_width = width - 2 * MARGIN
    y = height - MARGIN - 10 * mm
    y = _text(
        canvas,
        _("Help with computers and the internet"),
        MARGIN,
        y,
        "Helvetica-Bold",
        26,
        text_width,
    )
    subtitle = f"{community} · {municipality}" if municipality else community
    y = _text(canvas, subtitle, MARGIN, y - 2 * mm, "Helvetica", 16, text_width)
    y = _text(
        canvas,
        _("Free. Come by, no appointment needed during drop-in help."),
        MARGIN,
        y - 2 * mm,
        "Helvetica",
        14,
        text_width,
    )
    y -= 6 * mm
    qr_size = 55 * mm
    list_width = text_width - qr_size - 8 * mm
    for entry in entries:
        place = entry.place
        if y < MARGIN + 30 * mm:
            canvas.showPage()
            y = height - MARGIN
        y = _text(canvas, place.name, MARGIN, y, "Helvetica-Bold", 14, list_width)
        address = ", ".join(
            p
            for p in (
                place.street,
                f"{place.postcode} {place.municipality.name if place.municipality_id else ''}".strip(),
            )
            if p
        )
        y = _text(canvas, address, MARGIN, y, "Helvetica", 12, list_width)
        days = []
        for day, periods, _closed in entry.week:
            if periods:
                days.append(f"{WEEKDAYS[day.weekday()]} " + ", ".join(_hours(p) for p in periods))
        y = _text(
            canvas,
            "; ".join(days) or _("Opening hours: see the website."),
            MARGIN,
            y,
            "Helvetica",
            11,
            list_width,
        )
        if place.phone:
            y = _text(
                canvas,
                _("Phone: %(phone)s") % {"phone": place.phone},
                MARGIN,
                y,
                "Helvetica",
                11,
                list_width,
            )
        y -= 4 * mm
    _qr(canvas, url, width - MARGIN - qr_size, MARGIN + 10 * mm, qr_size)
    canvas.setFont("Helvetica", 11)
    canvas.drawRightString(width - MARGIN, MARGIN + 5 * mm, _("Scan for today's hours"))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def place_poster(*, community: str, url: str, place: Any, week: Sequence[Any]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(place.name)
    canvas.setSubject(url)  # the address the QR code holds, readable by tools and tests
    width, height = A4
    text_width = width - 2 * MARGIN
    y = height - MARGIN - 10 * mm
    y = _text(canvas, place.name, MARGIN, y, "Helvetica-Bold", 30, text_width)
    y = _text(
        canvas,
        _("Help with computers and the internet"),
        MARGIN,
        y - 2 * mm,
        "Helvetica",
        18,
        text_width,
    )
    address = ", ".join(
        p
        for p in (
            place.street,
            f"{place.postcode} {place.municipality.name if place.municipality_id else ''}".strip(),
        )
        if p
    )
    y = _text(canvas, address, MARGIN, y - 2 * mm, "Helvetica", 14, text_width)
    y -= 8 * mm
    y = _text(canvas, _("Opening hours"), MARGIN, y, "Helvetica-Bold", 18, text_width)
    for day, periods, closed in week:
        label = str(WEEKDAYS[day.weekday()])
        if closed is not None:
            hours = _("closed") + (f" ({closed})" if closed else "")
        elif periods:
            hours = ", ".join(_hours(p) for p in periods)
        else:
            hours = _("closed")
        canvas.setFont("Helvetica-Bold", 15)
        canvas.drawString(MARGIN, y, label)
        canvas.setFont("Helvetica", 15)
        canvas.drawString(MARGIN + 40 * mm, y, hours)
        y -= 9 * mm
    y -= 4 * mm
    facts = []
    if place.wheelchair:
        facts.append(_("Wheelchair accessible"))
    if place.hearing_loop:
        facts.append(_("Hearing loop"))
    if place.internet != "none":
        facts.append(_("Internet"))
    if place.printer:
        facts.append(_("Printer"))
    if facts:
        y = _text(canvas, " · ".join(facts), MARGIN, y, "Helvetica", 13, text_width)
    if place.phone:
        y = _text(
            canvas,
            _("Phone: %(phone)s") % {"phone": place.phone},
            MARGIN,
            y,
            "Helvetica",
            13,
            text_width,
        )
    qr_size = 60 * mm
    _qr(canvas, url, width - MARGIN - qr_size, MARGIN + 10 * mm, qr_size)
    canvas.setFont("Helvetica", 12)
    canvas.drawRightString(width - MARGIN, MARGIN + 5 * mm, _("Scan for holidays and changes"))
    printed = formats.date_format(clock.now(), "SHORT_DATE_FORMAT")
    canvas.drawString(MARGIN, MARGIN + 5 * mm, _("Printed on %(date)s") % {"date": printed})
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
