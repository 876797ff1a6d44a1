"""Role grants behind Django's permission API, so that apps that must not import org (common)
can still ask `actor.has_perm("calendar.manage")`, and the answer comes from the org tree."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from sqms.org.roles import Cap
from sqms.org.selectors import access_for


class ScopedRoleBackend(BaseBackend):
    """`has_perm(cap)`: the capability anywhere; `has_perm(cap, obj)`: on the unit of `obj` (a
    unit, or anything with a `unit`). Capabilities are the values of `Cap`."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not getattr(user_obj, "is_active", False) or perm not in Cap.values:
            return False
        access = access_for(user_obj)
        if obj is None:
            return access.any_cap(perm)
        path = getattr(obj, "path", None) or getattr(getattr(obj, "unit", None), "path", None)
        return path is not None and access.covers(perm, path)
