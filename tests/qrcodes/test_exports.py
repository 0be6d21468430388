"""Exports and printing: every file decodes back to its printed URL with a real QR reader
(zxing-cpp; PDFs rendered with pdfium), the fast encoder makes segno's own symbols, label sheets
have the right pages and refuse grids that do not fit, ZIP/CSV hold one entry per code, and the
download pages are scoped to the community and to staff."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import segno
from django.test import Client
from django.utils import translation
from PIL import Image, ImageDraw
from segno import writers

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.qrcodes import codes, encoder, exports, services
from buurtkit.qrcodes.models import Batch, Code

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PREFIX = "HTTP://LOCALHOST:8000/Q/"


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.PUBLIC_URL = ""  # the documented fallback: http://localhost:8000


def decode(image: Image.Image) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    return sorted(r.text for r in zxingcpp.read_barcodes(image))


def pdf_pages(data: bytes, scale: float = 3) -> list[Image.Image]:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].render(scale=scale).to_pil() for i in range(len(document))]
    finally:
        document.close()


def segno_matrix(url: str, error: str, mask: int) -> tuple[bytearray, ...]:
    return tuple(segno.make_qr(url, error=error, mask=mask, boost_error=False).matrix)


def a_logo() -> bytes:
    image = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((5, 5, 35, 35), fill=(200, 30, 30, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- the printed URL and the symbols -----------------------------------------------------------


def test_scan_url_is_upper_case_and_fits_alphanumeric_mode(settings: Any) -> None:
    assert exports.scan_url("7km3qx9td") == "HTTP://LOCALHOST:8000/Q/7KM3QX9TD"
    settings.PUBLIC_URL = "https://buurt.example.be"
    url = exports.scan_url("7KM3QX9TD")
    assert url == "HTTPS://BUURT.EXAMPLE.BE/Q/7KM3QX9TD"
    assert segno.make(url, micro=False).mode == "alphanumeric"
    assert exports.symbol("7KM3QX9TD").mode == "alphanumeric"
    # a path under the host keeps its case (paths are case-sensitive): byte mode, still correct
    settings.PUBLIC_URL = "https://stad.example/buurtkit/"
    assert exports.scan_url("7KM3QX9TD") == "HTTPS://STAD.EXAMPLE/buurtkit/Q/7KM3QX9TD"
    data = exports.code_image("7KM3QX9TD", "png", exports.image_options("png"))
    assert decode(Image.open(io.BytesIO(data))) == ["HTTPS://STAD.EXAMPLE/buurtkit/Q/7KM3QX9TD"]
    assert exports.symbol("7KM3QX9TD").mode == "byte"
    settings.PUBLIC_URL = "https://buurt.example.be"
    # the same URL in lower case would need byte mode and a bigger symbol
    lower = segno.make_qr(url.lower(), error="M", boost_error=False)
    assert lower.mode == "byte" and lower.version > exports.symbol("7KM3QX9TD").version


@pytest.mark.parametrize(
    "prefix",
    [PREFIX, "HTTPS://A.BE/Q/", "HTTPS://BUURTKIT.STAD.GENT/Q/", "HTTPS://STAD.BE/bk/Q/"],
)
@pytest.mark.parametrize("error", ["L", "M", "Q", "H"])
def test_fast_symbols_are_segnos_symbols(prefix: str, error: str) -> None:
    """Bit for bit what segno makes with the chosen mask (even and odd prefix lengths, and a
    lower-case path that needs byte mode)."""
    mode = "byte" if "bk" in prefix else "alphanumeric"
    assert encoder.template(prefix, codes.LENGTH, error) is not None
    rng = random.Random(f"{prefix}{error}")
    for _ in range(25):
        value = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.LENGTH))
        sym = encoder.encode(prefix, value, error)
        assert sym.error == error and sym.mode == mode and sym.fixed
        assert sym.rows() == segno_matrix(prefix + value, error, sym.mask)
        reference = segno.make_qr(prefix + value, error=error, boost_error=False)
        assert sym.version == reference.version


def test_other_content_goes_to_segno() -> None:
    sym = encoder.encode("https://x.example/q/", "abc", "M")  # not a code: segno itself
    assert sym.mode == "byte" and sym.fixed == 0
    reference = segno.make_qr("https://x.example/q/abc", error="M", boost_error=False)
    assert sym.rows() == tuple(reference.matrix)


def _reference_penalty(rows: list[list[int]]) -> int:
    """ISO/IEC 18004 §7.8.3 written plainly (the quiet zone counts as light for N3)."""
    n = len(rows)
    cols = [[rows[i][j] for i in range(n)] for j in range(n)]
    score = 0
    for line in rows + cols:
        run = 1
        for k in range(1, n + 1):
            if k < n and line[k] == line[k - 1]:
                run += 1
                continue
            if run >= 5:
                score += 3 + run - 5
            run = 1
        padded = [0] * 4 + line + [0] * 4
        for k in range(4, n + 4 - 6):
            if padded[k : k + 7] == [1, 0, 1, 1, 1, 0, 1] and (
                padded[k - 4 : k] == [0] * 4 or padded[k + 7 : k + 11] == [0] * 4
            ):
                score += 40
    for i in range(n - 1):
        for j in range(n - 1):
            if rows[i][j] == rows[i][j + 1] == rows[i + 1][j] == rows[i + 1][j + 1]:
                score += 3
    dark = sum(map(sum, rows))
    return score + 10 * (abs(dark * 100 - n * n * 50) // (n * n * 5))


def test_mask_penalty_matches_the_standard() -> None:
    rng = random.Random(7)
    layout = encoder.layout(25)
    for _ in range(40):
        rows = [[int(rng.random() < 0.5) for _ in range(25)] for _ in range(25)]
        bits = layout.from_matrix(tuple(bytearray(r) for r in rows))
        assert layout.penalty(bits) == _reference_penalty(rows)
    sym = exports.symbol("7KM3QX9TD")
    tpl = encoder.template(PREFIX, 9, "M")
    assert tpl is not None
    scores = [
        layout.penalty(layout.from_matrix(segno_matrix(PREFIX + "7KM3QX9TD", "M", mask)))
        for mask in range(8)
    ]
    assert scores[sym.mask] == min(scores)  # the lowest penalty wins, as the standard asks


def test_new_codes_in_bulk() -> None:
    made = codes.new_codes(1001)
    assert len(made) == 1001 and len(set(made)) == 1001
    assert all(codes.is_code(value) for value in made)


# --- one code ------------------------------------------------------------------------------------


def test_png_decodes_and_has_segnos_pixels() -> None:
    data = exports.code_image("7KM3QX9TD", "png", exports.image_options("png", scale=6))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    sym = exports.symbol("7KM3QX9TD")
    assert image.size == ((sym.size + 8) * 6, (sym.size + 8) * 6)
    assert decode(image) == [PREFIX + "7KM3QX9TD"]
    theirs = io.BytesIO()
    writers.save(sym.rows(), (sym.size, sym.size), theirs, kind="png", scale=6, border=4)
    reference = Image.open(io.BytesIO(theirs.getvalue())).convert("L")
    assert image.convert("L").tobytes() == reference.tobytes()


def test_svg_pdf_eps_hold_the_symbol() -> None:
    sym = exports.symbol("7KM3QX9TD", "Q")
    svg = exports.code_image("7KM3QX9TD", "svg", exports.image_options("svg", error="Q"))
    assert b"<svg" in svg and b"HTTP://LOCALHOST:8000/Q/7KM3QX9TD" in svg
    # the SVG is segno's drawing of segno's own matrix for this URL (matrix round trip)
    reference = io.BytesIO()
    matrix = segno_matrix(PREFIX + "7KM3QX9TD", "Q", sym.mask)
    writers.save(
        matrix,
        (sym.size, sym.size),
        reference,
        kind="svg",
        scale=10,
        border=4,
        title=PREFIX + "7KM3QX9TD",
        svgclass=None,
        lineclass=None,
    )
    assert svg == reference.getvalue()
    pdf = exports.code_image("7KM3QX9TD", "pdf", exports.image_options("pdf", scale=6))
    assert pdf.startswith(b"%PDF")
    assert decode(pdf_pages(pdf)[0]) == [PREFIX + "7KM3QX9TD"]
    eps = exports.code_image("7KM3QX9TD", "eps", exports.image_options("eps", border=2))
    side = (exports.symbol("7KM3QX9TD").size + 4) * 4
    assert eps.startswith(b"%!PS-Adobe-3.0 EPSF-3.0")
    assert f"%%BoundingBox: 0 0 {side} {side}".encode() in eps


def test_image_options_are_checked() -> None:
    with pytest.raises(ValidationFailed) as err:
        exports.image_options("gif", error="X", scale="0", border="many")
    assert set(err.value.fields) == {"format", "error", "scale", "border"}
    assert exports.image_options("png", error="h", scale="3", border="0") == exports.ImageOptions(
        error="H", scale=3, border=0
    )


# --- many codes ----------------------------------------------------------------------------------


def test_zip_has_one_file_per_code_that_decodes() -> None:
    values = codes.new_codes(5)
    for fmt in ("svg", "png"):
        out = io.BytesIO()
        assert exports.write_zip(values, fmt, exports.ImageOptions(scale=4), out) == 5
        with zipfile.ZipFile(out) as archive:
            assert sorted(archive.namelist()) == sorted(f"{v}.{fmt}" for v in values)
            if fmt == "png":
                for value in values:
                    image = Image.open(io.BytesIO(archive.read(f"{value}.png")))
                    assert decode(image) == [PREFIX + value]
    with pytest.raises(ValidationFailed):
        exports.write_zip(values, "pdf", exports.ImageOptions(), io.BytesIO())


def test_csv_opens_in_a_spreadsheet_and_has_every_code() -> None:
    rows = [
        exports.CodeRow("7KM3QX9TD", "bank-rabot", "Bank", "active", ("bank", "rabot")),
        exports.CodeRow("ABCDEFGHJ", "", "=HYPERLINK(1)", "unassigned"),
    ]
    out = io.StringIO()
    with translation.override("en"):
        assert exports.write_csv(rows, out) == 2
    text = out.getvalue()
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(parsed) == 3
    assert parsed[1] == [
        "7KM3QX9TD",
        "bank-rabot",
        "Bank",
        "active",
        "bank, rabot",
        PREFIX + "7KM3QX9TD",
    ]
    assert parsed[2][2] == "'=HYPERLINK(1)"  # never a formula
    assert parsed[2][3] == "unassigned (blank)"


# --- label sheets --------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "per_page"), [("3x8", 24), ("2x5", 10)])
def test_print_sheet_pages_and_every_label_decodes(preset: str, per_page: int) -> None:
    values = codes.new_codes(per_page + 3)
    rows = [
        exports.CodeRow(v, title="Bank aan de speeltuin" if i % 2 else "")
        for i, v in enumerate(values)
    ]
    options = exports.sheet_options(preset=preset, caption="Stad Gent")
    out = io.BytesIO()
    assert exports.write_sheet(rows, options, out) == len(values)
    assert exports.sheet_pages(len(values), options) == 2
    pages = pdf_pages(out.getvalue())
    assert len(pages) == 2
    found = decode(pages[0]) + decode(pages[1])
    assert len(decode(pages[0])) == per_page
    assert sorted(found) == sorted(PREFIX + v for v in values)


def test_print_sheet_draws_rectangles_and_one_logo() -> None:
    values = codes.new_codes(30)
    options = exports.sheet_options(preset="3x8", logo=a_logo(), error="H")
    out = io.BytesIO()
    exports.write_sheet([exports.CodeRow(v) for v in values], options, out)
    data = out.getvalue()
    one = io.BytesIO()
    exports.write_sheet([exports.CodeRow(values[0])], options, one)
    # the logo (a picture and its transparency mask) is stored once and used 30 times
    assert data.count(b"/Subtype /Image") == one.getvalue().count(b"/Subtype /Image") == 2
    assert data.count(b"/Subtype /Form") == one.getvalue().count(b"/Subtype /Form")
    assert len(decode(pdf_pages(data)[0])) == 24


def test_custom_grid_and_options_are_checked() -> None:
    with pytest.raises(ValidationFailed) as err:
        exports.sheet_options(preset="custom", margin_top="abc")
    assert set(err.value.fields) == {"columns", "rows", "margin_top"}
    with pytest.raises(ValidationFailed) as err:
        exports.sheet_options(preset="custom", columns=10, rows=20, margin_left=70)
    assert "mm" in err.value.fields["columns"] and "mm" in err.value.fields["rows"]
    with pytest.raises(ValidationFailed) as err:
        exports.sheet_options(preset="3x8", module_size="3")  # 33 modules × 3 mm > 37 mm
    assert "module_size" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        exports.sheet_options(preset="a4", error="Z", border="-1", caption="x" * 81, logo=b"nope")
    assert set(err.value.fields) == {"preset", "error", "border", "caption", "logo"}
    huge = io.BytesIO()
    Image.new("1", (5000, 10)).save(huge, "PNG")
    with pytest.raises(ValidationFailed) as err:
        exports.sheet_options(logo=huge.getvalue())
    assert "pixels" in err.value.fields["logo"]
    custom = exports.sheet_options(
        preset="custom",
        columns="4",
        rows="5",
        margin_top="10",
        margin_bottom="10",
        margin_left="7,5",
        margin_right="7,5",
        gap_x="3",
        gap_y="3",
        module_size="0,8",
    )
    assert custom.grid.per_page == 20
    assert custom.grid.label_width == pytest.approx((210 - 15 - 9) / 4)
    assert custom.module_mm == pytest.approx(0.8)
    out = io.BytesIO()
    values = codes.new_codes(20)
    exports.write_sheet([exports.CodeRow(v) for v in values], custom, out)
    assert decode(pdf_pages(out.getvalue())[0]) == sorted(PREFIX + v for v in values)


# --- batches: making them fast --------------------------------------------------------------------


def test_batch_run_makes_every_code_with_tags_in_chunks(system: Actor, team: Any) -> None:
    batch = services.batch_create(
        actor=system, size=services.BATCH_CHUNK + 500, owner_id=team.pk, tags=["sticker", "2026"]
    )
    done = services.batch_run(batch_id=batch.pk)
    assert (done.status, done.done) == (Batch.Status.DONE, services.BATCH_CHUNK + 500)
    made = Code.objects.filter(batch=batch)
    assert made.count() == services.BATCH_CHUNK + 500
    assert all(codes.is_code(c.code) for c in made)
    assert set(made.values_list("status", "owner_id", "version").distinct()) == {
        ("unassigned", team.pk, 1)
    }
    assert Code.tags.through.objects.filter(code__batch=batch).count() == 2 * made.count()
    services.batch_run(batch_id=batch.pk)  # again: nothing more
    assert made.count() == services.BATCH_CHUNK + 500


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def staff(community: Community, login_client: Callable[..., Client]) -> Client:
    return login_client(community, "staff")


@pytest.fixture
def batch(system: Actor) -> Batch:
    made = services.batch_create(actor=system, size=30, title="Stickers", tags=["sticker"])
    return services.batch_run(batch_id=made.pk)


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_single_download_in_every_format(staff: Client, bench_code: Code) -> None:
    base = f"/rabot/qr/codes/{bench_code.pk}/download"
    for fmt, kind in exports.IMAGE_TYPES.items():
        response = staff.get(f"{base}.{fmt}", **EN)
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == kind
        assert f'filename="qr-{bench_code.code}.{fmt}"' in response["Content-Disposition"]
    response = staff.get(f"{base}.png?error=Q&scale=5&border=2", **EN)
    image = Image.open(io.BytesIO(response.content))
    assert image.size[0] == (exports.symbol(bench_code.code, "Q").size + 4) * 5
    assert decode(image) == [PREFIX + bench_code.code]
    bad = staff.get(f"{base}.png?error=Z&scale=999", **EN)
    assert bad.status_code == 422 and b"error correction" in bad.content
    assert staff.get(f"{base}.gif", **EN).status_code == 404


def test_downloads_are_scoped_and_for_staff_only(
    community: Community,
    other_community: Community,
    other_system: Actor,
    login_client: Callable[..., Client],
    bench_code: Code,
    batch: Batch,
) -> None:
    theirs = services.code_create(actor=other_system, title="Elders")
    staff = login_client(community, "staff")
    assert staff.get(f"/rabot/qr/codes/{theirs.pk}/download.svg", **EN).status_code == 404
    other_batch = services.batch_create(actor=other_system, size=2)
    services.batch_run(batch_id=other_batch.pk)
    assert staff.get(f"/rabot/qr/batches/{other_batch.pk}/export.csv", **EN).status_code == 404
    assert staff.get(f"/rabot/qr/batches/{other_batch.pk}/print/", **EN).status_code == 404
    for client in (login_client(community, "resident"), login_client(other_community, "staff")):
        for url in (
            f"/rabot/qr/codes/{bench_code.pk}/download.png",
            f"/rabot/qr/batches/{batch.pk}/export.pdf",
            f"/rabot/qr/batches/{batch.pk}/print/",
            "/rabot/qr/export/?fmt=csv",
        ):
            assert client.get(url, **EN).status_code == 403, url
    anonymous = Client().get(f"/rabot/qr/codes/{bench_code.pk}/download.png")
    assert anonymous.status_code == 302


def test_batch_exports(staff: Client, batch: Batch) -> None:
    base = f"/rabot/qr/batches/{batch.pk}/export"
    values = set(Code.objects.filter(batch=batch).values_list("code", flat=True))

    response = staff.get(f"{base}.csv", **EN)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert {r["Code"] for r in parsed} == values
    assert {r["Printed URL"] for r in parsed} == {PREFIX + v for v in values}
    assert {r["Tags"] for r in parsed} == {"sticker"}

    response = staff.get(f"{base}.zip-png?scale=3", **EN)
    with zipfile.ZipFile(io.BytesIO(_content(response))) as archive:
        assert sorted(archive.namelist()) == sorted(f"{v}.png" for v in values)

    response = staff.get(f"{base}.pdf?preset=2x5&error=Q", **EN)
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(_content(response))
    assert len(pages) == 3
    assert set(decode(pages[0])) <= {PREFIX + v for v in values}

    bad = staff.get(f"{base}.pdf?preset=custom&columns=2", **EN)
    assert bad.status_code == 422 and b"number of rows" in bad.content
    assert staff.get(f"{base}.xls", **EN).status_code == 422


def test_a_batch_being_made_cannot_be_printed(staff: Client, system: Actor) -> None:
    pending = services.batch_create(actor=system, size=10)  # the worker has not run it
    response = staff.get(f"/rabot/qr/batches/{pending.pk}/export.pdf", **EN)
    assert response.status_code == 409 and b"not ready" in response.content


def test_selection_export_follows_the_list_filters(
    staff: Client, system: Actor, bench_code: Code, batch: Batch
) -> None:
    services.code_create(actor=system, title="Affiche", tags=["poster"])
    response = staff.get("/rabot/qr/export/?tag=bank&fmt=csv", **EN)
    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert [r["Code"] for r in rows] == [bench_code.code]
    response = staff.get(f"/rabot/qr/export/?batch={batch.pk}&fmt=zip-svg", **EN)
    with zipfile.ZipFile(io.BytesIO(_content(response))) as archive:
        assert len(archive.namelist()) == 30
    response = staff.get("/rabot/qr/export/?status=active&fmt=pdf", **EN)
    assert decode(pdf_pages(_content(response))[0]) == [PREFIX + bench_code.code]
    assert staff.get("/rabot/qr/export/?status=lost", **EN).status_code == 422
    empty = staff.get("/rabot/qr/export/?tag=nothing&fmt=pdf", **EN)
    assert empty.status_code == 422 and b"No codes match" in empty.content


def test_print_page_keeps_what_was_typed_and_downloads_the_pdf(staff: Client, batch: Batch) -> None:
    url = f"/rabot/qr/batches/{batch.pk}/print/"
    page = staff.get(url, **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 × 8" in html and f"/rabot/qr/batches/{batch.pk}/export.csv" in html
    typed = {
        "preset": "custom",
        "columns": "4",
        "rows": "",
        "margin_top": "7,5",
        "error": "H",
        "border": "4",
        "caption": "Stad Gent",
    }
    response = staff.post(url, typed, **EN)
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert re.search(r'name="columns" value="4"', html)
    assert re.search(r'name="margin_top" value="7,5"', html)
    assert 'value="Stad Gent"' in html
    assert re.search(r'value="H"[^>]*selected', html)
    assert re.search(r'value="custom"[^>]*checked', html)

    logo = io.BytesIO(a_logo())
    logo.name = "logo.png"
    response = staff.post(
        url,
        {**typed, "rows": "5", "show_title": "on", "logo": logo},
        **EN,
    )
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    data = _content(response)
    assert data.count(b"/Subtype /Image") == 2  # the logo and its transparency, once
    pages = pdf_pages(data)
    assert len(pages) == 2  # 30 codes, 20 per page
    assert len(decode(pages[0])) == 20

    too_big = staff.post(url, {**typed, "rows": "5", "module_size": "9"}, **EN)
    assert too_big.status_code == 422 and b"room for" in too_big.content
