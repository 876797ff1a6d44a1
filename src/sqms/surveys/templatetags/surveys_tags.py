"""Template helpers of the survey pages."""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key], or "" (templates cannot index a dict by a variable)."""
    if isinstance(mapping, dict):
        return mapping.get(key, mapping.get(str(key), ""))
    return ""


@register.filter
def num(value: Any, digits: int = 2) -> str:
    """A figure with `digits` decimals, or an em dash where there is none (NaN, None)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A proportion (0-1) as a percentage."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def signed(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value):+.{int(digits)}f}"
