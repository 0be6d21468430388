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
