"""Photos of a device on its page: add one from the phone's camera, see it, remove it. Thin:
one service call; the photo's file is served only to staff of the device's community."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.lending import selectors, services
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash


def _back(slug: str, device_id: int) -> HttpResponse:
    return redirect(reverse("web:lending_device", args=[slug, device_id]) + "#photos")


@community_page("lending.manage")
@require_POST
def device_photo_add(request: HttpRequest, device_id: int) -> HttpResponse:
    actor = actor_of(request)
    device = selectors.device_get(actor=actor, device_id=device_id)  # or not found
    try:
        services.device_photo_add(
            actor=actor, device_id=device.pk, upload=request.FILES.get("photo")
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(request, _("The photo is added."))
    return _back(actor.community.slug, device.pk)


@community_page("lending.manage")
@require_POST
def device_photo_remove(request: HttpRequest, device_id: int, photo_id: int) -> HttpResponse:
    actor = actor_of(request)
    photo = selectors.device_photo_get(actor=actor, device_id=device_id, photo_id=photo_id)
    services.device_photo_remove(actor=actor, device_id=photo.device_id, photo_id=photo.pk)
    flash(request, _("The photo is removed."))
    return _back(actor.community.slug, photo.device_id)


@community_page("lending.view")
def device_photo(request: HttpRequest, device_id: int, photo_id: int) -> FileResponse:
    photo = selectors.device_photo_get(
        actor=actor_of(request), device_id=device_id, photo_id=photo_id
    )
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
