"""Paging long lists of big tables.

Django's Paginator counts every matching row and fetches a page with OFFSET over the joined
rows. With a million complaints both cost more than the page itself. Here:
- a page reads its ids first, one more than it shows: when the first page is not full, that is
  the whole list, counted without a count query;
- a longer list is counted up to a cap (SQMS_LIST_COUNT_CAP, 10,000): beyond it the page says
  "more than 10,000" (the API says `count_exact: false`) — narrow the filter;
- a page's rows are then fetched by their ids alone, with the list's joins and its only()/defer().
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator


class Window:
    """The count of a list and the rows of one of its pages, read as cheaply as the list
    allows."""

    def __init__(
        self, queryset: Any, offset: int, size: int, cap: int | None = None, exact: bool = False
    ) -> None:
        self.queryset = queryset
        self.offset, self.size = offset, size
        self.cap = cap if cap is not None else settings.SQMS_LIST_COUNT_CAP
        self.exact = exact

    @cached_property
    def ids(self) -> list[Any]:
        """The page's ids, and one more if the list goes on."""
        window = self.queryset.values_list("pk", flat=True)
        return list(window[self.offset : self.offset + self.size + 1])

    @cached_property
    def counted(self) -> int:
        """The number of rows, or cap + 1 when there are more than the cap (unless exact)."""
        if self.offset == 0 and len(self.ids) <= self.size:
            return len(self.ids)  # the first page holds the whole list
        rows = self.queryset.order_by()
        return int(rows.count() if self.exact else rows[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return not self.exact and self.counted > self.cap

    def rows(self) -> list[Any]:
        """The page's rows, in the list's order. Fetched by their ids alone, with the list's
        joins: the list's filters (its scope among them) found the ids, and repeated they led
        the planner back to the filter's index instead of the primary key."""
        ids = self.ids[: self.size]
        if not ids:
            return []
        found = self.queryset.model._default_manager.filter(pk__in=ids)
        found.query.select_related = self.queryset.query.select_related
        found.query.deferred_loading = self.queryset.query.deferred_loading  # .only()/.defer()
        by_id = {obj.pk: obj for obj in found}
        return [by_id[i] for i in ids if i in by_id]


class CappedPaginator(Paginator):
    """Django's Paginator over Windows: the same pages and templates, without the full count."""

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap if cap is not None else settings.SQMS_LIST_COUNT_CAP
        self._first = Window(object_list, 0, per_page, self.cap)

    @cached_property
    def count(self) -> int:
        return self._first.counted

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self._first.capped

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        window = self._first if bottom == 0 else Window(self.object_list, bottom, self.per_page)
        return Page(window.rows(), number, self)
