"""The attendance list of a session as an A4 PDF, with a column to sign: the evidence the
funder asks for (signed on paper, entered afterwards)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from buurtkit.core.texts import translated

BRUSSELS = ZoneInfo("Europe/Brussels")
MARGIN = 16 * mm
ROW = 9 * mm


def attendance_pdf(*, session: Any, registrations: Sequence[Any], language: str) -> bytes:
    """One row per person expected (name, a box for "came", a signature column), and empty
    rows for people who walk in."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    title = translated(session.series.title, language)
    starts = session.starts_at.astimezone(BRUSSELS)
    when = f"{formats.date_format(starts, 'l j F Y')} {starts:%H:%M}"
    canvas.setTitle(_("Attendance list") + f": {title}")
    width, height = A4
    columns = (MARGIN, MARGIN + 10 * mm, width - MARGIN - 75 * mm, width - MARGIN - 55 * mm)

    def header() -> float:
        y = height - MARGIN
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(MARGIN, y, _("Attendance list") + f": {title}"[:80])
        canvas.setFont("Helvetica", 11)
        canvas.drawString(MARGIN, y - 7 * mm, f"{when} · {session.place.name}")
        y -= 17 * mm
        canvas.setFont("Helvetica-Bold", 10)
        for x, label in zip(columns, ("#", _("Name"), _("Came"), _("Signature")), strict=True):
            canvas.drawString(x, y, label)
        return y - 3 * mm

    y = header()
    names = [r.person.full_name for r in registrations] + [""] * 5  # walk-ins
    for n, name in enumerate(names, start=1):
        if y < MARGIN + ROW:
            canvas.showPage()
            y = header()
        canvas.setFont("Helvetica", 11)
        canvas.line(MARGIN, y - ROW + 2 * mm, width - MARGIN, y - ROW + 2 * mm)
        canvas.drawString(columns[0], y - ROW + 4 * mm, str(n))
        canvas.drawString(columns[1], y - ROW + 4 * mm, name[:45])
        canvas.rect(columns[2], y - ROW + 3.5 * mm, 4 * mm, 4 * mm)
        y -= ROW
    canvas.save()
    return buffer.getvalue()


# --- the monthly brochure (act-figures) ------------------------------------------------------


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """``url`` as a QR code with its lower-left corner at (x, y), ``size`` wide."""
    import segno

    matrix = segno.make(url, error="m", micro=False).matrix
    n = len(matrix) + 8  # four modules of quiet zone on each side
    cell = size / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 4) * cell, y + size - (r + 5) * cell, cell, cell, 0, 1)


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return simpleSplit(text, font, size, width) or [""]


def _what(series: Any, language: str) -> str:
    """What it is, in plain words: the kind, the topic, the level, the price."""
    from django.utils.text import capfirst

    parts = [capfirst(str(series.get_kind_display()))]
    if series.category_id:
        parts.append(translated(series.category.name, language) or series.category.key)
    if series.level == "long":
        parts.append(_("a longer course, we repeat a lot"))
    if series.price_cents:
        euros = series.price_cents / 100
        parts.append(_("%(price)s euro") % {"price": f"{euros:.2f}".replace(".", ",")})
    else:
        parts.append(_("free"))
    if series.whole_series:
        parts.append(_("you sign up for all the sessions together"))
    return " · ".join(parts)


def brochure_pdf(
    *, community: Any, month: Any, sessions: Sequence[Any], language: str, portal_url: str
) -> bytes:
    """The programme of a month on A4 to print and hand out: by week and day, each session with
    its time, place, what it is and the place's phone number; how to sign up (online, the
    address and a QR code to the programme; by phone; at a digipunt) at the top."""
    from datetime import timedelta

    from django.utils import translation
    from django.utils.text import capfirst

    with translation.override(language):
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        month_name = formats.date_format(month, "F Y")
        title = _("Courses and IT cafés in %(month)s") % {"month": month_name}
        continued = _("continued")
        canvas.setTitle(title)
        canvas.setAuthor(community.name)
        canvas.setSubject(portal_url)  # the address the QR code holds, readable by tools
        width, height = A4
        text_w = width - 2 * MARGIN
        y = height - MARGIN - 4 * mm

        def write(text: str, font: str, size: float, indent: float = 0) -> None:
            nonlocal y
            canvas.setFont(font, size)
            for line in _lines(text, font, size, text_w - indent):
                canvas.drawString(MARGIN + indent, y, line)
                y -= size * 1.35

        def room(needed: float) -> None:
            nonlocal y
            if y - needed < MARGIN:
                canvas.showPage()
                y = height - MARGIN - 4 * mm
                canvas.setFont("Helvetica", 10)
                canvas.drawString(MARGIN, y, f"{title} ({continued})")
                y -= 10 * mm

        write(title, "Helvetica-Bold", 22)
        write(community.name, "Helvetica", 14)
        y -= 3 * mm
        # How to sign up, beside the QR code to the programme online.
        qr_size = 38 * mm
        box_top = y
        _qr(canvas, portal_url, width - MARGIN - qr_size, y - qr_size + 4 * mm, qr_size)
        text_w -= qr_size + 6 * mm
        write(_("How to sign up"), "Helvetica-Bold", 14)
        phones = sorted({s.place.phone for s in sessions if s.place.phone})
        how = [
            _("Online: scan the code or go to %(address)s") % {"address": portal_url},
            _("By phone: call the place where the activity is (the number is with each one).")
            if phones
            else _("By phone: call the digipunt."),
            _("At a digipunt: we sign you up and help you."),
            _("Bring nothing. Most activities are free."),
        ]
        for line in how:
            canvas.circle(MARGIN + 1.5 * mm, y + 1.3 * mm, 0.9 * mm, stroke=0, fill=1)
            write(line, "Helvetica", 11, indent=5 * mm)
        y = min(y, box_top - qr_size) - 6 * mm
        text_w += qr_size + 6 * mm
        if not sessions:
            write(_("Nothing is planned this month yet. Look online or ask at a digipunt."),
                  "Helvetica", 12)  # fmt: skip
        week = None
        day = None
        for session in sessions:
            starts = session.starts_at.astimezone(BRUSSELS)
            ends = session.ends_at.astimezone(BRUSSELS)
            monday = starts.date() - timedelta(days=starts.weekday())
            if monday != week:
                week = monday
                room(30 * mm)
                y -= 2 * mm
                canvas.setFillColorRGB(0.9, 0.9, 0.9)
                canvas.rect(MARGIN, y - 2.5 * mm, text_w, 8 * mm, 0, 1)
                canvas.setFillColorRGB(0, 0, 0)
                write(
                    _("Week of %(day)s") % {"day": formats.date_format(monday, "j F")},
                    "Helvetica-Bold",
                    13,
                )
                y -= 2 * mm
            if starts.date() != day:
                day = starts.date()
                room(24 * mm)
                write(capfirst(formats.date_format(day, "l j F")), "Helvetica-Bold", 12)
            room(18 * mm)
            series = session.series
            place = session.place
            write(
                f"{starts:%H:%M}–{ends:%H:%M}  {translated(series.title, language)}",
                "Helvetica-Bold",
                11,
                indent=4 * mm,
            )
            write(_what(series, language), "Helvetica", 10, indent=4 * mm)
            where = ", ".join(p for p in (place.name, place.street) if p)
            if place.phone:
                where += " · " + _("phone %(phone)s") % {"phone": place.phone}
            write(where, "Helvetica", 10, indent=4 * mm)
            y -= 2 * mm
        canvas.save()
        return buffer.getvalue()
