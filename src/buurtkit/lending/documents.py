"""The device bank's printed papers, as PDF: erasure certificates, the donor's receipt and the
sheet of QR labels to stick on the devices.

An erasure certificate is drawn from one append-only wipe event and the device's facts only (no
"printed on" date), with reportlab's invariant mode: the same event gives the same bytes every
time, so a certificate handed to a donor can be checked against a new copy. Its number follows
from the device and the event's number (``EC-DB-000123-002``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import segno
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from buurtkit.lending.models import Device, DeviceEvent, Donation

MARGIN = 20 * mm
#: The label sheet: 3 × 8 labels of 70 × 37 mm on A4 (a common sheet of sticky labels).
LABEL_COLUMNS, LABEL_ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm


def certificate_number(event: DeviceEvent) -> str:
    return f"EC-{event.device.label}-{event.seq:03d}"


def _canvas(buffer: io.BytesIO, title: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("buurtkit")
    return canvas


def _text(
    canvas: Canvas, text: str, x: float, y: float, font: str, size: float, width: float
) -> float:
    """Write ``text`` wrapped to ``width``; returns the y below it."""
    canvas.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        canvas.drawString(x, y, line)
        y -= size * 1.35
    return y


def _facts(canvas: Canvas, rows: Sequence[tuple[str, str]], y: float, width: float) -> float:
    """A two-column table of (name, value); returns the y below it."""
    key_w = 60 * mm
    for name, value in rows:
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN, y, name)
        y = min(y, _text(canvas, value or "—", MARGIN + key_w, y, "Helvetica", 11, width - key_w))
        y -= 2 * mm
    return y


def _day(value: date | str) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return str(formats.date_format(value, "j F Y"))


def _donor(donation: Donation | None) -> str:
    if donation is None:
        return ""
    return donation.donor.name if donation.donor_id else donation.donor_name


def _device_name(device: Device) -> str:
    return " ".join(
        part for part in (device.get_kind_display(), device.brand, device.model) if part
    )


# --- erasure certificates ---------------------------------------------------------------------


def _certificate_page(canvas: Canvas, community: str, event: DeviceEvent) -> None:
    device = event.device
    evidence: dict[str, Any] = event.data or {}
    width = A4[0] - 2 * MARGIN
    y = A4[1] - MARGIN - 8 * mm
    y = _text(canvas, _("Certificate of data erasure"), MARGIN, y, "Helvetica-Bold", 22, width)
    y = _text(
        canvas, _("Digibank %(community)s") % {"community": community}, MARGIN, y - 1 * mm,
        "Helvetica", 14, width,
    )  # fmt: skip
    y = _text(
        canvas,
        _("Certificate number: %(number)s") % {"number": certificate_number(event)},
        MARGIN,
        y - 4 * mm,
        "Helvetica-Bold",
        12,
        width,
    )
    y = _text(
        canvas,
        _(
            "We declare that all data on the device below was erased before it was given to "
            "anyone else, as recorded in the device's history."
        ),
        MARGIN,
        y - 6 * mm,
        "Helvetica",
        11,
        width,
    )
    y -= 6 * mm
    y = _text(canvas, _("The device"), MARGIN, y, "Helvetica-Bold", 14, width) - 2 * mm
    y = _facts(
        canvas,
        [
            (_("Label number"), device.label),
            (_("Kind"), str(device.get_kind_display())),
            (_("Brand"), device.brand),
            (_("Model"), device.model),
            (_("Serial number"), device.serial),
            (_("Donated by"), _donor(device.donation)),
        ],
        y,
        width,
    )
    y -= 4 * mm
    y = _text(canvas, _("The erasure"), MARGIN, y, "Helvetica-Bold", 14, width) - 2 * mm
    y = _facts(
        canvas,
        [
            (_("Method"), str(evidence.get("method", ""))),
            (_("Tool"), str(evidence.get("tool", ""))),
            (_("Done by"), str(evidence.get("operator", ""))),
            (_("Date"), _day(str(evidence.get("wiped_on", "")))),
            (
                _("Recorded"),
                f"{formats.date_format(localtime(event.at), 'j F Y H:i')} · {event.actor_label}",
            ),
        ],
        y,
        width,
    )
    canvas.setFont("Helvetica", 8)
    canvas.drawString(
        MARGIN,
        MARGIN,
        _("Step %(seq)d in the history of device %(label)s. This certificate is not changed later.")
        % {"seq": event.seq, "label": device.label},
    )
    canvas.showPage()


def erasure_certificates_pdf(*, community: str, events: Sequence[DeviceEvent]) -> bytes:
    """One page per wipe event: a device's certificate, or all of a donation's for the donor."""
    buffer = io.BytesIO()
    title = certificate_number(events[0]) if len(events) == 1 else _("Certificates of data erasure")
    canvas = _canvas(buffer, title)
    for event in events:
        _certificate_page(canvas, community, event)
    if not events:
        _text(
            canvas, _("No device of this donation was wiped yet."), MARGIN, A4[1] - MARGIN,
            "Helvetica", 12, A4[0] - 2 * MARGIN,
        )  # fmt: skip
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the donor's receipt ----------------------------------------------------------------------


def donation_receipt_pdf(*, community: str, donation: Donation, devices: Sequence[Device]) -> bytes:
    buffer = io.BytesIO()
    canvas = _canvas(buffer, _("Receipt for donated devices"))
    width = A4[0] - 2 * MARGIN
    y = A4[1] - MARGIN - 8 * mm
    y = _text(canvas, _("Receipt for donated devices"), MARGIN, y, "Helvetica-Bold", 22, width)
    y = _text(
        canvas, _("Digibank %(community)s") % {"community": community}, MARGIN, y - 1 * mm,
        "Helvetica", 14, width,
    )  # fmt: skip
    y -= 4 * mm
    counts: dict[str, int] = {}
    for device in devices:
        kind = str(device.get_kind_display())
        counts[kind] = counts.get(kind, 0) + 1
    y = _facts(
        canvas,
        [
            (_("Donor"), _donor(donation)),
            (_("Received on"), _day(donation.received_on)),
            (_("Donation number"), f"DON-{donation.pk:06d}"),
            (_("Devices"), ", ".join(f"{n} × {kind}" for kind, n in sorted(counts.items()))),
        ],
        y,
        width,
    )
    y = _text(
        canvas,
        _(
            "Thank you! With your devices, residents who have no computer or tablet can get "
            "online. Every device is wiped before anyone else receives it; you can ask for "
            "the certificates of data erasure."
        ),
        MARGIN,
        y - 4 * mm,
        "Helvetica",
        11,
        width,
    )
    y -= 6 * mm
    columns = [(_("Label number"), 0), (_("Device"), 36 * mm), (_("Serial number"), 112 * mm)]

    def header(y: float) -> float:
        canvas.setFont("Helvetica-Bold", 10)
        for name, x in columns:
            canvas.drawString(MARGIN + x, y, name)
        return y - 5 * mm

    y = header(y)
    for device in devices:
        if y < MARGIN:
            canvas.showPage()
            y = header(A4[1] - MARGIN)
        canvas.setFont("Helvetica", 10)
        for (_name, x), value in zip(
            columns, (device.label, _device_name(device)[:45], device.serial or "—"), strict=True
        ):
            canvas.drawString(MARGIN + x, y, value)
        y -= 5 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- QR labels --------------------------------------------------------------------------------


def property_line(community: str) -> str:
    return _("Property of the digibank %(community)s") % {"community": community}


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """``url`` as a QR code (vector squares) with its lower-left corner at (x, y)."""
    matrix = segno.make(url, error="m", micro=False).matrix
    n = len(matrix) + 4  # two modules of quiet zone on each side
    cell = size / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 2) * cell, y + size - (r + 3) * cell, cell, cell, 0, 1)


def label_sheet_pdf(*, community: str, labels: Sequence[tuple[Device, str]]) -> bytes:
    """Sheets of 3 × 8 labels: the QR code (``scan URL``), the label number big, "property of"."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, _("QR labels"))
    left = (A4[0] - LABEL_COLUMNS * LABEL_W) / 2
    top = (A4[1] + LABEL_ROWS * LABEL_H) / 2
    per_page = LABEL_COLUMNS * LABEL_ROWS
    owner = property_line(community)
    for i, (device, url) in enumerate(labels):
        if i and i % per_page == 0:
            canvas.showPage()
        slot = i % per_page
        x = left + (slot % LABEL_COLUMNS) * LABEL_W
        y = top - (slot // LABEL_COLUMNS + 1) * LABEL_H
        pad = 2.5 * mm
        side = LABEL_H - 2 * pad
        _qr(canvas, url, x + pad, y + pad, side)
        text_x = x + pad + side + 1.5 * mm
        text_w = LABEL_W - side - 2 * pad - 1.5 * mm
        size = 14.0
        while stringWidth(device.label, "Helvetica-Bold", size) > text_w and size > 8:
            size -= 0.5
        canvas.setFont("Helvetica-Bold", size)
        canvas.drawString(text_x, y + LABEL_H - pad - size, device.label)
        line_y = y + LABEL_H - pad - size - 4 * mm
        line_y = _text(canvas, owner, text_x, line_y, "Helvetica", 6.5, text_w)
        _text(
            canvas, _("Found it? Scan the code."), text_x, line_y - 1 * mm, "Helvetica", 6.5,
            text_w,
        )  # fmt: skip
        canvas.setFont("Helvetica", 6)
        canvas.drawString(text_x, y + pad, _device_name(device)[:30])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
