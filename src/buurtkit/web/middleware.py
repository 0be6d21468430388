from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from buurtkit.core.errors import ServiceError


class ServiceErrorMiddleware:
    """A service error that a page did not handle becomes a clear page, not a crash."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[operator,no-any-return]

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") or not isinstance(exception, ServiceError):
            return None
        titles = {404: _("Not found"), 403: _("No access")}
        return render(
            request,
            "web/error.html",
            {
                "title": titles.get(exception.status, _("That did not work")),
                "message": exception.detail,
            },
            status=exception.status,
        )
