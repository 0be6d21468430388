"""The counter sticker of a shop (or any payable account): one A6 page to print and stick on
the counter, with the shop's name, the QR code that pays it, its account number (the pay page
asks for "the number on the shop's sticker") and one line saying what to do."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _

from buurtkit.ledger.models import Account
from buurtkit.ledger.numbers import format_account_number
from buurtkit.qrcodes.codes import readable

A6 = (105.0, 148.0)  # mm
MM = 72 / 25.4


def instruction() -> str:
    """The one line on the sticker (also a test's anchor)."""
    return _("Pay with torekes: scan the code, or type the account number on the pay page.")


def counter_sticker_pdf(*, account: Account, code_value: str, scan_url: str) -> bytes:
    """The sticker as PDF bytes: name, QR code, account number, instruction, code id."""
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    width, height = A6[0] * MM, A6[1] * MM
    margin = 8 * MM
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height))
    canvas.setTitle(account.name)
    canvas.setCreator("buurtkit")

    def centred(text: str, y: float, font: str, size: float) -> None:
        canvas.setFont(font, size)
        canvas.drawString((width - stringWidth(text, font, size)) / 2, y, text)

    y = height - margin - 16
    for line in simpleSplit(account.name, "Helvetica-Bold", 16, width - 2 * margin)[:2]:
        centred(line, y, "Helvetica-Bold", 16)
        y -= 20
    png = io.BytesIO()
    segno.make(scan_url, error="m").save(png, kind="png", scale=10, border=2)
    png.seek(0)
    side = width - 2 * margin - 16 * MM
    y -= side + 2
    canvas.drawImage(ImageReader(png), (width - side) / 2, y, side, side)
    y -= 18
    centred(_("Account number"), y, "Helvetica", 10)
    y -= 22
    centred(format_account_number(account.number), y, "Courier-Bold", 20)
    y -= 22
    for line in simpleSplit(instruction(), "Helvetica", 10, width - 2 * margin):
        centred(line, y, "Helvetica", 10)
        y -= 13
    centred(readable(code_value), margin, "Courier", 7)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
