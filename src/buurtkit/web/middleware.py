from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
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


class ApiErrorShapeMiddleware:
    """Under /api/ every error is JSON ``{"error", "detail", "fields"}``, also the ones Django or
    the router produce before an endpoint runs (unknown path, wrong method, bad host, crash)."""

    CODES = {
        400: "bad_request",
        401: "unauthorized",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        500: "server_error",
    }

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)  # type: ignore[operator]
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            detail = {
                404: _("Not found."),
                405: _("This method is not allowed here."),
                500: _("Something went wrong on our side."),
            }.get(status, _("The request could not be handled."))
            new = JsonResponse(
                {"error": self.CODES.get(status, "error"), "detail": str(detail), "fields": {}},
                status=status,
            )
            if response.has_header("Allow"):
                new["Allow"] = response["Allow"]
            return new
        return response
