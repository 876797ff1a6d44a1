"""What a web worker does once when it starts, before it takes its first request.

Left to the first request, the work below took it 0.9 to 1.3 s (bench/README.md, session 6):
importing the URL configuration (every view, API schema and chart module), building the URL
maps for each language, loading the translation catalogues, and reading the whole-tree maps that
sqms.common.memo keeps (units by code, calendars, managers to tell). gunicorn forks a worker and
the worker imports `sqms.wsgi`, which calls `warm()`, before it accepts a connection; so a worker
that has just started, or restarted after `max_requests`, answers its first request as fast as
its thousandth.

Apps add their own whole-tree reads with `at_start` in their AppConfig.ready. A step that fails
(a database not migrated yet, say) is logged and skipped: the request that needs it loads it, as
it would without the warm-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections
from django.urls import get_resolver
from django.utils import translation

log = logging.getLogger(__name__)

_STEPS: list[Callable[[], object]] = []


def at_start(step: Callable[[], object]) -> None:
    """Run `step` (no arguments; it reads through sqms.common.memo) when a worker starts."""
    if step not in _STEPS:
        _STEPS.append(step)


def warm() -> float:
    """Do the start-up work now; returns the milliseconds it took."""
    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URL configuration and every view
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # loads the language's catalogues
            resolver.reverse_dict  # noqa: B018 - the URL maps are built per language
    try:
        for step in _STEPS:
            try:
                step()
            except DatabaseError as exc:
                log.warning("start-up step %s skipped: %s", step.__qualname__, exc)
    finally:
        # The requests open their own: a connection opened here is not carried across a fork
        # (gunicorn --preload) or into another thread (gthread workers).
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:  # a caller's transaction (a test's) stays its own
                conn.close()
    took = (time.perf_counter() - started) * 1000
    log.info("worker warmed in %.0f ms", took)
    return took
