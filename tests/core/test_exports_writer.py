"""``core.exports``: the one CSV/XLSX writer (the walk over every export is tests/test_exports_walk.py)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from buurtkit.core import exports

pytestmark = pytest.mark.engine_independent  # no database


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://evil","x")',
        "+1+2",
        "-1+2",
        "-5",  # a text that looks like a number is still text: escaped
        "@SUM(1)",
        "\t=1",
        "\r=1",
        "\n=1",
        "  =1+1",  # spreadsheets may skip the spaces
    ],
)
def test_formula_like_text_is_prefixed(typed: str) -> None:
    assert exports.safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("value", [-150, 0, 7, Decimal("-1.50"), -0.5])
def test_numbers_stay_numbers(value: object) -> None:
    assert exports.safe_cell(value) is value


def test_ordinary_text_dates_and_lazy_strings() -> None:
    assert exports.safe_cell("Bakkerij Émile") == "Bakkerij Émile"
    assert exports.safe_cell(None) == ""
    assert exports.safe_cell(gettext_lazy("Name")) == str(gettext_lazy("Name"))
    assert isinstance(exports.safe_cell(gettext_lazy("Name")), str)
    assert exports.safe_cell(True) == "True"


def test_csv_is_utf8_with_bom_and_crlf() -> None:
    text = exports.csv_text([["naam", "bedrag"], ["Zoë", Decimal("-2.50")], ["=1+1", -3]])
    assert text.startswith("\ufeff")
    assert text == "\ufeffnaam,bedrag\r\nZoë,-2.50\r\n'=1+1,-3\r\n"
    out = io.StringIO()
    assert exports.write_csv(out, [["a"], ["b"]]) == 2
    assert out.getvalue() == text[:1] + "a\r\nb\r\n"
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["naam", "bedrag"],
        ["Zoë", "-2.50"],
        ["'=1+1", "-3"],
    ]


def test_xlsx_keeps_numbers_and_text() -> None:
    data = exports.xlsx_bytes(
        [["naam", "bedrag"], ["=1+1", -3], ["Zoë", Decimal("1.5")]], sheet_title="x"
    )
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [["naam", "bedrag"], ["'=1+1", -3], ["Zoë", 1.5]]
    assert sheet["A2"].data_type == "s" and sheet["B2"].data_type == "n"
