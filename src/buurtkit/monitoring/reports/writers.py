"""The files of a report, written from its (already suppressed) figures: XLSX with native
Excel charts (through ``core.exports``), PDF with reportlab charts, CSV for open data.

Call inside ``translation.override(language)``: headings are translated while writing.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from buurtkit.core import exports
from buurtkit.monitoring.models import ReportKind
from buurtkit.monitoring.reports.suppression import SUPPRESSED, as_number

#: A PDF draws the monthly charts of at most this many targets (the XLSX has them all).
PDF_MONTH_CHARTS = 12


def _euro(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _euro_text(cents: int) -> str:
    return f"€ {_euro(cents):,.2f}".replace(",", " ")


def _dash(value: Any) -> Any:
    return "—" if value is None or value == "" else value


def no_data_text() -> str:
    return _(
        "There are no figures for this period: nothing was recorded in these months, or the "
        "period has not started yet. This report is complete; it has nothing to count."
    )


def suppression_text() -> str:
    return _(
        "No personal data: counts of 1 to 4 are shown as “%(s)s” so that no one can be "
        "recognised; charts draw them as 0."
    ) % {"s": SUPPRESSED}


def _about(figures: dict[str, Any]) -> list[list[Any]]:
    period = figures["period"]
    rows: list[list[Any]] = [
        [figures["title"]],
        [],
        [_("Community"), figures["community"]],
        [_("Plan"), figures["plan"]["name"]],
        [_("Funder"), _dash(figures["plan"]["funder"])],
        [_("Period"), f"{period['first']} – {period['last']}"],
        [_("Figures as of"), period["as_of"]],
        [_("Counted at"), _dash(figures.get("counted_at"))],
        [],
        [suppression_text()],
    ]
    if not figures["has_data"]:
        rows += [[], [no_data_text()]]
    return rows


def _target_headers() -> list[str]:
    return [
        _("Objective"), _("Target"), _("Unit"), _("Aim"), _("Reached so far"), _("Share (%)"),
        _("Expected by now"), _("Status"), _("In this period"),
    ]  # fmt: skip


def _target_rows(figures: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            t["objective"],
            t["title"],
            t["unit"] or _dash(t["note"]),
            t["target"],
            _dash(t["measured"]),
            _dash(t["share"]),
            t["expected"],
            t["status_label"],
            _dash(t["in_period"]),
        ]
        for t in figures["targets"]
    ]


def _month_matrix(figures: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Months down, targets across (only targets with a monthly series)."""
    measured = [t for t in figures["targets"] if t["months"]]
    months = sorted({m for t in measured for m, _v in t["months"]})
    header = [_("Month")] + [t["title"][:60] for t in measured]
    rows = []
    for month in months:
        row: list[Any] = [month]
        for t in measured:
            row.append(dict((m, v) for m, v in t["months"]).get(month, 0))
        rows.append(row)
    return header, rows


def _budget_rows(figures: dict[str, Any]) -> list[list[Any]]:
    budget = figures["budget"]
    rows: list[list[Any]] = [
        [
            line["category_label"],
            line["title"],
            _euro(line["planned_cents"]),
            _euro(line["spent_cents"]),
            _dash(line["share"]),
            _euro(line["spent_in_period_cents"]),
        ]
        for line in budget["lines"]
    ]
    rows.append(
        [
            _("Total"),
            "",
            _euro(budget["planned_cents"]),
            _euro(budget["spent_cents"]),
            _dash(budget["share"]),
            _euro(budget["spent_in_period_cents"]),
        ]
    )
    return rows


def _budget_headers() -> list[str]:
    return [
        _("Category"), _("Budget line"), _("Planned (€)"), _("Spent (€)"), _("Spent (%)"),
        _("Spent in this period (€)"),
    ]  # fmt: skip


def _reach_rows(figures: dict[str, Any]) -> list[list[Any]]:
    reach = figures["reach"]
    rows: list[list[Any]] = [[_("People reached across all modules"), reach["total"]], []]
    rows.append([_("Per activity"), _("People")])
    rows += [[r["label"], r["reached"]] for r in reach["per_indicator"]]
    rows.append([])
    if reach["by_group"] is None:
        rows.append([_("Reach per target group: not available yet (no consented profiles).")])
    else:
        rows.append([_("Target group"), _("People"), _("Population"), _("Ambition")])
        rows += [
            [g["label"], g["reached"], _dash(g["population"]), _dash(g["ambition"])]
            for g in reach["by_group"]
        ]
    return rows


def _milestone_rows(figures: dict[str, Any]) -> list[list[Any]]:
    return [
        [m["title"], m["due_on"], _dash(m["done_on"]), m["status_label"]]
        for m in figures["milestones"]
    ]


def _statistics_header() -> list[str]:
    return [
        _("Indicator (key)"), _("Indicator"), _("Unit"), _("Month"), _("Municipality"),
        _("Neighbourhood"), _("Value"),
    ]  # fmt: skip


def _statistics_rows(figures: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            r["indicator"],
            r["label"],
            r["unit"],
            r["month"],
            r["municipality"],
            r["neighbourhood"],
            r["value"],
        ]
        for r in figures["statistics"]
    ]


# --- XLSX -----------------------------------------------------------------------------------


def xlsx(figures: dict[str, Any]) -> bytes:
    if figures["kind"] == ReportKind.OPEN_STATISTICS:
        rows = [_statistics_header(), *_statistics_rows(figures)]
        return exports.xlsx_book_bytes(
            [
                exports.XlsxSheet(_("About"), _about(figures), widths=(28, 60)),
                exports.XlsxSheet(_("Statistics"), rows, widths=(28, 36, 14, 9, 18, 18, 9)),
            ]
        )
    targets = _target_rows(figures)
    outputs = exports.XlsxSheet(
        _("Outputs"),
        [_target_headers(), *targets],
        charts=(
            exports.XlsxChart(
                title=_("Aim and reached so far"),
                categories=2,
                columns=(4, 5),
                header_row=1,
                first_row=2,
                last_row=max(len(targets) + 1, 2),
                anchor="K2",
            ),
        )
        if targets
        else (),
        widths=(28, 40, 14, 9, 12, 10, 12, 14, 12),
    )
    header, months = _month_matrix(figures)
    monthly = exports.XlsxSheet(
        _("Per month"),
        [header, *months],
        charts=(
            exports.XlsxChart(
                title=_("Per month"),
                categories=1,
                columns=(2, len(header)),
                header_row=1,
                first_row=2,
                last_row=len(months) + 1,
                anchor="B" + str(len(months) + 4),
                kind="line",
            ),
        )
        if months and len(header) > 1
        else (),
    )
    budget_rows = _budget_rows(figures)
    budget = exports.XlsxSheet(
        _("Budget"),
        [_budget_headers(), *budget_rows],
        charts=(
            exports.XlsxChart(
                title=_("Planned and spent"),
                categories=2,
                columns=(3, 4),
                header_row=1,
                first_row=2,
                last_row=len(budget_rows),
                anchor="H2",
                y_title="€",
            ),
        )
        if len(budget_rows) > 1
        else (),
        widths=(18, 40, 14, 14, 10, 16),
    )
    return exports.xlsx_book_bytes(
        [
            exports.XlsxSheet(_("About"), _about(figures), widths=(28, 60)),
            outputs,
            monthly,
            exports.XlsxSheet(_("Reach"), _reach_rows(figures), widths=(50, 12, 12, 12)),
            budget,
            exports.XlsxSheet(
                _("Milestones"),
                [
                    [_("Milestone"), _("Due on"), _("Done on"), _("Status")],
                    *_milestone_rows(figures),
                ],
                widths=(50, 12, 12, 12),
            ),
        ]
    )


# --- CSV (open statistics) ------------------------------------------------------------------


def csv(figures: dict[str, Any]) -> bytes:
    rows = [_statistics_header(), *_statistics_rows(figures)]
    return exports.csv_text(rows).encode("utf-8")


# --- PDF ------------------------------------------------------------------------------------


def pdf(figures: dict[str, Any]) -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    head = styles["Heading2"]

    def p(value: Any, style: Any = small) -> Any:
        return Paragraph(escape(str(value)), style)

    def table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Any:
        data = [[p(h) for h in header]] + [[p(_dash(v)) for v in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story: list[Any] = [p(figures["title"], styles["Title"])]
    for label, value in _about(figures)[2:8]:
        story.append(p(f"{label}: {value}"))
    story.append(Spacer(1, 3 * mm))
    story.append(p(suppression_text()))
    if not figures["has_data"]:
        story += [Spacer(1, 3 * mm), p(no_data_text(), styles["Heading3"])]

    if figures["kind"] == ReportKind.OPEN_STATISTICS:
        story += [p(_("Statistics"), head)]
        story.append(
            table(
                _statistics_header(),
                _statistics_rows(figures),
                [i * mm for i in (38, 60, 22, 16, 30, 30, 16)],
            )
        )
    else:
        targets = figures["targets"]
        story += [p(_("Outputs against targets"), head)]
        story.append(
            table(
                _target_headers(), _target_rows(figures),
                [i * mm for i in (40, 60, 22, 16, 20, 16, 20, 22, 20)],
            )
        )  # fmt: skip
        measured = [t for t in targets if t["share"] is not None or t["measured"] is not None]
        if measured:
            height = 20 + 9 * len(measured)
            drawing = Drawing(240 * mm, height + 30)
            chart = HorizontalBarChart()
            chart.x, chart.y = 70 * mm, 15
            chart.width, chart.height = 150 * mm, height
            chart.data = [[min(as_number(t["share"]), 200) for t in measured]]
            chart.categoryAxis.categoryNames = [t["title"][:45] for t in measured]
            chart.categoryAxis.labels.fontSize = 6
            chart.valueAxis.valueMin = 0
            chart.bars[0].fillColor = colors.HexColor("#2b6cb0")
            drawing.add(chart)
            drawing.add(String(0, height + 20, _("Share of each target reached (%)"), fontSize=9))
            story += [Spacer(1, 4 * mm), drawing]

        story += [p(_("Per month"), head)]
        charted = [t for t in targets if t["months"]][:PDF_MONTH_CHARTS]
        if not charted:
            story.append(p(_("No monthly figures in this period.")))
        for t in charted:
            drawing = Drawing(120 * mm, 45 * mm)
            chart = VerticalBarChart()
            chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, 100 * mm, 30 * mm
            chart.data = [[as_number(v) for _m, v in t["months"]]]
            chart.categoryAxis.categoryNames = [m[2:] for m, _v in t["months"]]
            chart.categoryAxis.labels.fontSize = 6
            chart.categoryAxis.labels.angle = 45 if len(t["months"]) > 8 else 0
            chart.valueAxis.valueMin = 0
            chart.bars[0].fillColor = colors.HexColor("#38a169")
            drawing.add(chart)
            drawing.add(String(0, 41 * mm, t["title"][:80], fontSize=8))
            story.append(KeepTogether([drawing]))

        story += [p(_("Reach"), head)]
        story.append(table([_("What"), _("People")], _reach_rows(figures)[:1], [120 * mm, 30 * mm]))
        reach = figures["reach"]
        story.append(
            table(
                [_("Per activity"), _("People")],
                [[r["label"], r["reached"]] for r in reach["per_indicator"]],
                [120 * mm, 30 * mm],
            )
        )
        if reach["by_group"] is None:
            story.append(p(_("Reach per target group: not available yet (no consented profiles).")))
        else:
            story.append(
                table(
                    [_("Target group"), _("People"), _("Population"), _("Ambition")],
                    [
                        [g["label"], g["reached"], g["population"], g["ambition"]]
                        for g in reach["by_group"]
                    ],
                    [80 * mm, 30 * mm, 30 * mm, 30 * mm],
                )
            )

        story += [p(_("Budget"), head)]
        story.append(
            table(
                _budget_headers(),
                [
                    [
                        *r[:2],
                        _euro_text(int(r[2] * 100)),
                        _euro_text(int(r[3] * 100)),
                        r[4],
                        _euro_text(int(r[5] * 100)),
                    ]
                    for r in _budget_rows(figures)
                ],
                [i * mm for i in (35, 70, 30, 30, 20, 35)],
            )
        )
        lines = figures["budget"]["lines"]
        if lines:
            drawing = Drawing(240 * mm, 60 * mm)
            chart = VerticalBarChart()
            chart.x, chart.y, chart.width, chart.height = 20 * mm, 12 * mm, 200 * mm, 40 * mm
            chart.data = [
                [line["planned_cents"] // 100 for line in lines],
                [line["spent_cents"] // 100 for line in lines],
            ]
            chart.categoryAxis.categoryNames = [line["title"][:20] for line in lines]
            chart.categoryAxis.labels.fontSize = 6
            chart.valueAxis.valueMin = 0
            chart.bars[0].fillColor = colors.HexColor("#a0aec0")
            chart.bars[1].fillColor = colors.HexColor("#dd6b20")
            drawing.add(chart)
            drawing.add(String(0, 55 * mm, _("Planned (grey) and spent (orange), €"), fontSize=8))
            story.append(drawing)

        story += [p(_("Milestones"), head)]
        story.append(
            table(
                [_("Milestone"), _("Due on"), _("Done on"), _("Status")],
                _milestone_rows(figures),
                [120 * mm, 30 * mm, 30 * mm, 30 * mm],
            )
        )

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=14 * mm, title=str(figures["title"]),
        author=str(figures["community"]), invariant=1,
    )  # fmt: skip
    footer_text = f"{figures['community']} · {figures['plan']['name']} · {figures['title']}"

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 7 * mm, footer_text[:150])
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, 7 * mm, str(doc.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
