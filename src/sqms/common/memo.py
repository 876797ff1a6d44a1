"""Configuration reads kept in this process while the configuration stays the same.

Every request of the API reads the same few rows again and again: the token and its user, the
user's grants, a unit by its code, a category, a time-limit policy, a calendar, the managers to
tell. They change rarely, and when they do, the change draws a new random *configuration
revision* in the same transaction (`bump`, called by the models' save and delete signals and by
the few services that write such rows with `update()`). A request reads the revision once, with
one small query, and uses what this process remembers only while the revision it remembered it
under is still the one in the database: a change made by any process is seen by every process at
its next request. Random, not a counter, so that a rolled-back change or a restored backup never
brings an old revision back to life with new data behind it.

What is remembered is shared by the threads of the process: callers copy a model instance
before they change it or hang per-request state on it (`copy.copy` keeps Django's field cache
separate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
_MAX_ENTRIES = 20_000
_MISSING = object()
# Written on every login: nothing remembered depends on it.
_UNWATCHED_FIELDS = {"last_login"}
_SQL = "SELECT value FROM common_configrevision WHERE id = 1"  # a constant: no input in it


class _Store:
    def __init__(self) -> None:
        self.revision: int | None = None
        self.entries: dict[tuple[str, Hashable], Any] = {}
        self.lock = threading.Lock()


_STORE = _Store()


class _Local(threading.local):
    in_request = False
    revision: int | None = None  # read once per request


_LOCAL = _Local()


def current_revision() -> int:
    """The configuration revision in the database, read once per request (every time outside
    a request: the worker and commands have no request to scope it)."""
    if _LOCAL.in_request and _LOCAL.revision is not None:
        return _LOCAL.revision
    with connection.cursor() as cursor:
        cursor.execute(_SQL)
        row = cursor.fetchone()
    revision = int(row[0]) if row else 0
    if _LOCAL.in_request:
        _LOCAL.revision = revision
    return revision


def memo(kind: str, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or what it gave before under this configuration revision. `None` is kept
    too (an unknown code stays unknown until something is created, which draws a revision)."""
    revision = current_revision()
    store = _STORE
    with store.lock:
        if store.revision != revision:
            store.entries.clear()
            store.revision = revision
        hit = store.entries.get((kind, key), _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[no-any-return]
    value = load()
    with store.lock:
        if store.revision == revision:
            if len(store.entries) >= _MAX_ENTRIES:
                store.entries.pop(next(iter(store.entries)))
            store.entries[(kind, key)] = value
    return value


def bump() -> None:
    """Draw a new configuration revision, in the caller's transaction: every process forgets
    what it remembered once the change is committed (this one at once)."""
    from sqms.common.models import ConfigRevision, new_revision

    revision = new_revision()
    if not ConfigRevision.objects.filter(pk=1).update(value=revision):
        ConfigRevision.objects.update_or_create(pk=1, defaults={"value": revision})
    forget()
    if _LOCAL.in_request:
        _LOCAL.revision = revision


def forget() -> None:
    """Drop everything this process remembers (tests, and `bump`)."""
    with _STORE.lock:
        _STORE.entries.clear()
        _STORE.revision = None
    _LOCAL.revision = None


def _on_change(sender: Any, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if fields and set(fields) <= _UNWATCHED_FIELDS:
        return
    bump()


def watch(*models: type) -> None:
    """Draw a new revision whenever a row of these models is saved or deleted."""
    for model in models:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"memo-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"memo-del-{model.__name__}")


def _request_started(**kwargs: Any) -> None:
    _LOCAL.in_request = True
    _LOCAL.revision = None


def end_request(**kwargs: Any) -> None:
    """The request of this thread is over (Django's request_finished; tests call it too)."""
    _LOCAL.in_request = False
    _LOCAL.revision = None


request_started.connect(_request_started, dispatch_uid="memo-request-started")
request_finished.connect(end_request, dispatch_uid="memo-request-finished")
