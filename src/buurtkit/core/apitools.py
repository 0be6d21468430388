"""What every app's ``api.py`` and pages share: the request-body base and the actor.

- :class:`In` is the base of every request body: a field the API does not know is an
  error (422 with the field named), never silently ignored.
- :func:`actor_of` is who is asking: the API's authentication puts the :class:`Actor` on
  ``request.auth``; the pages' ``community_page`` decorator puts it on ``request.actor``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, time
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from django.http import HttpRequest
from ninja import Header, NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from buurtkit.core.actor import Actor
from buurtkit.core.permissions import ROLES

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class In(Schema):
    """Base of every request body: a field the API does not know is an error, not ignored.

    Values are taken as the OpenAPI document types them, never coerced: ``0`` is not a
    yes/no, ``false`` or ``"5"`` not a number, ``0`` not a date (pydantic's lax mode would
    accept them, so a request the document calls invalid would be carried out).
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _as_typed(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None:
            _refuse_coercion(field.annotation, value)
        return value


def _is_integer(value: Any) -> bool:
    """An integer in JSON's sense: ``3`` or ``3.0``, never ``true`` or ``"3"``."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    """A number in JSON's sense, never ``true`` or ``"3"``."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _refuse_coercion(annotation: Any, value: Any) -> None:
    """Raise ``ValueError`` when ``value`` is only an ``annotation`` after a lax conversion."""
    if value is None:
        return
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        kinds = [a for a in get_args(annotation) if a is not type(None)]
        if len(kinds) == 1:
            _refuse_coercion(kinds[0], value)
        elif set(kinds) <= {int, float} and not _is_number(value):
            raise ValueError("Input should be a valid number")
        return
    if origin is Annotated:
        _refuse_coercion(get_args(annotation)[0], value)
    elif origin is list and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        for element in value:
            _refuse_coercion(item, element)
    elif origin is dict and isinstance(value, dict):
        _key, item = get_args(annotation) or (Any, Any)
        for element in value.values():
            _refuse_coercion(item, element)
    elif annotation is bool and not isinstance(value, bool):
        raise ValueError("Input should be a valid boolean (true or false)")
    elif annotation is int and not _is_integer(value):
        raise ValueError("Input should be a valid integer")
    elif annotation is float and not _is_number(value):
        raise ValueError("Input should be a valid number")
    elif annotation is date and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("Input should be a date, YYYY-MM-DD")


def actor_or_none(request: HttpRequest) -> Actor | None:
    """The signed-in actor of a public page (``public_page``), or None for a visitor."""
    actor = getattr(request, "actor", None)
    return actor if isinstance(actor, Actor) else None


def actor_of(request: HttpRequest) -> Actor:
    """The actor of an API call (``request.auth``) or of a community page (``request.actor``)."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):
        raise TypeError("this request has no actor: is the view behind community_page or the API?")
    return actor


# --- bounded numbers ----------------------------------------------------------------------
# Every integer the API reads has bounds, so a number the database cannot hold is a 422 in
# the API's error shape, never a 500 (an overflow in SQLite or PostgreSQL).

#: How far ``?offset=`` may skip into a list.
MAX_OFFSET = 10**9
#: The largest id a row can have (a 64-bit primary key, ``BigAutoField``).
MAX_ID = 2**63 - 1
#: The largest value an ``IntegerField`` holds on PostgreSQL (``integer``, 32 bits).
MAX_INT32 = 2**31 - 1
#: The largest amount in minor units (``BigIntegerField``): far above any real budget.
MAX_AMOUNT = 10**15

#: The id of a row (a path or query parameter, or a field in a body).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A count or a number stored in an ``IntegerField``: 0 up to 2³¹−1.
Count = Annotated[int, Field(ge=0, le=MAX_INT32)]
#: An amount of money in minor units: may not be larger than :data:`MAX_AMOUNT`.
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]


def _iso_day(value: Any) -> Any:
    if not isinstance(value, date) and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("Input should be a date, YYYY-MM-DD")
    return value


#: A day in a query string, written YYYY-MM-DD only (pydantic alone reads ``0`` as 1970-01-01).
Day = Annotated[date, BeforeValidator(_iso_day)]


#: An e-mail address as the services accept it (Django's ``EmailValidator``, ASCII), or "".
EMAIL_PATTERN = (
    r"^$|^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]


#: The pattern of a text that must say something: not empty, not only spaces (services strip).
NONBLANK = r"\S"
#: A short name in addresses (Django's ``SlugField``).
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"

#: An amount in major units as people type it ("12", "2.50" or "2,50"), above zero; how
#: many decimals the currency has is the community's (a 422 on ``amount`` beyond them).
MONEY_PATTERN = r"^0*([1-9][0-9]{0,15}([.,][0-9]{1,6})?|0?[.,]0{0,5}[1-9][0-9]{0,5})$"
#: A month, YYYY-MM.
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"

#: A language the product speaks (``settings.LANGUAGES``).
Language = Literal["nl", "en", "fr"]


def one_of(values: Iterable[str]) -> Any:
    """A string that must be one of ``values`` (known only at start-up), an enum in the document."""
    choices = sorted(values)

    def known(value: str) -> str:
        if value not in choices:
            raise ValueError(f"Input should be one of: {', '.join(choices)}")
        return value

    return Annotated[
        str, AfterValidator(known), WithJsonSchema({"type": "string", "enum": choices})
    ]


#: The name of a role (``core.permissions.ROLES``).
RoleName = one_of(ROLES)


def _clock(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(_CLOCK, value):
        raise ValueError("Input should be a time of day, HH:MM")
    return value


#: A time of day, HH:MM or HH:MM:SS, local to the community: no time zone (the document says
#: so with a pattern, since JSON Schema's ``time`` format demands an offset).
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
ClockTime = Annotated[
    time,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "pattern": _CLOCK, "example": "09:30"}),
]


class Paging(LimitOffsetPagination):
    """``?limit=&offset=`` with bounds: the paging of every list in the API (``@paged``).

    The limit is 1 to ``NINJA_PAGINATION_MAX_LIMIT`` (settings); an offset beyond
    :data:`MAX_OFFSET` is a 422, not a query the database cannot run.
    """

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


F = TypeVar("F", bound=Callable[..., Any])


def paged(view: F) -> F:
    """``@paged`` under ``@router.get(...)``: the list answers one page (:class:`Paging`).

    The view's annotations are resolved first, in the view's own module: ninja reads the
    wrapper that paging puts around the view, whose module does not know the view's types
    (``Id``) when they are written as strings (``from __future__ import annotations``).
    """
    view.__annotations__ = get_type_hints(view, include_extras=True)
    return paginate(Paging)(view)  # type: ignore[no-any-return]


# --- the error answers, declared on every operation -----------------------------------------


class ErrorOut(Schema):
    """The one shape of every error the API answers (see ``conf/api.py``)."""

    error: str = Field(..., description="A stable code: `validation_error`, `not_found`, …")
    detail: str = Field(..., description="A sentence for people, in the request's language.")
    fields: dict[str, str] = Field(..., description="Field name → what is wrong with it.")


#: What each error status means, as the OpenAPI document says it.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the body is not valid JSON, or the request cannot be carried out.",
    401: "Unauthorized: no valid API key (or signed-in session with `?community=`).",
    403: "Permission denied: the key's roles do not allow this.",
    404: "Not found: no such row in this community, or the module is switched off here.",
    409: "Conflict: the row changed meanwhile, or an idempotency key was used for other data.",
    413: "The request body is too large.",
    422: "Validation error: a parameter or field is missing, out of range or refused.",
    429: "Too many requests: try again later.",
}


def error_statuses(operation: Operation) -> list[int]:
    """The error statuses any operation of this API can answer, from what it is.

    Every operation may refuse its input (422); behind authentication it may answer 401
    (no valid key), 403 (the roles do not allow it) and 404 (a row of no such id here, or the
    module switched off in this community); a write may meet a conflict (409); a request
    with a body may carry no JSON (400) or too much of it (413). An operation that can give
    another one (a 429) declares it in its own ``response={…, 429: ErrorOut}``.
    """
    statuses = {422}
    if operation.auth_callbacks:
        statuses |= {401, 403, 404}
    if set(operation.methods) & {"POST", "PUT", "PATCH", "DELETE"}:
        statuses |= {400, 409, 413}
    return sorted(statuses)


class _ErrorDeclaringSchema(OpenAPISchema):
    def responses(self, operation: Operation) -> dict[int, Any]:
        result = super().responses(operation)
        error_ref = self._create_schema_from_model(ErrorOut, by_alias=True, mode="serialization")[0]
        for status in error_statuses(operation):
            result.setdefault(
                status,
                {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
        return result


class Api(NinjaAPI):
    """The NinjaAPI whose OpenAPI document declares the errors of every operation.

    Each operation gets the statuses of :func:`error_statuses` with the :class:`ErrorOut`
    schema, besides the successes its router declares; a new endpoint needs nothing more.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _ErrorDeclaringSchema(api=self, path_prefix=path_prefix)


def idempotency_key_header(what: str, *, required: bool = False) -> Any:
    """The ``Idempotency-Key`` header of a write a retry could repeat (``what``: "transfer").

    ``required``: the service refuses the write without one (the document says so, and a
    request without it is a 422 the fuzzer expects).
    """
    return Header(
        ... if required else None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=NONBLANK,
        description=f"1 to 100 characters, new for every {what}; send the same key on a retry.",
    )
