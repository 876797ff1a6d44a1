"""Helpers shared by the inspection services."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from sqms.common.errors import PermissionDenied, field_error
from sqms.inspections.models import (
    InspectionRules,
)
from sqms.org.models import OrgUnit, User
from sqms.org.selectors import access_for

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/gif"}
MAX_PHOTOS = 60
MAX_NONCONFORMITIES = 99
MAX_TEXT = 5000


def _require(actor: User | None, cap: str, unit: OrgUnit | None = None) -> None:
    """Raise unless `actor` holds `cap` on `unit` (anywhere when no unit; None is the system)."""
    if actor is None:
        return
    access = access_for(actor)
    allowed = access.covers(cap, unit.path) if unit is not None else access.any_cap(cap)
    if not allowed:
        raise PermissionDenied()


def _text(value: str | None, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise field_error(name, _("This field is required."), code="required")
    if len(value) > limit:
        raise field_error(name, _("At most %(n)d characters.") % {"n": limit})
    return value


def _points(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def rules() -> InspectionRules:
    return InspectionRules.objects.filter(pk=1).first() or InspectionRules()
