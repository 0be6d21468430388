"""Batches of blank codes: order up to 100,000 at once, watch them being made, print them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.qrcodes import selectors, services
from buurtkit.qrcodes.models import Batch
from buurtkit.qrcodes.pages.forms import BatchForm, apply_qr_error, split_tags
from buurtkit.qrcodes.pages.views_codes import teams_for, url_exists
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _running(batches: Any) -> bool:
    return any(b.status in (Batch.Status.PENDING, Batch.Status.RUNNING) for b in batches)


@community_page("qrcodes.view")
def batch_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    teams = teams_for(actor)
    form = BatchForm(request.POST or None, teams=teams)
    if request.method == "POST":
        actor.require("qrcodes.manage")
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = services.batch_create(
                    actor=actor,
                    size=data["size"],
                    title=data["title"],
                    owner_id=data["owner"],
                    tags=split_tags(data["tags"]),
                )
            except ServiceError as exc:
                apply_qr_error(form, exc)
            else:
                flash(
                    request,
                    _("The batch of %(n)s codes has been ordered.") % {"n": batch.size},
                )
                return redirect("web:qr_batch", slug=actor.community.slug, batch_id=batch.pk)
    page = paginate(request, selectors.batches_list(actor=actor))
    context = {
        "page": page,
        "form": form,
        "running": _running(page),
        "can_manage": actor.has("qrcodes.manage"),
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "qrcodes/staff/_batch_rows.html", context)
    return render(
        request, "qrcodes/staff/batches.html", context, status=422 if form.errors else 200
    )


@community_page("qrcodes.view")
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = actor_of(request)
    batch = selectors.batch_get(actor=actor, batch_id=batch_id)
    slug = actor.community.slug
    context = {
        "batch": batch,
        "running": _running([batch]),
        "exports": [
            (label, url)
            for label, url in (
                (_("Print stickers (PDF)"), url_exists("web:qr_batch_print", slug, batch.pk)),
                (
                    _("Download (CSV, SVG, PNG)"),
                    url_exists("web:qr_batch_export", slug, batch.pk),
                ),
            )
            if url
        ],
    }
    if request.headers.get("HX-Request"):
        return render(request, "qrcodes/staff/_batch_progress.html", context)
    return render(request, "qrcodes/staff/batch.html", context)
