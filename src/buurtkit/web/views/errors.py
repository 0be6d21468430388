from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 404, _("Not found"), _("This page does not exist (any more)."))


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 403, _("No access"), _("You are not allowed to see this page."))


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(
        request, 400, _("Something went wrong"), _("We could not understand this request.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, _("Something went wrong"), _("Please try again in a moment."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        _("Please try again"),
        _(
            "The form was open for too long or cookies are blocked. Go back, reload the page and try again."
        ),
    )
