"""Paging long lists of big tables.

Django's Paginator counts every matching row and fetches a page with OFFSET over the joined
rows. With a million complaints both cost more than the page itself. Here:
- the first HEAD ids in the list's order are read at once: a list shorter than that is counted
  from them, and its pages come from them, with no count query at all;
- a longer list is counted up to a cap (SQMS_LIST_COUNT_CAP, 10,000): beyond it the page says
  "more than 10,000" (the API says `count_exact: false`) — narrow the filter;
- a page's rows are then fetched by their ids alone, with the list's joins.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator

HEAD = 1000


class Window:
    """The count of a list and the ids of its rows, read as cheaply as the list allows."""

    def __init__(self, queryset: Any, cap: int | None = None, exact: bool = False) -> None:
        self.queryset = queryset
        self.cap = cap if cap is not None else settings.SQMS_LIST_COUNT_CAP
        self.exact = exact
        self.head_size = min(HEAD, self.cap)

    @cached_property
    def head(self) -> list[Any]:
        return list(self.queryset.values_list("pk", flat=True)[: self.head_size + 1])

    @cached_property
    def counted(self) -> int:
        """The number of rows, or cap + 1 when there are more than the cap (unless exact)."""
        if len(self.head) <= self.head_size:
            return len(self.head)
        rows = self.queryset.order_by()
        return int(rows.count() if self.exact else rows[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return not self.exact and self.counted > self.cap

    def ids(self, offset: int, size: int) -> list[Any]:
        if offset + size <= self.head_size or len(self.head) <= self.head_size:
            return self.head[offset : offset + size]
        return list(self.queryset.values_list("pk", flat=True)[offset : offset + size])

    def rows(self, offset: int, size: int) -> list[Any]:
        """The rows of the window, in the list's order. Fetched by their ids alone, with the
        list's joins: the list's filters (its scope among them) found the ids, and repeated
        they led the planner back to the filter's index instead of the primary key."""
        ids = self.ids(offset, size)
        if not ids:
            return []
        found = self.queryset.model._default_manager.filter(pk__in=ids)
        found.query.select_related = self.queryset.query.select_related
        by_id = {obj.pk: obj for obj in found}
        return [by_id[i] for i in ids if i in by_id]


class CappedPaginator(Paginator):
    """Django's Paginator on a Window: the same pages and templates, without the full count."""

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.window = Window(object_list, cap)
        self.cap = self.window.cap

    @cached_property
    def count(self) -> int:
        return self.window.counted

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.window.capped

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.window.rows(bottom, self.per_page), number, self)
