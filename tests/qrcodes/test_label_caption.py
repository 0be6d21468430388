"""Issue 17 item 9: a label's caption uses the room the label has, instead of being cut off
with "…" on one line while the label has room to spare."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from buurtkit.qrcodes import exports

# Pure rendering: the PDF and its text, no database.
pytestmark = pytest.mark.engine_independent

CAPTION = "Scan me for opening hours, help near you and the repair café"  # 60 of 80 characters


def _label_text(options: exports.SheetOptions) -> str:
    out = io.BytesIO()
    rows = [exports.CodeRow(code="ABCDEFGHJ", title="Bank in het park")]
    assert exports.write_sheet(rows, options, out) == 1
    document = pdfium.PdfDocument(out.getvalue())
    try:
        page = document[0].get_textpage()
        return " ".join(page.get_text_range().split())
    finally:
        document.close()


@pytest.mark.parametrize("preset", ["3x8", "2x5"])
def test_the_whole_caption_is_printed_when_the_label_has_room(preset: str) -> None:
    text = _label_text(exports.sheet_options(preset=preset, caption=CAPTION))
    assert CAPTION in text, text
    assert "…" not in text
    assert "Bank in het park" in text  # the title is still there


@pytest.mark.parametrize(("columns", "rows"), [(3, 8), (4, 12), (5, 13)])
def test_the_longest_caption_fits_on_small_labels_too(columns: int, rows: int) -> None:
    longest = ("Scan me " * 10).strip()[: exports.MAX_CAPTION]
    options = exports.sheet_options(preset="custom", columns=columns, rows=rows, caption=longest)
    text = _label_text(options)
    assert longest in text and "…" not in text
