"""Reading a spreadsheet of codes: CSV (UTF-8, with or without BOM, ``,`` or ``;``) or XLSX.

:func:`read_rows` turns an uploaded file into one dict per non-empty row, keyed by the
(lower-cased) column names of the first row, with ``_row`` holding the row's line in the file
so results can point at it. What the rows mean is up to :func:`services.codes_import`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed

COLUMNS = ("slug", "title", "description", "tags", "team", "status", "url", "route_json")
MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": message})


def read_rows(data: bytes, filename: str = "") -> list[dict[str, Any]]:
    """The rows of a CSV or XLSX file; a file that cannot be read is a clear error on ``file``."""
    if not data:
        raise _invalid(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _invalid(_("The file is too large (at most 10 MB)."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        lines = _xlsx_lines(data)
    else:
        lines = _csv_lines(data)
    return _rows(lines)


def _csv_lines(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid(_("Save the file as CSV in UTF-8 (or as XLSX) and try again.")) from exc
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as exc:
        raise _invalid(_("The file is not valid CSV: %(error)s") % {"error": exc}) from exc


def _xlsx_lines(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unreadable = _("This is not a CSV or XLSX file we can read.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a broken zip, a zip that is no workbook, bad XML inside
        raise _invalid(unreadable) from exc
    try:
        lines = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
        while True:
            try:
                values = next(lines)
            except StopIteration:
                return
            except Exception as exc:
                raise _invalid(unreadable) from exc
            yield list(values)
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _rows(lines: Iterable[list[Any]]) -> list[dict[str, Any]]:
    iterator = iter(lines)
    header: list[str] | None = None
    number = 0
    for line in iterator:
        number += 1
        if any(_cell(v) for v in line):
            header = [_cell(v).lower() for v in line]
            break
    if header is None:
        raise _invalid(_("The file has no header row (slug, title, …)."))
    while header and not header[-1]:
        header.pop()
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise _invalid(
            _("Unknown column “%(name)s”. The columns are: %(columns)s.")
            % {"name": unknown[0] or "?", "columns": ", ".join(COLUMNS)}
        )
    if len(set(header)) != len(header):
        raise _invalid(_("A column name appears twice in the first row."))
    if "slug" not in header:
        raise _invalid(_("The file needs a column “slug”."))
    rows: list[dict[str, Any]] = []
    for line in iterator:
        number += 1
        cells = [_cell(v) for v in line]
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise _invalid(
                _("A file may hold at most %(n)s rows of codes.") % {"n": f"{MAX_ROWS:,}"}
            )
        row: dict[str, Any] = dict(zip(header, cells, strict=False))
        row["_row"] = number
        if any(cells[len(header) :]):
            row["_extra"] = True  # more cells than column names: reported on the row
        rows.append(row)
    return rows
