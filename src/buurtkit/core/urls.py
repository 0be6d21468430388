"""The one check for every web address the product stores and later shows as a link or follows.

A stored address is either a path on this site (``/rabot/pay/``) or a full ``http(s)://``
address. Browsers are lenient: they drop tabs and new lines inside a URL and read ``\\`` as
``/``, so ``"/\\t/evil.example/"`` or ``"/\\evil.example/"`` saved as an "on-site" path becomes
``//evil.example/``, another site. So an address is refused when it holds:

- a control character anywhere (C0 ``\\x00``–``\\x1f``, DEL ``\\x7f``, C1 ``\\x80``–``\\x9f``),
  invisible formatting characters (zero-width, text direction) or any white space inside it;
- a backslash anywhere;
- a protocol-relative start (``//host``), or a scheme other than ``http``/``https``, or no host.

Services call :func:`clean_stored_url` (it raises :class:`~buurtkit.core.errors.ValidationFailed`
with the field's message); model fields use :class:`SafeURLField` (the same rule as a Django
validator, so forms and the admin refuse the same addresses). ``tests/test_stored_urls.py``
checks that every URL-like model field and every route action uses it.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed

MAX_URL_LENGTH = 1000
#: Unicode categories refused anywhere in an address: controls, format characters (zero
#: width, direction marks), separators (every kind of space, line and paragraph breaks).
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _has_hidden_characters(url: str) -> bool:
    return any(
        ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES or ch == "\\" for ch in url
    )


def url_problem(url: str, *, allow_path: bool = True) -> str | None:
    """Why ``url`` may not be stored (a sentence for the person who typed it), or ``None``.

    ``url`` is taken as it is: callers strip the spaces around what was typed first.
    """
    if not url:
        return _("Give an address (https://…).")
    if len(url) > MAX_URL_LENGTH:
        return _("This address is too long.")
    if _has_hidden_characters(url):
        return _("An address cannot contain spaces, tabs, backslashes or hidden characters.")
    if url.startswith("/"):
        if url.startswith("//"):
            return _("Give a path on this site (/…) or a full address (https://…).")
        return None if allow_path else _("Give a full address (https://…).")
    try:
        parts = urlsplit(url)
        scheme, hostname = parts.scheme.lower(), parts.hostname
    except ValueError:  # a broken [IPv6] host
        scheme, hostname = "", None
    if scheme not in ("http", "https") or not hostname:
        return _("Only web addresses that start with https:// or http:// can be used.")
    return None


def is_safe_stored_url(url: Any, *, allow_path: bool = True) -> bool:
    """For links shown from data stored before this check existed."""
    return isinstance(url, str) and url_problem(url, allow_path=allow_path) is None


def clean_stored_url(value: Any, *, field: str = "url", allow_path: bool = True) -> str:
    """The address as it will be stored (spaces around it removed), or ``ValidationFailed``."""
    url = str(value or "").strip()
    problem = url_problem(url, allow_path=allow_path)
    if problem is not None:
        raise ValidationFailed(problem, fields={field: problem})
    return url


@deconstructible
class SafeURLValidator:
    """The same rule for Django fields and forms."""

    def __init__(self, *, allow_path: bool = False) -> None:
        self.allow_path = allow_path

    def __call__(self, value: Any) -> None:
        problem = url_problem(str(value or ""), allow_path=self.allow_path)
        if problem is not None and value:
            raise ValidationError(problem, code="unsafe_url")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SafeURLValidator) and other.allow_path == self.allow_path

    def __hash__(self) -> int:
        return hash(self.allow_path)


class SafeURLField(models.URLField):
    """A URLField that refuses what :func:`url_problem` refuses.

    Stored exactly like ``models.URLField`` (it deconstructs as one), so adding the rule to an
    existing field needs no migration.
    """

    default_validators = [*models.URLField.default_validators, SafeURLValidator()]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
