"""Template helpers of the survey pages."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
CHECKED = mark_safe(" checked")  # a constant


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


@register.simple_tag
def scale(
    name: str,
    points: list[dict[str, Any]],
    value: Any,
    labelled: bool,
    low: str,
    high: str,
    labelledby: str = "",
) -> SafeString:
    """One rating question's radio buttons (a likert row or an NPS scale), built in Python: the
    SERVQUAL page has 44 of them and a template loop per button cost most of its rendering."""
    chosen = "" if value is None else str(value)
    buttons = format_html_join(
        "",
        '<label><input type="radio" name="{}" value="{}"{}><span>{}</span></label>',
        (
            (
                name,
                p["value"],
                CHECKED if str(p["value"]) == chosen else "",
                p["label"],
            )
            for p in points
        ),
    )
    ends = (
        ("", "")
        if labelled or not (low or high)
        else (
            format_html('<span class="end low">{}</span>', low),
            format_html('<span class="end high">{}</span>', high),
        )
    )
    return format_html(
        '<div class="scale{}" role="radiogroup"{}>{}<span class="pts">{}</span>{}</div>',
        " labelled" if labelled else "",
        format_html(' aria-labelledby="lbl-{}"', labelledby) if labelledby else "",
        ends[0],
        buttons,
        ends[1],
    )
