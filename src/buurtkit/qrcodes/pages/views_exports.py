"""Downloads of QR codes: one code as SVG, PNG, PDF or EPS; a batch or a selection of codes as
a ZIP of images, a CSV or A4 label sheets; and the page where staff choose how labels print.

Big files (a batch holds up to 100,000 codes) are written to a temporary file and streamed.
"""

from __future__ import annotations

import io
import tempfile
from typing import IO, Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError, ValidationFailed
from buurtkit.core.exports import CSV_CONTENT_TYPE
from buurtkit.qrcodes import exports, selectors
from buurtkit.qrcodes.models import CodeStatus
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error

EXPORTS = {  # format in the URL → (file extension, content type)
    "csv": ("csv", CSV_CONTENT_TYPE),
    "zip-svg": ("zip", "application/zip"),
    "zip-png": ("zip", "application/zip"),
    "pdf": ("pdf", "application/pdf"),
}
SHEET_FIELDS = (
    "preset",
    "columns",
    "rows",
    "margin_top",
    "margin_right",
    "margin_bottom",
    "margin_left",
    "gap_x",
    "gap_y",
    "error",
    "module_size",
    "border",
    "caption",
)


# --- one code -------------------------------------------------------------------------------------


@community_page("qrcodes.view")
def code_download(request: HttpRequest, code_id: int, fmt: str) -> HttpResponse:
    """``download.svg?error=Q&scale=8&border=4``: one code's image, as printed."""
    if fmt not in exports.IMAGE_TYPES:
        raise Http404
    code = selectors.code_get(actor=actor_of(request), code_id=code_id)
    options = exports.image_options(
        fmt,
        error=request.GET.get("error"),
        scale=request.GET.get("scale"),
        border=request.GET.get("border"),
    )
    response = HttpResponse(
        exports.code_image(code.code, fmt, options), content_type=exports.IMAGE_TYPES[fmt]
    )
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{exports.image_filename(code.code, fmt)}"'
    )
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- many codes ----------------------------------------------------------------------------------


def _image_options(request: HttpRequest, kind: str) -> exports.ImageOptions:
    return exports.image_options(
        kind,
        error=request.GET.get("error"),
        scale=request.GET.get("scale"),
        border=request.GET.get("border"),
    )


def _sheet_options(params: Any, logo: bytes | None = None) -> exports.SheetOptions:
    values = {name: params.get(name) for name in SHEET_FIELDS if params.get(name) is not None}
    show = params.get("show_title")
    return exports.sheet_options(
        **values,
        show_title=show in ("1", "on", "true", True) if show is not None else True,
        logo=logo,
    )


def _export(
    request: HttpRequest,
    fmt: str,
    filters: dict[str, Any],
    name: str,
    *,
    title: str = "",
    sheet: exports.SheetOptions | None = None,
) -> HttpResponse:
    """Write the export to a temporary file and stream it (it is removed once sent)."""
    actor = actor_of(request)
    if fmt not in EXPORTS:
        message = _("Choose CSV, a ZIP of SVG or PNG images, or a PDF of labels.")
        raise ValidationFailed(message, fields={"fmt": message})
    image = _image_options(request, fmt[4:]) if fmt.startswith("zip-") else None
    if fmt == "pdf" and sheet is None:
        sheet = _sheet_options(request.GET)
    count = selectors.export_codes(actor=actor, **filters).count()
    if count > selectors.MAX_EXPORT:
        message = _("Export at most %(n)s codes at once; choose fewer.") % {
            "n": f"{selectors.MAX_EXPORT:,}".replace(",", ".")
        }
        raise ValidationFailed(message, fields={"fmt": message})
    if count == 0 and fmt != "csv":
        message = _("No codes match, so there is nothing to print.")
        raise ValidationFailed(message, fields={"fmt": message})
    out: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        if fmt == "csv":
            text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            exports.write_csv(selectors.export_rows(actor=actor, with_tags=True, **filters), text)
            text.flush()
            text.detach()
        elif image is not None:
            rows = selectors.export_rows(actor=actor, **filters)
            exports.write_zip((row.code for row in rows), fmt[4:], image, out)
        else:
            assert sheet is not None
            rows = selectors.export_rows(actor=actor, **filters)
            exports.write_sheet(rows, sheet, out, title=title)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    extension, content_type = EXPORTS[fmt]
    suffix = {"zip-svg": "-svg", "zip-png": "-png", "pdf": "-labels"}.get(fmt, "")
    return FileResponse(  # type: ignore[return-value]  # streamed: not an HttpResponse
        out,
        as_attachment=True,
        filename=f"qr-{name}{suffix}.{extension}",
        content_type=content_type,
    )


@community_page("qrcodes.view")
def batch_export(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    """``export.csv``, ``export.zip-svg``, ``export.zip-png`` (with ``error``, ``scale`` and
    ``border``), ``export.pdf`` (with the label sheet's options as query parameters)."""
    batch = selectors.batch_for_export(actor=actor_of(request), batch_id=batch_id)
    return _export(request, fmt, {"batch_id": batch.pk}, f"batch-{batch.pk}", title=batch.title)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@community_page("qrcodes.view")
def selection_export(request: HttpRequest) -> HttpResponse:
    """``qr/export/?tag=bank&status=active&fmt=csv``: the codes a list filter shows, exported."""
    actor = actor_of(request)
    status = request.GET.get("status", "")
    if status and status not in CodeStatus.values:
        message = _("Unknown status.")
        raise ValidationFailed(message, fields={"status": message})
    filters: dict[str, Any] = {
        "q": request.GET.get("q", ""),
        "tag": request.GET.get("tag", ""),
        "status": status,
        "owner_id": _int(request.GET.get("team")),
    }
    name = "selection"
    batch_id = _int(request.GET.get("batch"))
    if batch_id:
        batch = selectors.batch_for_export(actor=actor, batch_id=batch_id)
        filters["batch_id"] = batch.pk
        name = f"batch-{batch.pk}"
    return _export(request, request.GET.get("fmt", "csv"), filters, name)


# --- the print page -------------------------------------------------------------------------------


def _mm_field(label: Any, help_text: Any = "") -> forms.CharField:
    """Millimetres as typed: "7,5" and "7.5" both work (checked by the exports module)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=10,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PrintForm(forms.Form):
    preset = forms.ChoiceField(
        label=gettext_lazy("Sheet"),
        widget=forms.RadioSelect,
        initial="3x8",
        choices=[
            ("3x8", gettext_lazy("3 × 8: 24 labels of 70 × 37 mm")),
            ("2x5", gettext_lazy("2 × 5: 10 labels of 99 × 57 mm")),
            ("custom", gettext_lazy("My own grid (fill in below)")),
        ],
    )
    columns = forms.IntegerField(label=gettext_lazy("Columns"), min_value=1, max_value=10)
    rows = forms.IntegerField(label=gettext_lazy("Rows"), min_value=1, max_value=20)
    margin_top = _mm_field(gettext_lazy("Top margin (mm)"))
    margin_bottom = _mm_field(gettext_lazy("Bottom margin (mm)"))
    margin_left = _mm_field(gettext_lazy("Left margin (mm)"))
    margin_right = _mm_field(gettext_lazy("Right margin (mm)"))
    gap_x = _mm_field(gettext_lazy("Space between columns (mm)"))
    gap_y = _mm_field(gettext_lazy("Space between rows (mm)"))
    error = forms.ChoiceField(
        label=gettext_lazy("Error correction"),
        initial="M",
        choices=[
            ("L", gettext_lazy("L: low (7 %), smallest code")),
            ("M", gettext_lazy("M: medium (15 %), usual")),
            ("Q", gettext_lazy("Q: high (25 %)")),
            ("H", gettext_lazy("H: highest (30 %), for dirty or worn places")),
        ],
        help_text=gettext_lazy("How much of a code may be damaged and still scan."),
    )
    module_size = _mm_field(
        gettext_lazy("Module size (mm)"),
        gettext_lazy("The size of one black square. Leave empty: as large as the label allows."),
    )
    border = forms.IntegerField(
        label=gettext_lazy("Quiet zone (modules)"),
        initial=4,
        min_value=0,
        max_value=20,
        help_text=gettext_lazy("The white margin around the code; 4 is the standard."),
    )
    show_title = forms.BooleanField(
        label=gettext_lazy("Print each code's title"), required=False, initial=True
    )
    caption = forms.CharField(
        label=gettext_lazy("Text on every label"),
        required=False,
        max_length=exports.MAX_CAPTION,
        help_text=gettext_lazy("For example: Scan for information about this bench."),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo (PNG or JPEG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=gettext_lazy("At most 2 MB. Choose it again if the page shows an error."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get("preset") != "custom":
            for name in ("columns", "rows"):  # only needed for your own grid
                self.fields[name].required = False


@community_page("qrcodes.view")
def batch_print(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Choose a sheet, the code's options, a title, a caption and a logo; download the PDF."""
    actor = actor_of(request)
    batch = selectors.batch_get(actor=actor, batch_id=batch_id)
    form = PrintForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("logo")
            if upload and upload.size > exports.MAX_LOGO_BYTES:
                form.add_error("logo", _("The logo may be at most 2 MB."))
            else:
                try:
                    selectors.batch_for_export(actor=actor, batch_id=batch.pk)
                    sheet = exports.sheet_options(
                        **{k: data[k] for k in SHEET_FIELDS if data.get(k) is not None},
                        show_title=data["show_title"],
                        logo=upload.read() if upload else None,
                    )
                    return _export(
                        request,
                        "pdf",
                        {"batch_id": batch.pk},
                        f"batch-{batch.pk}",
                        title=batch.title,
                        sheet=sheet,
                    )
                except ServiceError as exc:
                    apply_service_error(form, exc)
        status = 422
    sheets = [
        (key, exports.sheet_pages(batch.size, exports.sheet_options(preset=key)))
        for key in exports.PRESETS
    ]
    return render(
        request,
        "qrcodes/staff/print.html",
        {
            "batch": batch,
            "form": form,
            "sheets": sheets,
            "ready": batch.status == "done",
            "custom_fields": [
                form[name]
                for name in (
                    "columns",
                    "rows",
                    "margin_top",
                    "margin_bottom",
                    "margin_left",
                    "margin_right",
                    "gap_x",
                    "gap_y",
                )
            ],
        },
        status=status,
    )
