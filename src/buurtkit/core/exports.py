"""The one writer of spreadsheets (CSV and XLSX) for the whole product.

Every export goes through here, so that no cell a person typed (a name, a code's title, a form
answer) can run as a formula when the file is opened in Excel or LibreOffice (CSV injection):

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (also after
  leading spaces) gets a ``'`` in front, so the spreadsheet shows it as text (OWASP's rule);
- numbers (``int``, ``Decimal``, ``float``) stay numbers: a negative amount is still a number;
  write amounts as numbers, never as preformatted strings;
- CSV is UTF-8 with a byte order mark (Excel then reads Dutch and French accents right) and
  ``\\r\\n`` line ends; XLSX text cells are stored as text, never as formulas.

``tests/test_exports_walk.py`` fetches every export of the product with hostile names in it, and
checks that no other module writes CSV or XLSX by itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What a spreadsheet reads as the start of a formula (or of a cell it then re-reads).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: For an API operation's ``openapi_extra``: the 200 answer is a CSV file.
OPENAPI_CSV = {
    "responses": {
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
    }
}

Row = Iterable[Any]


def safe_cell(value: Any) -> Any:
    """A value as it may be written: numbers as they are, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value)  # also lazy translations
    if text[:1] in FORMULA_STARTS or text.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def safe_row(row: Row) -> list[Any]:
    return [safe_cell(value) for value in row]


class _Line:
    """A file-like object that hands back what is written (a CSV line as a string)."""

    def write(self, value: str) -> str:
        return value


_line_writer = csv.writer(_Line(), lineterminator="\r\n")


def csv_line(row: Row) -> str:
    """One CSV line (with its ``\\r\\n``), its cells made safe."""
    return str(_line_writer.writerow(safe_row(row)))


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The lines of a CSV file, the first one starting with the byte order mark."""
    yield BOM
    for row in rows:
        yield csv_line(row)


def write_csv(out: IO[str], rows: Iterable[Row]) -> int:
    """Write a whole CSV file (BOM first) to ``out``; returns the number of rows written."""
    count = 0
    for line in csv_lines(rows):
        out.write(line)
        count += 1
    return count - 1


def csv_text(rows: Iterable[Row]) -> str:
    return "".join(csv_lines(rows))


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


def csv_response(rows: Iterable[Row], *, filename: str) -> HttpResponse:
    """A CSV download, built in memory (small files)."""
    response = HttpResponse(csv_text(rows), content_type=CSV_CONTENT_TYPE)
    _attachment(response, filename)
    return response


def csv_text_response(text: str, *, filename: str) -> HttpResponse:
    """A CSV download of a file written earlier with :func:`csv_text` (e.g. by a selector)."""
    response = HttpResponse(text, content_type=CSV_CONTENT_TYPE)
    _attachment(response, filename)
    return response


def csv_streaming_response(rows: Iterable[Row], *, filename: str) -> StreamingHttpResponse:
    """A CSV download written while it is sent (big files: rows may be a lazy iterator)."""
    response = StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    _attachment(response, filename)
    return response


def xlsx_bytes(rows: Iterable[Row], *, sheet_title: str) -> bytes:
    """An XLSX workbook of one sheet; text cells are stored as text and made safe."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(sheet_title)[:31])
    for row in rows:
        cells = []
        for value in safe_row(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever was typed
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(rows: Iterable[Row], *, filename: str, sheet_title: str) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(rows, sheet_title=sheet_title), content_type=XLSX_CONTENT_TYPE
    )
    _attachment(response, filename)
    return response


# --- workbooks of several sheets with charts (monitoring's reports) ------------------------


@dataclass(frozen=True)
class XlsxChart:
    """A native Excel chart over a block of a sheet's cells (1-based rows and columns).

    ``categories``: the column holding the labels; ``columns``: the first and last column of
    the series (their header in ``header_row``); the data in ``first_row``..``last_row``.
    """

    title: str
    categories: int
    columns: tuple[int, int]
    header_row: int
    first_row: int
    last_row: int
    anchor: str
    kind: str = "bar"  # "bar" or "line"
    y_title: str = ""


@dataclass(frozen=True)
class XlsxSheet:
    title: str
    rows: list[list[Any]]
    charts: tuple[XlsxChart, ...] = ()
    widths: tuple[int, ...] = ()  # column widths in characters


def xlsx_book_bytes(sheets: Iterable[XlsxSheet]) -> bytes:
    """A workbook of several sheets, with native charts; text cells are stored as text and
    made safe like every other export."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(str(spec.title)[:31])
        for row in spec.rows:
            sheet.append(safe_row(row))
        for r in sheet.iter_rows():
            for cell in r:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever was typed
        for n, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = width
        for c in spec.charts:
            chart: Any = LineChart() if c.kind == "line" else BarChart()
            chart.title = str(c.title)[:200]
            chart.y_axis.title = str(c.y_title)
            data = Reference(
                sheet, min_col=c.columns[0], max_col=c.columns[1],
                min_row=c.header_row, max_row=c.last_row,
            )  # fmt: skip
            labels = Reference(sheet, min_col=c.categories, min_row=c.first_row, max_row=c.last_row)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(labels)
            chart.height, chart.width = 7.5, 16
            sheet.add_chart(chart, c.anchor)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
