"""Paging long lists of big tables for pages.

Django's Paginator counts every matching row and fetches a page with OFFSET over the joined
rows. With a million complaints both cost more than the page itself: counting stops at `cap`
here (SQMS_LIST_COUNT_CAP, 10,000: a longer list says so, narrow the filter), and a page
fetches its ids first, then only those rows."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator


class CappedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap if cap is not None else settings.SQMS_LIST_COUNT_CAP

    @cached_property
    def count(self) -> int:
        return int(self.object_list.order_by()[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.count > self.cap

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # The rows by their ids alone, with the list's joins: the list's own filters were
        # applied to find the ids (and its scope with them), and repeated here they led the
        # planner back to the filter's index instead of the primary key.
        rows = self.object_list.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = self.object_list.query.select_related
        by_id = {obj.pk: obj for obj in rows} if ids else {}
        return Page([by_id[i] for i in ids if i in by_id], number, self)
