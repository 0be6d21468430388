from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _

from buurtkit.core.errors import ServiceError
from buurtkit.web.registry import SESSIONLESS


def signed_with_api_key(request: HttpRequest) -> bool:
    """An API call with ``Authorization: Bearer …`` (a script, not a browser)."""
    return request.path_info.startswith("/api/") and request.META.get(
        "HTTP_AUTHORIZATION", ""
    ).startswith("Bearer ")


def sessionless(request: HttpRequest) -> bool:
    """A GET (or HEAD) of a page registered with ``web.registry.register_sessionless``."""
    return request.method in ("GET", "HEAD") and any(
        p.match(request.path_info) for p in SESSIONLESS
    )


def pages_only(middleware: type, *, sessionless_too: bool = False) -> type:
    """``middleware`` for pages and browser calls; an API call signed with a key goes past it
    (and, with ``sessionless_too``, so does a GET of a page registered as sessionless).

    Sessions, flash messages, ``X-Frame-Options`` and slash redirects mean nothing to a
    script, and together they cost a payment through the API about a tenth of its Python
    time. The key decides who is calling (``conf/api.ApiKeyAuth``); a wrong key is refused
    without looking at a session.
    """

    class PagesOnly(middleware):  # type: ignore[valid-type,misc]
        async_capable = False  # under ASGI Django adapts; buurtkit serves WSGI

        def __call__(self, request: HttpRequest) -> Any:
            if signed_with_api_key(request) or (sessionless_too and sessionless(request)):
                return self.get_response(request)
            return super().__call__(request)

    PagesOnly.__name__ = PagesOnly.__qualname__ = middleware.__name__
    PagesOnly.__doc__ = f"{middleware.__module__}.{middleware.__name__}, for pages only."
    return PagesOnly


PagesSessionMiddleware = pages_only(SessionMiddleware, sessionless_too=True)
PagesCommonMiddleware = pages_only(CommonMiddleware)
PagesAuthenticationMiddleware = pages_only(AuthenticationMiddleware, sessionless_too=True)
PagesMessageMiddleware = pages_only(MessageMiddleware, sessionless_too=True)
PagesXFrameOptionsMiddleware = pages_only(XFrameOptionsMiddleware)


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
