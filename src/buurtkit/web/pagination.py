"""Paging for list pages (a shared component: every module's list pages use it)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


def paginate(request: HttpRequest, qs: object) -> Any:
    """One page of ``qs``; ``page.query`` keeps the other filters for the page links."""
    page: Any = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    params = request.GET.copy()
    params.pop("page", None)
    page.query = params.urlencode()  # type: ignore[attr-defined]
    return page
