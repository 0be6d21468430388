"""Files for printing and sharing QR codes: one code as SVG/PNG/PDF/EPS, ZIPs, CSV, label sheets.

Pure functions: they take code values (or rows) and options and write bytes; the pages and the
API decide who may export what. Everything a batch can hold (100,000 codes) is written to a
file object as it goes, so large exports never sit in memory whole.

The printed URL is ``BUURTKIT_PUBLIC_URL/Q/<CODE>`` in capitals, so that segno encodes it in QR's
alphanumeric mode: fewer modules, larger modules on the same label, codes that scan from further
away. The symbols come from :mod:`buurtkit.qrcodes.encoder` (segno's symbols, made fast for
batches), so a code looks the same in every file.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from segno import writers

from buurtkit.core import exports as core_exports
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.public_url import public_url
from buurtkit.qrcodes import encoder
from buurtkit.qrcodes.codes import LENGTH, readable

DEFAULT_PUBLIC_URL = "http://localhost:8000"
ERROR_LEVELS = encoder.ERROR_LEVELS
IMAGE_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "eps": "application/postscript",
}
DEFAULT_SCALE = {"svg": 10, "png": 10, "pdf": 4, "eps": 4}  # px for PNG, pt for PDF/EPS
MAX_SCALE = 50
MAX_BORDER = 20
ZIP_FORMATS = ("svg", "png")


# --- the printed URL ----------------------------------------------------------------------------


def scan_prefix(*, printing: bool = True) -> str:
    """``HTTPS://BUURT.EXAMPLE/Q/``: what comes before the code on every printed label.

    Scheme and host are case-insensitive, so they are written in capitals; a path under the
    host (``https://stad.example/buurtkit``) is kept as it is, since paths are case-sensitive
    (such a URL no longer fits alphanumeric mode and makes a somewhat bigger symbol).
    Without ``BUURTKIT_PUBLIC_URL`` where it is required, printing raises ``PublicUrlMissing``
    (a code would point nowhere); ``printing=False`` (recognising a scanned code) falls back.
    """
    if printing:
        base = public_url(fallback=DEFAULT_PUBLIC_URL)
    else:
        base = (getattr(settings, "PUBLIC_URL", "") or DEFAULT_PUBLIC_URL).rstrip("/")
    parts = urlsplit(base)
    return f"{parts.scheme.upper()}://{parts.netloc.upper()}{parts.path}/Q/"


def scan_url(code_value: str) -> str:
    """The URL a printed code holds, upper case so that it fits QR's alphanumeric mode."""
    return scan_prefix() + code_value.upper()


def symbol(code_value: str, error: str = "M") -> encoder.Symbol:
    return encoder.encode(scan_prefix(), code_value.upper(), error)


# --- options ------------------------------------------------------------------------------------


def _int(
    value: Any, name: str, low: int, high: int, default: int | None, errors: dict[str, str]
) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[name] = _("Give a whole number.")
        return default
    if not low <= number <= high:
        errors[name] = _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return default
    return number


def _mm(
    value: Any, name: str, low: float, high: float, default: float | None, errors: dict[str, str]
) -> float | None:
    if value is None or value == "":
        return default
    try:
        number = float(Decimal(str(value).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        errors[name] = _("Give a number of millimetres, for example 4.5.")
        return default
    if not math.isfinite(number) or not low <= number <= high:
        errors[name] = _("Give a number of millimetres from %(low)s to %(high)s.") % {
            "low": _num(low),
            "high": _num(high),
        }
        return default
    return number


def _num(value: float) -> str:
    return f"{value:g}"


def _error_level(value: Any, errors: dict[str, str]) -> str:
    level = str(value or "M").strip().upper()
    if level not in ERROR_LEVELS:
        errors["error"] = _("Choose error correction L, M, Q or H.")
        return "M"
    return level


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)


@dataclass(frozen=True)
class ImageOptions:
    """One code as an image: error correction level, module size and quiet zone (in modules)."""

    error: str = "M"
    scale: int = 10  # pixels per module (PNG, SVG) or points per module (PDF, EPS)
    border: int = 4


def image_options(
    fmt: str, *, error: Any = None, scale: Any = None, border: Any = None
) -> ImageOptions:
    """Check options as they come from a form or a query string."""
    errors: dict[str, str] = {}
    if fmt not in IMAGE_TYPES:
        errors["format"] = _("Choose SVG, PNG, PDF or EPS.")
    level = _error_level(error, errors)
    size = _int(scale, "scale", 1, MAX_SCALE, DEFAULT_SCALE.get(fmt, 10), errors)
    quiet = _int(border, "border", 0, MAX_BORDER, 4, errors)
    _raise(errors)
    assert size is not None and quiet is not None
    return ImageOptions(error=level, scale=size, border=quiet)


# --- one code -----------------------------------------------------------------------------------


def image_filename(code_value: str, fmt: str) -> str:
    return f"qr-{code_value}.{fmt}"


def code_image(code_value: str, fmt: str, options: ImageOptions) -> bytes:
    """One code as SVG, PNG, PDF or EPS (segno's writers, or ours for PNG)."""
    sym = symbol(code_value, options.error)
    if fmt == "png":
        return png(sym, options.scale, options.border)
    size = (sym.size, sym.size)
    if fmt == "eps":
        text = io.StringIO()
        writers.save(  # type: ignore[attr-defined]  # (segno's stubs miss save)
            sym.rows(), size, text, kind="eps", scale=options.scale, border=options.border
        )
        return text.getvalue().encode("ascii")
    out = io.BytesIO()
    extra: dict[str, Any] = {}
    if fmt == "svg":
        extra = {"title": scan_url(code_value), "svgclass": None, "lineclass": None}
    writers.save(  # type: ignore[attr-defined]
        sym.rows(), size, out, kind=fmt, scale=options.scale, border=options.border, **extra
    )
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def png(sym: encoder.Symbol, scale: int, border: int) -> bytes:
    """A black-and-white PNG (1 bit per pixel): the same pixels as segno's, ten times faster."""
    size = sym.size
    width = (size + 2 * border) * scale
    stride = sym.layout.stride
    text = format(sym.bits, sym.layout.fmt)
    light = "1" * (border * scale)
    expand = str.maketrans({"0": "1" * scale, "1": "0" * scale})  # in the PNG 1 is white
    pad = (-width) % 8
    nbytes = (width + pad) // 8
    blank = b"\x00" + b"\xff" * nbytes
    lines = [blank] * (border * scale)
    for row in range(size):
        start = (row + encoder.PAD) * stride
        bits = light + text[start : start + size].translate(expand) + light + "0" * pad
        line = b"\x00" + int(bits, 2).to_bytes(nbytes, "big")
        lines.extend([line] * scale)
    lines.extend([blank] * (border * scale))
    header = width.to_bytes(4, "big") * 2 + bytes((1, 0, 0, 0, 0))  # 1 bit grey
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(lines), 6)),
            _chunk(b"IEND", b""),
        )
    )


# --- many codes ---------------------------------------------------------------------------------


def write_zip(code_values: Iterable[str], fmt: str, options: ImageOptions, out: IO[bytes]) -> int:
    """One SVG or PNG per code, named after the code, into ``out``. Returns the number of files."""
    if fmt not in ZIP_FORMATS:
        raise ValidationFailed(_("Choose SVG or PNG."), fields={"format": _("Choose SVG or PNG.")})
    count = 0
    method = zipfile.ZIP_DEFLATED if fmt == "svg" else zipfile.ZIP_STORED  # PNG is compressed
    with zipfile.ZipFile(out, "w", compression=method, allowZip64=True) as archive:
        for value in code_values:
            archive.writestr(image_filename(value, fmt)[3:], code_image(value, fmt, options))
            count += 1
    return count


@dataclass(frozen=True)
class CodeRow:
    """What the CSV and the labels need of a code."""

    code: str
    slug: str = ""
    title: str = ""
    status: str = ""
    tags: tuple[str, ...] = ()


def write_csv(rows: Iterable[CodeRow], out: IO[str]) -> int:
    """Code, vanity name, title, status, tags and printed URL: UTF-8 with a BOM for spreadsheets."""
    from buurtkit.qrcodes.models import CodeStatus

    labels = dict(CodeStatus.choices)
    header = [_("Code"), _("Vanity name"), _("Title"), _("Status"), _("Tags"), _("Printed URL")]
    lines = (
        [
            row.code,
            row.slug,
            row.title,
            str(labels.get(row.status, row.status)),
            ", ".join(row.tags),
            scan_url(row.code),
        ]
        for row in rows
    )
    return core_exports.write_csv(out, itertools.chain([header], lines)) - 1


# --- label sheets -------------------------------------------------------------------------------

PAGE_MM = (210.0, 297.0)  # A4
MIN_LABEL_MM = 15.0
MIN_MODULE_MM = 0.25  # smaller modules do not scan reliably from a printed label
MAX_COLUMNS, MAX_ROWS = 10, 20
INSET_MM = 1.0  # nothing is printed this close to a label's edge (die-cut tolerance)
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4000
MAX_CAPTION = 80


@dataclass(frozen=True)
class Grid:
    """Labels on an A4 sheet, in millimetres."""

    columns: int
    rows: int
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def label_width(self) -> float:
        return (
            PAGE_MM[0] - self.left - self.right - (self.columns - 1) * self.gap_x
        ) / self.columns

    @property
    def label_height(self) -> float:
        return (PAGE_MM[1] - self.top - self.bottom - (self.rows - 1) * self.gap_y) / self.rows


PRESETS: dict[str, Grid] = {
    # 24 labels of 70 × 37 mm (the common sticker sheet, e.g. Avery 3474)
    "3x8": Grid(columns=3, rows=8, top=0.5, bottom=0.5),
    # 10 labels of 99.1 × 57 mm (e.g. Avery L7173)
    "2x5": Grid(columns=2, rows=5, top=6.0, bottom=6.0, left=4.65, right=4.65, gap_x=2.5),
}


@dataclass(frozen=True)
class SheetOptions:
    grid: Grid
    preset: str = "3x8"
    error: str = "M"
    module_mm: float | None = None  # None: as large as the label allows
    border: int = 4
    show_title: bool = True
    caption: str = ""
    logo: bytes | None = field(default=None, repr=False)


def sheet_options(
    *,
    preset: str = "3x8",
    columns: Any = None,
    rows: Any = None,
    margin_top: Any = None,
    margin_right: Any = None,
    margin_bottom: Any = None,
    margin_left: Any = None,
    gap_x: Any = None,
    gap_y: Any = None,
    error: Any = "M",
    module_size: Any = None,
    border: Any = 4,
    show_title: bool = True,
    caption: str = "",
    logo: bytes | None = None,
) -> SheetOptions:
    """Check a label sheet's options; every problem is named by its field. Labels must fit."""
    errors: dict[str, str] = {}
    preset = (preset or "3x8").strip().lower()
    if preset in PRESETS:
        grid = PRESETS[preset]
    elif preset == "custom":
        cols = _int(columns, "columns", 1, MAX_COLUMNS, None, errors)
        rws = _int(rows, "rows", 1, MAX_ROWS, None, errors)
        if cols is None and "columns" not in errors:
            errors["columns"] = _("Give the number of columns.")
        if rws is None and "rows" not in errors:
            errors["rows"] = _("Give the number of rows.")
        margins = {
            name: _mm(value, name, 0, 100, 0.0, errors) or 0.0
            for name, value in (
                ("margin_top", margin_top),
                ("margin_right", margin_right),
                ("margin_bottom", margin_bottom),
                ("margin_left", margin_left),
            )
        }
        gx = _mm(gap_x, "gap_x", 0, 50, 0.0, errors) or 0.0
        gy = _mm(gap_y, "gap_y", 0, 50, 0.0, errors) or 0.0
        grid = Grid(
            columns=cols or 1,
            rows=rws or 1,
            top=margins["margin_top"],
            right=margins["margin_right"],
            bottom=margins["margin_bottom"],
            left=margins["margin_left"],
            gap_x=gx,
            gap_y=gy,
        )
        if not errors:
            if grid.label_width < MIN_LABEL_MM:
                errors["columns"] = _(
                    "The labels would be %(width)s mm wide; they must be at least %(min)s mm. "
                    "Use fewer columns, smaller margins or smaller gaps."
                ) % {"width": _num(round(grid.label_width, 1)), "min": _num(MIN_LABEL_MM)}
            if grid.label_height < MIN_LABEL_MM:
                errors["rows"] = _(
                    "The labels would be %(height)s mm high; they must be at least %(min)s mm. "
                    "Use fewer rows, smaller margins or smaller gaps."
                ) % {"height": _num(round(grid.label_height, 1)), "min": _num(MIN_LABEL_MM)}
    else:
        errors["preset"] = _("Choose 3 × 8, 2 × 5 or your own grid.")
        grid = PRESETS["3x8"]
    level = _error_level(error, errors)
    module = _mm(module_size, "module_size", MIN_MODULE_MM, 10, None, errors)
    quiet = _int(border, "border", 0, MAX_BORDER, 4, errors)
    text = " ".join(str(caption or "").split())
    if len(text) > MAX_CAPTION:
        errors["caption"] = _("Use at most %(n)d characters.") % {"n": MAX_CAPTION}
    if logo:
        _check_logo(logo, errors)
    options = SheetOptions(
        grid=grid,
        preset=preset,
        error=level,
        module_mm=module,
        border=quiet if quiet is not None else 4,
        show_title=bool(show_title),
        caption=text,
        logo=logo or None,
    )
    if not errors:
        _fit(options, errors)
    _raise(errors)
    return options


def _check_logo(logo: bytes, errors: dict[str, str]) -> None:
    if len(logo) > MAX_LOGO_BYTES:
        errors["logo"] = _("The logo may be at most 2 MB.")
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(logo)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        errors["logo"] = _("The logo must be a PNG or JPEG picture.")
        return
    if kind not in ("PNG", "JPEG"):
        errors["logo"] = _("The logo must be a PNG or JPEG picture.")
    elif max(width, height) > MAX_LOGO_PIXELS:
        errors["logo"] = _("The logo may be at most %(n)d pixels wide and high.") % {
            "n": MAX_LOGO_PIXELS
        }


@dataclass(frozen=True)
class _Box:
    """Where things go on one label (points, from the label's bottom-left corner)."""

    module: float  # one module
    qr_x: float  # top-left corner of the symbol itself (inside its quiet zone)
    qr_top: float
    text_x: float  # left edge (horizontal) or centre (stacked) of the text
    text_width: float
    text_top: float
    text_bottom: float
    stacked: bool
    code_pt: float
    small_pt: float
    logo: tuple[float, float, float, float] | None  # x, y, width, height


MM = 72 / 25.4
CODE_FONT, TEXT_FONT = "Helvetica-Bold", "Helvetica"


def _layout(options: SheetOptions, size: int, logo_ratio: float | None) -> _Box | str:
    """The label's layout for symbols of ``size`` modules, or a message saying why it cannot be."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    grid = options.grid
    width, height = grid.label_width * MM, grid.label_height * MM
    inset = INSET_MM * MM
    room_w, room_h = width - 2 * inset, height - 2 * inset
    modules = size + 2 * options.border
    stacked = width < height * 1.2
    text_lines = 1 + (2 if options.show_title else 0) + (1 if options.caption else 0)
    if stacked:
        logo_h = room_h * 0.15 if logo_ratio else 0.0
        text_h = min(room_h * 0.3, text_lines * 11.0)
        side = min(room_w, room_h - text_h - logo_h)
    else:
        side = min(room_h, room_w * 0.6)
    module = side / modules if options.module_mm is None else options.module_mm * MM
    if options.module_mm is None and module < MIN_MODULE_MM * MM:
        return _("The labels are too small for a code that scans well. Use bigger labels.")
    if module * modules > side + 0.01:
        return _(
            "With modules of %(module)s mm the code is %(code)s mm wide, but these labels have "
            "room for %(room)s mm. Leave the module size empty or choose a smaller one."
        ) % {
            "module": _num(round(module / MM, 2)),
            "code": _num(round(module * modules / MM, 1)),
            "room": _num(round(side / MM, 1)),
        }
    qr_side = module * modules
    wide = stringWidth("WWW-WWW-WWW", CODE_FONT, 1)
    if stacked:
        qr_left = (width - qr_side) / 2
        qr_top_edge = height - inset - (room_h * 0.15 if logo_ratio else 0.0)
        text_w = room_w
        text_x = width / 2
        text_top = qr_top_edge - qr_side
        text_bottom = inset
        code_pt = min(12.0, text_w / wide, max(text_top - text_bottom, 0) / 1.3)
        logo = None
        if logo_ratio:
            lh = room_h * 0.15 - 1
            lw = min(lh * logo_ratio, room_w)
            lh = lw / logo_ratio
            logo = ((width - lw) / 2, height - inset - lh, lw, lh)
    else:
        qr_left = inset + (side - qr_side) / 2
        qr_top_edge = height - inset - (room_h - qr_side) / 2
        text_x = inset + side + 1.5 * MM
        text_w = width - inset - text_x
        text_top, text_bottom = height - inset, inset
        code_pt = min(14.0, text_w / wide)
        logo = None
        if logo_ratio:
            lh = room_h * 0.35
            lw = min(lh * logo_ratio, text_w)
            lh = lw / logo_ratio
            logo = (text_x, height - inset - lh, lw, lh)
            text_top -= lh + 1.5 * MM
    if code_pt < 5:
        return _("The labels are too narrow to print the code in readable text. Use wider labels.")
    return _Box(
        module=module,
        qr_x=qr_left + options.border * module,
        qr_top=qr_top_edge - options.border * module,
        text_x=text_x,
        text_width=text_w,
        text_top=text_top,
        text_bottom=text_bottom,
        stacked=stacked,
        code_pt=code_pt,
        small_pt=max(5.0, min(9.0, code_pt * 0.7)),
        logo=logo,
    )


def _logo_ratio(logo: bytes | None) -> float | None:
    if not logo:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(logo)) as image:
        w, h = image.size
    return w / h if h else None


def _fit(options: SheetOptions, errors: dict[str, str]) -> None:
    size = symbol("0" * LENGTH, options.error).size
    box = _layout(options, size, _logo_ratio(options.logo))
    if isinstance(box, str):
        key = "module_size" if options.module_mm is not None else "preset"
        if options.preset == "custom" and options.module_mm is None:
            key = "columns"
        errors[key] = box


def sheet_pages(count: int, options: SheetOptions) -> int:
    return max(1, math.ceil(count / options.grid.per_page))


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """reportlab's default ASCII85 stream filter is slow pure Python; PDFs may be binary."""
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def write_sheet(
    labels: Iterable[CodeRow], options: SheetOptions, out: IO[bytes], *, title: str = ""
) -> int:
    """A4 pages of labels: each with the code (vector rectangles), its readable id, optionally
    the title, a caption and a logo. Returns the number of labels."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    grid = options.grid
    page_w, page_h = PAGE_MM[0] * MM, PAGE_MM[1] * MM
    label_h = grid.label_height * MM
    count = 0
    with _binary_streams():
        canvas = Canvas(out, pagesize=(page_w, page_h), pageCompression=1)
        canvas.setTitle(title or _("QR code labels"))
        canvas.setCreator("buurtkit")
        logo_ratio = _logo_ratio(options.logo)
        logo_size = (1, 1)
        if options.logo:  # drawn once, placed on every label by reference
            reader = ImageReader(io.BytesIO(options.logo))
            logo_size = reader.getSize()
            canvas.beginForm("logo", 0, 0, *logo_size)
            canvas.drawImage(reader, 0, 0, *logo_size, mask="auto")
            canvas.endForm()
        boxes: dict[int, _Box] = {}
        runs: dict[int, _Runs] = {}  # per symbol size
        shared: set[str] = set()
        per_page = grid.per_page
        text: _Text | None = None
        for row in labels:
            slot = count % per_page
            if slot == 0:
                if text is not None:
                    text.draw()
                    canvas.showPage()
                text = _Text(canvas)
            count += 1
            sym = symbol(row.code, options.error)
            box = boxes.get(sym.size)
            if box is None:
                made = _layout(options, sym.size, logo_ratio)
                if isinstance(made, str):
                    raise ValidationFailed(made, fields={"preset": made})
                box = boxes[sym.size] = made
                runs[sym.size] = _Runs(sym.layout.stride)
            if sym.fixed_key and sym.fixed_key not in shared:
                _define_shared(canvas, sym)
                shared.add(sym.fixed_key)
            r, c = divmod(slot, grid.columns)
            x0 = (grid.left + c * (grid.label_width + grid.gap_x)) * MM
            y0 = page_h - (grid.top + r * (grid.label_height + grid.gap_y)) * MM - label_h
            m = box.module
            canvas.addLiteral(
                f"q {m:.4f} 0 0 {-m:.4f} {x0 + box.qr_x:.2f} {y0 + box.qr_top:.2f} cm"
            )
            if sym.fixed_key:
                canvas.doForm(sym.fixed_key)
            canvas.addLiteral(_rectangles(sym, runs[sym.size]) + " f Q")
            assert text is not None
            _label_text(text, row, options, box, x0, y0)
            if box.logo is not None:
                lx, ly, lw, lh = box.logo
                canvas.saveState()
                canvas.translate(x0 + lx, y0 + ly)
                canvas.scale(lw / logo_size[0], lh / logo_size[1])
                canvas.doForm("logo")
                canvas.restoreState()
        if text is not None:
            text.draw()
        canvas.showPage()
        canvas.save()
    return count


def _define_shared(canvas: Any, sym: encoder.Symbol) -> None:
    """The modules every symbol of this kind has (finder, timing, alignment) as one XObject."""
    canvas.beginForm(sym.fixed_key, 0, 0, sym.size, sym.size)
    fixed = replace(sym, bits=sym.fixed, fixed=0)
    canvas.addLiteral(" ".join(f"{col} {row} {n} 1 re" for row, col, n in fixed.runs()) + " f")
    canvas.endForm()


class _Runs(dict[tuple[int, int], str]):
    """A run of dark modules (its span in the symbol's bit string) → its PDF rectangle."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.offset = encoder.PAD * stride

    def __missing__(self, span: tuple[int, int]) -> str:
        row, col = divmod(span[0] - self.offset, self.stride)
        text = self[span] = f"{col} {row} {span[1] - span[0]} 1 re"
        return text


def _rectangles(sym: encoder.Symbol, runs: _Runs) -> str:
    """The symbol's own dark modules as rectangles, one per horizontal run, in module units.

    This is the hot loop of a 100,000-label sheet: regex, span and lookup all run in C.
    """
    found = encoder.RUNS.finditer(format(sym.bits & ~sym.fixed, sym.layout.fmt))
    return " ".join(map(runs.__getitem__, map(re.Match.span, found)))


class _Text:
    """All text of one page in one PDF text object (much cheaper than one per string)."""

    def __init__(self, canvas: Any) -> None:
        self.canvas = canvas
        self.obj = canvas.beginText()
        self.font: tuple[str, float] | None = None

    def line(self, x: float, y: float, text: str, font: str, size: float, centre: bool) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        if self.font != (font, size):
            self.obj.setFont(font, size)
            self.font = (font, size)
        if centre:
            x -= stringWidth(text, font, size) / 2
        self.obj.setTextOrigin(x, y)
        self.obj.textOut(text)

    def draw(self) -> None:
        self.canvas.drawText(self.obj)


def _label_text(
    text: _Text, row: CodeRow, options: SheetOptions, box: _Box, x0: float, y0: float
) -> None:
    from reportlab.lib.utils import simpleSplit

    lines: list[tuple[str, str, float]] = [(readable(row.code), CODE_FONT, box.code_pt)]
    small = box.small_pt
    if options.show_title and row.title:
        wrapped = simpleSplit(row.title, TEXT_FONT, small, box.text_width)
        if len(wrapped) > 2:
            wrapped = [wrapped[0], _ellipsis(" ".join(wrapped[1:]), small, box.text_width)]
        lines += [(line, TEXT_FONT, small) for line in wrapped]
    room = box.text_top - box.text_bottom
    if options.caption:
        # The caption wraps over the lines the label has room for (it was one line with "…"
        # however much room was left); only what still does not fit ends in "…".
        used = sum(size * 1.25 for _line, _font, size in lines)
        fits = max(1, int((room - used + 0.01) // (small * 1.25)))
        wrapped = simpleSplit(options.caption, TEXT_FONT, small, box.text_width) or [""]
        if len(wrapped) > fits:
            rest = " ".join(wrapped[fits - 1 :])
            wrapped = [*wrapped[: fits - 1], _ellipsis(rest, small, box.text_width)]
        lines += [(line, TEXT_FONT, small) for line in wrapped]
    heights = [size * 1.25 for _line, _font, size in lines]
    while sum(heights) > room + 0.01 and len(lines) > 1:
        lines.pop()
        heights.pop()
    top = box.text_top if box.stacked else box.text_bottom + (room + sum(heights)) / 2
    y = y0 + top
    for (line, font, size), height in zip(lines, heights, strict=True):
        y -= height
        text.line(x0 + box.text_x, y + size * 0.25, line, font, size, box.stacked)


def _ellipsis(text: str, size: float, width: float) -> str:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, TEXT_FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", TEXT_FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
