"""Language of work done outside a request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation

F = TypeVar("F", bound=Callable[..., Any])


def in_site_language(fn: F) -> F:
    """Background work speaks the site's language (SQMS_LANGUAGE): it has no request to take a
    language from, and its thread may still carry whatever an earlier piece of work activated."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with translation.override(settings.LANGUAGE_CODE):
            return fn(*args, **kwargs)

    return inner  # type: ignore[return-value]
