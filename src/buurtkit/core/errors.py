"""Errors services raise. The API and the pages turn them into clear answers."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ServiceError(Exception):
    """A request that cannot be carried out; nothing has been written."""

    code = "invalid"
    status = 400

    def __init__(
        self,
        detail: str | Promise = "",
        *,
        fields: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = detail
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(ServiceError):
    code = "validation_error"
    status = 422


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class PermissionDenied(ServiceError):
    """``permission``: the code of the right that was missing, for scripts (the API names it
    after the sentence); pages show only the sentence, which names the right in words."""

    code = "permission_denied"
    status = 403
    permission = ""


class Conflict(ServiceError):
    code = "conflict"
    status = 409
