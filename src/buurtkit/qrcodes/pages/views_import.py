"""Importing codes from a spreadsheet (CSV or XLSX): check first, then import.

Step one reads the file and runs the import as a dry run: every row's result is shown (would be
made, would be changed, or what is wrong with it) and nothing is saved. The rows wait in the
session; step two imports exactly those rows, so what was checked is what is saved.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ValidationFailed
from buurtkit.qrcodes import imports, services
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash


def _session_key(slug: str) -> str:
    return f"qr_import:{slug}"


def _code_url(slug: str, code_id: int | None) -> str | None:
    if not code_id:
        return None
    for name in ("web:qr_code", "web:qr_code_stats"):
        try:
            return reverse(name, args=[slug, code_id])
        except NoReverseMatch:
            continue
    return None


def _present(
    slug: str, rows: list[dict[str, Any]], results: list[dict[str, Any]]
) -> dict[str, Any]:
    """Results with the row's slug and title beside them, and the counts per outcome."""
    by_number = {int(r.get("_row") or i): r for i, r in enumerate(rows, start=2)}
    shown = []
    for result in results:
        row = by_number.get(int(result["row"]), {})
        fields = result.get("fields") or {}
        problems = [str(message) for message in fields.values() if message]
        shown.append(
            {
                **result,
                "slug": row.get("slug", ""),
                "title": row.get("title", ""),
                "problems": problems or ([result["detail"]] if result.get("detail") else []),
                "url": _code_url(slug, result.get("id")),
            }
        )
    return {
        "results": shown,
        "created": sum(1 for r in results if r["ok"] and r["action"] == "created"),
        "updated": sum(1 for r in results if r["ok"] and r["action"] == "updated"),
        "unchanged": sum(1 for r in results if r["ok"] and r["action"] == "unchanged"),
        "failed": sum(1 for r in results if not r["ok"]),
        "good": sum(1 for r in results if r["ok"]),
    }


@community_page("qrcodes.manage")
def qr_import(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    community = request.community  # type: ignore[attr-defined]
    key = _session_key(community.slug)
    context: dict[str, Any] = {"columns": imports.COLUMNS, "step": "upload", "atomic": False}
    if request.method != "POST":
        return render(request, "qrcodes/staff/import.html", context)

    if request.POST.get("step") == "import":
        waiting = request.session.get(key)
        if not waiting or waiting.get("token") != request.POST.get("token"):
            context["file_error"] = _(
                "That check is no longer available (it was already imported, or it is too old). "
                "Choose the file again."
            )
            return render(request, "qrcodes/staff/import.html", context, status=400)
        del request.session[key]
        rows, atomic = waiting["rows"], bool(waiting["atomic"])
        results = services.codes_import(actor=actor, rows=rows, dry_run=False, atomic=atomic)
        context.update(_present(community.slug, rows, results), step="done", name=waiting["name"])
        flash(
            request,
            _("Import done. New codes: %(new)d. Changed: %(changed)d. Rows not imported: %(bad)d.")
            % {"new": context["created"], "changed": context["updated"], "bad": context["failed"]},
            "error" if context["failed"] else "success",
        )
        return render(request, "qrcodes/staff/import.html", context)

    upload = request.FILES.get("file")
    atomic = request.POST.get("atomic") == "on"
    context["atomic"] = atomic
    if upload is None:
        context["file_error"] = _("Choose a CSV or XLSX file.")
        return render(request, "qrcodes/staff/import.html", context, status=400)
    try:
        rows = imports.read_rows(upload.read(imports.MAX_BYTES + 1), upload.name or "")
        if not rows:
            raise ValidationFailed(
                _("The file has no rows under the header."),
                fields={"file": _("The file has no rows under the header.")},
            )
        results = services.codes_import(actor=actor, rows=rows, dry_run=True, atomic=atomic)
    except ValidationFailed as exc:
        context["file_error"] = str(exc.fields.get("file") or exc.detail)
        return render(request, "qrcodes/staff/import.html", context, status=400)
    token = secrets.token_urlsafe(12)
    request.session[key] = {
        "token": token,
        "rows": rows,
        "atomic": atomic,
        "name": (upload.name or "")[:100],
    }
    context.update(
        _present(community.slug, rows, results), step="check", token=token, name=upload.name
    )
    return render(request, "qrcodes/staff/import.html", context)
