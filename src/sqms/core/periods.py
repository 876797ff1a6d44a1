"""Evaluation periods written as text: "2026-11" (month), "2026-Q3" (quarter), "2026-H2"
(half-year: seed 004 evaluates at the end of June and December) and "2026" (year)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Period", "PeriodKind", "period_parse", "period_previous"]


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date
    label: str


_RE = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])|[Hh]([12])))?$")


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_parse(text: str) -> Period:
    """The period a label names; ValueError with the accepted forms otherwise."""
    m = _RE.match(text.strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValueError(f"{text!r} is not a period: write 2026-11, 2026-Q3, 2026-H2 or 2026")
    year = int(m.group(1))
    month, quarter, half = m.group(2), m.group(3), m.group(4)
    if month is not None:
        mo = int(month)
        if not 1 <= mo <= 12:
            raise ValueError(f"{text!r}: the month is 1-12")
        return Period(
            PeriodKind.MONTH, dt.date(year, mo, 1), _month_end(year, mo), f"{year}-{mo:02d}"
        )
    if quarter is not None:
        q = int(quarter)
        return Period(
            PeriodKind.QUARTER, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q), f"{year}-Q{q}"
        )
    if half is not None:
        h = int(half)
        return Period(
            PeriodKind.HALF, dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h), f"{year}-H{h}"
        )
    return Period(PeriodKind.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31), str(year))


def period_previous(kind: PeriodKind, today: dt.date) -> Period:
    """The last whole period of this kind before `today` (last month, last quarter, …)."""
    if kind is PeriodKind.MONTH:
        first = today.replace(day=1) - dt.timedelta(days=1)
        return period_parse(f"{first.year}-{first.month}")
    if kind is PeriodKind.QUARTER:
        q = (today.month - 1) // 3
        return period_parse(f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}")
    if kind is PeriodKind.HALF:
        return period_parse(f"{today.year - 1}-H2" if today.month <= 6 else f"{today.year}-H1")
    return period_parse(str(today.year - 1))
