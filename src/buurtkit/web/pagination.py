"""Paging for list pages (a shared component: every module's list pages use it)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


class CappedPaginator(Paginator):
    """Counts the rows only up to ``cap`` (or to the end of the page asked for, if later):
    COUNT(*) over a hundred thousand rows costs more than the page itself, and nobody pages
    through thousands. ``capped`` says there are more; then one page more than counted is
    offered, and the pager says "more than N results"."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int, wanted: object) -> None:
        super().__init__(object_list, per_page)
        number = int(wanted) if isinstance(wanted, str) and wanted.isdigit() else 1
        self.cap = max(cap, min(number, 100_000) * per_page)
        self.capped = False

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list  # a QuerySet
        found = rows.order_by().values("pk")[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return pages + 1 if self.capped else pages

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list[bottom : bottom + self.per_page]
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


def paginate(request: HttpRequest, qs: object, *, count_cap: int | None = None) -> Any:
    """One page of ``qs``; ``page.query`` keeps the other filters for the page links.

    ``count_cap``: count at most this many rows (:class:`CappedPaginator`), for lists that can
    hold a hundred thousand."""
    wanted = request.GET.get("page")
    paginator: Paginator = (
        Paginator(qs, PAGE_SIZE)  # type: ignore[arg-type]
        if count_cap is None
        else CappedPaginator(qs, PAGE_SIZE, cap=count_cap, wanted=wanted)
    )
    page: Any = paginator.get_page(wanted)
    params = request.GET.copy()
    params.pop("page", None)
    page.query = params.urlencode()  # type: ignore[attr-defined]
    return page
