"""Statements per period: the figures (opening and closing balance, every transfer with the
running balance, totals) and the same as a PDF to print or keep.

Days are whole days in the community's time zone (Europe/Brussels), both included. The opening
balance is the account's balance after its last transfer before the first day; each line's
balance is the one stored on the transfer, so the statement shows exactly what the ledger
holds and a line that does not follow from the one before would show it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.ledger import selectors
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.numbers import format_account_number
from buurtkit.ledger.rules import display_name

MAX_LINES = 5_000  # a longer statement is refused: choose a shorter period


@dataclass(frozen=True)
class Statement:
    account: Account
    date_from: date
    date_to: date
    opening: int
    closing: int
    total_in: int
    total_out: int
    lines: list[Transfer]  # annotated by ``selectors.account_lines`` (change, balance_after, …)


def statement(
    *, actor: Actor, account_id: int, date_from: date | None = None, date_to: date | None = None
) -> Statement:
    """One account's statement for a period; without dates, from its opening until today."""
    account = selectors.account_get(actor=actor, account_id=account_id)
    zone = timezone.get_default_timezone()
    if date_to is None:
        date_to = selectors.local_today()
    if date_from is None:
        date_from = min(timezone.localtime(account.created_at, zone).date(), date_to)
    if date_from > date_to:
        msg = _("The start date is after the end date.")
        raise ValidationFailed(msg, fields={"from": msg})
    before = selectors.account_lines(
        actor=actor, account_id=account.pk, date_to=date_from - timedelta(days=1)
    ).first()  # newest first: the last transfer before the period
    opening = int(before.balance_after) if before is not None else 0  # type: ignore[attr-defined]
    lines = list(
        selectors.account_lines(
            actor=actor,
            account_id=account.pk,
            date_from=date_from,
            date_to=date_to,
            newest_first=False,
        )[: MAX_LINES + 1]
    )
    if len(lines) > MAX_LINES:
        msg = _("This period has too many payments for one statement. Choose a shorter period.")
        raise ValidationFailed(msg, fields={"from": msg})
    changes = [int(t.change) for t in lines]  # type: ignore[attr-defined]
    return Statement(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        closing=int(lines[-1].balance_after) if lines else opening,  # type: ignore[attr-defined]
        total_in=sum(c for c in changes if c > 0),
        total_out=-sum(c for c in changes if c < 0),
        lines=lines,
    )


@dataclass(frozen=True)
class StatementPdf:
    filename: str
    content: bytes


def statement_pdf(
    *, actor: Actor, account_id: int, date_from: date | None = None, date_to: date | None = None
) -> StatementPdf:
    """The statement as an A4 PDF in the current language; amounts in major units."""
    found = statement(actor=actor, account_id=account_id, date_from=date_from, date_to=date_to)
    name = (
        f"statement-{found.account.number}-{found.date_from:%Y-%m-%d}-{found.date_to:%Y-%m-%d}.pdf"
    )
    return StatementPdf(filename=name, content=_render(actor, found))


# --- the PDF --------------------------------------------------------------------------------


def _render(actor: Actor, found: Statement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    account = found.account
    currency = account.currency
    language = (get_language() or "nl")[:2]
    zone = timezone.get_default_timezone()

    def amount(minor: int) -> str:
        return selectors.format_amount(currency, minor)

    def day(value: date) -> str:
        return date_format(value, "DATE_FORMAT")

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    right = small.clone("right", alignment=2)

    def text(value: str, style: Any = small) -> Any:
        return Paragraph(escape(value), style)

    story: list[Any] = [
        Paragraph(escape(actor.community.name), styles["Heading3"]),
        Paragraph(escape(_("Statement")), styles["Title"]),
        Table(
            [
                [_("Account"), account.name],
                [_("Account number"), format_account_number(account.number)],
                [
                    _("Period"),
                    _("%(start)s to %(end)s")
                    % {"start": day(found.date_from), "end": day(found.date_to)},
                ],
                [_("Amounts in"), currency.name(language)],
                [_("Opening balance"), amount(found.opening)],
            ],
            colWidths=[40 * mm, 130 * mm],
            hAlign="LEFT",
            style=TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]),
        ),
        Spacer(1, 6 * mm),
    ]
    header = [_("Date"), _("Description"), _("Other account"), _("In"), _("Out"), _("Balance")]
    rows: list[list[Any]] = [[text(h, right if i >= 3 else small) for i, h in enumerate(header)]]
    for t in found.lines:
        change = int(t.change)  # type: ignore[attr-defined]
        rows.append(
            [
                text(timezone.localtime(t.at, zone).strftime("%d-%m-%Y %H:%M")),
                text(t.description or t.get_kind_display()),
                text(
                    f"{display_name(t.other_name, t.other_role)} "  # type: ignore[attr-defined]
                    f"({format_account_number(t.other_number)})"  # type: ignore[attr-defined]
                ),
                text(amount(change) if change > 0 else "", right),
                text(amount(-change) if change < 0 else "", right),
                text(amount(int(t.balance_after)), right),  # type: ignore[attr-defined]
            ]
        )
    if not found.lines:
        rows.append([text(_("No payments in this period.")), "", "", "", "", ""])
    rows.append(
        [
            text(_("Totals")),
            "",
            "",
            text(amount(found.total_in), right),
            text(amount(found.total_out), right),
            "",
        ]
    )
    table = Table(
        rows,
        colWidths=[27 * mm, 50 * mm, 45 * mm, 16 * mm, 16 * mm, 20 * mm],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            ([] if found.lines else [("SPAN", (0, 1), (-1, 1))])
            + [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Table(
            [[_("Closing balance"), amount(found.closing)]],
            colWidths=[40 * mm, 130 * mm],
            hAlign="LEFT",
            style=TableStyle([("FONTNAME", (0, 0), (-1, -1), "Helvetica-Bold")]),
        ),
    ]
    out = io.BytesIO()
    title = _("Statement %(number)s") % {"number": format_account_number(account.number)}
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author=actor.community.name,
    )

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(
            18 * mm,
            8 * mm,
            f"{title} · {day(found.date_from)} – {day(found.date_to)} · "
            + _("page %(n)d") % {"n": doc.page},
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
