"""The current time as the services see it. Normally the wall clock; the demo loader (and an
import of historic paper registers) can replay a sequence of operations "as of" past instants,
so timelines, deadlines and escalations come out exactly as if they had happened then. The
audit log always records the real time of writing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_as_of: ContextVar[dt.datetime | None] = ContextVar("sqms_as_of", default=None)


def now() -> dt.datetime:
    return _as_of.get() or timezone.now()


@contextmanager
def as_of(at: dt.datetime) -> Iterator[None]:
    """Run the block with services reading `at` as the current time."""
    if timezone.is_naive(at):
        raise ValueError("as_of needs an aware datetime")
    token = _as_of.set(at)
    try:
        yield
    finally:
        _as_of.reset(token)
