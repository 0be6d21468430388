"""The JSON API under /api/v1/: one NinjaAPI, auth by bearer key (or session), one error shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from buurtkit.activities.api import router as activities_router
from buurtkit.core.actor import Actor
from buurtkit.core.api import router as core_router
from buurtkit.core.apitools import Api
from buurtkit.core.errors import NotFound, PermissionDenied, ServiceError
from buurtkit.core.scoping import community_by_slug
from buurtkit.helpdesk.api import router as helpdesk_router
from buurtkit.ledger.api import router as ledger_router
from buurtkit.lending.api import router as lending_router
from buurtkit.neighbours.api import router as neighbours_router
from buurtkit.people.api import invitations, memberships, organisations, people
from buurtkit.people.selectors import actor_for_api_key, actor_for_user
from buurtkit.people.services import apikey_touch
from buurtkit.places.api import router as places_router
from buurtkit.qrcodes.api import router as qrcodes_router

API_PREFIX = "/api/v1/"  # where conf/urls.py mounts the API


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer bk_…``: the key decides the community and the permissions."""

    openapi_description = "An API key made in the staff pages or with `buurtkit apikey`."

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        actor = actor_for_api_key(token)
        if actor is None:
            return None
        asked = request.GET.get("community")
        if asked and asked != actor.community.slug:
            raise NotFound(_("There is no such community for this key."))
        apikey_touch(apikey_id=actor.api_key_id or 0)
        return _module_on(request, actor)


class SessionActorAuth(SessionAuth):
    """A signed-in browser session; the community is named with ``?community=<slug>``."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if not hasattr(request, "user"):  # signed with a (wrong) key: no session looked at
            return None
        user = super().authenticate(request, key)
        slug = request.GET.get("community", "")
        if not user or not slug:
            return None
        actor = actor_for_user(user=user, community=community_by_slug(slug))
        return _module_on(request, actor) if actor is not None else None


#: The first path segment under /api/v1/ -> the module whose router answers there.
MODULE_PATHS: dict[str, str] = {}


def _module_on(request: HttpRequest, actor: Actor) -> Actor:
    """A module switched off in the key's community answers none of its API paths."""
    segment = request.path.removeprefix(API_PREFIX).split("/", 1)[0]
    module = MODULE_PATHS.get(segment)
    if module is not None and not actor.community.has_module(module):
        raise NotFound(_("This service is not switched on in this community."), code="module_off")
    return actor


api = Api(
    title="buurtkit API",
    version="1",
    description=(
        "Community-scoped API of buurtkit. Every request acts in the community of its API key. "
        'Errors are JSON: {"error": code, "detail": text, "fields": {field: message}}.'
    ),
    auth=[ApiKeyAuth(), SessionActorAuth()],
    urls_namespace="api",
)


def _response(
    request: HttpRequest, status: int, code: str, detail: Any, fields: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": code, "detail": str(detail), "fields": fields or {}}, status=status
    )


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    detail = str(exc.detail)
    if isinstance(exc, PermissionDenied) and exc.permission:
        detail = f"{detail} ({exc.permission})"  # for the script's author; pages never show it
    return _response(
        request, exc.status, exc.code, detail, {k: str(v) for k, v in exc.fields.items()}
    )


def _field_name(loc: list[Any]) -> str:
    """The field a schema error names, as services name theirs.

    ``roles.0`` (an item of a list of plain values) is ``roles``; a dict's key that is not
    allowed (``consents.telepathy.[key]``) is the dict, ``consents``; a header is written like a
    field (``Idempotency-Key`` is ``idempotency_key``). Items of a list of objects keep their
    number (``devices.0.kind``).
    """
    header = bool(loc) and loc[0] == "header"
    parts = [p for p in loc if p not in ("body", "query", "path", "payload", "header", "form")]
    if "[key]" in parts:
        parts = parts[: max(parts.index("[key]") - 1, 0)]
    while parts and isinstance(parts[-1], int):
        parts.pop()
    name = ".".join(str(p) for p in parts) or "body"
    return name.lower().replace("-", "_") if header else name


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        fields[_field_name(list(err.get("loc", [])))] = str(err.get("msg", "invalid"))
    return _response(
        request, 422, "validation_error", "Some fields are missing or invalid.", fields
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _response(
        request, 401, "unauthorized", "A valid API key is required (Authorization: Bearer …)."
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {
        400: "bad_request",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
    }
    return _response(request, exc.status_code, code.get(exc.status_code, "error"), exc.message)


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _response(request, 404, "not_found", "Not found.")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _response(request, 413, "too_large", "The request body is too large.")


api.add_router("/communities", core_router)
api.add_router("/people", people)
api.add_router("/organisations", organisations)
api.add_router("/memberships", memberships)
api.add_router("/places", places_router)  # a foundation: in every community
api.add_router("/invitations", invitations)


def add_module_router(path: str, router: Router, *, module: str) -> None:
    """Mount a feature module's router; it answers only in communities that have the module."""
    MODULE_PATHS[path.strip("/")] = module
    api.add_router(path, router)


add_module_router("/ledger", ledger_router, module="ledger")
add_module_router("/lending", lending_router, module="lending")
add_module_router("/activities", activities_router, module="activities")
add_module_router("/helpdesk", helpdesk_router, module="helpdesk")
add_module_router("/qr", qrcodes_router, module="qrcodes")
add_module_router("/buurbel", neighbours_router, module="neighbours")
